package dev.shomei.pkcs11;

import java.nio.file.Path;

/**
 * How to reach one HSM token: the PKCS#11 module, the token's label and where its user PIN comes from.
 * {@code parallelism} bounds concurrent operations on the token (size it to the HSM's capacity).
 */
public record HsmConfig(Path module, String tokenLabel, PinSource pin, int parallelism, boolean wrappableKeys) {

    /** A token whose generated keys are never extractable (the default, CP/CPS 6.2.6). */
    public HsmConfig(Path module, String tokenLabel, PinSource pin, int parallelism) {
        this(module, tokenLabel, pin, parallelism, false);
    }

    public HsmConfig {
        if (module == null) {
            throw new IllegalArgumentException("hsm.module is not set: give the path of the PKCS#11 module library");
        }
        if (tokenLabel == null || tokenLabel.isBlank()) {
            throw new IllegalArgumentException("hsm.token is not set: give the label of the token holding the CA keys");
        }
        if (pin == null) {
            throw new IllegalArgumentException("hsm.pin is not set: use file:/path/to/pin or env:VARIABLE");
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("hsm.parallelism must be at least 1, was " + parallelism);
        }
    }
}
