package dev.shomei.ca.orders;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.profile.ProfileExtensions;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;

/**
 * What makes a certificate fit to sign result bundles (docs/order-bundles.md, "The result signer"): issued by the
 * issuing CA, not a CA itself, keyUsage digitalSignature without keyCertSign or cRLSign, and the
 * id-shomei-kp-resultBundleSigning extended key usage, on a key other than the issuing key. The RA checks the same
 * before it applies a result.
 *
 * <p>Zone: secure. Reads certificates only.
 */
public final class ResultSigners {

    private ResultSigners() {}

    /** Refuses, naming the setting and the fix, a key that is not a result signer of this issuing CA. */
    public static void check(String label, X509Certificate cert, X509Certificate issuing) {
        try {
            cert.verify(issuing.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new ConfigException("orders.resultSigningKey: the certificate of key '" + label + "' is not signed by"
                    + " the issuing CA " + issuing.getSubjectX500Principal() + "; delegate one with ca delegate"
                    + " --profile result-bundle-signer");
        }
        String why = unfit(cert, issuing);
        if (why != null) {
            throw new ConfigException("orders.resultSigningKey: key '" + label + "' " + why + "; delegate one with"
                    + " ca delegate --profile result-bundle-signer (keyUsage: [digitalSignature], extendedKeyUsage:"
                    + " [resultBundleSigning])");
        }
    }

    /** Null when {@code cert} is fit (ProfileExtensions.unfitForPurpose); else what is wrong, in words. */
    static String unfit(X509Certificate cert, X509Certificate issuing) {
        return ProfileExtensions.unfitForPurpose(cert, issuing, ProfileExtensions.RESULT_BUNDLE_SIGNING_OID, "resultBundleSigning");
    }
}
