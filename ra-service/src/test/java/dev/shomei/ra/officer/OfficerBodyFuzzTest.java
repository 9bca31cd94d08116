package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.officer.OfficerResource.OfficerDecision;
import dev.shomei.ra.officer.OfficerResource.OfficerRevocation;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.problem.StrictJson;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.testsupport.Fuzz;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the officers' JSON bodies in process (docs/fuzzing.md): the bytes an officer POSTs are read by the RA's own
 * ObjectMapper (the one its REST layer reads bodies with, made strict by {@code StrictJson}) into the body types of
 * {@link OfficerResource}, then checked by the resource's own validation ({@link OfficerResource#outcome},
 * {@link OfficerResource#applicationId}), after the UTF-8 check every JSON body gets ({@code StrictJson.Utf8Bodies}),
 * without HTTP or the database: thousands of inputs per second, where
 * {@link OfficerApiFuzzTest} (which proves no 5xx over the HTTP path) runs tens.
 *
 * <p>Refused means what the RA answers with a 4xx problem+json: a Jackson exception of the reading itself or a
 * {@code CharConversionException} of its text decoding ({@code ProblemResponses} answers both 400
 * {@code body-malformed}; {@link OfficerBodyTest} shows it over HTTP), or a {@link RaProblem} with a 4xx status. Accepted
 * means the body is one JSON object in UTF-8 (checked by the JDK's decoder) without a key twice, with a known outcome (or a UUID application id) and a
 * non-blank reason, and what the RA read is what an independent strict reader reads.
 *
 * <p>Zone: tests only (the RA's mapper and resource code, in a started RA's process).
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
@Tag("fuzz")
class OfficerBodyFuzzTest {

    static final Fuzz.Target decision = new Fuzz.Target(
            "ra-service officer decision body (OfficerDecision + OfficerResource.outcome, in process)",
            OfficerBodyFuzzTest::refusal);
    static final Fuzz.Target revocation = new Fuzz.Target(
            "ra-service officer revocation body (OfficerRevocation + OfficerResource.applicationId, in process)",
            OfficerBodyFuzzTest::refusal);

    static final String APPLICATION = "3f0e6b52-5d6c-4c3b-9a51-2b7e0c1d9e44";
    static final List<byte[]> REVOCATIONS = List.of(
            ApplicantClient.json(Map.of("applicationId", APPLICATION, "reason", "the subscriber reported the card"
                    + " lost at the counter")),
            ApplicantClient.json(Map.of("applicationId", APPLICATION, "certificateSerial", "7a3f09",
                    "reason", "keyCompromise")));

    /** The RA's ObjectMapper (StrictJson applied), the one its REST layer reads request bodies with. */
    @Inject
    ObjectMapper raJson;

    /**
     * The RA's refusals: the reading failed in Jackson itself (not in code it called), or the resource refused with a
     * 4xx. A Jackson exception wrapping anything else (a constructor or setter failing) is a crash.
     */
    static boolean refusal(Throwable t) {
        if (t instanceof RaProblem p) {
            return p.status() >= 400 && p.status() < 500;
        }
        if (t instanceof java.io.CharConversionException) {
            return true; // a body in no Unicode encoding: ProblemResponses.UndecodableBodyMapper answers 400
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (!(c instanceof JacksonException)) {
                return false;
            }
        }
        return t instanceof JacksonException;
    }

    @AfterAll
    static void report() {
        List<Fuzz.Target> run = List.of(decision, revocation).stream().filter(t -> t.inputs() > 0).toList();
        run.forEach(Fuzz.Target::report);
        run.forEach(t -> assertThat(t.accepted()).as("the unchanged samples are accepted").isPositive());
    }

    @Test
    void aBodyIsReadAsOneObjectWithItsFieldsOrRefusedWithAProblem() {
        // Each target its own fuzz.tries inputs, on two threads.
        Fuzz.parallel(2, Fuzz.tries(), n -> {
            byte[] in = Fuzz.input(OfficerApiFuzzTest.DECISIONS, n);
            OfficerDecision[] read = new OfficerDecision[1];
            Outcome[] outcome = new Outcome[1];
            if (decision.check(in, b -> {
                StrictJson.requireUtf8(b); // what StrictJson.Utf8Bodies does before the mapper reads a body
                read[0] = raJson.readValue(b, OfficerDecision.class);
                outcome[0] = OfficerResource.outcome(read[0]);
                read[0].reason().strip();
            })) {
                Fuzz.oracle(in, x -> {
                    OfficerApiFuzzTest.assertDecision(x);
                    JsonNode body = OfficerApiFuzzTest.STRICT.readTree(x);
                    assertThat(outcome[0].name()).as("the outcome the RA read")
                            .isEqualTo(body.path("outcome").asText());
                    if (body.path("reason").isTextual()) {
                        assertThat(read[0].reason()).isEqualTo(body.path("reason").asText());
                    }
                });
            }
        });
        Fuzz.parallel(2, Fuzz.tries(), n -> {
            byte[] in = Fuzz.input(REVOCATIONS, n);
            OfficerRevocation[] read = new OfficerRevocation[1];
            UUID[] id = new UUID[1];
            if (revocation.check(in, b -> {
                StrictJson.requireUtf8(b); // what StrictJson.Utf8Bodies does before the mapper reads a body
                read[0] = raJson.readValue(b, OfficerRevocation.class);
                id[0] = OfficerResource.applicationId(read[0]);
                read[0].reason().strip();
            })) {
                Fuzz.oracle(in, x -> {
                    assertThat(Fuzz.isUtf8(x)).as("UTF-8 (RFC 8259 section 8.1)").isTrue();
                    JsonNode body = OfficerApiFuzzTest.STRICT.readTree(x);
                    assertThat(body.isObject()).isTrue();
                    assertThat(id[0]).as("the application the RA read")
                            .isEqualTo(UUID.fromString(body.path("applicationId").asText()));
                    assertThat(body.path("reason").asText()).as("the reason kept in the books").isNotBlank();
                    OfficerApiFuzzTest.assertStorable(body, "reason", "certificateSerial");
                    OfficerApiFuzzTest.assertRevocationFits(body);
                });
            }
        });
    }
}
