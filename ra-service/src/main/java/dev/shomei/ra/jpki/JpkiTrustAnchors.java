package dev.shomei.ra.jpki;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.jboss.logging.Logger;

/**
 * The pinned J-LIS signing CA generations. Every generation has the same subject DN, so the issuer of a
 * signer certificate is the pinned generation whose key verifies the signer's signature (JPKI.md).
 *
 * <p>A generation whose file the operator must supply (the 2019 generation, signca02: J-LIS publishes it, but it
 * is not shipped) may be missing: the RA then starts, reports it in health ({@link JpkiGenerationsHealth}), and
 * answers an application signed under it with a problem that says why. A file that is present must match its pin.
 *
 * <p>Zone: online (ra-service). Reads the configured CA files at start-up; refuses to start if a file does
 * not match its pinned SHA-256.
 */
// Created at start-up, so that a wrong pin or a missing file stops the service before it takes requests.
@io.quarkus.runtime.Startup
@ApplicationScoped
public class JpkiTrustAnchors {

    private static final Logger LOG = Logger.getLogger(JpkiTrustAnchors.class);

    /** One pinned generation: the certificate and its SHA-256 (hex, lower case). */
    public record Generation(X509Certificate certificate, String sha256) {}

    /** A pinned generation whose file is not installed yet: what it is, where its file belongs, its pin. */
    public record MissingGeneration(String configKey, String name, String path, String sha256, LocalDate issuedFrom,
                                    LocalDate issuedUntil) {}

    private final List<Generation> generations = new ArrayList<>();
    /** Each generation's key identifier, at the same index as {@link #generations} (null if it has none). */
    private final List<byte[]> keyIds = new ArrayList<>();
    private final List<MissingGeneration> missing = new ArrayList<>();

    @Inject
    public JpkiTrustAnchors(RaConfig config) {
        this(config.jpki().signingCas());
    }

    public JpkiTrustAnchors(List<? extends RaConfig.TrustAnchor> anchors) {
        int i = 0;
        for (RaConfig.TrustAnchor anchor : anchors) {
            String key = "ra.jpki.signing-cas[" + i++ + "]";
            String expected = anchor.sha256().replace(":", "").strip().toLowerCase();
            if (!expected.matches("[0-9a-f]{64}")) {
                throw new IllegalStateException(key + ".sha256 = " + anchor.sha256() + " is not a SHA-256 (64 hex"
                        + " digits, colons allowed)");
            }
            if (anchor.operatorSupplied() && !anchor.path().startsWith("classpath:")
                    && !Files.exists(Path.of(anchor.path()))) {
                MissingGeneration m = new MissingGeneration(key, anchor.name().orElse(key), anchor.path(), expected,
                        date(key + ".issued-from", anchor.issuedFrom()), date(key + ".issued-until", anchor.issuedUntil()));
                missing.add(m);
                LOG.warnf("J-LIS signing CA generation %s (%s) is pinned (sha256 %s) but its file %s is not installed:"
                        + " applications signed under it cannot be verified until the operator installs the file"
                        + " J-LIS publishes", m.name(), key, expected, anchor.path());
                continue;
            }
            X509Certificate cert = ConfiguredFile.certificate(key + ".path", anchor.path());
            String actual;
            try {
                actual = ConfiguredFile.sha256Hex(cert.getEncoded());
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(key + ": cannot encode " + anchor.path(), e);
            }
            if (!actual.equals(expected)) {
                throw new IllegalStateException(key + ".sha256 = " + anchor.sha256() + " but " + anchor.path()
                        + " has SHA-256 " + actual + "; compare the file with the hash J-LIS publishes and fix"
                        + " whichever is wrong (never just copy the file's hash into the configuration)");
            }
            generations.add(new Generation(cert, actual));
            keyIds.add(keyId(cert));
            LOG.infof("pinned J-LIS signing CA generation serial %s sha256 %s", cert.getSerialNumber().toString(16),
                    actual);
        }
        if (generations.isEmpty()) {
            throw new IllegalStateException("ra.jpki.signing-cas has no installed generation: pin at least one J-LIS"
                    + " signing CA generation (path and sha256) whose file is present");
        }
    }

    private static LocalDate date(String key, Optional<String> value) {
        try {
            return value.map(LocalDate::parse).orElse(null);
        } catch (DateTimeParseException e) {
            throw new IllegalStateException(key + " = " + value.get() + " is not an ISO date (yyyy-MM-dd)");
        }
    }

    /**
     * The pinned generation that signed this certificate: same issuer DN as its subject, and its public key
     * verifies the certificate's signature. Empty if none does (an unknown CA, or a look-alike with the same DN).
     */
    public Optional<Generation> issuerOf(X509Certificate certificate) {
        // The generation the certificate names (its authorityKeyIdentifier is the generation's key identifier) is
        // tried first, then the others: the identifier only orders the attempts, the signature decides. Every card
        // under the newest generation otherwise cost a failed RSA verification and an exception per application.
        byte[] named = authorityKeyId(certificate);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < generations.size(); i++) {
                Generation g = generations.get(i);
                boolean isNamed = named != null && Arrays.equals(named, keyIds.get(i));
                if (isNamed != (pass == 0)
                        || !g.certificate().getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
                    continue;
                }
                try {
                    certificate.verify(g.certificate().getPublicKey());
                    return Optional.of(g);
                } catch (Exception e) {
                    // Same DN, another generation's key: try the next one.
                }
            }
        }
        return Optional.empty();
    }

    /** The keyIdentifier of the certificate's authorityKeyIdentifier, or null (absent or not decodable). */
    private static byte[] authorityKeyId(X509Certificate certificate) {
        byte[] ext = certificate.getExtensionValue(Extension.authorityKeyIdentifier.getId());
        try {
            return ext == null ? null
                    : AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A generation's key identifier: its subjectKeyIdentifier, or where it has none the SHA-1 of its subjectPublicKey
     * (RFC 5280 §4.2.1.2, method 1), which is how an issuer without the extension is usually named.
     */
    private static byte[] keyId(X509Certificate ca) {
        byte[] ext = ca.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        try {
            if (ext != null) {
                return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
            }
            byte[] key = SubjectPublicKeyInfo.getInstance(ca.getPublicKey().getEncoded()).getPublicKeyData().getBytes();
            return java.security.MessageDigest.getInstance("SHA-1").digest(key);
        } catch (RuntimeException | java.security.NoSuchAlgorithmException e) {
            return null;
        }
    }

    /**
     * For a certificate no installed generation verifies: the missing generation it most likely comes from, i.e.
     * it names the J-LIS signing CA's DN and was issued in that generation's issuing period. Without the file its
     * signature cannot be checked, so this only explains a refusal; it never accepts anything.
     */
    public Optional<MissingGeneration> missingGenerationFor(X509Certificate certificate) {
        X500Principal issuer = certificate.getIssuerX500Principal();
        boolean jlisDn = generations.stream().anyMatch(g -> g.certificate().getSubjectX500Principal().equals(issuer));
        if (!jlisDn) {
            return Optional.empty();
        }
        LocalDate issued = certificate.getNotBefore().toInstant().atZone(ZoneOffset.UTC).toLocalDate();
        return missing.stream()
                .filter(m -> (m.issuedFrom() == null || !issued.isBefore(m.issuedFrom()))
                        && (m.issuedUntil() == null || !issued.isAfter(m.issuedUntil())))
                .findFirst();
    }

    public List<Generation> generations() {
        return List.copyOf(generations);
    }

    /** Pinned generations whose file the operator has not installed yet. */
    public List<MissingGeneration> missingGenerations() {
        return List.copyOf(missing);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
