package dev.shomei.ca.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Random;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;

/**
 * Subscriber key quality ({@link KeyQuality}, CP/CPS §6.1.5–6.1.6) rule by rule, on keys built to fail exactly one
 * rule, in memory: each rule refuses its key with its own reason and no other, each limit is tested at the value that
 * passes and the one that fails, and good keys pass. ({@code SubscriberKeyTest} shows the same refusals end to end,
 * through an issuing CA on SoftHSM2.)
 *
 * <p>Zone: tests only (secure-zone code, in memory).
 */
class KeyQualityTest {

    static final Random RANDOM = new Random(20261203);
    static final BigInteger F4 = BigInteger.valueOf(65_537);

    static BigInteger prime(int bits) {
        return BigInteger.probablePrime(bits, RANDOM);
    }

    @Test
    void goodRsaAndEcKeysHaveNoProblem() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        PublicKey r = rsa.generateKeyPair().getPublic();
        assertThat(((RSAPublicKey) r).getModulus().bitLength()).isEqualTo(2048);
        assertThat(KeyQuality.problems(r)).isEmpty();
        assertThat(KeyQuality.problems(SubjectPublicKeyInfo.getInstance(r.getEncoded()))).isEmpty();
        for (String curve : List.of("secp256r1", "secp384r1")) {
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(new ECGenParameterSpec(curve));
            PublicKey k = ec.generateKeyPair().getPublic();
            assertThat(KeyQuality.problems(k)).as(curve).isEmpty();
            assertThat(KeyQuality.problems(SubjectPublicKeyInfo.getInstance(k.getEncoded()))).as(curve).isEmpty();
        }
    }

    @Test
    void anRsaModulusShorterThan2048BitsIsRefused() {
        BigInteger n = prime(1024).multiply(prime(1023));
        assertThat(n.bitLength()).isLessThan(2048);
        assertThat(KeyQuality.rsaProblems(n, F4)).singleElement().asString()
                .contains("RSA modulus of " + n.bitLength() + " bits; at least 2048");
        BigInteger full = prime(1024).multiply(prime(1025));
        assertThat(full.bitLength()).isGreaterThanOrEqualTo(2048);
        assertThat(KeyQuality.rsaProblems(full, F4)).isEmpty();
    }

    @Test
    void onlyThePublicExponent65537IsAccepted() {
        BigInteger n = prime(1024).multiply(prime(1025));
        for (long e : new long[] {3, 17, 65_535, 65_539}) {
            assertThat(KeyQuality.rsaProblems(n, BigInteger.valueOf(e))).as("e = " + e).singleElement().asString()
                    .contains("public exponent is " + e);
        }
    }

    @Test
    void anEvenModulusIsRefusedAsEvenAlone() {
        BigInteger n = prime(2047).shiftLeft(1);
        assertThat(KeyQuality.rsaProblems(n, F4)).containsExactly("RSA modulus is even");
    }

    @Test
    void aSmallPrimeFactorBelowTheBoundIsFoundAndNamed() {
        BigInteger big = prime(1024).multiply(prime(1030));
        // 9973 is the largest prime below the bound (10,000); 10,007 the first above it, not looked for.
        assertThat(KeyQuality.rsaProblems(big.multiply(BigInteger.valueOf(9973)), F4)).singleElement().asString()
                .contains("small prime factor (9973)");
        assertThat(KeyQuality.rsaProblems(big.multiply(BigInteger.valueOf(3)), F4)).singleElement().asString()
                .contains("small prime factor (3)");
        assertThat(KeyQuality.rsaProblems(big.multiply(BigInteger.valueOf(10_007)), F4)).isEmpty();
    }

    @Test
    void aModulusWithTheRocaFingerprintIsRefused() {
        // N ≡ 65537 (mod every fingerprint prime): the fingerprint of the vulnerable library's moduli.
        BigInteger m = BigInteger.ONE;
        for (int r : KeyQuality.ROCA_PRIMES) {
            m = m.multiply(BigInteger.valueOf(r));
        }
        BigInteger n;
        do {
            n = new BigInteger(2048, RANDOM).setBit(2047).divide(m).multiply(m).add(F4);
        } while (!n.gcd(smallPrimes()).equals(BigInteger.ONE));
        assertThat(KeyQuality.rocaFingerprint(n)).isTrue();
        assertThat(KeyQuality.rsaProblems(n, F4)).anySatisfy(p -> assertThat(p).contains("ROCA fingerprint"));
        assertThat(KeyQuality.rocaFingerprint(prime(1024).multiply(prime(1025)))).isFalse();
    }

    static BigInteger smallPrimes() {
        BigInteger p = BigInteger.ONE;
        for (int i = 2; i < 10_000; i++) {
            if (BigInteger.valueOf(i).isProbablePrime(50)) {
                p = p.multiply(BigInteger.valueOf(i));
            }
        }
        return p;
    }

    @Test
    void primesTooCloseTogetherAreFactoredAndRefused() {
        BigInteger p = prime(1025);
        BigInteger q = p.nextProbablePrime();
        BigInteger n = p.multiply(q);
        assertThat(KeyQuality.rsaProblems(n, F4)).singleElement().asString().contains("Fermat");
        assertThat(KeyQuality.fermatFactor(n, KeyQuality.FERMAT_ROUNDS)).isIn(p, q);
        // The rounds are a bound: none means no search, one finds neighbouring primes at once.
        assertThat(KeyQuality.fermatFactor(n, 0)).isNull();
        assertThat(KeyQuality.fermatFactor(n, 1)).isIn(p, q);
        // A perfect square starts at its exact root.
        assertThat(KeyQuality.fermatFactor(p.multiply(p), 1)).isEqualTo(p);
        // A prime has only the trivial split 1 · n, which is no factor.
        assertThat(KeyQuality.fermatFactor(BigInteger.valueOf(7), 10)).isNull();
        assertThat(KeyQuality.fermatFactor(prime(1024).multiply(prime(1025)), KeyQuality.FERMAT_ROUNDS)).isNull();
    }

    @Test
    void bothEntryPointsReportTheProblemsOfAWeakKey() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        PublicKey weakRsa = rsa.generateKeyPair().getPublic();
        assertThat(KeyQuality.problems(weakRsa)).singleElement().asString().contains("1024 bits");
        assertThat(KeyQuality.problems(SubjectPublicKeyInfo.getInstance(weakRsa.getEncoded()))).singleElement()
                .asString().contains("1024 bits");
        // The JDK builds an EC key from any coordinates: one off the curve, as an invalid-curve attacker sends it.
        ECPoint g = P256.getG().multiply(BigInteger.valueOf(777)).normalize();
        java.security.spec.ECParameterSpec spec = ((java.security.interfaces.ECPublicKey) ecKeyPair()).getParams();
        PublicKey offCurve = java.security.KeyFactory.getInstance("EC").generatePublic(new java.security.spec.ECPublicKeySpec(
                new java.security.spec.ECPoint(g.getAffineXCoord().toBigInteger(),
                        g.getAffineYCoord().toBigInteger().add(BigInteger.ONE)), spec));
        assertThat(KeyQuality.problems(offCurve)).singleElement().asString().contains("not a point on curve");
        assertThat(KeyQuality.problems(SubjectPublicKeyInfo.getInstance(offCurve.getEncoded()))).singleElement()
                .asString().contains("not a point on curve");
    }

    static PublicKey ecKeyPair() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        return ec.generateKeyPair().getPublic();
    }

    @Test
    void keysOfOtherTypesAreRefused() throws Exception {
        PublicKey ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic();
        assertThat(KeyQuality.problems(ed)).singleElement().asString().contains("is not allowed (RSA or EC only)");
        assertThat(KeyQuality.problems(SubjectPublicKeyInfo.getInstance(ed.getEncoded()))).singleElement().asString()
                .contains("key type 1.3.101.112 is not allowed");
    }

    @Test
    void malformedEncodedKeysAreRefusedNotThrown() {
        SubjectPublicKeyInfo rsa = new SubjectPublicKeyInfo(new AlgorithmIdentifier(
                new ASN1ObjectIdentifier("1.2.840.113549.1.1.1"), DERNull.INSTANCE), new byte[] {1, 2, 3});
        assertThat(KeyQuality.problems(rsa)).singleElement().asString().startsWith("RSA public key is malformed");
        SubjectPublicKeyInfo ec = new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey),
                new byte[] {4, 1, 2}); // no curve parameters at all
        assertThat(KeyQuality.problems(ec)).singleElement().asString().startsWith("EC public key is malformed");
    }

    static SubjectPublicKeyInfo ecKey(X962Parameters params, byte[] point, int padBits) {
        return SubjectPublicKeyInfo.getInstance(new DERSequence(new ASN1Encodable[] {
            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, params), new DERBitString(point, padBits)}));
    }

    static final X9ECParameters P256 = CustomNamedCurves.getByName("secp256r1");

    static X962Parameters named(ASN1ObjectIdentifier oid) {
        return new X962Parameters(oid);
    }

    @Test
    void ecKeysFailingFullPublicKeyValidationAreRefusedEachForItsReason() {
        ECPoint g = P256.getG().multiply(BigInteger.valueOf(12345)).normalize();
        byte[] good = g.getEncoded(false);
        X962Parameters p256 = named(X9ObjectIdentifiers.prime256v1);
        assertThat(KeyQuality.ecProblems(ecKey(p256, good, 0))).isEmpty();
        assertThat(KeyQuality.ecProblems(ecKey(p256, g.getEncoded(true), 0))).as("compressed").isEmpty();

        assertThat(KeyQuality.ecProblems(ecKey(new X962Parameters(P256), good, 0))).singleElement().asString()
                .contains("explicit curve parameters");
        assertThat(KeyQuality.ecProblems(ecKey(named(new ASN1ObjectIdentifier("1.2.3.4")), good, 0)))
                .containsExactly("EC key on unknown curve 1.2.3.4");
        assertThat(KeyQuality.ecProblems(ecKey(p256, good, 1))).singleElement().asString()
                .contains("1 unused bits");
        assertThat(KeyQuality.ecProblems(ecKey(p256, new byte[] {0}, 0))).containsExactly(
                "EC public key is the point at infinity");

        BigInteger field = P256.getCurve().getField().getCharacteristic();
        byte[] xTooBig = good.clone();
        System.arraycopy(fixed(field, 32), 0, xTooBig, 1, 32);
        assertThat(KeyQuality.ecProblems(ecKey(p256, xTooBig, 0))).singleElement().asString()
                .contains("not elements of the curve's field");
        byte[] yTooBig = good.clone();
        System.arraycopy(fixed(field, 32), 0, yTooBig, 33, 32);
        assertThat(KeyQuality.ecProblems(ecKey(p256, yTooBig, 0))).singleElement().asString()
                .contains("not elements of the curve's field");

        byte[] offCurve = good.clone();
        offCurve[64] ^= 1;
        assertThat(KeyQuality.ecProblems(ecKey(p256, offCurve, 0))).singleElement().asString()
                .contains("not a point on curve").contains("invalid-curve");

        byte[] badCompressed = g.getEncoded(true);
        badCompressed[0] = 7; // no such point form
        assertThat(KeyQuality.ecProblems(ecKey(p256, badCompressed, 0))).singleElement().asString()
                .contains("cannot be decoded");
    }

    @Test
    void anEcPointOutsideThePrimeOrderSubgroupIsRefused() {
        // secp112r2 has cofactor 4: n times a random point is a point of small order, on the curve but not in
        // the subgroup of prime order n (a small-subgroup key).
        X9ECParameters curve = org.bouncycastle.asn1.x9.ECNamedCurveTable.getByName("secp112r2");
        assertThat(curve.getH()).isEqualTo(BigInteger.valueOf(4));
        ECPoint small = null;
        for (int i = 0; i < 64 && (small == null || small.isInfinity()); i++) {
            small = randomPoint(curve).multiply(curve.getN()).normalize();
        }
        assertThat(small.isInfinity()).as("a point of small order found").isFalse();
        assertThat(KeyQuality.ecProblems(ecKey(named(SECObjectIdentifiers.secp112r2), small.getEncoded(false), 0)))
                .containsExactly("EC public key is not of the curve's prime order (n·Q ≠ O)");
        ECPoint inGroup = curve.getG().multiply(BigInteger.valueOf(99)).normalize();
        assertThat(KeyQuality.ecProblems(ecKey(named(SECObjectIdentifiers.secp112r2), inGroup.getEncoded(false), 0)))
                .isEmpty();
    }

    /**
     * A point of the whole curve group (any order), from a random x whose x³ + ax + b has a square root. Built with
     * createPoint, which does not check the order (decodePoint would refuse a point outside the subgroup).
     */
    static ECPoint randomPoint(X9ECParameters curve) {
        org.bouncycastle.math.ec.ECCurve c = curve.getCurve();
        while (true) {
            org.bouncycastle.math.ec.ECFieldElement x = c.fromBigInteger(new BigInteger(c.getFieldSize() - 1, RANDOM));
            org.bouncycastle.math.ec.ECFieldElement y = x.square().add(c.getA()).multiply(x).add(c.getB()).sqrt();
            if (y != null) {
                return c.createPoint(x.toBigInteger(), y.toBigInteger());
            }
        }
    }

    static byte[] fixed(BigInteger v, int len) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[len];
        int n = Math.min(len, b.length);
        System.arraycopy(b, b.length - n, out, len - n, n);
        return out;
    }
}
