package dev.shomei.ra.orders;

import java.security.cert.X509Certificate;

/**
 * Signs order bundles with the RA's order-signing key: CMS SignedData, SHA-256, content encapsulated, the signer
 * certificate included (docs/order-bundles.md).
 *
 * <p>Zone: online (ra-service). The key never leaves the HSM.
 */
public interface OrderSigner {

    byte[] sign(byte[] content);

    X509Certificate certificate();
}
