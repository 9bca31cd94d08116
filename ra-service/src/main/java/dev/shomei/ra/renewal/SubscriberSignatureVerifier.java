package dev.shomei.ra.renewal;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.orders.CaGenerations;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * Verifies a request signed with the subscriber's own certificate from this CA (電子署名法: a valid certificate of
 * an accredited certification business), in numbered steps (docs/identity.md, "Renewal"):
 * <ol>
 * <li>the CMS SignedData: one signer, its certificate included, SHA-256, signed attributes, the signature;</li>
 * <li>the chain: the signer certificate is signed by one of our issuing CA certificates (ra.orders.ca-certificates),
 * and both are valid now;</li>
 * <li>the status from the CA's own records, as the RA holds them (the CA-signed result bundles it applied): the
 * certificate is the one issued for an application, byte for byte, and no revocation of it is confirmed or
 * approved.</li>
 * </ol>
 *
 * <p>Zone: online (ra-service). Reads {@code application} and {@code revocation_request}; no writes, no network.
 */
@ApplicationScoped
public class SubscriberSignatureVerifier {

    static final String TITLE = "Subscriber signature not acceptable";

    @Inject
    CaGenerations ca;

    /** True if the CMS is signed by a certificate our issuing CA signed (cheap; nothing else is checked). */
    public boolean signedBySubscriberCertificate(byte[] cms) {
        try {
            CMSSignedData signed = new CMSSignedData(ContentInfo.getInstance(ASN1Primitive.fromByteArray(cms)));
            if (signed.getSignerInfos().size() != 1) {
                return false;
            }
            X509Certificate cert = signerCertificate(signed, signed.getSignerInfos().getSigners().iterator().next());
            return issuingCaOf(cert).isPresent();
        } catch (Exception e) {
            return false;
        }
    }

    @Transactional
    public SubscriberSignature verify(byte[] cms, String what, Instant now) {
        // Step 1: the CMS and its signature.
        CMSSignedData signed;
        try {
            ContentInfo info = ContentInfo.getInstance(ASN1Primitive.fromByteArray(cms));
            if (info == null || !CMSObjectIdentifiers.signedData.equals(info.getContentType())) {
                throw new IllegalArgumentException("not SignedData");
            }
            signed = new CMSSignedData(info);
        } catch (Exception e) {
            throw RaProblem.badRequest("cms-malformed", "Not a CMS SignedData", "the request body is not a"
                    + " DER-encoded CMS SignedData (RFC 5652 section 5); send the complete signed " + what);
        }
        if (signed.getSignedContent() == null || signed.getSignerInfos().size() != 1) {
            throw RaProblem.badRequest("cms-malformed", "Not a CMS SignedData", "the " + what + " must be inside"
                    + " the SignedData (not detached) and signed once, with the subscriber certificate's key");
        }
        SignerInformation signer = signed.getSignerInfos().getSigners().iterator().next();
        X509Certificate cert = signerCertificate(signed, signer);
        if (cert == null) {
            throw RaProblem.badRequest("cms-signer-certificate-missing", "Signer certificate missing",
                    "the SignedData does not include the signer's certificate; include your certificate from this CA");
        }
        if (!NISTObjectIdentifiers.id_sha256.getId().equals(signer.getDigestAlgOID())
                || signer.getSignedAttributes() == null) {
            throw RaProblem.badRequest("cms-digest-algorithm", "Digest algorithm not allowed", "sign with SHA-256"
                    + " and signed attributes contentType, messageDigest and signingTime (RFC 5652 section 5.3)");
        }
        boolean valid;
        try {
            valid = signer.verify(new JcaSimpleSignerInfoVerifierBuilder().build(cert.getPublicKey()));
        } catch (Exception e) {
            valid = false;
        }
        if (!valid) {
            throw RaProblem.unprocessable("cms-signature-invalid", TITLE, "the signature of the " + what + " does"
                    + " not verify with the signer certificate: the content was changed after signing, or it was"
                    + " signed with another key");
        }
        // Step 2: chain to our issuing CA, both valid now.
        X509Certificate issuing = issuingCaOf(cert).orElseThrow(() -> RaProblem.unprocessable(
                "subscriber-certificate-unknown", TITLE, "the signer certificate (serial "
                        + cert.getSerialNumber().toString(16) + ") is not issued by this CA's issuing CA"
                        + " (ra.orders.ca-certificates); sign with your certificate from this CA, or apply with your"
                        + " My Number card"));
        Date at = Date.from(now);
        if (at.before(cert.getNotBefore()) || at.after(cert.getNotAfter())
                || at.before(issuing.getNotBefore()) || at.after(issuing.getNotAfter())) {
            throw RaProblem.unprocessable("subscriber-certificate-not-current", TITLE, "the signer certificate is"
                    + " valid from " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant()
                    + ", not now; an expired certificate cannot renew itself: apply again with your My Number card");
        }
        // Step 3: status from the CA's own records (its result bundles, as the RA applied them).
        String serial = cert.getSerialNumber().toString(16);
        Application a = Application.byCertificateSerial(serial)
                .filter(x -> Arrays.equals(x.certificate, encoded(cert)))
                .orElseThrow(() -> RaProblem.unprocessable("subscriber-certificate-unknown", TITLE, "certificate "
                        + serial + " is not one this RA had issued for an application; sign with your certificate"
                        + " from this CA, as downloaded from /applications/{id}/certificate"));
        Optional<RevocationRequest> revoked = RevocationRequest.<RevocationRequest>find(
                "applicationId = ?1 and status in ?2", a.id,
                java.util.List.of(RevocationRequest.Status.REVOKED, RevocationRequest.Status.APPROVED))
                .firstResultOptional();
        if (revoked.isPresent()) {
            throw RaProblem.unprocessable("subscriber-certificate-revoked", TITLE, "certificate " + serial + " is "
                    + (revoked.get().status == RevocationRequest.Status.REVOKED ? "revoked" : "being revoked")
                    + " (revocation request " + revoked.get().id + "); a revoked certificate cannot sign: apply"
                    + " again with your My Number card");
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("route", Application.Route.SUBSCRIBER_CERTIFICATE.name());
        evidence.put("subscriberCertificateSerial", serial);
        evidence.put("subscriberCertificateSha256", ConfiguredFile.sha256Hex(encoded(cert)));
        evidence.put("issuingCaCertificateSha256", ConfiguredFile.sha256Hex(encoded(issuing)));
        evidence.put("subscriberCertificateValidity", cert.getNotBefore().toInstant() + "/"
                + cert.getNotAfter().toInstant());
        evidence.put("statusSource", "CA result bundles applied by the RA: issued " + a.issuedAt
                + ", no revocation confirmed or approved");
        evidence.put("statusCheckedAt", now.toString());
        evidence.put("certifiedApplicationId", a.id);
        return new SubscriberSignature(signed.getSignedContent().getContent() instanceof byte[] b ? b : new byte[0],
                cert, issuing, a, signingTime(signer), evidence);
    }

    private Optional<X509Certificate> issuingCaOf(X509Certificate cert) {
        for (X509Certificate ca : this.ca.all()) {
            if (!ca.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                continue;
            }
            try {
                cert.verify(ca.getPublicKey());
                return Optional.of(ca);
            } catch (Exception e) {
                // another CA with the same name: try the next
            }
        }
        return Optional.empty();
    }

    private static X509Certificate signerCertificate(CMSSignedData signed, SignerInformation signer) {
        try {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches(signer.getSID());
            return matches.isEmpty() ? null : new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
        } catch (Exception e) {
            return null;
        }
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant signingTime(SignerInformation signer) {
        Attribute a = signer.getSignedAttributes().get(CMSAttributes.signingTime);
        try {
            return a == null ? null : Time.getInstance(a.getAttrValues().getObjectAt(0)).getDate().toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
