package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

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

    /**
     * Found by {@link OfficerBodyFuzzTest}: a body starting with NUL bytes is taken by Jackson's encoding detection
     * (RFC 4627 section 3) for UTF-32, whose reader then fails on a code point above U+10FFFF with a
     * {@code java.io.CharConversionException}, an IOException that is no Jackson exception: it reached the catch-all
     * mapper as an HTTP 500. It is a body in no Unicode encoding: a 400 problem+json.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        // the fuzzer's input (a mutated decision body)
        "AAAAAAAAAAByZWFzb24iOiJ0aGUgYXBwRIGC5nDwuxenbGljYW50IHdpdGhkcmV3IGF0IHRoZSBjb3VudGVyIiwib3V0Y29tZSI6IlJFSkVDVEVEIngAIiv/A+52fagEjQIsxCiwf5IvuA8shGUxe8C7VH0=",
        // the least of it: UTF-32BE by its first bytes, then the bytes of '{"re' as one code point
        "AAAAe3sicmU=",
    })
    void aBodyInNoUnicodeEncodingIsAProblem(String base64) {
        byte[] body = Base64.getDecoder().decode(base64);

        for (String path : new String[] {"/officer/applications/" + UUID.randomUUID() + "/decision",
                "/officer/revocations"}) {
            Response r = Ra.officer().contentType("application/json").body(body).post(path);

            r.then().statusCode(400).contentType("application/problem+json");
            assertThat(r.jsonPath().getString("code")).isEqualTo("body-malformed");
            assertThat(r.jsonPath().getString("detail")).contains("send one JSON object");
        }
    }

    /**
     * Found by {@link OfficerBodyFuzzTest}: Jackson matches a key's bytes against the keys it has read before without
     * checking their UTF-8, so {@code "reas\xff\xffon"} was read as {@code "reason"} (the padding of the key's last
     * four bytes is 0xff) once the RA had read one body with a reason; another reader refuses those bytes or reads
     * another key. A body that is not UTF-8 (RFC 8259 section 8.1) is a 400 problem+json.
     */
    @Test
    void aBodyThatIsNotUtf8IsAProblemEvenWhereItsKeyWasReadBefore() {
        String path = "/officer/applications/" + UUID.randomUUID() + "/decision";
        // A well-formed body first, so that the RA's mapper has read the key "reason" (refused: no such application).
        Ra.officer().contentType("application/json").body("{\"outcome\":\"REJECTED\",\"reason\":\"x\"}").post(path)
                .then().statusCode(404);
        byte[] body = "{\"outcome\":\"REJECTED\",\"reas__on\":\"x\"}".getBytes(StandardCharsets.US_ASCII);
        body[27] = (byte) 0xff;
        body[28] = (byte) 0xff;

        for (String p : new String[] {path, "/officer/revocations"}) {
            Response r = Ra.officer().contentType("application/json").body(body).post(p);

            r.then().statusCode(400).contentType("application/problem+json");
            assertThat(r.jsonPath().getString("code")).isEqualTo("body-malformed");
        }
    }
}
