package dev.shomei.ra.problem;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * The RA reads every JSON document it is sent (officers' bodies, the content of CA result bundles) as exactly one
 * JSON value: a key given twice is refused (RFC 8259 section 4 leaves its meaning open, so two readers could act on
 * two different documents: an officer's {@code "outcome"} could say REJECTED to one and APPROVED to another), and so
 * is anything after the value.
 *
 * <p>Zone: online (ra-service). Configures the service's one ObjectMapper; touches nothing else.
 */
@Singleton
public class StrictJson implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }
}
