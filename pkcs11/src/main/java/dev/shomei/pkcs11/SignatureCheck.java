package dev.shomei.pkcs11;

import java.io.IOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SignatureException;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X962Parameters;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.BigIntegers;

/**
 * Verifies a signature with one public key: the proof of possession of a CSR (a fresh key each time; the RA when it
 * decides, the CA before it issues) and the post-signature check of every certificate the HSM signed (the CA's own
 * key, always the same).
 *
 * <p>A key verified against once (a CSR's) on P-256, P-384 or P-521 is verified by AWS-LC in native code where it
 * loads ({@link NativeVerification}: a quarter of Bouncy Castle's cost), after the checks of the signature's form here.
 *
 * <p>Why not the JDK's {@code java.security.Signature}: on this project's machines (JDK 25, docs/benchmarks.md,
 * "ca-core") an ECDSA P-256 verification through SunEC is the slowest of the verifiers measured, a fraction of the
 * rate of Bouncy Castle's lightweight ECDSA on its custom P-256 arithmetic; and for the issuing key, which verifies
 * every certificate, {@link #forFixedKey} keeps comb tables for the generator and the key, built once. The check
 * itself is the same: ECDSA verification (FIPS
 * 186-5 §6.4.2) of a DER signature that must be canonical (re-encoding gives the same bytes, r and s in [1, n−1]),
 * under exactly the algorithm the signed object names (ecdsa-with-SHA256/384/512, no parameters: RFC 5758 §3.2).
 * Other keys (RSA, curves without custom arithmetic) have no such check: their callers use the JDK's
 * {@code Signature} (an RSA verification costs little).
 *
 * <p>Zone: every zone (ra-service's CSR check, ca-core's issuance checks). Pure; touches nothing.
 */
public final class SignatureCheck {

    /** ecdsa-with-SHA* (RFC 5758 §3.2): the digest each names. */
    private static final Map<ASN1ObjectIdentifier, String> ECDSA_DIGESTS = Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA-256",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA-384",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA-512");

    private final ECPublicKeyParameters ec;
    private final FixedBaseComb comb; // null: a key verified against once (a CSR's)
    private final byte[] nativeKey; // the key's DER SubjectPublicKeyInfo when AWS-LC verifies with it, else null

    private SignatureCheck(ECPublicKeyParameters ec, FixedBaseComb comb, byte[] nativeKey) {
        this.ec = ec;
        this.comb = comb;
        this.nativeKey = nativeKey;
    }

    /**
     * A check with a key that verifies many signatures (the issuing key): as {@link #forKey(PublicKey)}, plus
     * fixed-base comb tables for the curve's generator and the key (built once, about a millisecond), so that each
     * verification costs 32 doublings and at most 64 additions on P-256 instead of 256 doublings.
     */
    public static SignatureCheck forFixedKey(PublicKey key) {
        ECPublicKeyParameters ec = ecParameters(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
        return ec == null ? null : new SignatureCheck(ec, new FixedBaseComb(ec.getParameters().getG(), ec.getQ(),
                ec.getParameters().getN().bitLength()), null);
    }

    /**
     * A check with {@code key} when it is an EC key on a curve with custom arithmetic, else null (the caller keeps
     * the JDK's {@code Signature}). Keep it to verify many signatures of the same key: its table is built once.
     */
    public static SignatureCheck forKey(PublicKey key) {
        return forKey(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
    }

    /**
     * As {@link #forKey(PublicKey)}, from the encoded key. Where {@link NativeVerification} has the curve (P-256,
     * P-384, P-521), the signature is verified there once its form is checked here; the key is decoded and validated
     * here either way.
     */
    public static SignatureCheck forKey(SubjectPublicKeyInfo spki) {
        return forKey(spki, true);
    }

    /** As {@link #forKey(SubjectPublicKeyInfo)}; with {@code nativeAllowed} false, Bouncy Castle verifies (tests). */
    static SignatureCheck forKey(SubjectPublicKeyInfo spki, boolean nativeAllowed) {
        ECPublicKeyParameters ec = ecParameters(spki);
        if (ec == null) {
            return null;
        }
        byte[] nativeKey = null;
        ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(spki.getAlgorithm().getParameters());
        if (nativeAllowed && NativeVerification.handlesCurve(curve)) {
            try {
                nativeKey = spki.getEncoded(ASN1Encoding.DER);
            } catch (IOException e) {
                nativeKey = null; // cannot happen for a key just decoded; Bouncy Castle verifies then
            }
        }
        return new SignatureCheck(ec, null, nativeKey);
    }

    /**
     * The CSR's self-signature over its DER-encoded certificationRequestInfo (RFC 2986 §4.2), verified with the key
     * it carries: ECDSA keys on a curve with custom arithmetic through this class; other keys and algorithms through
     * the JCA, as Bouncy Castle's {@code isSignatureValid} does it.
     *
     * @return whether the CSR proves possession of its key
     * @throws OperatorCreationException when the JCA cannot verify with this key (callers refuse the CSR)
     * @throws PKCSException              likewise, from Bouncy Castle's check
     * @throws IOException                when the certificationRequestInfo cannot be encoded
     * @throws SignatureException         when the CSR names an ECDSA algorithm with parameters
     */
    public static boolean proofOfPossession(PKCS10CertificationRequest req)
            throws OperatorCreationException, PKCSException, IOException, SignatureException {
        SignatureCheck check = forKey(req.getSubjectPublicKeyInfo());
        if (check != null && check.handles(req.getSignatureAlgorithm())) {
            return check.verify(req.getSignatureAlgorithm(),
                    req.toASN1Structure().getCertificationRequestInfo().getEncoded(ASN1Encoding.DER),
                    req.getSignature());
        }
        return req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(req.getSubjectPublicKeyInfo()));
    }

    /** Whether AWS-LC verifies this check's signatures ({@link NativeVerification}). */
    boolean isNative() {
        return nativeKey != null;
    }

    /** Whether this check verifies signatures of {@code alg} (ecdsa-with-SHA256/384/512). */
    public boolean handles(AlgorithmIdentifier alg) {
        return ECDSA_DIGESTS.containsKey(alg.getAlgorithm());
    }

    /**
     * Whether {@code signature} is a valid signature of {@code data} under this key with algorithm {@code alg}:
     * false for a signature that does not verify or is not canonical DER.
     *
     * @throws SignatureException when {@code alg} is not one this check {@link #handles}, or has parameters
     */
    public boolean verify(AlgorithmIdentifier alg, byte[] data, byte[] signature) throws SignatureException {
        String digest = ECDSA_DIGESTS.get(alg.getAlgorithm());
        if (digest == null) {
            throw new SignatureException("an EC key verifies ecdsa-with-SHA256/384/512 signatures, not "
                    + alg.getAlgorithm().getId());
        }
        if (alg.getParameters() != null) {
            throw new SignatureException("ecdsa-with-" + digest + " takes no parameters (RFC 5758 §3.2)");
        }
        BigInteger[] rs;
        try {
            rs = StandardDSAEncoding.INSTANCE.decode(ec.getParameters().getN(), signature); // canonical DER only
        } catch (IOException | RuntimeException e) {
            return false; // not a DER SEQUENCE of two INTEGERs in range, or not in canonical form
        }
        if (nativeKey != null) {
            try {
                return NativeVerification.verifyEcdsa(nativeKey, digest, data, signature);
            } catch (java.security.GeneralSecurityException e) {
                // The engine did not take a key Bouncy Castle decoded and validated: Bouncy Castle decides.
            }
        }
        Digest d = switch (digest) {
            case "SHA-256" -> new SHA256Digest();
            case "SHA-384" -> new SHA384Digest();
            default -> new SHA512Digest();
        };
        d.update(data, 0, data.length);
        byte[] h = new byte[d.getDigestSize()];
        d.doFinal(h, 0);
        if (comb == null) {
            ECDSASigner verifier = new ECDSASigner();
            verifier.init(false, ec);
            return verifier.verifySignature(h, rs[0], rs[1]); // r, s in [1, n−1] checked here
        }
        return combVerify(h, rs[0], rs[1]);
    }

    /** FIPS 186-5 §6.4.2 with R = u1·G + u2·Q from the comb tables (the steps of Bouncy Castle's ECDSASigner). */
    private boolean combVerify(byte[] hash, BigInteger r, BigInteger s) {
        BigInteger n = ec.getParameters().getN();
        if (r.signum() <= 0 || r.compareTo(n) >= 0 || s.signum() <= 0 || s.compareTo(n) >= 0) {
            return false;
        }
        // e: the hash's leftmost bits, as many as n has (FIPS 186-5 §6.4.2 step 3, §6.4.1 step 4).
        BigInteger e = new BigInteger(1, hash);
        int excess = hash.length * 8 - n.bitLength();
        if (excess > 0) {
            e = e.shiftRight(excess);
        }
        BigInteger c = BigIntegers.modOddInverseVar(n, s);
        BigInteger u1 = e.multiply(c).mod(n);
        BigInteger u2 = r.multiply(c).mod(n);
        ECPoint point = comb.sum(u1, u2).normalize();
        if (point.isInfinity()) {
            return false;
        }
        return point.getAffineXCoord().toBigInteger().mod(n).equals(r);
    }

    /**
     * u1·G + u2·Q for fixed G and Q by a comb of width {@value #WIDTH} (Lim–Lee) with the doublings shared: the
     * scalars are split in {@value #WIDTH} rows of d = ⌈bits / {@value #WIDTH}⌉ bits; table entry j holds the sum of
     * 2^(i·d)·P for the bits i set in j. Variable time: only public values (a signature, a digest, public keys) go
     * through it, never a private scalar.
     */
    private static final class FixedBaseComb {
        private static final int WIDTH = 8;
        private final int d;
        private final ECPoint[] g;
        private final ECPoint[] q;
        private final ECPoint infinity;

        FixedBaseComb(ECPoint base1, ECPoint base2, int bits) {
            this.d = (bits + WIDTH - 1) / WIDTH;
            this.infinity = base1.getCurve().getInfinity();
            this.g = table(base1);
            this.q = table(base2);
        }

        private ECPoint[] table(ECPoint p) {
            ECPoint[] rows = new ECPoint[WIDTH];
            rows[0] = p.normalize();
            for (int i = 1; i < WIDTH; i++) {
                rows[i] = rows[i - 1].timesPow2(d).normalize();
            }
            ECPoint[] t = new ECPoint[1 << WIDTH];
            t[0] = infinity;
            for (int j = 1; j < t.length; j++) {
                int low = Integer.lowestOneBit(j);
                ECPoint row = rows[Integer.numberOfTrailingZeros(j)];
                t[j] = j == low ? row : t[j ^ low].add(row);
            }
            p.getCurve().normalizeAll(t, 1, t.length - 1, null);
            return t;
        }

        ECPoint sum(BigInteger u1, BigInteger u2) {
            ECPoint acc = infinity;
            for (int col = d - 1; col >= 0; col--) {
                acc = acc.twice();
                int a = 0;
                int b = 0;
                for (int i = WIDTH - 1; i >= 0; i--) {
                    int bit = col + i * d;
                    a = (a << 1) | (u1.testBit(bit) ? 1 : 0);
                    b = (b << 1) | (u2.testBit(bit) ? 1 : 0);
                }
                if (a != 0) {
                    acc = acc.add(g[a]);
                }
                if (b != 0) {
                    acc = acc.add(q[b]);
                }
            }
            return acc;
        }
    }

    /** The key as Bouncy Castle parameters on the curve's custom arithmetic, or null. */
    private static ECPublicKeyParameters ecParameters(SubjectPublicKeyInfo spki) {
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(spki.getAlgorithm().getAlgorithm())) {
            return null;
        }
        X962Parameters params = X962Parameters.getInstance(spki.getAlgorithm().getParameters());
        if (!params.isNamedCurve()) {
            return null;
        }
        X9ECParameters x9 = CustomNamedCurves.getByOID((ASN1ObjectIdentifier) params.getParameters());
        if (x9 == null) {
            return null;
        }
        // decodePoint validates the point (on the curve; in the subgroup where the curve has a cofactor).
        ECPoint q = x9.getCurve().decodePoint(spki.getPublicKeyData().getOctets()).normalize();
        return new ECPublicKeyParameters(q, new ECDomainParameters(x9));
    }
}
