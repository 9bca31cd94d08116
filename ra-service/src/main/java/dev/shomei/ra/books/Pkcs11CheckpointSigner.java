package dev.shomei.ra.books;

import dev.shomei.audit.CheckpointSigner;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.ra.HsmKey;
import dev.shomei.ra.RaConfig;
import java.security.PublicKey;

/**
 * The RA's audit checkpoint key in its HSM ({@code ra.audit.checkpoint-signing.*}), through the project's one PKCS#11
 * signer ({@link Pkcs11Signer}, module pkcs11), like the order-signing key but a key of its own: one key, one purpose.
 * The checkpoint's key name is the key's RFC 7512 URI, percent-encoded (§2.3), so it holds no space, which the
 * checkpoint format uses to separate fields.
 *
 * <p>Zone: online (ra-service). Logs in to the token once at start-up; reads the PIN file; writes nothing.
 */
final class Pkcs11CheckpointSigner implements CheckpointSigner {

    private final Pkcs11Signer signer;

    Pkcs11CheckpointSigner(RaConfig.Signing config) {
        this.signer = HsmKey.open(config, "ra.audit.checkpoint-signing");
    }

    @Override
    public String keyName() {
        return signer.keyUri().toString();
    }

    @Override
    public String algorithm() {
        return signer.algorithm().jcaName();
    }

    @Override
    public byte[] sign(byte[] data) {
        return signer.sign(data);
    }

    @Override
    public PublicKey publicKey() {
        return signer.publicKey();
    }
}
