package dev.shomei.pkcs11;

import java.io.IOException;
import java.io.OutputStream;
import java.security.PublicKey;
import java.security.cert.X509Certificate;

/**
 * The signing seam of every zone. Certificates, CRLs, OCSP responses, bundles and audit checkpoints are all
 * signed through it (via {@link SignerContentSigner} for Bouncy Castle builders).
 *
 * <p>Zone: every zone (the CA's keys in the secure zone, the RA's in the online zone). Implementations hold a
 * reference to a key inside an HSM, never the key itself.
 */
public interface Signer {

    /** Writes content to be signed; called again if the signer must retry after recovering the token. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** A health report: whether a probe signature was made and verified, and what was checked. */
    record Health(boolean ok, String detail) {}

    SignatureAlgorithm algorithm();

    /** The certificate of the signing key; {@code null} only during a ceremony, before the key is certified. */
    X509Certificate certificate();

    PublicKey publicKey();

    /** Where the key lives, as an RFC 7512 URI (no PIN). */
    Pkcs11Uri keyUri();

    byte[] sign(byte[] data);

    /** Signs streamed content without holding it in memory (large CRLs). */
    byte[] sign(Content content);

    Health health();
}
