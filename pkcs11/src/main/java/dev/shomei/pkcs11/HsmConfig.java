package dev.shomei.pkcs11;

import java.nio.file.Path;

/**
 * How to reach one HSM token: the PKCS#11 module, the token's label and where its user PIN comes from.
 * {@code parallelism} bounds concurrent operations on the token (size it to the HSM's capacity).
 *
 * <p>Zone: every zone (a value). Each service builds it from its own configuration and checks it there first, naming
 * its own settings (the CA's {@code hsm.*}, the RA's {@code ra.orders.signing.*}); the checks here are the backstop.
 */
public record HsmConfig(Path module, String tokenLabel, PinSource pin, int parallelism, boolean wrappableKeys) {

    /** A token whose generated keys are never extractable (the default, CP/CPS 6.2.6). */
    public HsmConfig(Path module, String tokenLabel, PinSource pin, int parallelism) {
        this(module, tokenLabel, pin, parallelism, false);
    }

    public HsmConfig {
        if (module == null) {
            throw new IllegalArgumentException("no PKCS#11 module given: give the path of the module library");
        }
        if (tokenLabel == null || tokenLabel.isBlank()) {
            throw new IllegalArgumentException("no token label given: give the label of the token holding the keys");
        }
        if (pin == null) {
            throw new IllegalArgumentException("no PIN source given for token '" + tokenLabel + "': use file:/path/to/pin or env:VARIABLE");
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("the parallelism of token '" + tokenLabel + "' (concurrent signatures; the CA's hsm.parallelism) must be"
                    + " at least 1, was " + parallelism);
        }
    }
}
