package dev.shomei.applicant.key;

import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.InvalidAlgorithmParameterException;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * The subscriber key types the RA's policy and the CA's subscriber profile accept (EC P-256/P-384, RSA of 2048 bits
 * or more), named as the CA's configuration names them.
 *
 * <p>Zone: the applicant's PC. Pure.
 */
public enum KeyAlgorithm {
    EC_P256("EC-P256"), EC_P384("EC-P384"), RSA_2048("RSA-2048"), RSA_3072("RSA-3072");

    private final String label;

    KeyAlgorithm(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static KeyAlgorithm parse(String s) {
        return Arrays.stream(values()).filter(a -> a.label.equalsIgnoreCase(s.trim())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--key-type '" + s + "' is not offered; use one of "
                        + Arrays.stream(values()).map(KeyAlgorithm::label).toList()));
    }

    public boolean ec() {
        return this == EC_P256 || this == EC_P384;
    }

    public String signatureAlgorithm() {
        return ec() ? (this == EC_P384 ? "SHA384withECDSA" : "SHA256withECDSA") : "SHA256withRSA";
    }

    KeyPairGenerator generator(Provider provider) throws NoSuchAlgorithmException, InvalidAlgorithmParameterException {
        KeyPairGenerator g = provider == null ? KeyPairGenerator.getInstance(ec() ? "EC" : "RSA")
                : KeyPairGenerator.getInstance(ec() ? "EC" : "RSA", provider);
        switch (this) {
            case EC_P256 -> g.initialize(new ECGenParameterSpec("secp256r1"));
            case EC_P384 -> g.initialize(new ECGenParameterSpec("secp384r1"));
            case RSA_2048 -> g.initialize(2048);
            case RSA_3072 -> g.initialize(3072);
            default -> throw new IllegalStateException(name().toLowerCase(Locale.ROOT));
        }
        return g;
    }
}
