package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

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
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Referred applications wait in a queue for an RA officer, who authenticates with a client certificate (mTLS). */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class OfficerReviewTest {

    static final JpkiPerson PERSON = JpkiPerson.hanako();
    static SimulatedCard card;

    @BeforeAll
    static void card() {
        KeyPair k = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), PERSON));
    }

    static String referred() {
        Response r = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON).withName("試験 はなこ"),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        return r.jsonPath().getString("applicationId");
    }

    @Test
    void anOfficerApprovesAReferredApplicationAndIsRecordedAsTheDecider() {
        String id = referred();

        Response queue = Ra.officer().get("/officer/queue");
        queue.then().statusCode(200);
        assertThat(queue.jsonPath().getList("applications.applicationId")).contains(id);
        assertThat(queue.jsonPath().getString("officer")).isEqualTo(OfficerPki.OFFICER_NAME);

        Ra.secondOfficer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "second look: kana reading matches the record"))
                .post("/officer/applications/" + id + "/decision").then().statusCode(202);
        Response decided = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "name differs only in kana reading; checked by phone"))
                .post("/officer/applications/" + id + "/decision");

        decided.then().statusCode(200);
        assertThat(decided.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(decided.jsonPath().getList("decisions")).hasSize(2);
        assertThat(decided.jsonPath().getString("decision.decider.kind")).isEqualTo("PERSON");
        assertThat(decided.jsonPath().getString("decision.decider.id")).isEqualTo(OfficerPki.OFFICER_NAME);
        assertThat(decided.jsonPath().getString("decision.decider.authentication"))
                .startsWith("mTLS client certificate SHA-256 ");
        assertThat(decided.jsonPath().getString("decision.reasons[1].detail")).contains("checked by phone");
        assertThat(Ra.officer().get("/officer/queue").jsonPath().getList("applications.applicationId")).doesNotContain(id);
    }

    @Test
    void anOfficerRejectsWithAReason() {
        String id = referred();
        Response r = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "REJECTED", "reason", "applicant could not be reached"))
                .post("/officer/applications/" + id + "/decision");
        r.then().statusCode(200);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REJECTED");
        // Deciding twice is refused.
        Response again = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "changed my mind"))
                .post("/officer/applications/" + id + "/decision");
        again.then().statusCode(409).contentType("application/problem+json");
        assertThat(again.jsonPath().getString("code")).isEqualTo("application-already-decided");
    }

    @Test
    void withoutAClientCertificateTheOfficerApiRefuses() {
        Response overTls = Ra.tls().get("/officer/queue");
        overTls.then().statusCode(401).contentType("application/problem+json");
        assertThat(overTls.jsonPath().getString("code")).isEqualTo("officer-certificate-required");

        Response plain = RestAssured.given().get("/officer/queue");
        plain.then().statusCode(401);
        assertThat(plain.jsonPath().getString("code")).isEqualTo("officer-certificate-required");
    }

    @Test
    void aClientCertificateFromAnotherCaIsNotAnOfficer() {
        try {
            // The server asks for certificates from the officer CA only, so a client usually withholds a stranger's
            // certificate (401); one presented anyway fails the check in code (403).
            Response r = Ra.stranger().get("/officer/queue");
            assertThat(r.statusCode()).isIn(401, 403);
            assertThat(r.jsonPath().getString("code"))
                    .isIn("officer-certificate-required", "officer-certificate-untrusted");
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            // The TLS layer refuses the untrusted certificate during the handshake: also a refusal.
            Throwable t = e;
            while (t.getCause() != null && !(t instanceof javax.net.ssl.SSLException)) {
                t = t.getCause();
            }
            if (!(t instanceof javax.net.ssl.SSLException) && !(t instanceof java.net.SocketException)) {
                fail("expected a TLS refusal, got " + e);
            }
        }
    }

    @Test
    void anUnknownOutcomeIsAProblem() {
        String id = referred();
        Response r = Ra.officer().contentType("application/json").body(Map.of("outcome", "MAYBE", "reason", "x"))
                .post("/officer/applications/" + id + "/decision");
        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("field")).isEqualTo("outcome");
    }
}
