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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECNamedCurves;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
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

    /** Names the engine of the CSR check at start-up, and loads it then rather than on the first application. */
    void start(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        org.jboss.logging.Logger.getLogger(ApplicationChecks.class).infof("CSR proof of possession verified by %s",
                dev.shomei.pkcs11.NativeVerification.engine());
    }

    /** The 47 prefectures: a JPKI address of a resident in Japan starts with one of them (JPKI.md). */
    static final List<String> PREFECTURES = List.of("北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
            "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
            "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県",
            "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
            "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県");

    /**
     * Step: compare what the applicant claims with what J-LIS certifies, and check that what will be certified can
     * be certified as it is. Whatever an officer must look at is REFERRED by the policy, with the reason.
     */
    public List<Finding> identity(ApplicationContent.ClaimedIdentity claimed, JpkiIdentity certified) {
        List<Finding> out = new ArrayList<>();
        // The certificate will state the card's name: where the card flags a substitute character (代替文字), its
        // text is not the resident register's, so a person must look at it whether or not the claim matches.
        if (certified.nameHasSubstitutes()) {
            out.add(new Finding("identity-name-substitute-characters", "the JPKI certificate flags characters "
                    + CertifiedSubject.substitutePositions(certified.nameSubstitutes()) + " (1-based positions) of"
                    + " the name as substitute characters (代替文字); an RA officer enters or confirms the name the"
                    + " certificate will state"));
        } else if (!normalisedName(claimed.name()).equals(normalisedName(certified.name()))) {
            out.add(new Finding("identity-name-mismatch", "claimedIdentity.name differs from the name on the JPKI"
                    + " signing certificate; an RA officer reviews the application"));
        }
        CertifiedSubject.nameProblem(certified.name()).ifPresent(problem -> out.add(new Finding(
                "identity-name-not-certifiable", problem + "; an RA officer decides, and may approve only with a name"
                        + " that fits and that they checked")));
        if (!isPrefectureAddress(certified.address())) {
            // Since 2024-05-27 people who moved abroad (国外転出者) keep their card; their address has another shape.
            out.add(new Finding("identity-address-abroad", "the address on the JPKI signing certificate is not a"
                    + " Japanese prefecture address (a holder living abroad); an RA officer compares the addresses"));
        } else if (!normalisedAddress(claimed.address()).equals(normalisedAddress(certified.address()))) {
            out.add(new Finding("identity-address-mismatch", "claimedIdentity.address differs from the address on"
                    + " the JPKI signing certificate; an RA officer reviews the application"));
        }
        EraDate.Reading born = EraDate.read(certified.birthDate());
        if (!born.verified()) {
            out.add(new Finding("identity-birth-date-unverifiable", born.problem() + "; an RA officer reviews the"
                    + " application"));
        } else if (!born.date().equals(claimed.birthDate())) {
            out.add(new Finding("identity-birth-date-mismatch", "claimedIdentity.birthDate is not the date of birth"
                    + " on the JPKI signing certificate; enter the date of birth as registered and sign again"));
        }
        if (!ApplicationContent.GENDER_CODES.get(claimed.gender()).equals(certified.gender())) {
            out.add(new Finding("identity-gender-mismatch", "claimedIdentity.gender is not the gender on the JPKI"
                    + " signing certificate; enter it as registered and sign again"));
        }
        return out;
    }

    static boolean isPrefectureAddress(String address) {
        if (address == null) {
            return false;
        }
        String a = Normalizer.normalize(address, Normalizer.Form.NFKC).strip();
        return PREFECTURES.stream().anyMatch(a::startsWith);
    }

    /** Step: the CSR's own signature proves possession of its key (RFC 2986 section 3); its key must be allowed. */
    public List<Finding> csr(PKCS10CertificationRequest csr, PublicKey jpkiKey, ApprovalPolicy.CsrKeys rules) {
        List<Finding> out = new ArrayList<>();
        SubjectPublicKeyInfo spki = csr.getSubjectPublicKeyInfo();
        try {
            // The CA's own check: ECDSA in AWS-LC where it loads, else Bouncy Castle's custom-curve arithmetic; the
            // JDK's SunEC took 44% of the request threads' samples (docs/benchmarks.md, the RA section).
            if (!dev.shomei.pkcs11.SignatureCheck.proofOfPossession(csr)) {
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
