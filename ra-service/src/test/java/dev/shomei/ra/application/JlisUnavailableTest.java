package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JlisControl;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** J-LIS's OCSP responder or CRL is down: fall back to the CRL; with neither, wait and retry, never approve blind. */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class JlisUnavailableTest {

    static final JpkiPerson PERSON = JpkiPerson.taro();
    static KeyPair cardKey;

    @BeforeAll
    static void key() {
        cardKey = SimulatedCard.rsaKey();
    }

    @AfterEach
    void restore() {
        JlisControl.ocsp(true);
        JlisControl.crl(true);
    }

    static SimulatedCard card() {
        return SimulatedCard.inSoftware(cardKey, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON));
    }

    static byte[] application(SimulatedCard card) {
        return ApplicantClient.application(card, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()));
    }

    @Test
    void withOcspDownTheCrlDecidesAndIsKeptAsEvidence() {
        JlisControl.ocsp(false);

        Response r = Ra.submit(application(card()));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("revocationCheck.source")).isEqualTo("CRL");
        assertThat(r.jsonPath().getString("decision.evidence.revocationResponseSha256")).hasSize(64);
    }

    @Test
    void aCertificateRevokedOnTheCrlIsRejectedWhenOcspIsDown() {
        SimulatedCard card = card();
        X509Certificate cert = card.certificate();
        JlisControl.revoke(cert.getSerialNumber());
        JlisControl.ocsp(false);

        Response r = Ra.submit(application(card));

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("jpki-certificate-revoked");
        assertThat(r.jsonPath().getString("decision.evidence.revocationSource")).isEqualTo("CRL");
    }

    @Test
    void withJlisUnreachableTheApplicationWaitsAndIsDecidedWhenJlisIsBack() throws InterruptedException {
        JlisControl.ocsp(false);
        JlisControl.crl(false);

        Response r = Ra.submit(application(card()));

        r.then().statusCode(202);
        String id = r.jsonPath().getString("applicationId");
        assertThat(r.jsonPath().getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(r.jsonPath().getList("decisions")).isEmpty();
        // Still waiting after a retry round while J-LIS is down: nothing is approved without its answer.
        JsonPath still = poll(id, s -> s.getInt("revocationCheck.attempts") >= 2, 40);
        assertThat(still.getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(still.getInt("revocationCheck.attempts")).isGreaterThanOrEqualTo(2);

        JlisControl.ocsp(true);
        JlisControl.crl(true);
        JsonPath decided = poll(id, s -> !s.getString("status").equals("WAITING_FOR_JLIS"), 40);
        assertThat(decided.getString("status")).isEqualTo("APPROVED");
        assertThat(decided.getList("decisions")).hasSize(1);
        assertThat(decided.getString("decision.decider.kind")).isEqualTo("SYSTEM");
        assertThat(decided.getString("revocationCheck.source")).isEqualTo("OCSP");
    }

    @Test
    void anApplicationThatWaitedLongerThanThePolicyAllowsIsReferredToAnOfficer() throws InterruptedException {
        JlisControl.ocsp(false);
        JlisControl.crl(false);

        String id = Ra.submit(application(card())).then().statusCode(202).extract().path("applicationId");

        // The test policy refers after 6 s (referAfterJlisUnavailable); retries run every second.
        JsonPath referred = poll(id, s -> !s.getString("status").equals("WAITING_FOR_JLIS"), 60);
        assertThat(referred.getString("status")).isEqualTo("REFERRED");
        assertThat(referred.getList("decision.reasons.code")).containsExactly("jlis-unavailable");
        assertThat(referred.getString("revocationCheck.status")).isEqualTo("UNAVAILABLE");
        assertThat(Ra.officer().get("/officer/queue").jsonPath().getList("applications.applicationId")).contains(id);
    }

    /** The application's status once {@code done} holds, polled every 250 ms at most {@code tries} times. */
    private static JsonPath poll(String id, java.util.function.Predicate<JsonPath> done, int tries)
            throws InterruptedException {
        JsonPath s = Ra.status(id);
        for (int i = 1; i < tries && !done.test(s); i++) {
            Thread.sleep(250);
            s = Ra.status(id);
        }
        return s;
    }
}
