package dev.shomei.ra.revocation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.OfficerPki;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Revocation requests signed with the subscriber's JPKI signing certificate: the signer must be the person
 * recorded at application time (a renewed card is fine, another person is not), and officers may revoke.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class RevocationRequestTest {

    static final JpkiPerson HANAKO = JpkiPerson.hanako();
    static KeyPair key;

    @BeforeAll
    static void key() {
        key = SimulatedCard.rsaKey();
    }

    static SimulatedCard cardOf(JpkiPerson p) {
        // A new certificate each time: as after a card renewal, the person is the same, the certificate is not.
        return SimulatedCard.inSoftware(key, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), p));
    }

    static String approvedApplication() {
        Response r = Ra.submit(ApplicantClient.application(cardOf(HANAKO), Claim.of(HANAKO),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        return r.jsonPath().getString("applicationId");
    }

    @Test
    void theSubscriberWithARenewedCardIsApprovedAutomatically() {
        String app = approvedApplication();

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(cardOf(HANAKO), app, "keyCompromise"));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("applicationId")).isEqualTo(app);
        assertThat(r.jsonPath().getString("decision.decider.kind")).isEqualTo("SYSTEM");
        assertThat(r.jsonPath().getString("decision.evidence.revocationSource")).isEqualTo("OCSP");
    }

    @Test
    void anotherPersonCannotRevoke() {
        String app = approvedApplication();

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(cardOf(JpkiPerson.taro()), app,
                "keyCompromise"));

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("revocation-requester-not-subscriber");
    }

    @Test
    void aSubscriberWhoMovedIsReferredAndAnOfficerDecides() {
        String app = approvedApplication();
        JpkiPerson moved = HANAKO.withAddress("北海道札幌市中央区北一条西二丁目1番地");

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(cardOf(moved), app, "affiliationChanged"));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        String id = r.jsonPath().getString("revocationRequestId");
        assertThat(Ra.officer().get("/officer/queue").jsonPath().getList("revocationRequests.revocationRequestId"))
                .contains(id);
        Response decided = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "moved; residence record checked"))
                .post("/officer/revocation-requests/" + id + "/decision");
        decided.then().statusCode(200);
        assertThat(decided.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(decided.jsonPath().getString("decision.decider.id")).isEqualTo(OfficerPki.OFFICER_NAME);
    }

    @Test
    void anOfficerRevokesWithAReason() {
        String app = approvedApplication();

        Response r = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", app, "reason", "subscriber reported the key lost at the counter"))
                .post("/officer/revocations");

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("initiatedBy")).isEqualTo("OFFICER");
        assertThat(r.jsonPath().getString("decision.decider.kind")).isEqualTo("PERSON");
        assertThat(r.jsonPath().getString("decision.reasons[0].detail")).contains("lost at the counter");
    }

    @Test
    void anUnknownApplicationIsAProblem() {
        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(cardOf(HANAKO),
                UUID.randomUUID().toString(), "keyCompromise"));
        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("revocation-target-unknown");
    }
}
