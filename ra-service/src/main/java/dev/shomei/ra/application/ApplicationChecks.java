package dev.shomei.ra.application;

import dev.shomei.ra.RaConfig;
import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.jpki.EraDate;
import dev.shomei.ra.jpki.JpkiIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.Normalizer;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;

/**
 * The checks on an application's content, each giving findings (data) for the policy: the claimed identity
 * against the JPKI certificate, the CSR (proof of possession, key type and size), and the consent document.
 *
 * <p>Zone: online (ra-service). Pure functions; touches nothing. Finding details never quote personal data.
 */
@ApplicationScoped
public class ApplicationChecks {

    private final Map<String, String> consentDocuments;

    @Inject
    public ApplicationChecks(RaConfig config) {
        this.consentDocuments = config.consentDocuments();
    }

    /** Step: compare what the applicant claims with what J-LIS certifies. */
    public List<Finding> identity(ApplicationContent.ClaimedIdentity claimed, JpkiIdentity certified) {
        List<Finding> out = new ArrayList<>();
        if (!normalisedName(claimed.name()).equals(normalisedName(certified.name()))) {
            out.add(certified.nameHasSubstitutes()
                    ? new Finding("identity-name-substitute-characters", "the name in the application differs from"
                            + " the JPKI certificate, whose name contains substitute characters (代替文字); an RA"
                            + " officer compares them")
                    : new Finding("identity-name-mismatch", "claimedIdentity.name differs from the name on the JPKI"
                            + " signing certificate; an RA officer reviews the application"));
        }
        if (!normalisedAddress(claimed.address()).equals(normalisedAddress(certified.address()))) {
            out.add(new Finding("identity-address-mismatch", "claimedIdentity.address differs from the address on"
                    + " the JPKI signing certificate; an RA officer reviews the application"));
        }
        Optional<LocalDate> born = EraDate.toGregorian(certified.birthDate());
        if (born.isEmpty()) {
            out.add(new Finding("identity-birth-date-unverifiable", "the JPKI certificate's date of birth has an"
                    + " unknown era or is not a valid date; an RA officer reviews the application"));
        } else if (!born.get().equals(claimed.birthDate())) {
            out.add(new Finding("identity-birth-date-mismatch", "claimedIdentity.birthDate is not the date of birth"
                    + " on the JPKI signing certificate; enter the date of birth as registered and sign again"));
        }
        if (!ApplicationContent.GENDER_CODES.get(claimed.gender()).equals(certified.gender())) {
            out.add(new Finding("identity-gender-mismatch", "claimedIdentity.gender is not the gender on the JPKI"
                    + " signing certificate; enter it as registered and sign again"));
        }
        return out;
    }

    /** Step: the CSR's own signature proves possession of its key (RFC 2986 section 3); its key must be allowed. */
    public List<Finding> csr(PKCS10CertificationRequest csr, PublicKey jpkiKey, ApprovalPolicy.CsrKeys rules) {
        List<Finding> out = new ArrayList<>();
        SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(spki))) {
                out.add(new Finding("csr-signature-invalid", "the CSR's signature does not verify with the public"
                        + " key it contains, so it does not prove possession of the private key; generate the CSR"
                        + " again with the new key"));
            }
        } catch (Exception e) {
            out.add(new Finding("csr-signature-invalid", "the CSR's signature cannot be verified ("
                    + e.getClass().getSimpleName() + "); generate the CSR again with the new key"));
        }
        ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
        try {
            if (PKCSObjectIdentifiers.rsaEncryption.equals(alg)) {
                RSAPublicKey rsa = (RSAPublicKey) java.security.KeyFactory.getInstance("RSA")
                        .generatePublic(new java.security.spec.X509EncodedKeySpec(spki.getEncoded()));
                int bits = rsa.getModulus().bitLength();
                if (bits < rules.rsaMinimumBits() || rsa.getPublicExponent().intValue() < 3
                        || !rsa.getPublicExponent().testBit(0)) {
                    out.add(new Finding("csr-key-too-weak", "the CSR's RSA key has " + bits + " bits; the policy"
                            + " requires at least " + rules.rsaMinimumBits() + " bits and an odd exponent (65537)"));
                }
            } else if (X9ObjectIdentifiers.id_ecPublicKey.equals(alg)) {
                String curve = SECNamedCurves.getName(
                        ASN1ObjectIdentifier.getInstance(spki.getAlgorithm().getParameters()));
                if (curve == null || !rules.ecCurves().contains(curve)) {
                    out.add(new Finding("csr-key-too-weak", "the CSR's EC key is on curve "
                            + (curve == null ? "(unnamed)" : curve) + "; the policy allows " + rules.ecCurves()));
                }
            } else {
                out.add(new Finding("csr-key-type-not-allowed", "the CSR's key algorithm is " + alg.getId()
                        + "; use RSA (" + rules.rsaMinimumBits() + " bits or more) or EC " + rules.ecCurves()));
            }
        } catch (Exception e) {
            out.add(new Finding("csr-key-type-not-allowed", "the CSR's public key cannot be decoded ("
                    + e.getClass().getSimpleName() + ")"));
        }
        // The card's key must never become the subscriber key: it is J-LIS's, and it cannot leave the card anyway.
        if (Arrays.equals(encoded(spki), jpkiKey.getEncoded())) {
            out.add(new Finding("csr-key-is-jpki-key", "the CSR carries the My Number card's own key; generate a"
                    + " new key pair for the certificate"));
        }
        return out;
    }

    /** Step: the applicant saw a consent document this RA knows, byte for byte. */
    public List<Finding> consent(ApplicationContent.Consent consent) {
        String expected = consentDocuments.get(consent.documentId());
        if (expected == null) {
            return List.of(new Finding("consent-document-unknown", "consent.documentId '" + consent.documentId()
                    + "' is not a consent document of this RA (" + consentDocuments.keySet() + "); show the applicant"
                    + " the current consent document and sign again"));
        }
        if (!expected.replace(":", "").equalsIgnoreCase(consent.sha256())) {
            return List.of(new Finding("consent-document-digest-mismatch", "consent.sha256 is not the SHA-256 of"
                    + " consent document '" + consent.documentId() + "' (" + expected.toLowerCase() + "); show the"
                    + " applicant the document as published and sign again"));
        }
        return List.of();
    }

    private static byte[] encoded(SubjectPublicKeyInfo spki) {
        try {
            return spki.getEncoded();
        } catch (java.io.IOException e) {
            return new byte[0];
        }
    }

    /** NFKC folds full-width Latin and digits and the full-width space; whitespace runs count as one space. */
    static String normalisedName(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKC).strip().replaceAll("\\s+", " ");
    }

    /** Addresses are compared without any whitespace, after NFKC (full-width digits and hyphens fold). */
    static String normalisedAddress(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKC).replaceAll("\\s+", "");
    }
}
