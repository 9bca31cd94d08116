package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.issuance.CsrException;
import dev.shomei.ca.lint.KeyQuality;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Subscriber keys a careful CA refuses, each built here with BigInteger arithmetic (or the JDK's generator with
 * a chosen exponent) and sent as a properly self-signed CSR: the CA refuses it by name and writes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubscriberKeyTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BigInteger E = BigInteger.valueOf(65_537);
    private CaFixture f;

    @BeforeAll
    void ceremony() throws Exception {
        f = CaFixture.create("keys", "EC-P256", "EC-P256");
        f.ceremony();
    }

    @AfterAll
    void close() {
        f.close();
    }

    /** An RSA key pair from its primes (e = 65537 unless given). */
    static KeyPair rsa(BigInteger p, BigInteger q, BigInteger e) throws Exception {
        BigInteger n = p.multiply(q);
        BigInteger phi = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
        BigInteger d = e.modInverse(phi);
        KeyFactory kf = KeyFactory.getInstance("RSA");
        PublicKey pub = kf.generatePublic(new RSAPublicKeySpec(n, e));
        PrivateKey priv = kf.generatePrivate(new RSAPrivateCrtKeySpec(n, e, d, p, q,
                d.mod(p.subtract(BigInteger.ONE)), d.mod(q.subtract(BigInteger.ONE)), q.modInverse(p)));
        return new KeyPair(pub, priv);
    }

    static boolean usable(BigInteger p, BigInteger q, BigInteger e) {
        return p.multiply(q).bitLength() == 2048 && !p.equals(q)
                && p.subtract(BigInteger.ONE).gcd(e).equals(BigInteger.ONE)
                && q.subtract(BigInteger.ONE).gcd(e).equals(BigInteger.ONE);
    }

    /**
     * A prime of the form the vulnerable Infineon library generated (ROCA, CVE-2017-15361): p = k·M + (65537^a mod M),
     * M the product of the primes up to 167 (the fingerprint's primes, and 2).
     */
    static BigInteger rocaPrime(int bits) {
        BigInteger m = BigInteger.ONE;
        for (int r = 2; r <= 167; r++) {
            if (BigInteger.valueOf(r).isProbablePrime(40)) {
                m = m.multiply(BigInteger.valueOf(r));
            }
        }
        // p ≥ √2·2^(bits−1), so that the product of two such primes has exactly 2·bits bits.
        BigInteger low = BigInteger.valueOf(0xB505).shiftLeft(bits - 16);
        BigInteger kMax = BigInteger.ONE.shiftLeft(bits).divide(m);
        while (true) {
            BigInteger k = new BigInteger(kMax.bitLength(), RANDOM).mod(kMax);
            BigInteger g = E.modPow(new BigInteger(64, RANDOM), m);
            BigInteger p = k.multiply(m).add(g);
            if (p.compareTo(low) >= 0 && p.bitLength() == bits && p.isProbablePrime(40)) {
                return p;
            }
        }
    }

    private void refused(KeyPair k, String... reasons) throws Exception {
        byte[] csr = CaFixture.csr("CN=Weak Key,C=JP", k);
        long certs = f.count("certificate");
        var a = assertThatThrownBy(() -> f.ca.issuer().issue(null, csr, "subscriber-signature"))
                .isInstanceOf(CsrException.class).hasMessageContaining("the CSR's key is refused");
        for (String r : reasons) {
            a.hasMessageContaining(r);
        }
        assertThat(f.count("certificate")).isEqualTo(certs);
    }

    @Test
    void rsaWithAnExponentOtherThan65537() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(new RSAKeyGenParameterSpec(2048, BigInteger.valueOf(3)));
        refused(g.generateKeyPair(), "public exponent is 3; only 65537");
    }

    @Test
    void rsaWithTheRocaFingerprint() throws Exception {
        BigInteger p;
        BigInteger q;
        do {
            p = rocaPrime(1024);
            q = rocaPrime(1024);
        } while (!usable(p, q, E));
        assertThat(KeyQuality.problems(rsa(p, q, E).getPublic())).as("the fingerprint, alone").singleElement()
                .asString().contains("ROCA");
        refused(rsa(p, q, E), "ROCA fingerprint", "CVE-2017-15361");
        // An ordinary key of the same size does not carry it.
        assertThat(KeyQuality.problems(CaFixture.rsaKey(2048).getPublic())).isEmpty();
    }

    @Test
    void rsaWithASmallPrimeFactor() throws Exception {
        BigInteger p = BigInteger.valueOf(997);
        BigInteger q;
        do {
            q = BigInteger.probablePrime(2038, RANDOM);
        } while (!usable(p, q, E));
        refused(rsa(p, q, E), "small prime factor (997)");
    }

    @Test
    void rsaWithPrimesCloseEnoughForFermat() throws Exception {
        BigInteger p;
        BigInteger q;
        do {
            p = BigInteger.probablePrime(1024, RANDOM);
            q = p.add(BigInteger.ONE.shiftLeft(400)).nextProbablePrime();
        } while (!usable(p, q, E));
        refused(rsa(p, q, E), "primes too close together", "Fermat");
    }

    @Test
    void ecPointsThatAreNotOnTheCurveOrAreInfinity() throws Exception {
        KeyPair real = CaFixture.ecKey("secp256r1");
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(real.getPublic().getEncoded());
        byte[] point = spki.getPublicKeyData().getOctets();
        byte[] moved = point.clone();
        moved[moved.length - 1] ^= 1; // y + 1 (or − 1): no longer on P-256
        SubjectPublicKeyInfo offCurve = new SubjectPublicKeyInfo(spki.getAlgorithm(), moved);
        assertThat(KeyQuality.problems(offCurve)).singleElement().asString().contains("not a point on curve");
        assertThat(KeyQuality.problems(new SubjectPublicKeyInfo(spki.getAlgorithm(), new byte[] {0})))
                .singleElement().asString().contains("point at infinity");
        byte[] outside = point.clone();
        Arrays.fill(outside, 1, 33, (byte) 0xff); // x = 2^256 − 1 > p
        assertThat(KeyQuality.problems(new SubjectPublicKeyInfo(spki.getAlgorithm(), outside))).singleElement()
                .asString().contains("not elements of the curve's field");
        assertThat(KeyQuality.problems(real.getPublic())).isEmpty();
        assertThat(((ECPublicKey) real.getPublic()).getParams().getCofactor()).as("P-256: every curve point has order n")
                .isEqualTo(1);

        // As a CSR (signed by another key: the point has no private key), refused for the point, not the signature.
        byte[] csr = new PKCS10CertificationRequestBuilder(new X500Name("CN=Invalid Curve,C=JP"), offCurve)
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(real.getPrivate())).getEncoded();
        assertThatThrownBy(() -> f.ca.issuer().issue(null, csr, "subscriber-signature"))
                .isInstanceOf(CsrException.class).hasMessageContaining("not a point on curve");
    }
}
