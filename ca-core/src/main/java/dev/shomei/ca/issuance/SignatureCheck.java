package dev.shomei.ca.issuance;

import java.io.IOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SignatureException;
import java.util.Map;
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

/**
 * Verifies a signature with one public key: the proof of possession of a CSR (a fresh key each time) and the
 * post-signature check of every certificate the HSM signed (the CA's own key, always the same).
 *
 * <p>Why not the JDK's {@code java.security.Signature}: on this project's machines (JDK 25) an ECDSA P-256 verification costs
 * SunEC about 0.37 ms and Bouncy Castle's JCA provider 0.18 ms, where Bouncy Castle's lightweight ECDSA on its custom
 * P-256 arithmetic costs about 0.2 ms for a fresh key and 0.07 ms for a key it has seen, because the window table
 * of the key's point (the wNAF precomputation) is kept on the point and reused: the CA's key is verified against
 * with a table built once (docs/benchmarks.md, "ca-core"). The check itself is the same: ECDSA verification (FIPS
 * 186-5 §6.4.2) of a DER signature that must be canonical (re-encoding gives the same bytes, r and s in [1, n−1]),
 * under exactly the algorithm the signed object names (ecdsa-with-SHA256/384/512, no parameters: RFC 5758 §3.2).
 * Other keys (RSA, curves without custom arithmetic) have no such check: their callers use the JDK's
 * {@code Signature} (an RSA verification costs little).
 *
 * <p>Zone: secure. Pure; touches nothing.
 */
public final class SignatureCheck {

    /** ecdsa-with-SHA* (RFC 5758 §3.2): the digest each names. */
    private static final Map<ASN1ObjectIdentifier, String> ECDSA_DIGESTS = Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA-256",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA-384",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA-512");

    private final ECPublicKeyParameters ec;

    private SignatureCheck(ECPublicKeyParameters ec) {
        this.ec = ec;
    }

    /**
     * A check with {@code key} when it is an EC key on a curve with custom arithmetic, else null (the caller keeps
     * the JDK's {@code Signature}). Keep it to verify many signatures of the same key: its table is built once.
     */
    public static SignatureCheck forKey(PublicKey key) {
        return forKey(SubjectPublicKeyInfo.getInstance(key.getEncoded()));
    }

    /** As {@link #forKey(PublicKey)}, from the encoded key. */
    public static SignatureCheck forKey(SubjectPublicKeyInfo spki) {
        ECPublicKeyParameters ec = ecParameters(spki);
        return ec == null ? null : new SignatureCheck(ec);
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
        Digest d = switch (digest) {
            case "SHA-256" -> new SHA256Digest();
            case "SHA-384" -> new SHA384Digest();
            default -> new SHA512Digest();
        };
        d.update(data, 0, data.length);
        byte[] h = new byte[d.getDigestSize()];
        d.doFinal(h, 0);
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, ec);
        return verifier.verifySignature(h, rs[0], rs[1]); // r, s in [1, n−1] checked here
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
