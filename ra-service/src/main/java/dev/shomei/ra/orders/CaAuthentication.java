package dev.shomei.ra.orders;

import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Identifies the CA behind a request to the CA-facing endpoints: the TLS client certificate must be one of
 * {@code ra.orders.ca-client-certificates}, compared by SHA-256 of the DER certificate. Pinning the exact
 * certificate (not a CA) is deliberate: exactly one party may take orders, and the trust store may hold officer CAs.
 *
 * <p>Zone: online (ra-service). Reads the configured PEM files at start-up; no writes.
 */
@io.quarkus.runtime.Startup
@ApplicationScoped
public class CaAuthentication {

    private final Set<String> allowed;

    @Inject
    public CaAuthentication(RaConfig config) {
        this.allowed = config.orders().caClientCertificates().orElse(List.of()).stream()
                .map(p -> sha256(ConfiguredFile.certificate("ra.orders.ca-client-certificates", p)))
                .collect(Collectors.toUnmodifiableSet());
    }

    public Actor authenticate(HttpServerRequest request) {
        if (allowed.isEmpty()) {
            throw new RaProblem(503, "ca-client-not-configured", "CA access not configured",
                    "ra.orders.ca-client-certificates is not set, so no CA can pull orders; configure the CA's TLS"
                            + " client certificate (PEM)");
        }
        if (request == null || !request.isSSL()) {
            throw new RaProblem(401, "ca-certificate-required", "Client certificate required",
                    "the CA endpoints are served only over HTTPS with the CA's client certificate (mutual TLS)");
        }
        X509Certificate cert = null;
        try {
            Certificate[] chain = request.sslSession() == null ? null : request.sslSession().getPeerCertificates();
            if (chain != null && chain.length > 0 && chain[0] instanceof X509Certificate x) {
                cert = x;
            }
        } catch (SSLPeerUnverifiedException e) {
            // no certificate presented
        }
        if (cert == null) {
            throw new RaProblem(401, "ca-certificate-required", "Client certificate required",
                    "no client certificate was presented; the CA must connect with its TLS client certificate");
        }
        String hash = sha256(cert);
        if (!allowed.contains(hash)) {
            throw new RaProblem(403, "ca-certificate-not-allowed", "Not the CA",
                    "the client certificate (SHA-256 " + hash + ") is not one of ra.orders.ca-client-certificates");
        }
        try {
            cert.checkValidity();
        } catch (Exception e) {
            throw new RaProblem(403, "ca-certificate-not-allowed", "Not the CA",
                    "the CA client certificate (SHA-256 " + hash + ") is not valid now; renew it and configure it");
        }
        // The CA is a system, not a person; the audit trail records which pinned certificate it connected with.
        return new Actor(Actor.Kind.SYSTEM, "ca", "mTLS client certificate SHA-256 " + hash, "order-bundle/v1",
                null, null);
    }

    static String sha256(X509Certificate cert) {
        try {
            return ConfiguredFile.sha256Hex(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
