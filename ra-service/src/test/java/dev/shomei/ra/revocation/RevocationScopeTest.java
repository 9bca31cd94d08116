package dev.shomei.ra.revocation;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A revocation (the subscriber's signed request or an officer's) can only revoke the certificate issued for the
 * application it names: subscriber B naming A's certificate serial on B's own application, or the serial of one of
 * the CA's own certificates, is refused; and the request must come from the card that applied, else an officer
 * confirms.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class RevocationScopeTest {

    static final JpkiPerson HANAKO = JpkiPerson.hanako();
    static final JpkiPerson TARO = JpkiPerson.taro();
    static KeyPair hanakoKey;
    static KeyPair taroKey;

    @BeforeAll
    static void keys() {
        hanakoKey = SimulatedCard.rsaKey();
        taroKey = SimulatedCard.rsaKey();
    }

    static SimulatedCard card(JpkiPerson p, KeyPair k) {
        return SimulatedCard.inSoftware(k, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), p));
    }

    /** An approved application whose certificate the CA has issued with {@code serial} (hex). */
    static String issued(JpkiPerson p, KeyPair k, String serial) throws Exception {
        Response r = Ra.submit(ApplicantClient.application(card(p, k), Claim.of(p),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        String id = r.jsonPath().getString("applicationId");
        // What applying the CA's result bundle records (OrderBundleFlowTest covers that path end to end).
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(
                "UPDATE application SET status = 'ISSUED', certificate_serial = ?, issued_at = now() WHERE id = ?")) {
            ps.setString(1, serial);
            ps.setObject(2, UUID.fromString(id));
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        return id;
    }

    static String serial() {
        return Long.toHexString(new java.security.SecureRandom().nextLong() & Long.MAX_VALUE);
    }

    @Test
    void aSubscriberCannotRevokeAnotherSubscribersCertificateThroughTheirOwnApplication() throws Exception {
        String hanakoSerial = serial();
        issued(HANAKO, hanakoKey, hanakoSerial);
        String taroApplication = issued(TARO, taroKey, serial());

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(card(TARO, taroKey), taroApplication,
                hanakoSerial, "keyCompromise"));

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("revocation-serial-not-of-application");
        assertThat(r.jsonPath().getString("field")).isEqualTo("certificateSerial");
    }

    @Test
    void aSerialOfTheCasOwnCertificatesIsRefusedEvenBeforeIssuance() {
        Response approved = Ra.submit(ApplicantClient.application(card(TARO, taroKey), Claim.of(TARO),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        String app = approved.jsonPath().getString("applicationId");

        // e.g. the OCSP responder's certificate: never issued for any application.
        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(card(TARO, taroKey), app, "01",
                "keyCompromise"));

        r.then().statusCode(422);
        assertThat(r.jsonPath().getString("code")).isEqualTo("revocation-serial-not-of-application");
    }

    @Test
    void theApplicationsOwnSerialIsAcceptedInAnyHexSpelling() throws Exception {
        String serial = "7" + serial().substring(1);
        String app = issued(HANAKO, hanakoKey, serial);
        String spelled = serial.toUpperCase().replaceAll("(..)(?!$)", "$1:");

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(card(HANAKO, hanakoKey), app, spelled,
                "keyCompromise"));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("certificateSerial")).isEqualTo(serial);
    }

    @Test
    void withoutASerialTheApplicationsCertificateIsTheOneRevoked() throws Exception {
        String serial = serial();
        String app = issued(HANAKO, hanakoKey, serial);

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(card(HANAKO, hanakoKey), app,
                "keyCompromise"));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("certificateSerial")).isEqualTo(serial);
    }

    @Test
    void anOfficerCannotRevokeAnotherApplicationsCertificateEither() throws Exception {
        String hanakoSerial = serial();
        issued(HANAKO, hanakoKey, hanakoSerial);
        String taroApplication = issued(TARO, taroKey, serial());

        Response r = Ra.officer().contentType("application/json").body(Map.of("applicationId", taroApplication,
                "certificateSerial", hanakoSerial, "reason", "asked at the counter")).post("/officer/revocations");

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("revocation-serial-not-of-application");
    }

    @Test
    void aRequestSignedWithAnotherCardOfTheSamePersonIsReferredNotApproved() throws Exception {
        String app = issued(HANAKO, hanakoKey, serial());
        // Same name, date of birth and gender, another key: a namesake is possible, so an officer confirms.
        SimulatedCard other = card(HANAKO, SimulatedCard.rsaKey());

        Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(other, app, "keyCompromise"));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(r.jsonPath().getList("decision.reasons.code")).contains("revocation-requester-other-card");
    }

    static Connection connect() throws Exception {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }
}
