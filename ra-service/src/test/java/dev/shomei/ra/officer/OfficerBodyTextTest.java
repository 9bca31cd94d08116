package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;

/**
 * Officers' bodies whose text the database cannot keep, found by the fuzzer (docs/fuzzing.md): a reason longer than
 * its column (revocation_request.reason, 256 characters) failed the insert, an HTTP 500.
 *
 * <p>An officer's body whose text holds U+0000 ({@code "\u0000"} in the JSON): PostgreSQL text cannot hold NUL, so a
 * reason kept in the books must be refused with a problem naming the field, not fail the write (HTTP 500). The same
 * held for the CA's signed result content (ResultBundleFindingsTest), found by the fuzzer (docs/fuzzing.md).
 *
 * <p>Zone: tests only (the RA's code, on loopback, with its test database and the simulated J-LIS).
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class OfficerBodyTextTest {

    static final JpkiPerson PERSON = JpkiPerson.of("零", "試験", "1", java.time.LocalDate.of(1970, 3, 4),
            "北海道札幌市中央区北3条西6丁目1番地");

    @Test
    void aDecisionReasonHoldingNulIsRefusedNotAServerError() {
        String id = application(Claim.of(PERSON).withName("試験 れい"), "REFERRED");

        Response r = Ra.officer().contentType("application/json")
                .body("{\"outcome\":\"REJECTED\",\"reason\":\"could not be\\u0000 reached\"}")
                .post("/officer/applications/" + id + "/decision");

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("field")).isEqualTo("reason");
        assertThat(Ra.status(id).getString("status")).as("nothing was decided").isEqualTo("REFERRED");
    }

    @Test
    void aRevocationReasonHoldingNulIsRefusedNotAServerError() {
        String id = application(Claim.of(PERSON), "APPROVED");

        Response r = Ra.officer().contentType("application/json")
                .body("{\"applicationId\":\"" + id + "\",\"reason\":\"card lost\\u0000\"}")
                .post("/officer/revocations");

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("field")).isEqualTo("reason");
    }

    @Test
    void aRevocationReasonLongerThanItsColumnIsRefusedNotAServerError() {
        String id = application(Claim.of(PERSON), "APPROVED");

        Response r = Ra.officer().contentType("application/json")
                .body("{\"applicationId\":\"" + id + "\",\"reason\":\"" + "理".repeat(257) + "\"}")
                .post("/officer/revocations");

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("field")).isEqualTo("reason");
        assertThat(r.jsonPath().getString("code")).isEqualTo("text-too-long");
        Ra.officer().contentType("application/json")
                .body("{\"applicationId\":\"" + id + "\",\"reason\":\"" + "理".repeat(256) + "\"}")
                .post("/officer/revocations").then().statusCode(201);
    }

    static String application(Claim claim, String status) {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard card = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(),
                PERSON));
        Response r = Ra.submit(ApplicantClient.application(card, claim, ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo(status);
        return r.jsonPath().getString("applicationId");
    }
}
