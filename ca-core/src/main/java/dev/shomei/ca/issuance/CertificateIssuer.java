package dev.shomei.ca.issuance;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.hsm.KeyAlgorithm;
import dev.shomei.ca.hsm.Signer;
import dev.shomei.ca.lint.PreIssuanceLint;
import dev.shomei.ca.profile.CertificateProfile;
import dev.shomei.ca.profile.ProfileExtensions;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.ca.store.CertificateStore.CertificateRecord;
import dev.shomei.ca.store.CertificateStore.Revocation;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * Issues certificates from PKCS#10 requests and revokes them, with the issuing CA's key in the HSM.
 *
 * <p>Zone: secure. The issuing flow (docs/issuance.md):
 * Step 1, check the CSR (parse, proof of possession, key policy) and the subject against the profile;
 * Step 2, in one database transaction: return the certificate already issued for this request id, if any;
 * Step 3, build the to-be-signed certificate from the profile, lint it, sign it in the HSM, verify it;
 * Step 4, record it (serial and request id are unique) and commit. A crash before the commit leaves
 * nothing recorded and nothing delivered; re-running the same request id returns the same certificate.
 */
public final class CertificateIssuer {

    /** A certificate and whether it had been issued earlier for the same request id. */
    public record Issued(X509Certificate certificate, boolean alreadyIssued) {
        public String serialHex() {
            return CertificateStore.hex(certificate.getSerialNumber());
        }
    }

    private final DataSource dataSource;
    private final Signer signer;
    private final String issuerLabel;
    private final CaConfig config;
    private final Clock clock;
    private final CertificateStore store = new CertificateStore();
    private final CaEventLog events;

    public CertificateIssuer(DataSource dataSource, Signer signer, String issuerLabel, CaConfig config, Clock clock,
                             CaEventLog events) {
        this.dataSource = dataSource;
        this.signer = signer;
        this.issuerLabel = issuerLabel;
        this.config = config;
        this.clock = clock;
        this.events = events;
    }

    /** The request id a CSR gets when the caller has none (command-line issuance): its SHA-256. */
    public static String requestIdFor(byte[] csrDer) {
        return "csr:" + HexFormat.of().formatHex(sha256(csrDer));
    }

    public Issued issue(String requestId, byte[] csrBytes, String profileName) {
        CertificateProfile profile = config.profile(profileName);
        // Step 1: the request itself.
        Set<KeyAlgorithm> allowed = profile.allowedKeys().stream().map(KeyAlgorithm::parse).collect(Collectors.toSet());
        Csr csr = Csr.parse(csrBytes, allowed);
        checkSubject(csr.subject(), profile);
        String id = requestId == null || requestId.isBlank() ? requestIdFor(csr.der()) : requestId;
        return issueChecked(id, csr.subject(), csr.publicKey(), profileName, profile);
    }

    /**
     * Issues for a public key whose private key the CA itself holds in the HSM (a delegated OCSP responder
     * or publication signer): no CSR travels, the key comes from the token. Same lint, signing and recording.
     */
    public Issued issueForHsmKey(String requestId, X500Name subject, PublicKey publicKey, String profileName) {
        CertificateProfile profile = config.profile(profileName);
        KeyAlgorithm ka = KeyAlgorithm.of(publicKey);
        if (!profile.allowedKeys().contains(ka.label())) {
            throw new CaOperationException("key " + ka.label() + " is not allowed by profile " + profileName
                    + " (allowed: " + profile.allowedKeys() + ")");
        }
        checkSubject(subject, profile);
        return issueChecked(requestId, subject, publicKey, profileName, profile);
    }

    private Issued issueChecked(String id, X500Name subject, PublicKey publicKey, String profileName,
                                CertificateProfile profile) {

        try (Connection c = dataSource.getConnection()) {
            try {
                // Step 2: idempotent by request id.
                Optional<CertificateRecord> existing = store.byRequestId(c, id);
                if (existing.isPresent()) {
                    c.rollback();
                    return new Issued(sameRequest(existing.get(), publicKey), true);
                }
                // Step 3: build, lint, sign, verify.
                X509Certificate cert = build(subject, publicKey, profile);
                // Step 4: record and commit together with the audit entry.
                store.insertCertificate(c, new CertificateRecord(CertificateStore.hex(cert.getSerialNumber()),
                        issuerLabel, id, profileName, cert.getSubjectX500Principal().getName(),
                        cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant(), cert.getEncoded(),
                        null, null), HexFormat.of().formatHex(sha256(publicKey.getEncoded())));
                events.certificateIssued(c, id, cert, profileName);
                c.commit();
                return new Issued(cert, false);
            } catch (SQLException e) {
                c.rollback();
                if ("23505".equals(e.getSQLState())) {
                    // Another process issued for the same request id at the same moment: return its certificate.
                    Optional<CertificateRecord> winner = store.byRequestId(c, id);
                    c.rollback();
                    if (winner.isPresent()) {
                        return new Issued(sameRequest(winner.get(), publicKey), true);
                    }
                }
                throw e;
            } catch (RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | CertificateException e) {
            throw new IllegalStateException("the CA database refused the issuance for request " + id + ": "
                    + e.getMessage(), e);
        }
    }

    /** A request id names one request: the same id with another key is an error, not a re-issue. */
    private static X509Certificate sameRequest(CertificateRecord r, PublicKey publicKey) throws CertificateException {
        X509Certificate cert = parse(r.der());
        if (!cert.getPublicKey().equals(publicKey)) {
            throw new CaOperationException("request id " + r.requestId() + " was already used for certificate "
                    + r.serial() + " with a different public key; a request id cannot be reused");
        }
        return cert;
    }

    private X509Certificate build(X500Name subject, PublicKey publicKey, CertificateProfile profile) {
        X509Certificate issuer = signer.certificate();
        Instant notBefore = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = notBefore.plus(Duration.ofDays(profile.validityDays())).minusSeconds(1);
        Instant issuerEnd = issuer.getNotAfter().toInstant();
        if (notAfter.isAfter(issuerEnd)) {
            notAfter = issuerEnd; // a certificate never outlives its issuer (RFC 5280 §6.1.3 path validity)
        }
        BigInteger serial = SerialNumbers.random();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), serial,
                Date.from(notBefore), Date.from(notAfter), subject, publicKey);
        ProfileExtensions.addTo(b, profile, publicKey, issuer, config.repositoryOrEmpty());
        PreIssuanceLint.Expectation exp = ProfileExtensions.expectation(profile);
        return TbsSigning.sign(b, signer, issuer.getPublicKey(), tbs -> PreIssuanceLint.check(tbs, issuer, exp));
    }

    private static void checkSubject(X500Name subject, CertificateProfile profile) {
        Set<String> allowed = profile.subjectAttributes().stream().map(s -> s.toUpperCase(Locale.ROOT))
                .collect(Collectors.toSet());
        if (subject.getRDNs().length == 0) {
            throw new CsrException("the CSR's subject is empty; the profile needs at least a CN");
        }
        for (RDN rdn : subject.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                String name = attributeName(atv.getType());
                if (!allowed.contains(name)) {
                    throw new CsrException("subject attribute " + name + " is not allowed by the profile (allowed: "
                            + profile.subjectAttributes() + ")");
                }
            }
        }
    }

    private static String attributeName(ASN1ObjectIdentifier oid) {
        String n = BCStyle.INSTANCE.oidToDisplayName(oid);
        return n == null ? oid.getId() : n.toUpperCase(Locale.ROOT);
    }

    /**
     * Revokes a certificate of this CA. Unknown serials and second revocations are refused with a
     * {@link CaOperationException} naming the serial; nothing is written then.
     */
    public Revocation revoke(String serialHex, RevocationReason reason, String requestedBy) {
        String serial = normaliseSerial(serialHex);
        try (Connection c = dataSource.getConnection()) {
            try {
                CertificateRecord r = store.bySerial(c, serial, true).orElseThrow(() -> new CaOperationException(
                        "no certificate with serial " + serial + " was issued by this CA"));
                if (r.revocation() != null) {
                    throw new CaOperationException("certificate " + serial + " is already revoked (since "
                            + r.revocation().revokedAt() + ", reason " + RevocationReason.of(r.revocation().reason()).rfcName()
                            + ", requested by " + r.revocation().requestedBy() + ")");
                }
                Revocation rev = new Revocation(clock.instant().truncatedTo(ChronoUnit.SECONDS), reason.code(), requestedBy);
                store.insertRevocation(c, serial, rev);
                events.certificateRevoked(c, serial, reason, requestedBy);
                c.commit();
                return rev;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database refused the revocation of " + serial + ": " + e.getMessage(), e);
        }
    }

    /** Accepts hex with or without colons, spaces or a 0x prefix; the stored form is lowercase, no leading zeros. */
    public static String normaliseSerial(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replaceFirst("^0x", "").replaceAll("[:\\s]", "");
        if (t.isEmpty() || !t.matches("[0-9a-f]+")) {
            throw new CaOperationException("'" + text + "' is not a certificate serial number in hexadecimal");
        }
        return new BigInteger(t, 16).toString(16);
    }

    static X509Certificate parse(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
