package dev.shomei.ra;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * A file named in configuration: a filesystem path, or {@code classpath:resource} for files shipped in the jar.
 *
 * <p>Zone: online (ra-service). Reads configured files only.
 */
public final class ConfiguredFile {

    private ConfiguredFile() {}

    public static byte[] read(String configKey, String location) {
        try {
            if (location.startsWith("classpath:")) {
                String name = location.substring("classpath:".length());
                try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(name)) {
                    if (in == null) {
                        throw new IllegalStateException(configKey + " = " + location
                                + ": no such resource in the application; give a filesystem path or a classpath: resource that exists");
                    }
                    return in.readAllBytes();
                }
            }
            return Files.readAllBytes(Path.of(location));
        } catch (IOException e) {
            throw new IllegalStateException(configKey + " = " + location + ": cannot read it (" + e.getMessage()
                    + "); check the path and the file's permissions", e);
        }
    }

    public static X509Certificate certificate(String configKey, String location) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(read(configKey, location)));
        } catch (CertificateException e) {
            throw new IllegalStateException(configKey + " = " + location
                    + ": not a PEM or DER X.509 certificate (" + e.getMessage() + ")", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256(data));
    }
}
