package dev.shomei.pkcs11;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * ECDSA verification in native code: AWS-LC through the Amazon Corretto Crypto Provider (ACCP), a JCA provider. A
 * P-256 verification there costs about a quarter of Bouncy Castle's on its custom curve arithmetic and an eighth of
 * the JDK's SunEC (docs/benchmarks.md, the RA section, "Native ECDSA"): the RA verifies one CSR per application and
 * the CA one per certificate, each with a key it sees once.
 *
 * <p>Used for verification only, with public inputs (a CSR's key and signature); nothing private ever reaches it,
 * and it is never installed as a JCA provider of the process (TLS, the HSM and every other use of the JCA stay as
 * they were).
 * {@link SignatureCheck} decides the result's form first (canonical DER, the algorithm without parameters), so the
 * engine only answers whether the signature verifies.
 *
 * <p>When it is not there: ACCP ships its library for Linux x86-64 here; on another platform, when its self-tests
 * fail, or with {@code -Dshomei.native-verify=false}, {@link #provider()} is empty and the verification stays on Bouncy
 * Castle. {@link #engine()} names which one a process uses; the CA and the RA print it when they start.
 *
 * <p>Zone: every zone (a library of the RA's CSR check and the CA's issuance checks). Loads a native library once.
 */
public final class NativeVerification {

    /** Set to {@code false} to keep every ECDSA verification on Bouncy Castle. */
    public static final String PROPERTY = "shomei.native-verify";

    /** The named curves verified natively (AWS-LC's), by OID. */
    private static final Map<ASN1ObjectIdentifier, String> CURVES = Map.of(
            X9ObjectIdentifiers.prime256v1, "P-256",
            SECObjectIdentifiers.secp384r1, "P-384",
            SECObjectIdentifiers.secp521r1, "P-521");

    private NativeVerification() {
    }

    private static final class Loaded {
        static final Provider PROVIDER;
        static final String WHY_NOT;

        static {
            Provider p = null;
            String why = null;
            if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true"))) {
                why = "turned off (-D" + PROPERTY + "=false)";
            } else {
                try {
                    AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
                    Throwable error = accp.getLoadingError();
                    if (error != null) {
                        why = "its native library did not load on " + System.getProperty("os.name") + " "
                                + System.getProperty("os.arch") + " (" + error.getClass().getSimpleName() + ")";
                    } else {
                        accp.assertHealthy(); // runs its self-tests once
                        p = accp;
                    }
                } catch (Throwable e) { // LinkageError included: a missing or broken library leaves Bouncy Castle
                    why = "it failed to start (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
                }
            }
            PROVIDER = p;
            WHY_NOT = why;
        }
    }

    /** The native provider when it loaded and passed its self-tests, else empty. */
    public static Optional<Provider> provider() {
        return Optional.ofNullable(Loaded.PROVIDER);
    }

    /** Which engine verifies ECDSA signatures with one-off keys in this process, for logs and benchmark reports. */
    public static String engine() {
        if (Loaded.PROVIDER instanceof AmazonCorrettoCryptoProvider accp) {
            return accp.getAwsLcVersionStr() + " (" + accp.getName() + " " + accp.getVersionStr() + ")";
        }
        return "Bouncy Castle (native verification not used: " + Loaded.WHY_NOT + ")";
    }

    /** Whether a key on the curve with this OID is verified natively. */
    static boolean handlesCurve(ASN1ObjectIdentifier curve) {
        return Loaded.PROVIDER != null && CURVES.containsKey(curve);
    }

    /**
     * Whether {@code signature} (DER, already checked canonical by the caller) verifies over {@code data} with the
     * DER-encoded SubjectPublicKeyInfo {@code spki}, under ECDSA with {@code digest} (SHA-256, SHA-384 or SHA-512).
     * A signature the engine refuses to read is not valid; a key it cannot read is an error for the caller, which
     * decoded and validated it already.
     *
     * @throws GeneralSecurityException when the engine cannot take the key or the algorithm
     */
    static boolean verifyEcdsa(byte[] spki, String digest, byte[] data, byte[] signature)
            throws GeneralSecurityException {
        Provider p = Loaded.PROVIDER;
        PublicKey key = KeyFactory.getInstance("EC", p).generatePublic(new X509EncodedKeySpec(spki));
        Signature s = Signature.getInstance(digest.replace("-", "") + "withECDSA", p);
        s.initVerify(key);
        s.update(data);
        try {
            return s.verify(signature);
        } catch (java.security.SignatureException e) {
            return false; // not a signature the engine can read: not a proof of anything
        }
    }
}
