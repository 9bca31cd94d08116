package dev.shomei.ra.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.books.Books;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.jboss.logging.Logger;

/**
 * The issuing CA generations the RA trusts: those in {@code ra.orders.ca-certificates}, and those it took from the
 * CA's result bundles after a renewal (docs/order-bundles.md, "A new issuing generation").
 *
 * <p>A new generation is never trusted because the online side presents it. It is taken only when all hold:
 * <ol>
 *   <li>its certificate is certified by a root certificate the operator pinned ({@code ra.orders.root-certificates},
 *       installed from the key ceremony and compared with the published CA hash values): only the root key, offline
 *       and used under quorum, makes such a certificate (ca renew-issuing);</li>
 *   <li>it is a CA certificate (basicConstraints cA, keyCertSign and cRLSign), not the root itself, valid now;</li>
 *   <li>it arrives in a result bundle whose signature the RA accepts ({@link ResultBundleSignature}): a pinned result
 *       signer, or a result signer certified by a trusted generation or by this one;</li>
 *   <li>the bundle answers an order bundle this RA sent and its results apply: the generation is recorded
 *       ({@code ca_generation}) with a {@code ca-generation.adopted} audit event in the transaction that applies them,
 *       or not at all.</li>
 * </ol>
 * Revocation of a generation (the root's CRL, ca revoke-ca) does not reach the RA this way: the operator removes a
 * revoked generation's certificate from {@code ra.orders.ca-certificates}, or lists it in
 * {@code ra.orders.distrusted-ca-certificates} (by SHA-256), which also covers generations taken from bundles.
 *
 * <p>Zone: online (ra-service). Reads the configured certificates; writes {@code ca_generation} and the audit log.
 */
@io.quarkus.runtime.Startup // a wrong root pin stops the start-up, not the first result bundle
@ApplicationScoped
public class CaGenerations {

    private static final Logger LOG = Logger.getLogger(CaGenerations.class);

    private final OrderSigning signing;
    private final List<X509Certificate> roots;
    private final List<String> distrusted;
    private final Books books;
    private final AuditTrail audit;
    private final ObjectMapper json;
    private final Map<String, X509Certificate> decoded = new ConcurrentHashMap<>();

    @Inject
    public CaGenerations(OrderSigning signing, RaConfig config, Books books, AuditTrail audit, ObjectMapper json) {
        this.signing = signing;
        this.roots = config.orders().rootCertificates().orElse(List.of()).stream()
                .map(p -> ConfiguredFile.certificate("ra.orders.root-certificates", p)).toList();
        for (X509Certificate r : roots) {
            if (!r.getSubjectX500Principal().equals(r.getIssuerX500Principal()) || r.getBasicConstraints() < 0
                    || !verifies(r, r)) {
                throw new IllegalStateException("ra.orders.root-certificates: " + r.getSubjectX500Principal() + " is"
                        + " not a self-signed CA certificate; give the root CA certificate from the key ceremony"
                        + " (root-ca.pem)");
            }
        }
        this.distrusted = config.orders().distrustedCaCertificates().orElse(List.of()).stream()
                .map(s -> s.replace(":", "").toLowerCase(java.util.Locale.ROOT)).toList();
        this.books = books;
        this.audit = audit;
        this.json = json;
    }

    /** The trusted issuing CA certificates: configured first, then those taken from result bundles, oldest first. */
    public List<X509Certificate> all() {
        List<X509Certificate> out = new ArrayList<>();
        for (X509Certificate c : signing.caCertificates()) {
            if (!distrusted.contains(sha256(c))) {
                out.add(c);
            }
        }
        if (!roots.isEmpty()) {
            for (CaGeneration g : CaGeneration.<CaGeneration>list("order by adoptedAt, sha256")) {
                if (!distrusted.contains(g.sha256)) {
                    out.add(decoded.computeIfAbsent(g.sha256, k -> certificate(g.certificate)));
                }
            }
        }
        return out;
    }

    /** The trusted issuing CA whose key signed {@code cert} (same name, signature verifies). */
    public Optional<X509Certificate> issuerOf(X509Certificate cert) {
        for (X509Certificate ca : all()) {
            if (ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) && verifies(cert, ca)) {
                return Optional.of(ca);
            }
        }
        return Optional.empty();
    }

    /**
     * The certificates a result bundle carries that are new issuing generations by rules 1 and 2 (class comment):
     * candidates only, until the bundle's signature and results are accepted ({@link #adopt}).
     */
    public List<X509Certificate> candidates(CMSSignedData signed, List<X509Certificate> known, Instant now) {
        if (roots.isEmpty()) {
            return List.of();
        }
        List<X509Certificate> out = new ArrayList<>();
        for (Object o : signed.getCertificates().getMatches(null)) {
            X509Certificate c;
            try {
                c = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o);
            } catch (CertificateException e) {
                continue; // an unreadable carried certificate is nobody's generation
            }
            String sha = sha256(c);
            if (known.stream().anyMatch(k -> sha256(k).equals(sha)) || distrusted.contains(sha)
                    || out.stream().anyMatch(k -> sha256(k).equals(sha))) {
                continue;
            }
            if (rootOf(c).isPresent() && isIssuingCa(c) && validAt(c, now)) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Records the candidates of a result bundle whose signature and results were accepted, with an audit event each,
     * in the caller's transaction (the one applying the bundle's results).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void adopt(List<X509Certificate> candidates, String bundleId, X509Certificate resultSigner, Actor ca,
                      Instant now) {
        for (X509Certificate c : candidates) {
            String sha = sha256(c);
            if (CaGeneration.findById(sha) != null) {
                continue;
            }
            X509Certificate root = rootOf(c).orElseThrow();
            CaGeneration g = new CaGeneration();
            g.sha256 = sha;
            g.certificate = encoded(c);
            g.subject = c.getSubjectX500Principal().getName();
            g.serial = c.getSerialNumber().toString(16);
            g.notBefore = c.getNotBefore().toInstant();
            g.notAfter = c.getNotAfter().toInstant();
            g.rootSha256 = sha256(root);
            g.orderBundleId = bundleId;
            g.resultSignerSha256 = sha256(resultSigner);
            g.adoptedAt = now;
            g.retainUntil = books.retainUntil(now);
            g.persist();
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("certificateSha256", sha);
            detail.put("subject", g.subject);
            detail.put("serial", g.serial);
            detail.put("notBefore", g.notBefore.toString());
            detail.put("notAfter", g.notAfter.toString());
            detail.put("root", root.getSubjectX500Principal().getName());
            detail.put("rootSha256", g.rootSha256);
            detail.put("orderBundleId", bundleId);
            detail.put("resultSignerSha256", g.resultSignerSha256);
            try {
                io.quarkus.hibernate.orm.panache.Panache.getEntityManager().flush();
                audit.append(ca, "ca-generation.adopted", "ca-certificate:" + sha, json.writeValueAsBytes(detail));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            LOG.infof("new issuing CA generation %s (SHA-256 %s), certified by the pinned root %s, taken from result"
                    + " bundle %s", g.subject, sha, root.getSubjectX500Principal(), bundleId);
        }
    }

    private Optional<X509Certificate> rootOf(X509Certificate c) {
        for (X509Certificate r : roots) {
            if (r.getSubjectX500Principal().equals(c.getIssuerX500Principal()) && verifies(c, r)
                    && !r.getPublicKey().equals(c.getPublicKey())) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static boolean isIssuingCa(X509Certificate c) {
        boolean[] ku = c.getKeyUsage();
        return c.getBasicConstraints() >= 0 && ku != null && ku.length > 6 && ku[5] && ku[6];
    }

    private static boolean validAt(X509Certificate c, Instant now) {
        try {
            c.checkValidity(Date.from(now));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean verifies(X509Certificate c, X509Certificate issuer) {
        try {
            c.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    static String sha256(X509Certificate c) {
        return ConfiguredFile.sha256Hex(encoded(c));
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate certificate(byte[] der) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new IllegalStateException("ca_generation holds an unreadable certificate: " + e.getMessage(), e);
        }
    }
}
