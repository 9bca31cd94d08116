package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Officers' JSON bodies the fuzzer ({@link OfficerApiFuzzTest}) showed were not refused as RFC 9457 problems, kept as
 * regression tests: a body that is not one JSON object with each field once and of its type is a 400 problem+json
 * naming what is wrong (before, an empty 400 or, for a key given twice, whichever value Jackson read last).
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class OfficerBodyTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "an array instead of an object | [{\"outcome\":\"REJECTED\",\"reason\":\"x\"}] |",
        "a field of the wrong type     | {\"outcome\":\"APPROVED\",\"reason\":\"x\",\"jlisOverride\":[]} | jlisOverride",
        "the outcome given twice       | {\"outcome\":\"REJECTED\",\"reason\":\"x\",\"outcome\":\"APPROVED\"} |",
        "a second document after it    | {\"outcome\":\"REJECTED\",\"reason\":\"x\"}{\"outcome\":\"APPROVED\"} |",
        "not JSON                      | {\"outcome\":REJECTED} |",
        "nested too deep               | DEEP |",
    })
    void aMalformedDecisionBodyIsAProblemNamingWhatIsWrong(String what, String body, String field) {
        String sent = body.equals("DEEP") ? "[".repeat(5000) + "]".repeat(5000) : body;

        Response r = Ra.officer().contentType("application/json").body(sent)
                .post("/officer/applications/" + UUID.randomUUID() + "/decision");

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("body-malformed");
        assertThat(r.jsonPath().getString("detail")).contains("send one JSON object");
        if (field != null) {
            assertThat(r.jsonPath().getString("field")).isEqualTo(field);
        }
    }
}
