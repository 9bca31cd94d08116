package dev.shomei.ra.problem;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The RA reads every JSON document it is sent (officers' bodies, the content of CA result bundles) as exactly one
 * JSON value: a key given twice is refused (RFC 8259 section 4 leaves its meaning open, so two readers could act on
 * two different documents: an officer's {@code "outcome"} could say REJECTED to one and APPROVED to another), and so
 * is anything after the value, and anything that is not well-formed UTF-8 (RFC 8259 section 8.1): Jackson does not
 * check the UTF-8 of a key it has read before, so {@code "reas\xff\xffon"} was read as {@code "reason"}, a key
 * another reader refuses or reads as another.
 *
 * <p>Zone: online (ra-service). Configures the service's one ObjectMapper and checks JSON request bodies before it
 * reads them; touches nothing else.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** Whether {@code json} is well-formed UTF-8 (no invalid, overlong or surrogate sequences). */
    public static boolean isUtf8(byte[] json) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(json));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Refuses a request body that is not UTF-8 as a 400 {@code body-malformed} problem. */
    public static void requireUtf8(byte[] body) {
        if (!isUtf8(body)) {
            throw RaProblem.badRequest("body-malformed", "Malformed JSON body", "the request body could not be read:"
                    + " it is not well-formed UTF-8 (RFC 8259 section 8.1); send one JSON object with the documented"
                    + " fields, each once, in UTF-8");
        }
    }

    /** Every JSON request body is checked to be UTF-8 before the ObjectMapper reads it. */
    @Provider
    public static final class Utf8Bodies implements ReaderInterceptor {
        @Override
        public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
            MediaType type = context.getMediaType();
            if (type != null && (MediaType.APPLICATION_JSON_TYPE.isCompatible(type)
                    || type.getSubtype().endsWith("+json"))) {
                byte[] body = context.getInputStream().readAllBytes();
                requireUtf8(body);
                context.setInputStream(new ByteArrayInputStream(body));
            }
            return context.proceed();
        }
    }
}
