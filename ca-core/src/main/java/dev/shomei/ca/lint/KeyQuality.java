package dev.shomei.ca.lint;

import java.math.BigInteger;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Checks a subscriber's public key the way careful CAs do before certifying it (CP/CPS §6.1.5, §6.1.6:
 * key sizes and parameter quality; CA/Browser Forum Baseline Requirements §6.1.6, which this follows):
 * <ul>
 *   <li>RSA: at least 2048 bits, public exponent 65537, an odd modulus, no prime factor below
 *       {@value #SMALL_PRIME_BOUND}, not of the ROCA form (CVE-2017-15361, the published fingerprint test of
 *       Nemec et al., CCS 2017), and primes not so close that Fermat's method factors the modulus in
 *       {@value #FERMAT_ROUNDS} rounds (CVE-2022-26320);</li>
 *   <li>EC: a named curve (explicit parameters are refused elsewhere) with full public-key validation
 *       (NIST SP 800-56A rev. 3 §5.6.2.3.3): not the point at infinity, coordinates in the field, on the
 *       curve, and of the curve's prime order n (n·Q = O).</li>
 * </ul>
 * Which key types and sizes a profile allows is decided by the profile; this class only says what is
 * wrong with a key, with every problem found.
 *
 * <p>Zone: secure (the RA may run it too). Pure; touches nothing.
 */
public final class KeyQuality {

    static final BigInteger F4 = BigInteger.valueOf(65_537);
    /** Trial division bound: factors below it are found with one gcd against their product. */
    static final int SMALL_PRIME_BOUND = 10_000;
    /** Fermat rounds: finds p, q with |p − q| below about 2^(bits/4) · √rounds, as the published checks do. */
    static final int FERMAT_ROUNDS = 100;
    /** The primes of the published ROCA fingerprint (roca-detect): N mod r must lie in ⟨65537⟩ mod r for all. */
    static final int[] ROCA_PRIMES = {3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
        79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

    private static final BigInteger SMALL_PRIMES_PRODUCT;
    private static final BitSet[] ROCA_SUBGROUPS = new BitSet[ROCA_PRIMES.length];

    static {
        BigInteger product = BigInteger.ONE;
        for (int p = 2; p < SMALL_PRIME_BOUND; p++) {
            if (BigInteger.valueOf(p).isProbablePrime(50)) {
                product = product.multiply(BigInteger.valueOf(p));
            }
        }
        SMALL_PRIMES_PRODUCT = product;
        for (int i = 0; i < ROCA_PRIMES.length; i++) {
            int r = ROCA_PRIMES[i];
            BitSet g = new BitSet(r);
            int x = 1;
            do {
                g.set(x);
                x = (int) ((long) x * (65_537 % r) % r);
            } while (x != 1);
            ROCA_SUBGROUPS[i] = g;
        }
    }

    private KeyQuality() {}

    /** Every problem of {@code key}; empty when it may be certified. */
    public static List<String> problems(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return rsaProblems(rsa.getModulus(), rsa.getPublicExponent());
        }
        if (key instanceof ECPublicKey) {
            return ecProblems(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
        }
        return List.of("key type " + key.getAlgorithm() + " is not allowed (RSA or EC only)");
    }

    /** As {@link #problems(PublicKey)}, on the encoded key (for keys the JDK cannot even construct). */
    public static List<String> problems(SubjectPublicKeyInfo spki) {
        String alg = spki.getAlgorithm().getAlgorithm().getId();
        if (alg.equals("1.2.840.113549.1.1.1")) {
            try {
                org.bouncycastle.asn1.pkcs.RSAPublicKey rsa =
                        org.bouncycastle.asn1.pkcs.RSAPublicKey.getInstance(spki.parsePublicKey());
                return rsaProblems(rsa.getModulus(), rsa.getPublicExponent());
            } catch (java.io.IOException | RuntimeException e) {
                return List.of("RSA public key is malformed: " + e.getMessage());
            }
        }
        if (alg.equals("1.2.840.10045.2.1")) {
            try {
                return ecProblems(spki);
            } catch (RuntimeException e) {
                return List.of("EC public key is malformed: " + e.getMessage());
            }
        }
        return List.of("key type " + alg + " is not allowed (RSA or EC only)");
    }

    static List<String> rsaProblems(BigInteger n, BigInteger e) {
        List<String> f = new ArrayList<>();
        if (n.bitLength() < 2048) {
            f.add("RSA modulus of " + n.bitLength() + " bits; at least 2048 are required");
        }
        if (!e.equals(F4)) {
            f.add("RSA public exponent is " + e + "; only 65537 is accepted");
        }
        if (!n.testBit(0)) {
            f.add("RSA modulus is even");
            return f;
        }
        BigInteger g = n.gcd(SMALL_PRIMES_PRODUCT);
        if (!g.equals(BigInteger.ONE)) {
            f.add("RSA modulus has a small prime factor (" + smallestFactor(g) + "): it is not a product of two large primes");
            return f;
        }
        if (rocaFingerprint(n)) {
            f.add("RSA modulus has the ROCA fingerprint (CVE-2017-15361): generated by a vulnerable Infineon library,"
                    + " its private key can be computed; make a new key with another library or device");
        }
        BigInteger p = fermatFactor(n, FERMAT_ROUNDS);
        if (p != null) {
            f.add("RSA modulus has primes too close together: Fermat's method factors it (CVE-2022-26320);"
                    + " make a new key");
        }
        return f;
    }

    /** True when N mod r lies in the subgroup generated by 65537 for every fingerprint prime r. */
    static boolean rocaFingerprint(BigInteger n) {
        for (int i = 0; i < ROCA_PRIMES.length; i++) {
            int residue = n.mod(BigInteger.valueOf(ROCA_PRIMES[i])).intValue();
            if (!ROCA_SUBGROUPS[i].get(residue)) {
                return false;
            }
        }
        return true;
    }

    /** A factor of n found by Fermat's method within {@code rounds} steps from ⌈√n⌉, or null. */
    static BigInteger fermatFactor(BigInteger n, int rounds) {
        BigInteger[] sr = n.sqrtAndRemainder();
        BigInteger a = sr[1].signum() == 0 ? sr[0] : sr[0].add(BigInteger.ONE);
        for (int i = 0; i < rounds; i++, a = a.add(BigInteger.ONE)) {
            BigInteger b2 = a.multiply(a).subtract(n);
            BigInteger[] b = b2.sqrtAndRemainder();
            if (b[1].signum() == 0) {
                BigInteger p = a.subtract(b[0]);
                if (p.compareTo(BigInteger.ONE) > 0) {
                    return p;
                }
            }
        }
        return null;
    }

    private static int smallestFactor(BigInteger g) {
        for (int p = 2; p < SMALL_PRIME_BOUND; p++) {
            if (g.mod(BigInteger.valueOf(p)).signum() == 0) {
                return p;
            }
        }
        return -1;
    }

    /** NIST SP 800-56A rev. 3 §5.6.2.3.3, full public-key validation, on the encoded point of a named curve. */
    static List<String> ecProblems(SubjectPublicKeyInfo spki) {
        List<String> f = new ArrayList<>();
        X962Parameters params = X962Parameters.getInstance(spki.getAlgorithm().getParameters());
        if (!params.isNamedCurve()) {
            f.add("EC key with explicit curve parameters; only named curves are accepted");
            return f;
        }
        ASN1ObjectIdentifier oid = (ASN1ObjectIdentifier) params.getParameters();
        // Bouncy Castle's custom arithmetic for the curve where it has one (P-256, P-384, P-521: about 20 times
        // faster than the generic curve of the same parameters); the same curve either way.
        X9ECParameters curve = CustomNamedCurves.getByOID(oid);
        if (curve == null) {
            curve = ECNamedCurveTable.getByOID(oid);
        }
        if (curve == null) {
            f.add("EC key on unknown curve " + oid.getId());
            return f;
        }
        ECCurve c = curve.getCurve();
        // RFC 5480 section 2.2: the ECPoint octets are the BIT STRING's content, so it has no unused bits.
        if (spki.getPublicKeyData().getPadBits() != 0) {
            f.add("EC public key BIT STRING has " + spki.getPublicKeyData().getPadBits()
                    + " unused bits; an ECPoint is whole octets (RFC 5480 section 2.2)");
            return f;
        }
        byte[] enc = spki.getPublicKeyData().getOctets();
        int len = (c.getFieldSize() + 7) / 8;
        ECPoint q;
        if (enc.length == 1 && enc[0] == 0) {
            f.add("EC public key is the point at infinity");
            return f;
        }
        if (enc.length == 1 + 2 * len && enc[0] == 4) {
            BigInteger x = new BigInteger(1, Arrays.copyOfRange(enc, 1, 1 + len));
            BigInteger y = new BigInteger(1, Arrays.copyOfRange(enc, 1 + len, enc.length));
            BigInteger p = c.getField().getCharacteristic();
            if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
                f.add("EC public key coordinates are not elements of the curve's field");
                return f;
            }
            BigInteger a = c.getA().toBigInteger();
            BigInteger b = c.getB().toBigInteger();
            if (!y.multiply(y).subtract(x.pow(3).add(a.multiply(x)).add(b)).mod(p).equals(BigInteger.ZERO)) {
                f.add("EC public key is not a point on curve " + ECNamedCurveTable.getName(oid)
                        + " (an invalid-curve key; refused)");
                return f;
            }
            q = c.createPoint(x, y);
        } else {
            try {
                q = c.decodePoint(enc); // compressed form: decoding validates the point
            } catch (RuntimeException e) {
                f.add("EC public key cannot be decoded as a point of " + ECNamedCurveTable.getName(oid) + ": " + e.getMessage());
                return f;
            }
        }
        if (q.isInfinity()) {
            f.add("EC public key is the point at infinity");
        } else if (!BigInteger.ONE.equals(curve.getH()) && !q.multiply(curve.getN()).isInfinity()) {
            // On a curve of prime order (cofactor 1: P-256, P-384, P-521) the group of points has n elements, so
            // n·Q = O holds for every point on the curve (Lagrange's theorem): the on-curve check above has proved
            // it, and the multiplication (a full scalar multiplication per key, the costliest step of issuing a
            // certificate before) can only fail on a curve with a cofactor, where it is computed.
            f.add("EC public key is not of the curve's prime order (n·Q ≠ O)");
        }
        return f;
    }
}
