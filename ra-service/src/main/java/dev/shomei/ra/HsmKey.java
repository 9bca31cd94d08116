package dev.shomei.ra;

import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.HsmException;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.PinSource;
import dev.shomei.pkcs11.Pkcs11Signer;
import java.nio.file.Path;

/**
 * Opens one of the RA's keys (order signing, audit checkpoints) in its HSM with the project's one PKCS#11 signer, the
 * same {@link Pkcs11Signer} the CA's keys sign through: the token found by label, the key by its label with its
 * certificate, sessions pooled, a lost session or token recovered without a restart.
 *
 * <p>Zone: online (ra-service). Reads the PIN file and logs in to the token (C_Login); writes nothing.
 */
public final class HsmKey {

    /**
     * Concurrent signatures per key: the RA signs an order bundle per CA pull and a checkpoint per schedule run, so two
     * sessions are ample, and bounded so a burst of pulls cannot take every session of a shared HSM partition.
     */
    static final int PARALLELISM = 2;

    private HsmKey() {}

    /**
     * Logs in to the configured token and opens the key with its certificate. {@code setting} names the configuration
     * group ({@code ra.orders.signing}) in the error that stops the service when the module, token, PIN or label is
     * wrong.
     */
    public static Pkcs11Signer open(RaConfig.Signing config, String setting) {
        HsmToken token;
        try {
            token = HsmToken.login(new HsmConfig(Path.of(config.module()), config.token(),
                    new PinSource("file", config.pinFile()), PARALLELISM));
        } catch (HsmException | IllegalArgumentException e) {
            throw new IllegalStateException(setting + ": cannot log in to token '" + config.token() + "' (module "
                    + config.module() + ", PIN file " + config.pinFile() + "): " + e.getMessage(), e);
        }
        try {
            return Pkcs11Signer.open(token, config.keyLabel());
        } catch (HsmException | IllegalArgumentException e) {
            token.close();
            throw new IllegalStateException(setting + ".key-label " + config.keyLabel() + ": " + e.getMessage()
                    + "; store the private key and its certificate under one label", e);
        }
    }
}
