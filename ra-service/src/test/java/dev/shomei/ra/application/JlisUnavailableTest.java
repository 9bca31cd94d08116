package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JlisControl;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.MovableClock;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * J-LIS's OCSP responder or CRL is down: fall back to the CRL; with neither, wait and retry, never approve blind.
 * Time is the RA's clock ({@link MovableClock}), frozen and moved by the test; the test runs the retry rounds itself
 * ({@link JlisRetry#runOnce}), so nothing here waits for time to pass. (The scheduled rounds still run; with the
 * clock frozen they find an application due only when the test has moved the clock, and then do what the test's own
 * round would.)
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class JlisUnavailableTest {

    static final JpkiPerson PERSON = JpkiPerson.taro();
    static KeyPair cardKey;

    @BeforeAll
    static void key() {
        cardKey = SimulatedCard.rsaKey();
    }

    @Inject
    MovableClock clock;
    @Inject
    JlisRetry retry;
    @Inject
    RaConfig config;
    @Inject
    ApprovalPolicy policy;

    @AfterEach
    void restore() {
        JlisControl.ocsp(true);
        JlisControl.crl(true);
        clock.followSystem();
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
    void withJlisUnreachableTheApplicationWaitsAndIsDecidedWhenJlisIsBack() {
        JlisControl.ocsp(false);
        JlisControl.crl(false);
        clock.freeze();

        Response r = Ra.submit(application(card()));

        r.then().statusCode(202);
        String id = r.jsonPath().getString("applicationId");
        assertThat(r.jsonPath().getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(r.jsonPath().getList("decisions")).isEmpty();
        // A retry round while J-LIS is still down, one retry interval later: nothing is approved without its answer.
        clock.advance(config.jlis().retryInterval());
        retry.runOnce();
        JsonPath still = Ra.status(id);
        assertThat(still.getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(still.getInt("revocationCheck.attempts")).isGreaterThanOrEqualTo(2);
        assertThat(still.getList("decisions")).isEmpty();

        JlisControl.ocsp(true);
        JlisControl.crl(true);
        clock.advance(config.jlis().retryInterval());
        retry.runOnce();
        JsonPath decided = Ra.status(id);
        assertThat(decided.getString("status")).isEqualTo("APPROVED");
        assertThat(decided.getList("decisions")).hasSize(1);
        assertThat(decided.getString("decision.decider.kind")).isEqualTo("SYSTEM");
        assertThat(decided.getString("revocationCheck.source")).isEqualTo("OCSP");
    }

    @Test
    void anApplicationThatWaitedLongerThanThePolicyAllowsIsReferredToAnOfficer() {
        JlisControl.ocsp(false);
        JlisControl.crl(false);
        clock.freeze();
        Duration referAfter = policy.referAfterJlisUnavailable();

        String id = Ra.submit(application(card())).then().statusCode(202).extract().path("applicationId");

        // Just before the policy's limit (referAfterJlisUnavailable, 6 s in the test policy) it still waits ...
        clock.advance(referAfter.minusMillis(1));
        retry.runOnce();
        assertThat(Ra.status(id).getString("status")).isEqualTo("WAITING_FOR_JLIS");
        // ... and the next retry round, past the limit, refers it to an officer, never approving it unchecked.
        clock.advance(config.jlis().retryInterval());
        retry.runOnce();
        JsonPath referred = Ra.status(id);
        assertThat(referred.getString("status")).isEqualTo("REFERRED");
        assertThat(referred.getList("decision.reasons.code")).containsExactly("jlis-unavailable");
        assertThat(referred.getString("revocationCheck.status")).isEqualTo("UNAVAILABLE");
        assertThat(Ra.officer().get("/officer/queue").jsonPath().getList("applications.applicationId")).contains(id);
    }
}
