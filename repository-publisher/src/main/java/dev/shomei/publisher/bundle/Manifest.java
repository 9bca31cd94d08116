package dev.shomei.publisher.bundle;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * manifest.json of a publication bundle (format {@value #FORMAT}, docs/publication-bundle.md).
 * Times are kept as the RFC 3339 strings the secure zone wrote; the verifier parses them so that an error can
 * quote the exact value.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Manifest(String format, String bundleId, String createdAt, String issuer, List<Artifact> artifacts) {

    public static final String FORMAT = "shomei-publication-bundle/v2";

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    /** One artifact entry. Fields that do not apply to a kind are null. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Artifact(String path, String kind, String contentType, String sha256, Long size, Long crlNumber,
                           String thisUpdate, String nextUpdate, String serial, String issuerKeyHash, String status) {
    }

    public static Manifest parse(byte[] json) throws IOException {
        return JSON.readValue(json, Manifest.class);
    }

    public byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("manifest cannot be serialised", e);
        }
    }
}
