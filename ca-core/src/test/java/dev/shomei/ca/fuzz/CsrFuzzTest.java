package dev.shomei.ca.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.issuance.Csr;
import dev.shomei.ca.issuance.CsrException;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.testsupport.Fuzz;
import java.io.StringWriter;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.EnumSet;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the CA's PKCS#10 parser ({@link Csr#parse}, RFC 2986) with mutations of real DER and PEM requests (EC P-256,
 * P-384, RSA-2048): every input ends accepted or in a {@link CsrException}, and an accepted request's
 * proof-of-possession signature verifies, outside Bouncy Castle, over the DER the CA keeps (docs/fuzzing.md).
 *
 * <p>Zone: tests only (secure-zone code, in memory).
 */
@Tag("fuzz")
class CsrFuzzTest {

    static List<byte[]> samples;
    static Fuzz.Target target;

    @BeforeAll
    static void samples() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPairGenerator ec384 = KeyPairGenerator.getInstance("EC");
        ec384.initialize(new ECGenParameterSpec("secp384r1"));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        byte[] p256 = csr("CN=山田 太郎,O=Example,C=JP", ec.generateKeyPair(), "SHA256withECDSA");
        byte[] p384 = csr("CN=Fuzz P-384,C=JP", ec384.generateKeyPair(), "SHA384withECDSA");
        byte[] rsa2048 = csr("CN=Fuzz RSA,C=JP", rsa.generateKeyPair(), "SHA256withRSA");
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(new PKCS10CertificationRequest(p256));
        }
        samples = List.of(p256, p384, rsa2048, pem.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        target = new Fuzz.Target("ca-core Csr.parse", t -> t instanceof CsrException);
    }

    static byte[] csr(String subject, KeyPair keys, String alg) throws Exception {
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), keys.getPublic())
                .build(new JcaContentSignerBuilder(alg).build(keys.getPrivate())).getEncoded();
    }

    @AfterAll
    static void report() {
        target.report();
        assertThat(target.accepted()).as("the unchanged samples are accepted").isPositive();
    }

    @Test
    void onlyValidRequestsAreAccepted() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(samples, n);
            Csr[] parsed = new Csr[1];
            if (target.check(input, in -> parsed[0] = Csr.parse(in, EnumSet.allOf(KeyAlgorithm.class)))) {
                assertThat(independentlyVerified(parsed[0].der()))
                        .as("an accepted CSR's signature verifies with the JDK over the DER the CA keeps").isTrue();
            }
        }
    }

    /** The proof of possession, checked with the JDK's Signature over the re-encoded certificationRequestInfo. */
    static boolean independentlyVerified(byte[] der) {
        try {
            CertificationRequest cr = CertificationRequest.getInstance(der);
            String alg = new DefaultAlgorithmNameFinder().getAlgorithmName(cr.getSignatureAlgorithm());
            Signature s = Signature.getInstance(alg.replace("WITH", "with"));
            s.initVerify(new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(der).getPublicKey());
            s.update(cr.getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
            return s.verify(cr.getSignature().getOctets());
        } catch (Exception e) {
            return false;
        }
    }
}
