package dev.shomei.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ECDSA verification with a one-off key (a CSR's proof of possession): the native engine ({@link NativeVerification},
 * AWS-LC) and Bouncy Castle give the same answer, and both the answer of the JDK's own SunEC, for valid signatures and
 * for every kind of bad one; CSRs made by the openssl command verify, and one changed after signing does not.
 */
class SignatureCheckTest {

    /** CI runs on Linux x86-64, where the native engine must load: a silent fallback would hide its cost. */
    @Test
    void theNativeEngineIsUsedOnLinuxX8664ForTheNistCurves() throws Exception {
        boolean linuxX64 = System.getProperty("os.name").startsWith("Linux")
                && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));
        org.junit.jupiter.api.Assumptions.assumeTrue(linuxX64, "AWS-LC ships here for Linux x86-64 only");
        assertThat(NativeVerification.provider()).isPresent();
        assertThat(NativeVerification.engine()).startsWith("AWS-LC");
        for (String curve : List.of("secp256r1", "secp384r1", "secp521r1")) {
            assertThat(SignatureCheck.forKey(spki(key(curve))).isNative()).as(curve).isTrue();
            assertThat(SignatureCheck.forKey(spki(key(curve)), false).isNative()).as(curve).isFalse();
        }
        // A curve with Bouncy Castle custom arithmetic that AWS-LC does not take: Bouncy Castle verifies it.
        SubjectPublicKeyInfo k1 = spki(bcKey("secp256k1"));
        assertThat(SignatureCheck.forKey(k1)).isNotNull();
        assertThat(SignatureCheck.forKey(k1).isNative()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"secp256r1, SHA256", "secp384r1, SHA384", "secp521r1, SHA512", "secp256r1, SHA384",
            "secp384r1, SHA256"})
    void nativeAndBouncyCastleAnswerAsTheJdkDoes(String curve, String digest) throws Exception {
        Random random = new Random(20261205L ^ curve.hashCode() ^ digest.hashCode());
        AlgorithmIdentifier alg = new AlgorithmIdentifier(switch (digest) {
            case "SHA256" -> X9ObjectIdentifiers.ecdsa_with_SHA256;
            case "SHA384" -> X9ObjectIdentifiers.ecdsa_with_SHA384;
            default -> X9ObjectIdentifiers.ecdsa_with_SHA512;
        });
        KeyPair other = key(curve);
        int valid = 0;
        int invalid = 0;
        for (int i = 0; i < 12; i++) {
            KeyPair kp = key(curve);
            BigInteger n = ((ECPublicKey) kp.getPublic()).getParams().getOrder();
            byte[] data = new byte[1 + random.nextInt(700)];
            random.nextBytes(data);
            byte[] sig = jdkSign(kp, digest, data);
            BigInteger[] rs = rs(sig);
            byte[] altered = data.clone();
            altered[random.nextInt(altered.length)] ^= 1;
            List<Case> cases = new ArrayList<>(List.of(
                    new Case("valid", data, sig),
                    new Case("the same signature with s replaced by n − s (also valid ECDSA)", data,
                            der(rs[0], n.subtract(rs[1]))),
                    new Case("a bit of s flipped", data, der(rs[0], rs[1].flipBit(random.nextInt(64)))),
                    new Case("a bit of r flipped", data, der(rs[0].flipBit(random.nextInt(64)), rs[1])),
                    new Case("r and s swapped", data, der(rs[1], rs[0])),
                    new Case("the data changed after signing", altered, sig),
                    new Case("another key's signature of the same data", data, jdkSign(other, digest, data)),
                    new Case("r = 0", data, der(BigInteger.ZERO, rs[1])),
                    new Case("s = 0", data, der(rs[0], BigInteger.ZERO)),
                    new Case("s = n", data, der(rs[0], n)),
                    new Case("r = n + r", data, der(n.add(rs[0]), rs[1])),
                    new Case("truncated", data, Arrays.copyOf(sig, sig.length - 1)),
                    new Case("empty", data, new byte[0]),
                    new Case("a byte appended", data, Arrays.copyOf(sig, sig.length + 1))));
            SubjectPublicKeyInfo spki = spki(kp);
            SignatureCheck fast = SignatureCheck.forKey(spki);
            SignatureCheck bc = SignatureCheck.forKey(spki, false);
            for (Case c : cases) {
                boolean jdk = jdkVerifies(kp, digest, c.data(), c.signature());
                assertThat(fast.verify(alg, c.data(), c.signature())).as(c.what() + " (" + NativeVerification.engine()
                        + ")").isEqualTo(jdk);
                assertThat(bc.verify(alg, c.data(), c.signature())).as(c.what() + " (Bouncy Castle)").isEqualTo(jdk);
                if (jdk) {
                    valid++;
                } else {
                    invalid++;
                }
            }
            // Forms the JDK reads but DER does not allow: refused by both, whatever the engine.
            byte[] longForm = longFormLength(sig);
            assertThat(fast.verify(alg, data, longForm)).as("BER long-form length").isFalse();
            assertThat(bc.verify(alg, data, longForm)).as("BER long-form length").isFalse();
        }
        assertThat(valid).as("valid cases").isEqualTo(24);
        assertThat(invalid).as("invalid cases").isEqualTo(12 * 12);
    }

    @Test
    void anAlgorithmWithParametersOrAnotherAlgorithmIsAnError() throws Exception {
        KeyPair kp = key("secp256r1");
        byte[] sig = jdkSign(kp, "SHA256", new byte[] {1});
        SignatureCheck check = SignatureCheck.forKey(spki(kp));
        AlgorithmIdentifier withParams = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256,
                org.bouncycastle.asn1.DERNull.INSTANCE);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> check.verify(withParams, new byte[] {1}, sig))
                .isInstanceOf(SignatureException.class).hasMessageContaining("no parameters");
        AlgorithmIdentifier rsa = new AlgorithmIdentifier(new ASN1ObjectIdentifier("1.2.840.113549.1.1.11"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> check.verify(rsa, new byte[] {1}, sig))
                .isInstanceOf(SignatureException.class);
    }

    /** CSRs made by openssl: their proof of possession verifies, as `openssl req -verify` says; edited, it does not. */
    @ParameterizedTest
    @CsvSource({"P-256, sha256", "P-384, sha384", "P-521, sha512"})
    void csrsMadeByOpensslProvePossessionAndAnEditedOneDoesNot(String curve, String digest, @TempDir Path dir)
            throws Exception {
        openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:" + curve, "-nodes", "-keyout",
                "key.pem", "-subj", "/CN=Holder/C=JP", "-" + digest, "-outform", "DER", "-out", "csr.der");
        assertThat(opensslVerify(dir, "csr.der")).contains("self-signature verify OK");
        PKCS10CertificationRequest csr = new PKCS10CertificationRequest(Files.readAllBytes(dir.resolve("csr.der")));
        assertThat(SignatureCheck.forKey(csr.getSubjectPublicKeyInfo()).isNative())
                .isEqualTo(NativeVerification.provider().isPresent());
        assertThat(SignatureCheck.proofOfPossession(csr)).isTrue();

        CertificationRequest good = csr.toASN1Structure();
        CertificationRequestInfo info = good.getCertificationRequestInfo();
        CertificationRequest edited = new CertificationRequest(new CertificationRequestInfo(
                new X500Name("CN=Someone Else,C=JP"), info.getSubjectPublicKeyInfo(), info.getAttributes()),
                good.getSignatureAlgorithm(), good.getSignature());
        Files.write(dir.resolve("edited.der"), edited.getEncoded(ASN1Encoding.DER));
        assertThat(SignatureCheck.proofOfPossession(new PKCS10CertificationRequest(edited))).isFalse();
        assertThat(opensslVerify(dir, "edited.der")).as("openssl refuses the edited CSR too")
                .contains("self-signature verify failure");
    }

    /** What `openssl req -verify` says of a DER CSR (OpenSSL 3.0 exits 0 either way). */
    private static String opensslVerify(Path dir, String csr) throws Exception {
        openssl(dir, "req", "-inform", "DER", "-in", csr, "-verify", "-noout");
        return Files.readString(dir.resolve("openssl.log"));
    }

    /** Runs the openssl command in {@code dir}, its output to openssl.log; fails the test if it hangs or fails. */
    private static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("openssl.log").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("openssl finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("openssl.log"))).isZero();
    }

    private record Case(String what, byte[] data, byte[] signature) {}

    static KeyPair key(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", "SunEC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    private static KeyPair bcKey(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    private static SubjectPublicKeyInfo spki(KeyPair kp) {
        return SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded());
    }

    private static byte[] jdkSign(KeyPair kp, String digest, byte[] data) throws Exception {
        Signature s = Signature.getInstance(digest + "withECDSA", "SunEC");
        s.initSign(kp.getPrivate());
        s.update(data);
        return s.sign();
    }

    private static boolean jdkVerifies(KeyPair kp, String digest, byte[] data, byte[] sig) throws Exception {
        Signature s = Signature.getInstance(digest + "withECDSA", "SunEC");
        s.initVerify(kp.getPublic());
        s.update(data);
        try {
            return s.verify(sig);
        } catch (SignatureException e) {
            return false;
        }
    }

    private static BigInteger[] rs(byte[] der) {
        ASN1Sequence seq = ASN1Sequence.getInstance(der);
        return new BigInteger[] {ASN1Integer.getInstance(seq.getObjectAt(0)).getValue(),
                ASN1Integer.getInstance(seq.getObjectAt(1)).getValue()};
    }

    private static byte[] der(BigInteger r, BigInteger s) throws Exception {
        return new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {new ASN1Integer(r), new ASN1Integer(s)})
                .getEncoded(ASN1Encoding.DER);
    }

    /** The same SEQUENCE with its length in long form (0x81 len): valid BER, not DER. */
    private static byte[] longFormLength(byte[] der) {
        if (der[1] < 0) { // already long form (P-521): add one more length octet instead
            byte[] out = new byte[der.length + 1];
            out[0] = 0x30;
            out[1] = (byte) 0x82;
            out[2] = 0;
            System.arraycopy(der, 2, out, 3, der.length - 2);
            return out;
        }
        byte[] out = new byte[der.length + 1];
        out[0] = 0x30;
        out[1] = (byte) 0x81;
        System.arraycopy(der, 1, out, 2, der.length - 1);
        return out;
    }
}
