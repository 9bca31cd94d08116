package dev.shomei.ca.orders;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.profile.ProfileExtensions;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;

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

    /** Null when fit; else what is wrong, in words. */
    static String unfit(X509Certificate cert, X509Certificate issuing) {
        boolean[] ku = cert.getKeyUsage();
        if (cert.getBasicConstraints() >= 0) {
            return "is certified as a CA";
        }
        if (ku == null || !ku[0] || ku[5] || ku[6]) {
            return "must allow digitalSignature and neither keyCertSign nor cRLSign";
        }
        if (cert.getPublicKey().equals(issuing.getPublicKey())) {
            return "is the issuing key itself";
        }
        try {
            List<String> eku = cert.getExtendedKeyUsage();
            if (eku == null || !eku.contains(ProfileExtensions.RESULT_BUNDLE_SIGNING_OID)) {
                return "lacks the resultBundleSigning extended key usage (" + ProfileExtensions.RESULT_BUNDLE_SIGNING_OID + ")";
            }
        } catch (CertificateParsingException e) {
            return "has an unreadable extendedKeyUsage: " + e.getMessage();
        }
        return null;
    }
}
