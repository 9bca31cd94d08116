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
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ra.jlis.prefer=CRL}: the verified J-LIS CRL, cached until its nextUpdate, answers first; OCSP only when no
 * current CRL can be had. What the CRL lists is refused although OCSP would say good; a CRL that does not verify is
 * never used (OCSP answers instead, and without OCSP nothing is approved).
 */
@QuarkusTest
@TestProfile(JlisCrlFirstTest.CrlFirst.class)
@WithTestResource(RaTestEnvironment.class)
class JlisCrlFirstTest {

    /** The RA configured to ask the CRL first. */
    public static class CrlFirst implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ra.jlis.prefer", "CRL");
        }
    }

    static KeyPair key;
    static int person;

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

    static SimulatedCard card() {
        JpkiPerson p = JpkiPerson.of("失効", "優先" + person++, "1", java.time.LocalDate.of(1981, 4, 2),
                "大阪府大阪市北区中之島一丁目3番20号");
        return SimulatedCard.inSoftware(key, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), p));
    }

    static Response submit(SimulatedCard card) {
        return Ra.submit(ApplicantClient.application(card, Claim.of(card.person()),
                ApplicantClient.csr(ApplicantClient.ecKey())));
    }

    @Test
    void theCachedCrlAnswersWhileOcspIsUp() {
        JlisControl.forgetCachedCrl();
        int before = JlisControl.crlFetches();

        for (int i = 0; i < 2; i++) {
            Response r = submit(card());
            r.then().statusCode(201);
            assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
            assertThat(r.jsonPath().getString("revocationCheck.source")).isEqualTo("CRL");
        }
        assertThat(JlisControl.crlFetches() - before).as("fetched and verified once, then cached").isEqualTo(1);
    }

    @Test
    void aCertificateOnTheCrlIsRejected() {
        SimulatedCard card = card();
        X509Certificate cert = card.certificate();
        JlisControl.revoke(cert.getSerialNumber());

        Response r = submit(card);

        r.then().statusCode(422);
        assertThat(r.jsonPath().getList("reasons.code")).contains("jpki-certificate-revoked");
        assertThat(r.jsonPath().getString("decision.evidence.revocationSource")).isEqualTo("CRL");
    }

    @Test
    void aForgedCrlIsNotUsedAndOcspAnswers() {
        JlisControl.crlMode("forged");

        Response r = submit(card());

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("revocationCheck.source")).isEqualTo("OCSP");
    }

    @Test
    void aStaleCrlWithoutOcspApprovesNothing() {
        JlisControl.crlMode("stale");
        JlisControl.ocsp(false);

        Response r = submit(card());

        r.then().statusCode(202);
        assertThat(r.jsonPath().getString("status")).isEqualTo("WAITING_FOR_JLIS");
        assertThat(r.jsonPath().getString("revocationCheck.status")).isEqualTo("UNAVAILABLE");
    }
}
