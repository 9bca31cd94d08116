package dev.shomei.ca.audit;

import dev.shomei.audit.CheckpointSigner;
import dev.shomei.pkcs11.Signer;
import java.security.PublicKey;

/**
 * Signs audit-log checkpoints with a key in the HSM, through the CA's {@link Signer}.
 *
 * <p>Zone: secure.
 */
public final class SignerCheckpointSigner implements CheckpointSigner {
    private final Signer signer;

    public SignerCheckpointSigner(Signer signer) {
        this.signer = signer;
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
