package dev.shomei.ra.revocation;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.shomei.ra.problem.RaProblem;
import java.io.IOException;
import java.util.Set;
import java.util.UUID;

/**
 * The content a subscriber signs to ask for revocation:
 * {@code {"format": "shomei-ra-revocation-request/1", "applicationId": "<uuid>", "certificateSerial": "<hex, optional>",
 * "reason": "keyCompromise"}}. The reason is an RFC 5280 section 5.3.1 CRLReason a subscriber may give.
 *
 * <p>Zone: online (ra-service). Pure parsing.
 */
public record RevocationContent(String format, String applicationId, String certificateSerial, String reason) {

    public static final String FORMAT = "shomei-ra-revocation-request/1";
    /** Reasons a subscriber can state (RFC 5280 5.3.1); the CA's own reasons (cACompromise...) are not theirs. */
    public static final Set<String> REASONS = Set.of("unspecified", "keyCompromise", "affiliationChanged",
            "superseded", "cessationOfOperation");

    private static final ObjectReader READER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .readerFor(RevocationContent.class);

    public static RevocationContent parse(byte[] content) {
        RevocationContent c;
        // Jackson matches a key's bytes against the keys it has read before without checking their UTF-8, so a key
        // that is not UTF-8 could be read as a known one where any other reader refuses it (RFC 8259 section 8.1).
        if (!dev.shomei.ra.problem.StrictJson.isUtf8(content)) {
            throw malformed("(content)", "is not well-formed UTF-8 (RFC 8259 section 8.1)");
        }
        try {
            c = READER.readValue(content);
        } catch (JsonMappingException e) {
            throw malformed(e.getPathReference().replace("dev.shomei.ra.revocation.", ""),
                    e.getOriginalMessage().split("\n")[0]);
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            throw dev.shomei.ra.application.ApplicationContent.duplicateKey(e)
                    .orElseGet(() -> malformed("(content)", "is not UTF-8 JSON"));
        } catch (IOException e) {
            throw malformed("(content)", "is not UTF-8 JSON");
        }
        if (!FORMAT.equals(c.format())) {
            throw malformed("format", "is '" + c.format() + "', expected '" + FORMAT + "'");
        }
        if (c.applicationId() == null) {
            throw malformed("applicationId", "is missing");
        }
        try {
            UUID.fromString(c.applicationId());
        } catch (IllegalArgumentException e) {
            throw malformed("applicationId", "is '" + c.applicationId() + "', not a UUID");
        }
        if (c.reason() == null || !REASONS.contains(c.reason())) {
            throw malformed("reason", "is '" + c.reason() + "'; use one of " + REASONS);
        }
        return c;
    }

    private static RaProblem malformed(String field, String what) {
        return RaProblem.badRequest("revocation-content-malformed", "Revocation request content malformed",
                "the signed revocation request's field " + field + " " + what + " (format " + FORMAT + ")")
                .with("field", field);
    }
}
