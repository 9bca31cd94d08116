package dev.shomei.ra.jpki;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The pinned J-LIS signing CA generations. Every generation has the same subject DN, so the issuer of a
 * signer certificate is the pinned generation whose key verifies the signer's signature (JPKI.md).
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

    private final List<Generation> generations = new ArrayList<>();

    @Inject
    public JpkiTrustAnchors(RaConfig config) {
        int i = 0;
        for (RaConfig.TrustAnchor anchor : config.jpki().signingCas()) {
            String key = "ra.jpki.signing-cas[" + i++ + "]";
            X509Certificate cert = ConfiguredFile.certificate(key + ".path", anchor.path());
            String expected = anchor.sha256().replace(":", "").toLowerCase();
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
            LOG.infof("pinned J-LIS signing CA generation serial %s sha256 %s", cert.getSerialNumber().toString(16),
                    actual);
        }
        if (generations.isEmpty()) {
            throw new IllegalStateException("ra.jpki.signing-cas is empty: pin at least one J-LIS signing CA"
                    + " generation (path and sha256)");
        }
    }

    /**
     * The pinned generation that signed this certificate: same issuer DN as its subject, and its public key
     * verifies the certificate's signature. Empty if none does (an unknown CA, or a look-alike with the same DN).
     */
    public Optional<Generation> issuerOf(X509Certificate certificate) {
        for (Generation g : generations) {
            if (!g.certificate().getSubjectX500Principal().equals(certificate.getIssuerX500Principal())) {
                continue;
            }
            try {
                certificate.verify(g.certificate().getPublicKey());
                return Optional.of(g);
            } catch (Exception e) {
                // Same DN, another generation's key: try the next one.
            }
        }
        return Optional.empty();
    }

    public List<Generation> generations() {
        return List.copyOf(generations);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
