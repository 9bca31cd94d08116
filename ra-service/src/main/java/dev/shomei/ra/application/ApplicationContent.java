package dev.shomei.ra.application;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.shomei.ra.problem.RaProblem;
import java.io.IOException;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Map;
import dev.shomei.ra.safeguard.KeyDevice;

/**
 * The content an applicant signs: the PKCS#10 CSR of the key they generated (同時送付: the public key travels with
 * the signed application), the identity they claim, and the consent document they were shown. Encoded as UTF-8
 * JSON inside the CMS eContent, so that the applicant's app can show exactly what is signed.
 *
 * <pre>{@code
 * {"format": "shomei-ra-application/1",
 *  "csr": "<base64 DER PKCS#10>",
 *  "claimedIdentity": {"name": "...", "birthDate": "1985-04-12", "gender": "female", "address": "..."},
 *  "consent": {"documentId": "consent-2026-04", "sha256": "<hex>"},
 *  "contact": {"email": "holder@example.jp"},
 *  "keyDevice": {"kind": "pkcs11-token", "manufacturer": "...", "model": "..."}}
 * }</pre>
 * {@code contact} (where out-of-band notices go) and {@code keyDevice} (where the subscriber key lives,
 * {@link KeyDevice}) are optional: documents without them are still format 1.
 *
 * <p>Zone: online (ra-service). Pure parsing; the claimed identity is personal data.
 */
public record ApplicationContent(String format, String csr, ClaimedIdentity claimedIdentity, Consent consent,
                                 Contact contact, KeyDevice keyDevice) {

    public static final String FORMAT = "shomei-ra-application/1";

    /**
     * The longest claimed name or address kept, in characters: well above any name or address a JPKI card holds
     * (J-LIS prints addresses of up to about 200 characters), far below a signed megabyte of text in the books.
     */
    public static final int MAX_TEXT = 512;
    /** The columns of {@code application} the consent is kept in. */
    static final int MAX_CONSENT_ID = 128;
    static final int MAX_CONSENT_SHA256 = 64;

    /** @param gender male, female or not-known */
    public record ClaimedIdentity(String name, LocalDate birthDate, String gender, String address) {
        @Override
        public String toString() {
            return "ClaimedIdentity[redacted]";
        }
    }

    public record Consent(String documentId, String sha256) {}

    /** Where the RA sends notices of acts on the holder's certificates (docs/holders.md). Personal data. */
    public record Contact(String email) {
        @Override
        public String toString() {
            return "Contact[redacted]";
        }
    }

    /** JPKI gender codes (1.2.392.200149.8.5.5.3) by the words the API uses. */
    public static final Map<String, String> GENDER_CODES = Map.of("male", "1", "female", "2", "not-known", "3");

    private static final ObjectReader READER = new ObjectMapper().registerModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            // Two values for one key would let a reader other than ours see another application (RFC 8259
            // section 4: names SHOULD be unique; we require it of signed content).
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .readerFor(ApplicationContent.class);

    public static ApplicationContent parse(byte[] content) {
        ApplicationContent c;
        // Jackson matches a key's bytes against the keys it has read before without checking their UTF-8, so a key
        // that is not UTF-8 could be read as a known one where any other reader refuses it (RFC 8259 section 8.1).
        if (!dev.shomei.ra.problem.StrictJson.isUtf8(content)) {
            throw malformed("(content)", "is not well-formed UTF-8 (RFC 8259 section 8.1)");
        }
        try {
            c = READER.readValue(content);
        } catch (JsonMappingException e) {
            throw malformed(e.getPathReference().replace("dev.shomei.ra.application.", ""),
                    e.getOriginalMessage().split("\n")[0]);
        } catch (com.fasterxml.jackson.core.JsonParseException e) {
            throw duplicateKey(e).orElseGet(() -> malformed("(content)", "is not UTF-8 JSON"));
        } catch (IOException e) {
            throw malformed("(content)", "not UTF-8 JSON");
        }
        if (!FORMAT.equals(c.format())) {
            throw malformed("format", "is '" + c.format() + "', expected '" + FORMAT + "'");
        }
        require(c.csr(), "csr");
        require(c.claimedIdentity(), "claimedIdentity");
        require(c.claimedIdentity().name(), "claimedIdentity.name");
        require(c.claimedIdentity().birthDate(), "claimedIdentity.birthDate");
        require(c.claimedIdentity().gender(), "claimedIdentity.gender");
        require(c.claimedIdentity().address(), "claimedIdentity.address");
        require(c.consent(), "consent");
        require(c.consent().documentId(), "consent.documentId");
        require(c.consent().sha256(), "consent.sha256");
        // Checked before anything is written: PostgreSQL keeps no U+0000 in text, and a value longer than its column
        // would fail the insert (an HTTP 500) instead of telling the applicant which field is wrong.
        text(c.claimedIdentity().name(), "claimedIdentity.name", MAX_TEXT, ApplicationContent::malformed);
        text(c.claimedIdentity().address(), "claimedIdentity.address", MAX_TEXT, ApplicationContent::malformed);
        consentText(c.consent(), ApplicationContent::malformed);
        if (c.contact() != null) {
            dev.shomei.ra.notice.Notices.checkEmail(c.contact().email(), "contact.email");
        }
        if (c.keyDevice() != null) {
            c.keyDevice().check("keyDevice");
        }
        if (!GENDER_CODES.containsKey(c.claimedIdentity().gender())) {
            throw malformed("claimedIdentity.gender", "is '" + c.claimedIdentity().gender()
                    + "'; use one of male, female, not-known");
        }
        return c;
    }

    public byte[] csrDer() {
        try {
            return Base64.getDecoder().decode(csr);
        } catch (IllegalArgumentException e) {
            throw malformed("csr", "is not base64 (" + e.getMessage() + "); put the DER PKCS#10 request in base64");
        }
    }

    /** The consent's document id and digest fit their columns and hold no U+0000 (applications and renewals). */
    public static void consentText(Consent consent, java.util.function.BiFunction<String, String, RaProblem> malformed) {
        text(consent.documentId(), "consent.documentId", MAX_CONSENT_ID, malformed);
        text(consent.sha256(), "consent.sha256", MAX_CONSENT_SHA256, malformed);
    }

    private static void text(String value, String field, int max,
                             java.util.function.BiFunction<String, String, RaProblem> malformed) {
        if (value.indexOf('\0') >= 0) {
            throw malformed.apply(field, "holds U+0000 (\\u0000), which no text kept in the books may hold");
        }
        if (value.length() > max) {
            throw malformed.apply(field, "is " + value.length() + " characters long; at most " + max + " are kept");
        }
    }

    private static void require(Object value, String field) {
        if (value == null || (value instanceof String s && s.isBlank())) {
            throw malformed(field, "is missing");
        }
    }

    /** A problem naming the repeated key, if the parser stopped at one. */
    public static java.util.Optional<RaProblem> duplicateKey(com.fasterxml.jackson.core.JsonParseException e) {
        String m = e.getOriginalMessage();
        if (m == null || !m.startsWith("Duplicate field")) {
            return java.util.Optional.empty();
        }
        String key = m.replaceFirst("^Duplicate field '(.*)'.*$", "$1");
        return java.util.Optional.of(RaProblem.badRequest("signed-content-duplicate-key", "Duplicate JSON key",
                "the signed content has the key '" + key + "' more than once; each key must appear once (RFC 8259"
                        + " section 4), so that every reader sees the same document. Sign a document with unique keys")
                .with("field", key));
    }

    public static RaProblem malformed(String field, String what) {
        return RaProblem.badRequest("application-content-malformed", "Application content malformed",
                "the signed application's field " + field + " " + what + "; the content must be the JSON document"
                        + " described in the RA README (format " + FORMAT + ")").with("field", field);
    }
}
