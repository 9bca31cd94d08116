package dev.shomei.audit;

import java.security.PublicKey;

/**
 * Signs checkpoints. In the secure zone ca-core adapts its PKCS#11 HSM signer to this; in the online
 * zone the RA signs with its own key ({@link PrivateKeyCheckpointSigner}).
 *
 * <p>Zone: all. Implementations touch their key store (HSM or key file) only.
 */
public interface CheckpointSigner {

    /** The key's name, written into the checkpoint's signature line, e.g. {@code "pkcs11:token=ca;object=audit-2026"}. */
    String keyName();

    /** The JCA signature algorithm, e.g. {@code "SHA256withECDSA"}. */
    String algorithm();

    /** The signature over {@code data} (for ECDSA: DER-encoded, as JCA produces it). */
    byte[] sign(byte[] data);

    PublicKey publicKey();
}
