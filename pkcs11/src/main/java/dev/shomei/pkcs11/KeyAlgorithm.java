package dev.shomei.pkcs11;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Locale;

/**
 * Key types and sizes the platform knows. Which of them a CA key or a subscriber key may use is a
 * profile decision (CP/CPS §6.1.5, key sizes); this enum only names them and recognises them.
 */
public enum KeyAlgorithm {
    EC_P256("EC-P256", "EC", 256, "secp256r1", "1.2.840.10045.3.1.7"),
    EC_P384("EC-P384", "EC", 384, "secp384r1", "1.3.132.0.34"),
    RSA_2048("RSA-2048", "RSA", 2048, null, null),
    RSA_3072("RSA-3072", "RSA", 3072, null, null),
    RSA_4096("RSA-4096", "RSA", 4096, null, null);

    private final String label;
    private final String jcaFamily;
    private final int bits;
    private final String curve;
    private final String curveOid;

    KeyAlgorithm(String label, String jcaFamily, int bits, String curve, String curveOid) {
        this.label = label;
        this.jcaFamily = jcaFamily;
        this.bits = bits;
        this.curve = curve;
        this.curveOid = curveOid;
    }

    /** The configuration name, e.g. {@code EC-P256} or {@code RSA-3072}. */
    public String label() { return label; }

    public String jcaFamily() { return jcaFamily; }

    public int bits() { return bits; }

    public String curve() { return curve; }

    public boolean isEc() { return curve != null; }

    public static KeyAlgorithm parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT).replace('_', '-');
        for (KeyAlgorithm a : values()) {
            if (a.label.equals(t)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown key algorithm '" + text + "': use one of "
                + Arrays.stream(values()).map(KeyAlgorithm::label).toList());
    }

    /**
     * Recognises a public key. Returns a description such as {@code RSA-1024} or {@code EC secp256k1}
     * for keys outside the enum, through the exception's message, so that callers can name what was refused.
     */
    public static KeyAlgorithm of(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            for (KeyAlgorithm a : values()) {
                if (!a.isEc() && a.bits == bits) {
                    return a;
                }
            }
            throw new IllegalArgumentException("RSA key of " + bits + " bits is not allowed"
                    + (bits < 2048 ? " (RSA keys must be at least 2048 bits)" : " (allowed sizes: 2048, 3072, 4096)"));
        }
        if (key instanceof ECPublicKey ec) {
            String oid = Curves.oidOf(ec);
            for (KeyAlgorithm a : values()) {
                if (a.isEc() && a.curveOid.equals(oid)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("EC key on curve " + Curves.describe(oid)
                    + " is not allowed (approved curves: P-256 (secp256r1), P-384 (secp384r1))");
        }
        throw new IllegalArgumentException("key type " + key.getAlgorithm() + " is not allowed (RSA or EC only)");
    }
}
