package dev.shomei.ca.ceremony;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;

/**
 * A CA certificate's hash values (認証局のハッシュ値): the SHA-256 and SHA-1 fingerprints of its DER
 * encoding, in the colon-separated upper-case form in which they are published in the official gazette
 * and compared by relying parties.
 */
public record CaHashValues(String sha256, String sha1) {

    public static CaHashValues of(X509Certificate cert) {
        try {
            byte[] der = cert.getEncoded();
            return new CaHashValues(fingerprint("SHA-256", der), fingerprint("SHA-1", der));
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plain-text publication: one block per CA certificate, as an operator reads it out or a gazette prints it. */
    public static String text(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder("CA hash values (SHA-256 and SHA-1 fingerprints of the DER certificate)\n");
        for (X509Certificate c : certs) {
            CaHashValues h = of(c);
            sb.append('\n')
                    .append("Subject:    ").append(c.getSubjectX500Principal().getName()).append('\n')
                    .append("Serial:     ").append(c.getSerialNumber().toString(16)).append('\n')
                    .append("Valid from: ").append(c.getNotBefore().toInstant()).append('\n')
                    .append("Valid to:   ").append(c.getNotAfter().toInstant()).append('\n')
                    .append("SHA-256:    ").append(h.sha256()).append('\n')
                    .append("SHA-1:      ").append(h.sha1()).append('\n');
        }
        return sb.toString();
    }

    /** The machine-readable publication. */
    public static String json(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder("{\n  \"format\": \"shomei-ca-hash-values/v1\",\n  \"certificates\": [");
        for (int i = 0; i < certs.size(); i++) {
            X509Certificate c = certs.get(i);
            CaHashValues h = of(c);
            sb.append(i == 0 ? "\n" : ",\n")
                    .append("    {\"subject\": ").append(quote(c.getSubjectX500Principal().getName()))
                    .append(", \"serial\": \"").append(c.getSerialNumber().toString(16))
                    .append("\", \"notBefore\": \"").append(c.getNotBefore().toInstant())
                    .append("\", \"notAfter\": \"").append(c.getNotAfter().toInstant())
                    .append("\", \"sha256\": \"").append(h.sha256())
                    .append("\", \"sha1\": \"").append(h.sha1()).append("\"}");
        }
        return sb.append("\n  ]\n}\n").toString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    public static String fingerprint(String algorithm, byte[] data) {
        try {
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
