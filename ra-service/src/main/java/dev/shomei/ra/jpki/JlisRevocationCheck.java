package dev.shomei.ra.jpki;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuingDistributionPoint;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.jboss.logging.Logger;

/**
 * Asks J-LIS whether a JPKI signing certificate is revoked: the configured OCSP responder first (RFC 6960),
 * the configured CRL (RFC 5280) if OCSP cannot be reached or gives no usable answer. J-LIS puts no AIA or CRL
 * URL in its certificates (JPKI.md), so both locations are configuration given at signature-verifier
 * registration.
 *
 * <p>Nothing is "good" unless it is fresh and in scope: an OCSP answer must be for the very certificate asked
 * about, signed by the CA or a responder it authorised, not future-dated, and either carry a nextUpdate that has
 * not passed or be younger than {@code ra.jlis.ocsp-max-age}; a CRL must be signed by the issuing generation, be
 * current, cover the certificate (issuer, issuingDistributionPoint: RFC 5280 section 6.3.3) and not exceed
 * {@code ra.jlis.crl-max-bytes}. The CRL is fetched and verified once per nextUpdate and stored once by digest
 * ({@link JlisCrlStore}).
 *
 * <p>Zone: online (ra-service). Makes outbound HTTP requests to J-LIS (or reads a CRL file); writes fetched CRLs
 * to {@code jlis_crl}.
 */
@ApplicationScoped
public class JlisRevocationCheck {

    private static final Logger LOG = Logger.getLogger(JlisRevocationCheck.class);
    /** Tolerated clock difference with the responder (RFC 6960 section 4.2.2.1 leaves it to local policy). */
    private static final Duration SKEW = Duration.ofMinutes(5);

    private final Optional<URI> ocspUrl;
    private final Optional<URI> crlUrl;
    private final Duration timeout;
    private final Duration ocspMaxAge;
    private final long crlMaxBytes;
    private final RaConfig.JlisSource prefer;
    private final HttpClient http;
    private final DigestCalculatorProvider digests;
    private final JlisCrlStore store;
    /** The CRL last fetched and verified, used until its nextUpdate; replaced under {@link #crlLock}. */
    private volatile CachedCrl cached;
    private final Object crlLock = new Object();

    /** A verified CRL, the issuer keys it verified under, and its digest (its row in {@code jlis_crl}). */
    private record CachedCrl(X509CRL crl, String sha256, Set<PublicKey> verifiedUnder) {}

    @Inject
    public JlisRevocationCheck(RaConfig config, JlisCrlStore store) {
        this.store = store;
        this.ocspUrl = config.jlis().ocspUrl();
        this.crlUrl = config.jlis().crlUrl();
        this.timeout = config.jlis().timeout();
        this.ocspMaxAge = config.jlis().ocspMaxAge();
        this.crlMaxBytes = config.jlis().crlMaxBytes();
        this.prefer = config.jlis().prefer();
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        try {
            this.digests = new JcaDigestCalculatorProviderBuilder().build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public RevocationEvidence check(X509Certificate cert, X509Certificate issuer, Instant now) {
        if (prefer == RaConfig.JlisSource.CRL && crlUrl.isPresent()) {
            // The CRL first (ra.jlis.prefer=CRL): verified once and cached until its nextUpdate; OCSP if no current
            // CRL can be had.
            String crlFailure;
            try {
                return crl(cert, issuer, now);
            } catch (Exception e) {
                crlFailure = "CRL " + crlUrl.get() + ": " + e.getMessage();
                LOG.warnf("J-LIS CRL unusable, falling back to OCSP: %s", crlFailure);
            }
            if (ocspUrl.isPresent()) {
                try {
                    RevocationEvidence ocsp = ocsp(cert, issuer, now);
                    return new RevocationEvidence(ocsp.status(), ocsp.source(), ocsp.raw(), ocsp.responseSha256(),
                            ocsp.checkedAt(), ocsp.revokedAt(), crlFailure + "; " + ocsp.note());
                } catch (Exception e) {
                    String failure = crlFailure + "; OCSP " + ocspUrl.get() + ": " + e.getMessage();
                    LOG.warnf("J-LIS unreachable: %s", failure);
                    return new RevocationEvidence(RevocationEvidence.Status.UNAVAILABLE,
                            RevocationEvidence.Source.NONE, null, now, null, failure);
                }
            }
            return new RevocationEvidence(RevocationEvidence.Status.UNAVAILABLE, RevocationEvidence.Source.NONE, null,
                    now, null, crlFailure + "; no OCSP responder configured (ra.jlis.ocsp-url)");
        }
        String ocspFailure = "no OCSP responder configured (ra.jlis.ocsp-url)";
        if (ocspUrl.isPresent()) {
            try {
                return ocsp(cert, issuer, now);
            } catch (Exception e) {
                ocspFailure = "OCSP " + ocspUrl.get() + ": " + e.getMessage();
                LOG.warnf("J-LIS OCSP unusable, falling back to the CRL: %s", ocspFailure);
            }
        }
        if (crlUrl.isPresent()) {
            try {
                RevocationEvidence crl = crl(cert, issuer, now);
                return new RevocationEvidence(crl.status(), crl.source(), crl.raw(), crl.responseSha256(),
                        crl.checkedAt(), crl.revokedAt(), ocspFailure + "; " + crl.note());
            } catch (Exception e) {
                String failure = ocspFailure + "; CRL " + crlUrl.get() + ": " + e.getMessage();
                LOG.warnf("J-LIS unreachable: %s", failure);
                return new RevocationEvidence(RevocationEvidence.Status.UNAVAILABLE, RevocationEvidence.Source.NONE,
                        null, now, null, failure);
            }
        }
        return new RevocationEvidence(RevocationEvidence.Status.UNAVAILABLE, RevocationEvidence.Source.NONE, null,
                now, null, ocspFailure + "; no CRL configured (ra.jlis.crl-url)");
    }

    private RevocationEvidence ocsp(X509Certificate cert, X509Certificate issuer, Instant now) throws Exception {
        // SHA-1 CertID: what deployed responders index by (RFC 6960 section 4.1.1; RFC 5019 section 2.1.1).
        CertificateID id = new CertificateID(digests.get(CertificateID.HASH_SHA1),
                new JcaX509CertificateHolder(issuer), cert.getSerialNumber());
        byte[] request = new OCSPReqBuilder().addRequest(id).build().getEncoded();
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(ocspUrl.get()).timeout(timeout)
                        .header("Content-Type", "application/ocsp-request")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode());
        }
        byte[] raw = response.body();
        OCSPResp resp = new OCSPResp(raw);
        if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
            throw new IllegalStateException("responseStatus " + resp.getStatus());
        }
        BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
        verifyResponder(basic, issuer);
        for (SingleResp single : basic.getResponses()) {
            if (!single.getCertID().equals(id)) {
                continue;
            }
            // A stale answer is no answer (RFC 6960 section 3.2, items 4 and 5).
            if (single.getThisUpdate().toInstant().isAfter(now.plus(SKEW))) {
                throw new IllegalStateException("thisUpdate is in the future");
            }
            if (single.getNextUpdate() != null && single.getNextUpdate().toInstant().isBefore(now.minus(SKEW))) {
                throw new IllegalStateException("nextUpdate has passed: the response is stale");
            }
            // Without nextUpdate a responder claims nothing about how long the answer holds: it is fresh only while
            // younger than the configured age (RFC 6960 section 4.2.2.1, local policy; RFC 5019 section 6).
            if (single.getNextUpdate() == null
                    && single.getThisUpdate().toInstant().isBefore(now.minus(ocspMaxAge))) {
                throw new IllegalStateException("the response has no nextUpdate and its thisUpdate "
                        + single.getThisUpdate().toInstant() + " is older than ra.jlis.ocsp-max-age " + ocspMaxAge);
            }
            CertificateStatus status = single.getCertStatus();
            if (status == CertificateStatus.GOOD) {
                return new RevocationEvidence(RevocationEvidence.Status.GOOD, RevocationEvidence.Source.OCSP, raw, now,
                        null, "OCSP good");
            }
            if (status instanceof RevokedStatus revoked) {
                return new RevocationEvidence(RevocationEvidence.Status.REVOKED, RevocationEvidence.Source.OCSP, raw,
                        now, revoked.getRevocationTime().toInstant(), "OCSP revoked");
            }
            return new RevocationEvidence(RevocationEvidence.Status.UNKNOWN, RevocationEvidence.Source.OCSP, raw, now,
                    null, "OCSP unknown");
        }
        throw new IllegalStateException("the response does not answer for the requested certificate");
    }

    /**
     * A delegated responder certificate already checked against an issuing generation's key (signature and
     * id-kp-OCSPSigning), keyed by its exact bytes and that key.
     */
    private record ResponderKey(java.nio.ByteBuffer certificateDer, PublicKey issuerKey) {}

    /**
     * A checked delegated responder: its certificate (for the validity check at every use) and its verifiers. An EC
     * responder key verifies through {@link dev.shomei.pkcs11.SignatureCheck#forFixedKey} (comb tables built once:
     * the JDK's SunEC took half of the request threads' time with OCSP, docs/benchmarks.md); others through the JCA.
     */
    private record CheckedResponder(X509Certificate certificate,
                                    org.bouncycastle.operator.ContentVerifierProvider verifier,
                                    dev.shomei.pkcs11.SignatureCheck fixedKey) {

        /** Whether this responder's key signed the response (under the algorithm the response names). */
        boolean signed(BasicOCSPResp basic) throws Exception {
            var alg = basic.getSignatureAlgorithmID();
            if (fixedKey != null && fixedKey.handles(alg)) {
                try {
                    return fixedKey.verify(alg, basic.getTBSResponseData(), basic.getSignature());
                } catch (java.security.SignatureException e) {
                    return false; // ecdsa-with-SHA* with parameters (RFC 5758 section 3.2): not a valid signature
                }
            }
            return basic.isSignatureValid(verifier);
        }
    }

    /** Responders seen are few (one per J-LIS responder key); the bound only stops a flood of distinct certificates. */
    private static final int MAX_CHECKED_RESPONDERS = 64;
    private final java.util.concurrent.ConcurrentHashMap<ResponderKey, CheckedResponder> checkedResponders =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The response is signed by the CA itself or by a responder certificate it issued for id-kp-OCSPSigning
     * (RFC 6960 section 4.2.2.2). J-LIS signs every response with the same delegated responder certificate, so its
     * delegation (the CA's signature on it and its extended key usage) is checked once per certificate and issuer
     * key and remembered; its validity period and the response's own signature are checked every time.
     */
    void verifyResponder(BasicOCSPResp basic, X509Certificate issuer) throws Exception {
        X509CertificateHolder[] certs = basic.getCerts();
        // A responder checked before: one signature verification, the response's.
        for (X509CertificateHolder holder : certs) {
            CheckedResponder known = checkedResponders.get(
                    new ResponderKey(java.nio.ByteBuffer.wrap(holder.getEncoded()), issuer.getPublicKey()));
            if (known != null) {
                known.certificate().checkValidity();
                if (known.signed(basic)) {
                    return;
                }
            }
        }
        JcaContentVerifierProviderBuilder verifiers = new JcaContentVerifierProviderBuilder();
        try {
            if (basic.isSignatureValid(verifiers.build(issuer.getPublicKey()))) {
                return;
            }
        } catch (Exception e) {
            // Signed with another key type than the CA's: a delegated responder, checked below.
        }
        for (X509CertificateHolder holder : certs) {
            X509Certificate responder = new JcaX509CertificateConverter().getCertificate(holder);
            try {
                responder.verify(issuer.getPublicKey());
            } catch (Exception e) {
                continue;
            }
            if (responder.getExtendedKeyUsage() == null
                    || !responder.getExtendedKeyUsage().contains(KeyPurposeId.id_kp_OCSPSigning.getId())) {
                continue;
            }
            responder.checkValidity();
            var verifier = verifiers.build(responder.getPublicKey());
            if (basic.isSignatureValid(verifier)) {
                if (checkedResponders.size() >= MAX_CHECKED_RESPONDERS) {
                    checkedResponders.clear();
                }
                checkedResponders.put(new ResponderKey(java.nio.ByteBuffer.wrap(holder.getEncoded()),
                        issuer.getPublicKey()), new CheckedResponder(responder, verifier,
                        dev.shomei.pkcs11.SignatureCheck.forFixedKey(responder.getPublicKey())));
                return;
            }
        }
        throw new IllegalStateException("the response is not signed by the J-LIS CA nor by a responder it authorised");
    }

    /**
     * Drops the cached CRL, so that the next check fetches it again (e.g. after J-LIS issued one early). Waits for a
     * fetch in progress (a scheduled recheck's, say), so that no CRL fetched before this call is kept after it.
     */
    public void forgetCachedCrl() {
        synchronized (crlLock) {
            cached = null;
        }
    }

    private RevocationEvidence crl(X509Certificate cert, X509Certificate issuer, Instant now) throws Exception {
        CachedCrl c = currentCrl(issuer, now);
        X509CRL crl = c.crl();
        checkScope(crl, cert);
        X509CRLEntry entry = crl.getRevokedCertificate(cert.getSerialNumber());
        if (entry != null) {
            return new RevocationEvidence(RevocationEvidence.Status.REVOKED, RevocationEvidence.Source.CRL, null,
                    c.sha256(), now, entry.getRevocationDate().toInstant(), "CRL revoked");
        }
        return new RevocationEvidence(RevocationEvidence.Status.GOOD, RevocationEvidence.Source.CRL, null, c.sha256(),
                now, null, "CRL good (thisUpdate " + crl.getThisUpdate().toInstant() + ")");
    }

    /** The cached CRL while it is current and verified under this issuer's key; else a freshly fetched one. */
    private CachedCrl currentCrl(X509Certificate issuer, Instant now) throws Exception {
        CachedCrl c = cached;
        if (c != null && usable(c, issuer, now)) {
            return c;
        }
        synchronized (crlLock) {
            c = cached;
            if (c != null && usable(c, issuer, now)) {
                return c;
            }
            if (c == null || !fresh(c.crl(), now)) {
                // Step 1: fetch, bounded in size.
                byte[] raw = fetchCrl();
                // Step 2: parse and verify under the issuing generation's key, refuse a CRL past its nextUpdate.
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                        .generateCRL(new ByteArrayInputStream(raw));
                verify(crl, issuer, now);
                // Step 3: keep it once as evidence, keyed by its digest, before any decision rests on it.
                String sha256 = ConfiguredFile.sha256Hex(raw);
                store.storeIfAbsent(sha256, raw, crl.getIssuerX500Principal().getName(),
                        crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant(), now);
                c = new CachedCrl(crl, sha256, Set.of(issuer.getPublicKey()));
                LOG.infof("J-LIS CRL fetched: sha256 %s, thisUpdate %s, nextUpdate %s, %d bytes", sha256,
                        crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant(), raw.length);
            } else {
                // Current, but not yet verified under this generation's key (or it is another CA's CRL).
                verify(c.crl(), issuer, now);
                Set<PublicKey> keys = new HashSet<>(c.verifiedUnder());
                keys.add(issuer.getPublicKey());
                c = new CachedCrl(c.crl(), c.sha256(), Set.copyOf(keys));
            }
            cached = c;
            return c;
        }
    }

    private static boolean usable(CachedCrl c, X509Certificate issuer, Instant now) {
        return fresh(c.crl(), now) && c.verifiedUnder().contains(issuer.getPublicKey());
    }

    /** Current until its nextUpdate (J-LIS publishes daily; RFC 5280 section 5.1.2.5), with the clock skew. */
    private static boolean fresh(X509CRL crl, Instant now) {
        return crl.getNextUpdate() != null && !crl.getNextUpdate().toInstant().isBefore(now.minus(SKEW));
    }

    private static void verify(X509CRL crl, X509Certificate issuer, Instant now) throws Exception {
        if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            throw new IllegalStateException("the CRL is issued by another CA");
        }
        try {
            crl.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the CRL's signature does not verify with the issuing generation's key");
        }
        if (crl.getNextUpdate() == null || crl.getNextUpdate().toInstant().isBefore(now.minus(SKEW))) {
            throw new IllegalStateException("the CRL is stale (nextUpdate " + crl.getNextUpdate() + ")");
        }
        if (crl.getThisUpdate().toInstant().isAfter(now.plus(SKEW))) {
            throw new IllegalStateException("the CRL's thisUpdate " + crl.getThisUpdate().toInstant()
                    + " is in the future");
        }
        if (crl.getExtensionValue(Extension.deltaCRLIndicator.getId()) != null) {
            throw new IllegalStateException("a delta CRL is not a complete list (RFC 5280 section 5.2.4)");
        }
        if (crl.hasUnsupportedCriticalExtension()) {
            Set<String> critical = new TreeSet<>(crl.getCriticalExtensionOIDs());
            critical.remove(Extension.issuingDistributionPoint.getId());
            if (!critical.isEmpty()) {
                throw new IllegalStateException("the CRL has critical extensions " + critical
                        + " this RA does not process (RFC 5280 section 5.2)");
            }
        }
    }

    /**
     * The CRL covers this certificate: RFC 5280 section 6.3.3 (b). An issuingDistributionPoint that limits the
     * CRL to CA or attribute certificates, to some reasons, to another distribution point, or makes it indirect,
     * cannot say "good" for a JPKI end-entity certificate.
     */
    static void checkScope(X509CRL crl, X509Certificate cert) throws Exception {
        byte[] ext = crl.getExtensionValue(Extension.issuingDistributionPoint.getId());
        if (ext == null) {
            return; // a complete CRL for everything the issuer issued
        }
        IssuingDistributionPoint idp = IssuingDistributionPoint.getInstance(
                ASN1OctetString.getInstance(ext).getOctets());
        if (idp.onlyContainsCACerts() || idp.onlyContainsAttributeCerts()) {
            throw new IllegalStateException("the CRL covers only CA or attribute certificates (issuingDistributionPoint)");
        }
        if (idp.getOnlySomeReasons() != null) {
            throw new IllegalStateException("the CRL covers only some revocation reasons (issuingDistributionPoint)");
        }
        if (idp.isIndirectCRL()) {
            throw new IllegalStateException("an indirect CRL is not accepted for J-LIS certificates");
        }
        DistributionPointName idpName = idp.getDistributionPoint();
        if (idpName == null) {
            return;
        }
        if (idpName.getType() != DistributionPointName.FULL_NAME) {
            throw new IllegalStateException("the CRL's distribution point is relative to its issuer; not supported");
        }
        Set<X500Name> crlNames = directoryNames(GeneralNames.getInstance(idpName.getName()));
        Set<X500Name> certNames = new HashSet<>();
        byte[] dps = cert.getExtensionValue(Extension.cRLDistributionPoints.getId());
        if (dps != null) {
            for (DistributionPoint dp : CRLDistPoint.getInstance(org.bouncycastle.asn1.ASN1OctetString
                    .getInstance(dps).getOctets()).getDistributionPoints()) {
                if (dp.getDistributionPoint() != null
                        && dp.getDistributionPoint().getType() == DistributionPointName.FULL_NAME) {
                    certNames.addAll(directoryNames(GeneralNames.getInstance(dp.getDistributionPoint().getName())));
                }
            }
        }
        if (Collections.disjoint(crlNames, certNames)) {
            throw new IllegalStateException("the CRL is for distribution point " + crlNames
                    + ", not one the certificate names " + certNames + " (RFC 5280 section 6.3.3 (b)(2))");
        }
    }

    private static Set<X500Name> directoryNames(GeneralNames names) {
        Set<X500Name> out = new HashSet<>();
        for (GeneralName n : names.getNames()) {
            if (n.getTagNo() == GeneralName.directoryName) {
                out.add(X500Name.getInstance(n.getName()));
            }
        }
        return out;
    }

    private byte[] fetchCrl() throws Exception {
        URI uri = crlUrl.get();
        if ("file".equals(uri.getScheme())) {
            Path path = Path.of(uri);
            if (Files.size(path) > crlMaxBytes) {
                throw new IllegalStateException("the CRL file is " + Files.size(path) + " bytes, more than"
                        + " ra.jlis.crl-max-bytes " + crlMaxBytes);
            }
            return Files.readAllBytes(path);
        }
        HttpResponse<java.io.InputStream> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET()
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode());
            }
            // Read one byte more than allowed: a larger CRL is refused without holding it all in memory.
            byte[] raw = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, crlMaxBytes + 1));
            if (raw.length > crlMaxBytes) {
                throw new IllegalStateException("the CRL is larger than ra.jlis.crl-max-bytes " + crlMaxBytes);
            }
            return raw;
        }
    }
}
