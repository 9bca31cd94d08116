package dev.shomei.ra.safeguard;

import static dev.shomei.ra.testkit.SafeguardsClient.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.LoopbackSmtp;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SafeguardsProfile;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The approval policy's rate, anomaly and key-device rules (policy/approval-policy-safeguards.json: 2 applications per
 * card and 3 per person a day, 4 requests per client address an hour, a key offered before, renewal or revocation
 * within an hour of issuance, a hardware key for subscriber-signature): each rule that fires refers the request to an
 * officer with its reason, and a software key is refused. And the channel and the key's device are on record with the
 * decision, for "was it the holder?" questions.
 */
@QuarkusTest
@TestProfile(SafeguardsProfile.class)
@WithTestResource(RaTestEnvironment.class)
@WithTestResource(LoopbackSmtp.Resource.class)
class SafeguardRulesTest {

    @Test
    void aThirdApplicationWithOneCardWithinADayIsReferredWithTheRule() {
        SimulatedCard card = card(person());
        String from = address();
        for (int i = 0; i < 2; i++) {
            Response ok = post("/applications", application(card, ApplicantClient.ecKey(), null, TOKEN), from);
            ok.then().statusCode(201);
            assertThat(ok.jsonPath().getString("status")).isEqualTo("APPROVED");
        }

        Response third = post("/applications", application(card, ApplicantClient.ecKey(), null, TOKEN), from);

        third.then().statusCode(201);
        assertThat(third.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(codes(third)).containsExactly("rule-applications-per-card");
        assertThat(third.jsonPath().getString("decision.reasons[0].detail")).contains("2 other applications");
        assertInOfficerQueue(third.jsonPath().getString("applicationId"));
    }

    @Test
    void aFourthApplicationForOnePersonWithNewCardsIsReferred() {
        JpkiPerson p = person();
        String from = address();
        for (int i = 0; i < 3; i++) {
            post("/applications", application(card(p), ApplicantClient.ecKey(), null, TOKEN), from)
                    .then().statusCode(201);
        }

        Response fourth = post("/applications", application(card(p), ApplicantClient.ecKey(), null, TOKEN), from);

        assertThat(fourth.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(codes(fourth)).containsExactly("rule-applications-per-person");
        assertInOfficerQueue(fourth.jsonPath().getString("applicationId"));
    }

    @Test
    void aBurstFromOneClientAddressIsReferred() {
        String from = address();
        for (int i = 0; i < 4; i++) {
            Response r = post("/applications", application(card(person()), ApplicantClient.ecKey(), null, TOKEN), from);
            assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        }

        Response fifth = post("/applications", application(card(person()), ApplicantClient.ecKey(), null, TOKEN), from);

        assertThat(fifth.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(codes(fifth)).containsExactly("rule-client-address-burst");
        // Another address is not held back by it.
        assertThat(post("/applications", application(card(person()), ApplicantClient.ecKey(), null, TOKEN), address())
                .jsonPath().getString("status")).isEqualTo("APPROVED");
    }

    @Test
    void aSubscriberKeyOfferedTwiceIsReferred() {
        KeyPair key = ApplicantClient.ecKey();
        SimulatedCard card = card(person());
        // The first offer is rejected (a consent document the RA does not know), so the key is not in a live application.
        post("/applications", application(card, key, null, TOKEN, "00".repeat(32)), address()).then().statusCode(422);

        Response again = post("/applications", application(card(person()), key, null, TOKEN), address());

        again.then().statusCode(201);
        assertThat(again.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(codes(again)).containsExactly("rule-key-offered-before");
    }

    @Test
    void aRevocationRightAfterIssuanceIsReferred() {
        SimulatedCard card = card(person());
        String app = post("/applications", application(card, ApplicantClient.ecKey(), null, TOKEN), address())
                .then().statusCode(201).extract().jsonPath().getString("applicationId");

        Response r = post("/revocation-requests", ApplicantClient.revocationRequest(card, app, "keyCompromise"),
                address());

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(codes(r)).containsExactly("rule-revocation-soon-after-issuance");
        assertThat(Ra.officer().get("/officer/queue").jsonPath().getList("revocationRequests.revocationRequestId"))
                .contains(r.jsonPath().getString("revocationRequestId"));
        // The channel is on record with the revocation's decision too.
        assertThat(r.jsonPath().getString("decision.evidence.channel.client")).isEqualTo("shomei-apply");
    }

    @Test
    void aProfileThatRequiresAHardwareKeyRefusesASoftwareKeyAndOneNotStated() {
        Response software = post("/applications", application(card(person()), ApplicantClient.ecKey(), null, SOFTWARE),
                address());
        software.then().statusCode(422).contentType("application/problem+json");
        assertThat(software.jsonPath().getString("code")).isEqualTo("key-device-software");
        assertThat(software.jsonPath().getString("detail")).contains("hardware token").contains("software key");

        Response unstated = post("/applications", application(card(person()), ApplicantClient.ecKey(), null, null),
                address());
        unstated.then().statusCode(422);
        assertThat(unstated.jsonPath().getString("code")).isEqualTo("key-device-not-stated");

        Response token = post("/applications", application(card(person()), ApplicantClient.ecKey(), null, TOKEN),
                address());
        token.then().statusCode(201);
        assertThat(token.jsonPath().getString("status")).isEqualTo("APPROVED");
    }

    @Test
    void aTokenStatedWithoutItsModelIsAClearError() {
        Response r = post("/applications", application(card(person()), ApplicantClient.ecKey(), null,
                Map.of("kind", "pkcs11-token", "manufacturer", "SoftHSM project")), address());

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("application-content-malformed");
        assertThat(r.jsonPath().getString("field")).isEqualTo("keyDevice.model");
    }

    @Test
    void theDecisionRecordsTheKeysDeviceAndTheChannel() {
        String from = address();
        Response r = post("/applications", application(card(person()), ApplicantClient.ecKey(), "holder@example.test",
                TOKEN), from);
        r.then().statusCode(201);
        String app = r.jsonPath().getString("applicationId");

        assertThat(r.jsonPath().getString("decision.evidence.keyDevice.kind")).isEqualTo("pkcs11-token");
        assertThat(r.jsonPath().getString("decision.evidence.keyDevice.manufacturer")).isEqualTo("SoftHSM project");
        assertThat(r.jsonPath().getString("decision.evidence.keyDevice.model")).isEqualTo("SoftHSM v2");
        assertThat(r.jsonPath().getString("decision.evidence.channel.client")).isEqualTo("shomei-apply");
        assertThat(r.jsonPath().getString("decision.evidence.channel.clientVersion")).isEqualTo("0.9.1");
        // The full channel (User-Agent, address: personal data) is in the APPLICATION book, for the investigator.
        List<Map<String, Object>> books = Ra.auditor().get("/books/export?format=json&book=APPLICATION&limit=1000")
                .then().statusCode(200).extract().jsonPath().getList("$");
        Map<?, ?> entry = (Map<?, ?>) books.stream().filter(e -> app.equals(e.get("subjectId"))).findFirst()
                .orElseThrow().get("entry");
        Map<?, ?> channel = (Map<?, ?>) entry.get("channel");
        assertThat(channel.get("remoteAddress")).isEqualTo(from);
        assertThat(channel.get("userAgent")).isEqualTo(USER_AGENT);
        assertThat(entry.get("noticeContactGiven")).isEqualTo(true);
        assertThat(((Map<?, ?>) entry.get("keyDevice")).get("kind")).isEqualTo("pkcs11-token");
    }

    private static List<String> codes(Response r) {
        return r.jsonPath().getList("decision.reasons.code");
    }

    private static void assertInOfficerQueue(String applicationId) {
        assertThat(Ra.officer().get("/officer/queue?limit=1000").jsonPath().getList("applications.applicationId"))
                .contains(applicationId);
    }
}
