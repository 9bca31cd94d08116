package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.HostileCms;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replays and duplicates: the same signed application in another encoding is the same application; one subscriber
 * key is in one live application; a signature older than the window (or from the future) is refused; signed JSON
 * with a key twice is refused.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class ReplayTest {

    @jakarta.inject.Inject
    io.agroal.api.AgroalDataSource dataSource;

    static final JpkiPerson PERSON = JpkiPerson.of("再送", "試験", "1", java.time.LocalDate.of(1980, 2, 29),
            "広島県広島市中区基町10番52号");
    static SimulatedCard card;

    @BeforeAll
    static void card() {
        KeyPair k = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), PERSON));
    }

    static byte[] content(byte[] csr) {
        return ApplicantClient.applicationContent(Claim.of(PERSON), csr);
    }

    @Test
    void theSameSignedApplicationWithAnUnsignedAttributeAddedIsTheSameApplication() {
        byte[] signed = ApplicantClient.application(card, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()));
        Response first = Ra.submit(signed);
        first.then().statusCode(201);

        byte[] reEncoded = HostileCms.withUnsignedAttribute(signed);
        assertThat(reEncoded).isNotEqualTo(signed);
        Response again = Ra.submit(reEncoded);

        again.then().statusCode(200);
        assertThat(again.jsonPath().getString("applicationId")).isEqualTo(first.jsonPath().getString("applicationId"));
        assertThat(again.jsonPath().getList("decisions")).hasSize(1);
    }

    @Test
    void theSameBytesAgainAreTheSameApplication() {
        byte[] signed = ApplicantClient.application(card, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()));
        Response first = Ra.submit(signed);
        first.then().statusCode(201);

        Response again = Ra.submit(signed);

        again.then().statusCode(200);
        assertThat(again.jsonPath().getString("applicationId")).isEqualTo(first.jsonPath().getString("applicationId"));
        assertThat(again.jsonPath().getList("decisions")).hasSize(1);
    }

    /**
     * Bytes recorded once stay that application even when verifying them now refuses them (a J-LIS generation
     * uninstalled since, a policy changed): the answer names the recorded application, not the refusal. Modelled by a
     * row whose CMS does not verify at all, copied from a recorded one; the same bytes never recorded are refused.
     */
    @Test
    void bytesRecordedBeforeAreTheirApplicationEvenWhenTheyNoLongerVerify() throws Exception {
        Response first = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        first.then().statusCode(201);
        byte[] recorded = ("no longer verifiable " + java.util.UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        byte[] neverRecorded = ("never recorded " + java.util.UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        java.util.UUID copy = java.util.UUID.randomUUID();
        try (java.sql.Connection c = dataSource.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TEMP TABLE replay_copy AS SELECT * FROM application WHERE id = '"
                    + first.jsonPath().getString("applicationId") + "'");
            try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE replay_copy SET id = ?, cms = ?,"
                    + " cms_sha256 = ?, signature_sha256 = ?, csr_key_sha256 = ?, decision_id = NULL,"
                    // Waiting for J-LIS, not due before the test ends: no decision to show, none made meanwhile.
                    + " status = 'WAITING_FOR_JLIS', next_attempt_at = now() + interval '1 day'")) {
                ps.setObject(1, copy);
                ps.setBytes(2, recorded);
                ps.setString(3, dev.shomei.ra.ConfiguredFile.sha256Hex(recorded));
                ps.setString(4, dev.shomei.ra.ConfiguredFile.sha256Hex(copy.toString().getBytes(StandardCharsets.UTF_8)));
                ps.setString(5, dev.shomei.ra.ConfiguredFile.sha256Hex(recorded));
                ps.executeUpdate();
            }
            st.execute("INSERT INTO application SELECT * FROM replay_copy");
            st.execute("DROP TABLE replay_copy");
        }

        Response again = Ra.submit(recorded);
        again.then().statusCode(202); // the recorded application, still waiting for J-LIS
        assertThat(again.jsonPath().getString("applicationId")).isEqualTo(copy.toString());

        Response refused = Ra.submit(neverRecorded);
        refused.then().statusCode(400).contentType("application/problem+json");
        assertThat(refused.jsonPath().getString("code")).isEqualTo("cms-malformed");
    }

    @Test
    void aSecondApplicationForAKeyInALiveApplicationIsRefused() {
        byte[] csr = ApplicantClient.csr(ApplicantClient.ecKey());
        Ra.submit(HostileCms.signedAt(card, content(csr), Instant.now().minusSeconds(5))).then().statusCode(201);

        // Signed again (another signature), same CSR key.
        Response r = Ra.submit(HostileCms.signedAt(card, content(csr), Instant.now()));

        r.then().statusCode(409).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("csr-key-already-applied");
    }

    @Test
    void aSignatureOlderThanTheWindowIsRefused() {
        Response r = Ra.submit(HostileCms.signedAt(card, content(ApplicantClient.csr(ApplicantClient.ecKey())),
                Instant.now().minus(Duration.ofHours(25))));

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("cms-signing-time-out-of-window");
        assertThat(r.jsonPath().getString("detail")).contains("ra.application.signing-time-max-age");
    }

    @Test
    void aSignatureFromTheFutureIsRefused() {
        Response r = Ra.submit(HostileCms.signedAt(card, content(ApplicantClient.csr(ApplicantClient.ecKey())),
                Instant.now().plus(Duration.ofMinutes(30))));

        r.then().statusCode(422);
        assertThat(r.jsonPath().getString("code")).isEqualTo("cms-signing-time-out-of-window");
    }

    @Test
    void aSignatureWithoutSigningTimeIsRefused() {
        Response r = Ra.submit(HostileCms.withoutSigningTime(card,
                content(ApplicantClient.csr(ApplicantClient.ecKey()))));

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("cms-signing-time-missing");
    }

    @Test
    void signedJsonWithAKeyTwiceIsRefused() {
        String csr = Base64.getEncoder().encodeToString(ApplicantClient.csr(ApplicantClient.ecKey()));
        String other = Base64.getEncoder().encodeToString(ApplicantClient.csr(ApplicantClient.ecKey()));
        String json = new String(content(ApplicantClient.csr(ApplicantClient.ecKey())), StandardCharsets.UTF_8)
                .replaceFirst("\"csr\":\"[^\"]+\"", "\"csr\":\"" + csr + "\",\"csr\":\"" + other + "\"");

        Response r = Ra.submit(ApplicantClient.sign(card, json.getBytes(StandardCharsets.UTF_8)));

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("signed-content-duplicate-key");
        assertThat(r.jsonPath().getString("field")).isEqualTo("csr");
    }

    @Test
    void aRevocationRequestReEncodedIsTheSameRequestAndAnOldOneIsRefused() {
        String app = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey()))).then().statusCode(201).extract().path("applicationId");
        byte[] request = ApplicantClient.revocationRequest(card, app, "superseded");
        Response first = Ra.revocationRequest(request);
        first.then().statusCode(201);

        Response again = Ra.revocationRequest(HostileCms.withUnsignedAttribute(request));
        again.then().statusCode(200);
        assertThat(again.jsonPath().getString("revocationRequestId"))
                .isEqualTo(first.jsonPath().getString("revocationRequestId"));

        String json = "{\"format\":\"shomei-ra-revocation-request/1\",\"applicationId\":\"" + app
                + "\",\"reason\":\"keyCompromise\"}";
        Response old = Ra.revocationRequest(HostileCms.signedAt(card, json.getBytes(StandardCharsets.UTF_8),
                Instant.now().minus(Duration.ofDays(2))));
        old.then().statusCode(422);
        assertThat(old.jsonPath().getString("code")).isEqualTo("cms-signing-time-out-of-window");
    }

    @Test
    void aRevocationRequestWithAKeyTwiceIsRefused() {
        String json = "{\"format\":\"shomei-ra-revocation-request/1\",\"applicationId\":\""
                + java.util.UUID.randomUUID() + "\",\"reason\":\"superseded\",\"reason\":\"keyCompromise\"}";

        Response r = Ra.revocationRequest(ApplicantClient.sign(card, json.getBytes(StandardCharsets.UTF_8)));

        r.then().statusCode(400);
        assertThat(r.jsonPath().getString("code")).isEqualTo("signed-content-duplicate-key");
    }
}
