package dev.shomei.ra.renewal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.shomei.ra.application.ApplicationContent;
import dev.shomei.ra.problem.RaProblem;
import java.io.IOException;
import java.util.Base64;

/**
 * What a subscriber signs, with the key of their current certificate from this CA, to renew it: the CSR of a new key
 * and the consent document shown. No identity: the renewed certificate states the identity the certificate being
 * renewed states, copied from it, never from the request.
 *
 * <pre>{@code
 * {"format": "shomei-ra-renewal/1", "csr": "<base64 DER PKCS#10>",
 *  "consent": {"documentId": "consent-2026-04", "sha256": "<hex>"},
 *  "keyDevice": {"kind": "pkcs11-token", "manufacturer": "...", "model": "..."}}
 * }</pre>
 * {@code keyDevice} (optional, as in an application) states where the new key lives.
 *
 * <p>Zone: online (ra-service). Pure parsing.
 */
public record RenewalContent(String format, String csr, ApplicationContent.Consent consent,
                             dev.shomei.ra.safeguard.KeyDevice keyDevice) {

    public static final String FORMAT = "shomei-ra-renewal/1";

    private static final ObjectReader READER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // A key given twice would let another reader see another request (RFC 8259 section 4), as in applications.
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .readerFor(RenewalContent.class);

    public static RenewalContent parse(byte[] content) {
        RenewalContent c;
        // Jackson matches a key's bytes against the keys it has read before without checking their UTF-8, so a key
        // that is not UTF-8 could be read as a known one where any other reader refuses it (RFC 8259 section 8.1).
        if (!dev.shomei.ra.problem.StrictJson.isUtf8(content)) {
            throw malformed("(content)", "is not well-formed UTF-8 (RFC 8259 section 8.1)");
        }
        try {
            c = READER.readValue(content);
        } catch (JsonMappingException e) {
            throw malformed(e.getPathReference().replace("dev.shomei.ra.renewal.", ""),
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
        if (c.csr() == null || c.csr().isBlank()) {
            throw malformed("csr", "is missing");
        }
        if (c.consent() == null || c.consent().documentId() == null || c.consent().sha256() == null) {
            throw malformed("consent", "is missing or incomplete (documentId and sha256)");
        }
        ApplicationContent.consentText(c.consent(), RenewalContent::malformed);
        if (c.keyDevice() != null) {
            c.keyDevice().check("keyDevice", RenewalContent::malformed);
        }
        return c;
    }

    public byte[] csrDer() {
        try {
            return Base64.getDecoder().decode(csr);
        } catch (IllegalArgumentException e) {
            throw malformed("csr", "is not base64; put the DER PKCS#10 request in base64");
        }
    }

    static RaProblem malformed(String field, String what) {
        return RaProblem.badRequest("renewal-content-malformed", "Renewal content malformed",
                "the signed renewal's field " + field + " " + what + " (format " + FORMAT + ")").with("field", field);
    }
}
