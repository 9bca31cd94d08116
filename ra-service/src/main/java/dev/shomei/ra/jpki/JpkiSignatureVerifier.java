package dev.shomei.ra.jpki;

import dev.shomei.ra.RaConfig;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Verifies a CMS SignedData (RFC 5652) signed with the signing key of a My Number card: the signature, that the
 * signer certificate is a JPKI <em>signing</em> certificate (never an authentication one), and that it chains to
 * a pinned J-LIS generation. Does not check revocation ({@link JlisRevocationCheck} does).
 *
 * <p>Zone: online (ra-service). Pure verification; touches no database and no network.
 */
@ApplicationScoped
public class JpkiSignatureVerifier {

    private static final String TITLE_SIGNATURE = "Signature not acceptable";
    /*
     * The parts of a CMS signer verifier that do not depend on the key, made once: Bouncy Castle's builder makes its
     * algorithm-name and identifier tables anew for every signature (a tenth of the verification's cost here). Each
     * is read-only after construction, and the digest provider makes a new MessageDigest per use.
     */
    private static final org.bouncycastle.cms.CMSSignatureAlgorithmNameGenerator SIGNATURE_NAMES =
            new org.bouncycastle.cms.DefaultCMSSignatureAlgorithmNameGenerator();
    private static final org.bouncycastle.operator.SignatureAlgorithmIdentifierFinder SIGNATURE_IDENTIFIERS =
            new org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder();
    private static final org.bouncycastle.operator.DigestCalculatorProvider DIGESTS;

    static {
        try {
            DIGESTS = new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build();
        } catch (OperatorCreationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final JpkiTrustAnchors anchors;
    private final Set<String> signingPolicies;

    @Inject
    public JpkiSignatureVerifier(JpkiTrustAnchors anchors, RaConfig config) {
        this(anchors, config.jpki().signingPolicies());
    }

    /**
     * @param signingPolicies the accepted certificate policy OIDs (ra.jpki.signing-policies): configuration, so that
     *                        a smartphone signing certificate's policy is accepted only where the operator lists it
     */
    public JpkiSignatureVerifier(JpkiTrustAnchors anchors, java.util.Collection<String> signingPolicies) {
        this.anchors = anchors;
        this.signingPolicies = Set.copyOf(signingPolicies);
    }

    /** Verifies at {@code now}; throws {@link RaProblem} for anything that cannot be attributed to a JPKI signer. */
    public VerifiedSignature verify(byte[] cms, String what, Instant now) {
        // Step 1: parse. ASN1Primitive.fromByteArray refuses trailing bytes, so a body with junk appended is refused.
        CMSSignedData signed;
        try {
            ContentInfo info = ContentInfo.getInstance(ASN1Primitive.fromByteArray(cms));
            if (info == null || !CMSObjectIdentifiers.signedData.equals(info.getContentType())) {
                throw new IllegalArgumentException("not SignedData");
            }
            signed = new CMSSignedData(info);
        } catch (Exception e) {
            throw malformed(cms, what);
        }
        if (signed.getSignedContent() == null) {
            throw RaProblem.badRequest("cms-content-missing", "Detached signature",
                    "the SignedData has no encapsulated content (eContent); the " + what
                            + " must be inside the SignedData, not detached");
        }
        // Step 2: exactly one signer, whose certificate travels in the SignedData.
        // Bouncy Castle decodes signerInfos and certificates lazily: a malformed one fails here, not when parsed.
        Collection<SignerInformation> signers;
        try {
            signers = signed.getSignerInfos().getSigners();
        } catch (RuntimeException e) {
            throw malformed(cms, what);
        }
        if (signers.size() != 1) {
            throw RaProblem.badRequest("cms-signer-count", "One signer expected",
                    "the SignedData has " + signers.size() + " signerInfos; a " + what
                            + " is signed once, by the applicant's JPKI signing key");
        }
        SignerInformation signer = signers.iterator().next();
        Collection<X509CertificateHolder> matches;
        try {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> m = signed.getCertificates().getMatches(signer.getSID());
            matches = m;
        } catch (RuntimeException e) {
            throw malformed(cms, what);
        }
        if (matches.isEmpty()) {
            throw RaProblem.badRequest("cms-signer-certificate-missing", "Signer certificate missing",
                    "the SignedData does not include the signer's certificate; include the JPKI signing certificate"
                            + " read from the card in the certificates field");
        }
        X509Certificate cert;
        try {
            cert = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
        } catch (CertificateException e) {
            throw RaProblem.badRequest("cms-signer-certificate-malformed", "Signer certificate malformed",
                    "the signer certificate in the SignedData cannot be decoded: " + e.getMessage());
        }
        if (!NISTObjectIdentifiers.id_sha256.getId().equals(signer.getDigestAlgOID())) {
            throw RaProblem.badRequest("cms-digest-algorithm", "Digest algorithm not allowed",
                    "signerInfo digestAlgorithm is " + signer.getDigestAlgOID() + "; sign with SHA-256 ("
                            + NISTObjectIdentifiers.id_sha256.getId() + ")");
        }
        org.bouncycastle.asn1.cms.AttributeTable signedAttributes;
        try {
            signedAttributes = signer.getSignedAttributes();
        } catch (RuntimeException e) {
            throw malformed(cms, what);
        }
        if (signedAttributes == null) {
            throw RaProblem.badRequest("cms-signed-attributes-missing", "Signed attributes missing",
                    "the signerInfo has no signed attributes; sign contentType, messageDigest and signingTime"
                            + " (RFC 5652 section 5.3)");
        }
        // Step 3: the signature, including the messageDigest of the content (RFC 5652 section 5.4).
        boolean valid;
        try {
            // Built from the public key, not the certificate: BC would otherwise refuse a certificate that is not
            // valid at the claimed signingTime, and validity is a finding for the policy (step 7), not a refusal.
            valid = signer.verify(new org.bouncycastle.cms.SignerInformationVerifier(SIGNATURE_NAMES,
                    SIGNATURE_IDENTIFIERS, new org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder()
                            .build(cert.getPublicKey()), DIGESTS));
        } catch (CMSException | OperatorCreationException | RuntimeException e) {
            // A malformed signerInfo (Bouncy Castle reads its parts lazily) cannot verify either.
            valid = false;
        }
        if (!valid) {
            throw RaProblem.unprocessable("cms-signature-invalid", TITLE_SIGNATURE,
                    "the signature or the messageDigest of the " + what + " does not verify with the signer"
                            + " certificate: the content was changed after signing, or it was signed with another"
                            + " key; sign the " + what + " again with the card");
        }
        // Step 4: an authentication certificate (利用者証明用電子証明書) proves a login, not consent to a document.
        if (isFromAuthenticationCa(cert)) {
            throw RaProblem.unprocessable("jpki-authentication-certificate", TITLE_SIGNATURE,
                    "the " + what + " is signed with the card's user-authentication certificate (issuer OU '"
                            + JpkiOids.AUTHENTICATION_CA_OU + "'); sign it with the card's signing certificate"
                            + " (署名用電子証明書) and its signing PIN");
        }
        // Step 5: chain to a pinned generation, chosen by signature since all generations share one DN.
        Optional<JpkiTrustAnchors.Generation> found = anchors.issuerOf(cert);
        if (found.isEmpty()) {
            // A card of a pinned generation whose file the operator has not installed: not the applicant's fault.
            anchors.missingGenerationFor(cert).ifPresent(m -> {
                throw new RaProblem(503, "jpki-generation-not-installed", "J-LIS CA generation not installed",
                        "the signer certificate was issued by the J-LIS signing CA generation " + m.name() + ", which"
                                + " this RA pins (" + m.configKey() + ") but whose certificate its operator has not"
                                + " installed yet, so the signature cannot be verified now; nothing was recorded."
                                + " Submit the same signed " + what + " again later, or contact the RA")
                        .with("generation", m.name());
            });
            throw RaProblem.unprocessable("jpki-issuer-unknown", TITLE_SIGNATURE,
                    "the signer certificate (serial " + cert.getSerialNumber().toString(16) + ") is not signed by any"
                            + " pinned J-LIS signing CA generation (ra.jpki.signing-cas); only My Number card signing"
                            + " certificates are accepted");
        }
        JpkiTrustAnchors.Generation issuer = found.get();
        // Step 6: a signing certificate: keyUsage digitalSignature + nonRepudiation and a JPKI signing policy.
        boolean[] ku = cert.getKeyUsage();
        if (ku == null || !ku[0] || !ku[1]) {
            throw RaProblem.unprocessable("jpki-not-signing-certificate", TITLE_SIGNATURE,
                    "the signer certificate's keyUsage lacks digitalSignature and nonRepudiation; it is not a JPKI"
                            + " signing certificate; sign with the card's signing certificate");
        }
        List<String> policies = policies(cert);
        if (policies.stream().noneMatch(signingPolicies::contains)) {
            throw RaProblem.unprocessable("jpki-not-signing-certificate", TITLE_SIGNATURE,
                    "the signer certificate has certificate policies " + policies + ", none of the accepted JPKI"
                            + " signing policies " + signingPolicies + " (ra.jpki.signing-policies)");
        }
        JpkiIdentity identity;
        try {
            identity = JpkiIdentity.from(cert);
        } catch (CertificateParsingException e) {
            throw RaProblem.unprocessable("jpki-identity-missing", TITLE_SIGNATURE, e.getMessage());
        }
        // Step 7: validity periods are findings, so the application is recorded with its rejection.
        List<Finding> findings = new ArrayList<>();
        Date at = Date.from(now);
        if (at.before(cert.getNotBefore())) {
            findings.add(new Finding("jpki-certificate-not-yet-valid", "the JPKI signing certificate is valid only"
                    + " from " + cert.getNotBefore().toInstant() + "; check the clock of the device that signed, or"
                    + " wait until the certificate is valid"));
        } else if (at.after(cert.getNotAfter())) {
            findings.add(new Finding("jpki-certificate-expired", "the JPKI signing certificate expired at "
                    + cert.getNotAfter().toInstant() + "; renew it at the municipal office and sign again"));
        }
        X509Certificate ca = issuer.certificate();
        if (at.before(ca.getNotBefore()) || at.after(ca.getNotAfter())) {
            findings.add(new Finding("jpki-issuer-not-valid", "the J-LIS CA generation that issued the signing"
                    + " certificate is valid only from " + ca.getNotBefore().toInstant() + " to "
                    + ca.getNotAfter().toInstant()));
        }
        return new VerifiedSignature(signed.getSignedContent().getContent() instanceof byte[] b ? b : new byte[0],
                cert, issuer, identity, signingTime(signer), List.copyOf(findings),
                dev.shomei.ra.ConfiguredFile.sha256Hex(signer.getSignature()));
    }

    private static RaProblem malformed(byte[] cms, String what) {
        return RaProblem.badRequest("cms-malformed", "Not a CMS SignedData",
                "the request body (" + cms.length + " bytes) is not a DER-encoded CMS SignedData (RFC 5652 section 5)"
                        + " or is truncated; send the complete " + what + " exactly as the card signed it");
    }

    private static boolean isFromAuthenticationCa(X509Certificate cert) {
        try {
            for (Rdn rdn : new LdapName(cert.getIssuerX500Principal().getName()).getRdns()) {
                if ("OU".equalsIgnoreCase(rdn.getType())
                        && JpkiOids.AUTHENTICATION_CA_OU.equals(String.valueOf(rdn.getValue()))) {
                    return true;
                }
            }
        } catch (InvalidNameException e) {
            return false;
        }
        return false;
    }

    private static List<String> policies(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.certificatePolicies.getId());
        List<String> out = new ArrayList<>();
        if (ext == null) {
            return out;
        }
        try {
            ASN1Primitive value = ASN1Primitive.fromByteArray(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets());
            for (PolicyInformation pi : CertificatePolicies.getInstance(value).getPolicyInformation()) {
                out.add(pi.getPolicyIdentifier().getId());
            }
        } catch (IOException | IllegalArgumentException e) {
            return out;
        }
        return out;
    }

    private static Instant signingTime(SignerInformation signer) {
        Attribute a = signer.getSignedAttributes().get(CMSAttributes.signingTime);
        if (a == null || a.getAttrValues().size() != 1) {
            return null;
        }
        try {
            return Time.getInstance(a.getAttrValues().getObjectAt(0)).getDate().toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
