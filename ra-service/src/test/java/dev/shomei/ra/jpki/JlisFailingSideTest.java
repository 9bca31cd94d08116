package dev.shomei.ra.jpki;

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
import io.restassured.response.Response;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The J-LIS check from the failing side: whatever is wrong with J-LIS's answer (stale, future-dated, forged,
 * signed by an unauthorised or foreign responder, for another certificate, without nextUpdate and old; a stale,
 * forged, out-of-scope or delta CRL), nothing is approved. And a good CRL is fetched once per nextUpdate and stored
 * once, by digest.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class JlisFailingSideTest {

    static final JpkiPerson PERSON = JpkiPerson.of("失効", "確認", "2", java.time.LocalDate.of(1970, 12, 24),
            "宮城県仙台市青葉区本町三丁目8番1号");
    static KeyPair key;

    @BeforeAll
    static void key() {
        key = SimulatedCard.rsaKey();
    }

    @AfterEach
    void restore() {
        JlisControl.ocspMode("good");
        JlisControl.crlMode("good");
        JlisControl.ocsp(true);
        JlisControl.crl(true);
    }

    static Response submit() {
        SimulatedCard card = SimulatedCard.inSoftware(key, PERSON,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), PERSON));
        return Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"stale", "future", "forged", "unauthorised", "foreign-responder", "other-certificate",
        "no-next-update-old"})
    void aBadOcspAnswerWithoutACrlApprovesNothing(String mode) {
        JlisControl.ocspMode(mode);
        JlisControl.crl(false);

        Response r = submit();

        r.then().statusCode(202);
        assertThat(r.jsonPath().getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(r.jsonPath().getString("revocationCheck.status")).isEqualTo("UNAVAILABLE");
    }

    @Test
    void aForgedOcspAnswerIsRefusedAfterTheResponderCertificateWasCheckedAndRemembered() {
        // A good answer first: its delegated responder certificate is checked once and remembered.
        JlisControl.crl(false);
        submit().then().statusCode(201);
        // The same genuine responder certificate attached, the response signed by another key: still refused.
        JlisControl.ocspMode("forged");

        Response r = submit();

        r.then().statusCode(202);
        assertThat(r.jsonPath().getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(r.jsonPath().getString("revocationCheck.status")).isEqualTo("UNAVAILABLE");
    }

    @Test
    void anOcspAnswerWithoutNextUpdateIsGoodWhileYoungerThanTheConfiguredAge() {
        JlisControl.ocspMode("no-next-update-fresh");
        JlisControl.crl(false);

        Response r = submit();

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("revocationCheck.source")).isEqualTo("OCSP");
    }

    @Test
    void anUnknownStatusGoesToAnOfficer() {
        JlisControl.ocspMode("unknown");

        Response r = submit();

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(r.jsonPath().getList("decision.reasons.code")).contains("jpki-certificate-status-unknown");
    }

    @ParameterizedTest
    @ValueSource(strings = {"stale", "future", "forged", "ca-only", "other-dp", "delta", "huge"})
    void aBadCrlWithoutOcspApprovesNothing(String mode) {
        JlisControl.crlMode(mode);
        JlisControl.ocsp(false);

        Response r = submit();

        r.then().statusCode(202);
        assertThat(r.jsonPath().getString("status")).isEqualTo("WAITING_FOR_JLIS");
    }

    @Test
    void aGoodCrlIsFetchedOncePerNextUpdateAndStoredOnceByDigest() throws Exception {
        JlisControl.ocsp(false);
        JlisControl.forgetCachedCrl();
        int before = JlisControl.crlFetches();

        Set<String> digests = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            Response r = submit();
            r.then().statusCode(201);
            assertThat(r.jsonPath().getString("revocationCheck.source")).isEqualTo("CRL");
            assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
            digests.add(r.jsonPath().getString("decision.evidence.revocationResponseSha256"));
            ids.add(r.jsonPath().getString("applicationId"));
        }

        assertThat(JlisControl.crlFetches() - before).isEqualTo(1);
        assertThat(digests).hasSize(1);
        String digest = digests.iterator().next();
        try (Connection c = connect()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*), min(length(crl)) FROM jlis_crl"
                    + " WHERE sha256 = ? AND encode(sha256(crl), 'hex') = sha256")) {
                ps.setString(1, digest);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getInt(1)).isEqualTo(1);
                    assertThat(rs.getInt(2)).isPositive();
                }
            }
            for (String id : ids) {
                try (PreparedStatement ps = c.prepareStatement("SELECT revocation_response IS NULL,"
                        + " revocation_response_sha256 FROM application WHERE id = ?")) {
                    ps.setObject(1, UUID.fromString(id));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        assertThat(rs.getBoolean(1)).as("CRL not copied into the application row").isTrue();
                        assertThat(rs.getString(2)).isEqualTo(digest);
                    }
                }
            }
        }
    }

    static Connection connect() throws Exception {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }
}
