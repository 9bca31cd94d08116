package dev.shomei.audit;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Validation of the strings that go into an entry: they must survive a round trip through PostgreSQL
 * {@code text} and UTF-8 unchanged, or the entry hash could not be recomputed from the stored row.
 *
 * <p>Zone: all. Pure functions; touches nothing.
 */
final class Text {

    private Text() {}

    static String required(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is missing or blank");
        }
        return checked(field, value);
    }

    static String optional(String field, String value) {
        return value == null ? null : checked(field, value);
    }

    /** Also used for the subject, which may be empty but not null. */
    static String checked(String field, String value) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is null");
        }
        // PostgreSQL text cannot hold U+0000, and an unpaired surrogate has no UTF-8 form:
        // either would change the bytes between append and verification.
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " contains a NUL character, which PostgreSQL text cannot store");
        }
        utf8(field, value);
        return value;
    }

    static byte[] utf8(String field, String value) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(value));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(field + " is not well-formed Unicode (unpaired surrogate)");
        }
    }
}
