package dev.shomei.ra.jpki;

import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
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
 * <p>Zone: online (ra-service). Makes outbound HTTP requests to J-LIS (or reads a CRL file); no database.
 */
@ApplicationScoped
public class JlisRevocationCheck {

    private static final Logger LOG = Logger.getLogger(JlisRevocationCheck.class);
    /** Tolerated clock difference with the responder (RFC 6960 section 4.2.2.1 leaves it to local policy). */
    private static final Duration SKEW = Duration.ofMinutes(5);

    private final Optional<URI> ocspUrl;
    private final Optional<URI> crlUrl;
    private final Duration timeout;
    private final HttpClient http;
    private final DigestCalculatorProvider digests;

    @Inject
    public JlisRevocationCheck(RaConfig config) {
        this.ocspUrl = config.jlis().ocspUrl();
        this.crlUrl = config.jlis().crlUrl();
        this.timeout = config.jlis().timeout();
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        try {
            this.digests = new JcaDigestCalculatorProviderBuilder().build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public RevocationEvidence check(X509Certificate cert, X509Certificate issuer, Instant now) {
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
                return new RevocationEvidence(crl.status(), crl.source(), crl.raw(), crl.checkedAt(), crl.revokedAt(),
                        ocspFailure + "; " + crl.note());
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
     * The response is signed by the CA itself or by a responder certificate it issued for id-kp-OCSPSigning
     * (RFC 6960 section 4.2.2.2).
     */
    private static void verifyResponder(BasicOCSPResp basic, X509Certificate issuer) throws Exception {
        JcaContentVerifierProviderBuilder verifiers = new JcaContentVerifierProviderBuilder();
        try {
            if (basic.isSignatureValid(verifiers.build(issuer.getPublicKey()))) {
                return;
            }
        } catch (Exception e) {
            // Signed with another key type than the CA's: a delegated responder, checked below.
        }
        for (X509CertificateHolder holder : basic.getCerts()) {
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
            if (basic.isSignatureValid(verifiers.build(responder.getPublicKey()))) {
                return;
            }
        }
        throw new IllegalStateException("the response is not signed by the J-LIS CA nor by a responder it authorised");
    }

    private RevocationEvidence crl(X509Certificate cert, X509Certificate issuer, Instant now) throws Exception {
        URI uri = crlUrl.get();
        byte[] raw;
        if ("file".equals(uri.getScheme())) {
            raw = Files.readAllBytes(Path.of(uri));
        } else {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode());
            }
            raw = response.body();
        }
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(raw));
        if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            throw new IllegalStateException("the CRL is issued by another CA");
        }
        crl.verify(issuer.getPublicKey());
        // J-LIS publishes its CRL daily; one past its nextUpdate says nothing about today (RFC 5280 section 5.1.2.5).
        if (crl.getNextUpdate() == null || crl.getNextUpdate().before(Date.from(now.minus(SKEW)))) {
            throw new IllegalStateException("the CRL is stale (nextUpdate " + crl.getNextUpdate() + ")");
        }
        BigInteger serial = cert.getSerialNumber();
        X509CRLEntry entry = crl.getRevokedCertificate(serial);
        if (entry != null) {
            return new RevocationEvidence(RevocationEvidence.Status.REVOKED, RevocationEvidence.Source.CRL, raw, now,
                    entry.getRevocationDate().toInstant(), "CRL revoked");
        }
        return new RevocationEvidence(RevocationEvidence.Status.GOOD, RevocationEvidence.Source.CRL, raw, now, null,
                "CRL good (thisUpdate " + crl.getThisUpdate().toInstant() + ")");
    }
}
