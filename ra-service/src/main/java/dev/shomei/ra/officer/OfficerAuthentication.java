package dev.shomei.ra.officer;

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
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Identifies the RA officer behind a request from the client certificate of its TLS connection (mutual TLS).
 * The TLS layer already checked the chain against its trust store; this checks again, in code, that the
 * certificate was issued by the configured officer CA and is valid now, so that a trust store holding other
 * CAs (for other clients) cannot let a stranger act as an officer.
 *
 * <p>Zone: online (ra-service). Reads the officer CA file at start-up; no writes.
 */
// Created at start-up, so that a wrong pin or a missing file stops the service before it takes requests.
@io.quarkus.runtime.Startup
@ApplicationScoped
public class OfficerAuthentication {

    private final Optional<X509Certificate> officerCa;
    private final String officerCaSha256;

    @Inject
    public OfficerAuthentication(RaConfig config) {
        this.officerCa = config.officer().caPath().map(p -> ConfiguredFile.certificate("ra.officer.ca-path", p));
        this.officerCaSha256 = officerCa.map(OfficerAuthentication::sha256).orElse(null);
    }

    /** The officer as an audit actor: certificate CN, and how they authenticated (the certificate's SHA-256). */
    public Actor authenticate(HttpServerRequest request) {
        if (officerCa.isEmpty()) {
            throw new RaProblem(503, "officer-ca-not-configured", "Officer authentication not configured",
                    "ra.officer.ca-path is not set, so no officer can be authenticated; configure the officer CA"
                            + " and the HTTPS key store (see README, Officers)");
        }
        if (request == null || !request.isSSL()) {
            throw new RaProblem(401, "officer-certificate-required", "Client certificate required",
                    "officer endpoints are served only over HTTPS with a client certificate (mutual TLS); connect"
                            + " to the HTTPS port with the officer's certificate");
        }
        X509Certificate cert = clientCertificate(request.sslSession());
        try {
            cert.verify(officerCa.get().getPublicKey());
            cert.checkValidity();
            officerCa.get().checkValidity();
        } catch (Exception e) {
            throw new RaProblem(403, "officer-certificate-untrusted", "Not an RA officer",
                    "the client certificate (subject " + cert.getSubjectX500Principal().getName() + ") is not a"
                            + " currently valid certificate issued by the officer CA (ra.officer.ca-path)");
        }
        String cn = commonName(cert).orElseThrow(() -> new RaProblem(403, "officer-certificate-untrusted",
                "Not an RA officer", "the officer certificate has no CN; the CN names the officer in the books"));
        return Actor.person(cn, "mTLS client certificate SHA-256 " + sha256(cert) + " issued by officer CA SHA-256 "
                + officerCaSha256);
    }

    private static X509Certificate clientCertificate(SSLSession session) {
        try {
            Certificate[] chain = session == null ? null : session.getPeerCertificates();
            if (chain != null && chain.length > 0 && chain[0] instanceof X509Certificate x) {
                return x;
            }
        } catch (SSLPeerUnverifiedException e) {
            // fall through: no certificate was presented
        }
        throw new RaProblem(401, "officer-certificate-required", "Client certificate required",
                "no client certificate was presented; configure the officer's certificate and key in the client");
    }

    private static Optional<String> commonName(X509Certificate cert) {
        try {
            List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
            return rdns.stream().filter(r -> "CN".equalsIgnoreCase(r.getType()))
                    .map(r -> String.valueOf(r.getValue())).findFirst();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }

    private static String sha256(X509Certificate cert) {
        try {
            return ConfiguredFile.sha256Hex(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
