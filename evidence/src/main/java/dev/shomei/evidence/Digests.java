package dev.shomei.evidence;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * SHA-256 in lowercase hex, as every digest in the RA's decisions, the CA's tables and the packages is written, and
 * DER parsing of certificates and CRLs.
 *
 * <p>Zone: all (auditor's machine included). Touches nothing.
 */
public final class Digests {

    private static final HexFormat HEX = HexFormat.of();

    private Digests() {}

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public static String sha256Hex(byte[] data) {
        return HEX.formatHex(sha256(data));
    }

    public static String hex(byte[] data) {
        return HEX.formatHex(data);
    }

    /** A pin as operators write it (colons, upper case) in the form the records use. */
    public static String normalise(String hex) {
        return hex == null ? null : hex.replace(":", "").trim().toLowerCase(java.util.Locale.ROOT);
    }

    public static X509Certificate certificate(byte[] der) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    public static X509CRL crl(byte[] der) throws GeneralSecurityException {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }
}
