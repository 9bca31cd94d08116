package dev.shomei.publisher.bundle;

import java.util.Arrays;
import java.util.Optional;

/**
 * The kinds of artifact a publication bundle carries (docs/publication-bundle.md), each with the directory it
 * lives in and the one content type a relying party must receive it with.
 */
public enum ArtifactKind {
    /** RFC 5280 full CRL, DER; RFC 2585 §4.2 media type. */
    CRL("crl", "crl/", "application/pkix-crl"),
    /** RFC 6960 pre-signed OCSPResponse, DER; RFC 6960 Appendix C.2 media type. */
    OCSP("ocsp", "ocsp/", "application/ocsp-response"),
    /** RFC 5280 CA certificate, DER; RFC 2585 §4.1 media type. */
    CA_CERTIFICATE("ca-certificate", "certs/", "application/pkix-cert"),
    CA_HASH_VALUES("ca-hash-values", "ca-hash-values/", null),
    CPS("cps", "cps/", "application/pdf"),
    AUDIT_CHECKPOINT("audit-checkpoint", "audit/", "text/plain; charset=utf-8");

    private final String label;
    private final String directory;
    private final String contentType;

    ArtifactKind(String label, String directory, String contentType) {
        this.label = label;
        this.directory = directory;
        this.contentType = contentType;
    }

    public String label() {
        return label;
    }

    public String directory() {
        return directory;
    }

    /** The content type this kind must be served with; CA hash values depend on the file extension. */
    public String contentTypeFor(String path) {
        if (this != CA_HASH_VALUES) {
            return contentType;
        }
        if (path.endsWith(".txt")) {
            return "text/plain; charset=utf-8";
        }
        if (path.endsWith(".json")) {
            return "application/json";
        }
        if (path.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        return null;
    }

    public static Optional<ArtifactKind> byLabel(String label) {
        return Arrays.stream(values()).filter(k -> k.label.equals(label)).findFirst();
    }
}
