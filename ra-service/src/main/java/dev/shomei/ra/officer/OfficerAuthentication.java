package dev.shomei.ra.officer;

import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Identifies the RA officer or auditor behind a request from the client certificate of its TLS connection
 * (mutual TLS), and checks that they hold the role the endpoint needs. The TLS layer already checked the chain
 * against its trust store; this checks again, in code, that the certificate was issued by the configured officer
 * CA, is valid now and is not on the officer CA's CRL, so that a trust store holding other CAs (for other
 * clients) cannot let a stranger act as an officer, and a dismissed officer's certificate stops working as soon as
 * the CRL lists it.
 *
 * <p>Roles are separate (CP/CPS: separation of duties): the certificate's subject OU is either
 * {@code ra.officer.officer-ou} (decides) or {@code ra.officer.auditor-ou} (exports the books), never both.
 *
 * <p>Zone: online (ra-service). Reads the officer CA and its CRL file; no writes.
 */
// Created at start-up, so that a wrong pin or a missing file stops the service before it takes requests.
@io.quarkus.runtime.Startup
@ApplicationScoped
public class OfficerAuthentication {

    /** What a staff member may do; each endpoint names the one role it needs. */
    public enum Role { OFFICER, AUDITOR, OPERATOR }

    private final Optional<X509Certificate> officerCa;
    private final String officerCaSha256;
    private final Optional<Path> crlPath;
    private final boolean requireCrl;
    private final String officerOu;
    private final String auditorOu;
    private final String operatorOu;
    private final Clock clock = Clock.systemUTC();
    private volatile LoadedCrl crl;

    private record LoadedCrl(FileTime modified, long size, X509CRL crl) {}

    @Inject
    public OfficerAuthentication(RaConfig config) {
        this.officerCa = config.officer().caPath().map(p -> ConfiguredFile.certificate("ra.officer.ca-path", p));
        this.officerCaSha256 = officerCa.map(OfficerAuthentication::sha256).orElse(null);
        this.crlPath = config.officer().crlPath().map(Path::of);
        this.requireCrl = config.officer().requireCrl();
        this.officerOu = config.officer().officerOu();
        this.auditorOu = config.officer().auditorOu();
        this.operatorOu = config.officer().operatorOu();
        if (officerCa.isPresent() && crlPath.isPresent()) {
            currentCrl(); // a wrong or unverifiable CRL file stops the start, not the first officer
        }
    }

    /** The officer as an audit actor: certificate CN, and how they authenticated (the certificate's SHA-256). */
    public Actor authenticate(HttpServerRequest request) {
        return authenticate(request, Role.OFFICER);
    }

    /** The staff member behind the request, who must hold {@code role}; 401/403/503 problems otherwise. */
    public Actor authenticate(HttpServerRequest request, Role role) {
        if (officerCa.isEmpty()) {
            throw new RaProblem(503, "officer-ca-not-configured", "Officer authentication not configured",
                    "ra.officer.ca-path is not set, so no officer can be authenticated; configure the officer CA"
                            + " and the HTTPS key store (see README, Officers)");
        }
        if (request == null || !request.isSSL()) {
            throw new RaProblem(401, "officer-certificate-required", "Client certificate required",
                    "officer and auditor endpoints are served only over HTTPS with a client certificate (mutual"
                            + " TLS); connect to the HTTPS port with the officer's or auditor's certificate");
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
        checkNotRevoked(cert);
        String cn = attribute(cert, "CN").stream().findFirst().orElseThrow(() -> new RaProblem(403,
                "officer-certificate-untrusted", "Not an RA officer",
                "the officer certificate has no CN; the CN names the officer in the books"));
        List<String> ous = attribute(cert, "OU");
        boolean officer = ous.contains(officerOu);
        boolean auditor = ous.contains(auditorOu);
        if (officer && auditor) {
            throw new RaProblem(403, "staff-roles-combined", "Roles must be separate", "the certificate of " + cn
                    + " names both roles (OU '" + officerOu + "' and OU '" + auditorOu + "'); officers and auditors"
                    + " hold separate certificates (separation of duties); issue one certificate per role");
        }
        // The operator (platform status, docs/monitoring.md) neither decides nor audits: a role of its own.
        boolean operator = ous.contains(operatorOu);
        if (operator && (officer || auditor)) {
            throw new RaProblem(403, "staff-roles-combined", "Roles must be separate", "the certificate of " + cn
                    + " names the operator role (OU '" + operatorOu + "') with another; issue one certificate per role");
        }
        boolean allowed = role == Role.OFFICER ? officer : role == Role.AUDITOR ? auditor : operator;
        if (!allowed) {
            String needed = role == Role.OFFICER ? officerOu : role == Role.AUDITOR ? auditorOu : operatorOu;
            throw new RaProblem(403, role.name().toLowerCase() + "-role-required",
                    "Role not held", "this endpoint is for the " + role.name().toLowerCase() + " role (certificate"
                    + " subject OU '" + needed + "'); the certificate of " + cn + " has OU " + ous
                    + (role == Role.AUDITOR ? "; exporting the books is an auditor's act, not an officer's"
                            : role == Role.OPERATOR ? "; the status page is for operators"
                            : "; auditors read the books, they do not decide"));
        }
        return Actor.person(cn, "mTLS client certificate SHA-256 " + sha256(cert) + " issued by officer CA SHA-256 "
                + officerCaSha256);
    }

    /** The SHA-256 of the certificate recorded in an officer's actor authentication text. */
    public static String certificateSha256(Actor actor) {
        String a = actor.authentication() == null ? "" : actor.authentication();
        String marker = "SHA-256 ";
        int i = a.indexOf(marker);
        return i < 0 ? a : a.substring(i + marker.length()).split(" ")[0];
    }

    private void checkNotRevoked(X509Certificate cert) {
        if (crlPath.isEmpty()) {
            if (requireCrl) {
                throw new RaProblem(503, "officer-crl-not-configured", "Officer revocation check not configured",
                        "ra.officer.crl-path is not set, so a revoked officer certificate could not be told apart;"
                                + " configure the officer CA's CRL (or, in development only,"
                                + " ra.officer.require-crl=false)");
            }
            return;
        }
        X509CRL current = currentCrl();
        if (current.getNextUpdate() == null || current.getNextUpdate().toInstant().isBefore(clock.instant())) {
            throw new RaProblem(503, "officer-crl-stale", "Officer CRL out of date", "the officer CA's CRL ("
                    + crlPath.get() + ") had nextUpdate " + (current.getNextUpdate() == null ? "absent"
                    : current.getNextUpdate().toInstant()) + "; publish a current CRL there (RFC 5280 section"
                    + " 5.1.2.5): without it no officer can be checked");
        }
        if (current.getRevokedCertificate(cert) != null) {
            throw new RaProblem(403, "officer-certificate-revoked", "Officer certificate revoked",
                    "the client certificate (serial " + cert.getSerialNumber().toString(16) + ") is on the officer"
                            + " CA's CRL; it can no longer act for the RA");
        }
    }

    /** The CRL file, parsed and verified again whenever its modification time or size changes. */
    private X509CRL currentCrl() {
        Path path = crlPath.orElseThrow();
        try {
            FileTime modified = Files.getLastModifiedTime(path);
            long size = Files.size(path);
            LoadedCrl loaded = crl;
            if (loaded != null && loaded.modified().equals(modified) && loaded.size() == size) {
                return loaded.crl();
            }
            X509CRL parsed = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(Files.readAllBytes(path)));
            if (!parsed.getIssuerX500Principal().equals(officerCa.get().getSubjectX500Principal())) {
                throw new CRLException("issued by " + parsed.getIssuerX500Principal().getName()
                        + ", not by the officer CA");
            }
            parsed.verify(officerCa.get().getPublicKey());
            if (parsed.getThisUpdate().toInstant().isAfter(clock.instant().plusSeconds(300))) {
                throw new CRLException("thisUpdate " + parsed.getThisUpdate().toInstant() + " is in the future");
            }
            crl = new LoadedCrl(modified, size, parsed);
            return parsed;
        } catch (RaProblem p) {
            throw p;
        } catch (Exception e) {
            throw new RaProblem(503, "officer-crl-unusable", "Officer CRL unusable", "ra.officer.crl-path = "
                    + path + ": " + e.getMessage() + "; it must be a DER or PEM CRL signed by the officer CA");
        }
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

    private static List<String> attribute(X509Certificate cert, String type) {
        try {
            List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
            return rdns.stream().filter(r -> type.equalsIgnoreCase(r.getType()))
                    .map(r -> String.valueOf(r.getValue())).toList();
        } catch (InvalidNameException e) {
            return List.of();
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
