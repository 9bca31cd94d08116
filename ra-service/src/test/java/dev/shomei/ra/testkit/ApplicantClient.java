package dev.shomei.ra.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.LocalDate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The applicant's side: generates the subscriber key and CSR, builds the application content and has the card
 * sign it as CMS SignedData (RFC 5652) with signed attributes contentType, messageDigest and signingTime, SHA-256,
 * the JPKI certificate included.
 *
 * <p>Zone: tests only.
 */
public final class ApplicantClient {

    public static final String CONSENT_ID = "consent-2026-04";
    /** SHA-256 of src/main/resources/consent/consent-2026-04.txt, as configured in ra.consent-documents. */
    public static final String CONSENT_SHA256 = "2e64d8c86bb3445171e790aca9c4858fcea6246f7b96b812c2d2ddcd6e5b85d7";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ApplicantClient() {}

    /** What the applicant types in: by default exactly what the card states. */
    public record Claim(String name, LocalDate birthDate, String gender, String address) {
        public static Claim of(JpkiPerson p) {
            // Applicants type a half-width space; the RA folds it (NFKC) before comparing.
            return new Claim(p.name().replace('\u3000', ' '), p.birthDate(), p.apiGender(), p.address());
        }

        public Claim withName(String n) { return new Claim(n, birthDate, gender, address); }

        public Claim withBirthDate(LocalDate d) { return new Claim(name, d, gender, address); }
    }

    public static byte[] application(SimulatedCard card, Claim claim, byte[] csr) {
        return application(card, claim, csr, CONSENT_ID, CONSENT_SHA256);
    }

    public static byte[] application(SimulatedCard card, Claim claim, byte[] csr, String consentId, String consentSha) {
        return sign(card, applicationContent(claim, csr, consentId, consentSha));
    }

    /** The application's JSON content, unsigned (for tests that sign it in another way). */
    public static byte[] applicationContent(Claim claim, byte[] csr) {
        return applicationContent(claim, csr, CONSENT_ID, CONSENT_SHA256);
    }

    static byte[] applicationContent(Claim claim, byte[] csr, String consentId, String consentSha) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-application/1");
        content.put("csr", Base64.getEncoder().encodeToString(csr));
        content.put("claimedIdentity", Map.of("name", claim.name(), "birthDate", claim.birthDate().toString(),
                "gender", claim.gender(), "address", claim.address()));
        content.put("consent", Map.of("documentId", consentId, "sha256", consentSha));
        return json(content);
    }

    /** A revocation request naming a certificate serial (hex). */
    public static byte[] revocationRequest(SimulatedCard card, String applicationId, String serial, String reason) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-revocation-request/1");
        content.put("applicationId", applicationId);
        content.put("certificateSerial", serial);
        content.put("reason", reason);
        return sign(card, json(content));
    }

    public static byte[] revocationRequest(SimulatedCard card, String applicationId, String reason) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-revocation-request/1");
        content.put("applicationId", applicationId);
        content.put("reason", reason);
        return sign(card, json(content));
    }

    /** The card signs: the digest is computed here and the PKCS#1 v1.5 signature on the card (or in software). */
    public static byte[] sign(SimulatedCard card, byte[] content) {
        try {
            JcaContentSignerBuilder builder = new JcaContentSignerBuilder("SHA256withRSA");
            if (card.provider() != null) {
                builder.setProvider(card.provider());
            }
            ContentSigner signer = builder.build(card.key());
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(signer, card.certificate()));
            gen.addCertificates(new JcaCertStore(List.of(card.certificate())));
            return gen.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("signing the application failed: " + e.getMessage(), e);
        }
    }

    /** A renewal (shomei-ra-renewal/1) of a new key's CSR, signed with the current certificate's key. */
    public static byte[] renewal(KeyPair currentKey, java.security.cert.X509Certificate current, byte[] newCsr) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-renewal/1");
        content.put("csr", Base64.getEncoder().encodeToString(newCsr));
        content.put("consent", Map.of("documentId", CONSENT_ID, "sha256", CONSENT_SHA256));
        return signWithSubscriberCertificate(currentKey, current, json(content));
    }

    /** A revocation request signed with the subscriber's certificate of this CA (not the card). */
    public static byte[] revocationRequest(KeyPair key, java.security.cert.X509Certificate certificate,
                                           String applicationId, String reason) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-revocation-request/1");
        content.put("applicationId", applicationId);
        content.put("reason", reason);
        return signWithSubscriberCertificate(key, certificate, json(content));
    }

    /** CMS SignedData by a subscriber key (EC or RSA), SHA-256, signed attributes, the certificate included. */
    public static byte[] signWithSubscriberCertificate(KeyPair key, java.security.cert.X509Certificate certificate,
                                                       byte[] content) {
        try {
            String alg = key.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder(alg).build(key.getPrivate()), certificate));
            gen.addCertificates(new JcaCertStore(List.of(certificate)));
            return gen.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("signing with the subscriber certificate failed: " + e.getMessage(), e);
        }
    }

    /** A CSR whose subject says whatever the applicant typed (the CA must not certify it). */
    public static byte[] csr(KeyPair kp, String subject) {
        try {
            String alg = kp.getPublic().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), kp.getPublic())
                    .build(new JcaContentSignerBuilder(alg).build(kp.getPrivate())).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The subscriber's own new key: EC P-256 unless the test needs otherwise. */
    public static KeyPair ecKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static KeyPair rsaKey(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** PKCS#10 (RFC 2986) signed by the key it certifies: proof of possession. */
    public static byte[] csr(KeyPair kp) {
        try {
            String alg = kp.getPublic().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=subscriber"), kp.getPublic())
                    .build(new JcaContentSignerBuilder(alg).build(kp.getPrivate())).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
