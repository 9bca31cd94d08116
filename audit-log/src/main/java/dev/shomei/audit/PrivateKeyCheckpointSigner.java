package dev.shomei.audit;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Objects;

/**
 * A {@link CheckpointSigner} over a JCA private key held by the process: the online zone's RA key, and
 * software keys in tests. The secure zone signs through its HSM adapter instead.
 *
 * <p>Zone: online (and tests). Touches only the key it was given.
 */
public final class PrivateKeyCheckpointSigner implements CheckpointSigner {

    private final String keyName;
    private final String algorithm;
    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    public PrivateKeyCheckpointSigner(String keyName, String algorithm, PrivateKey privateKey, PublicKey publicKey) {
        this.keyName = Checkpoint.checkKeyName(keyName);
        this.algorithm = Checkpoint.checkAlgorithm(algorithm);
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.publicKey = Objects.requireNonNull(publicKey, "publicKey");
    }

    @Override
    public String keyName() {
        return keyName;
    }

    @Override
    public String algorithm() {
        return algorithm;
    }

    @Override
    public byte[] sign(byte[] data) {
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(privateKey);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new AuditException("cannot sign a checkpoint with key " + keyName + " (" + algorithm + "): "
                    + e.getMessage(), e);
        }
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public String toString() {
        return "PrivateKeyCheckpointSigner[" + keyName + ", " + algorithm + "]";
    }
}
