package dev.shomei.audit;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;

/**
 * Reads the public keys a verifier trusts for checkpoint signatures from PEM files: {@code PUBLIC KEY}
 * blocks or {@code CERTIFICATE} blocks (the certificate is not validated here; only its key is used).
 *
 * <p>Zone: all; also on an auditor's machine. Reads only the files it is given.
 */
public final class TrustedKeys {

    // Key algorithms by SubjectPublicKeyInfo OID, so that the JDK's own providers verify.
    private static final Map<String, String> ALGORITHMS = Map.of(
            "1.2.840.10045.2.1", "EC",
            "1.2.840.113549.1.1.1", "RSA",
            "1.3.101.112", "Ed25519",
            "1.3.101.113", "Ed448");

    private TrustedKeys() {}

    /**
     * Every key in a PEM file.
     *
     * @throws IllegalArgumentException naming the file when it holds no usable key
     */
    public static List<PublicKey> read(Path pemFile) throws IOException {
        List<PublicKey> keys = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(pemFile, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o;
            while ((o = p.readObject()) != null) {
                SubjectPublicKeyInfo spki;
                if (o instanceof SubjectPublicKeyInfo s) {
                    spki = s;
                } else if (o instanceof X509CertificateHolder c) {
                    spki = c.getSubjectPublicKeyInfo();
                } else {
                    throw new IllegalArgumentException(pemFile + " holds a " + o.getClass().getSimpleName()
                            + "; a trusted key file must hold PUBLIC KEY or CERTIFICATE blocks (never a private key)");
                }
                keys.add(publicKey(pemFile, spki));
            }
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(pemFile + " holds no PEM public key or certificate");
        }
        return keys;
    }

    private static PublicKey publicKey(Path file, SubjectPublicKeyInfo spki) throws IOException {
        String oid = spki.getAlgorithm().getAlgorithm().getId();
        String alg = ALGORITHMS.get(oid);
        if (alg == null) {
            throw new IllegalArgumentException(file + ": key algorithm " + oid + " is not supported (EC, RSA, Ed25519, Ed448)");
        }
        try {
            return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(file + ": cannot read the " + alg + " public key: " + e.getMessage(), e);
        }
    }

    /** The PEM text of a public key, as a trusted key file holds it. */
    public static String toPem(PublicKey key) {
        String b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }
}
