package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Applications from simulated applicants whose card key is in SoftHSM2, reached through SunPKCS11. */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class ApplicationSubmissionTest {

    static SimulatedCard hanako;

    @BeforeAll
    static void card() {
        JpkiPerson p = JpkiPerson.hanako();
        hanako = SimulatedCard.inSoftHsm("hanako", p, kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), p));
    }

    @Test
    void matchingApplicationIsApprovedAutomaticallyWithTheSystemAsDecider() {
        byte[] cms = ApplicantClient.application(hanako, Claim.of(hanako.person()),
                ApplicantClient.csr(ApplicantClient.ecKey()));

        Response r = Ra.submit(cms);

        r.then().statusCode(201);
        JsonPath j = r.jsonPath();
        assertThat(j.getString("status")).isEqualTo("APPROVED");
        assertThat(j.getString("decision.outcome")).isEqualTo("APPROVED");
        assertThat(j.getString("decision.decider.kind")).isEqualTo("SYSTEM");
        assertThat(j.getString("decision.decider.id")).isEqualTo("ra-service");
        assertThat(j.getString("decision.decider.policyId")).isEqualTo("shomei-ra-approval-test@1");
        assertThat(j.getString("decision.decider.policyDigest")).isEqualTo(ConfiguredFile.sha256Hex(
                ConfiguredFile.read("test", "classpath:policy/approval-policy-test.json")));
        assertThat(j.getString("decision.evidence.signedApplicationSha256")).isEqualTo(ConfiguredFile.sha256Hex(cms));
        assertThat(j.getString("decision.evidence.revocationSource")).isEqualTo("OCSP");
        assertThat(j.getString("decision.evidence.revocationResponseSha256")).hasSize(64);
        assertThat(j.getString("revocationCheck.status")).isEqualTo("GOOD");
        assertThat(j.getString("jpkiCertificate.serial"))
                .isEqualTo(hanako.certificate().getSerialNumber().toString(16));
        // The status endpoint tells the same story.
        assertThat(Ra.status(j.getString("applicationId")).getString("status")).isEqualTo("APPROVED");
    }

    @Test
    void theSameSignedBytesTwiceAreOneApplicationWithOneDecision() {
        byte[] cms = ApplicantClient.application(hanako, Claim.of(hanako.person()),
                ApplicantClient.csr(ApplicantClient.ecKey()));

        Response first = Ra.submit(cms);
        Response second = Ra.submit(cms);

        first.then().statusCode(201);
        second.then().statusCode(200);
        String id = first.jsonPath().getString("applicationId");
        assertThat(second.jsonPath().getString("applicationId")).isEqualTo(id);
        assertThat(second.jsonPath().getString("decision.decisionId"))
                .isEqualTo(first.jsonPath().getString("decision.decisionId"));
        assertThat(Ra.status(id).getList("decisions")).hasSize(1);
    }

    @Test
    void theIssuingGenerationIsChosenBySignatureAmongGenerationsWithOneDn() {
        JpkiPerson p = JpkiPerson.taro();
        KeyPair key = SimulatedCard.rsaKey();
        for (JpkiTestCa.Generation gen : List.of(JpkiTestCa.GEN_2019, JpkiTestCa.GEN_2024)) {
            SimulatedCard card = SimulatedCard.inSoftware(key, p, JpkiTestCa.signing(gen, key.getPublic(), p));
            Response r = Ra.submit(ApplicantClient.application(card, Claim.of(p),
                    ApplicantClient.csr(ApplicantClient.ecKey())));
            r.then().statusCode(201);
            assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
            assertThat(r.jsonPath().getString("jpkiCertificate.issuerSha256")).isEqualTo(sha256(gen));
        }
    }

    @Test
    void aNameThatDiffersFromTheCertificateIsReferredToAnOfficer() {
        Response r = Ra.submit(ApplicantClient.application(hanako, Claim.of(hanako.person()).withName("試験 華子"),
                ApplicantClient.csr(ApplicantClient.ecKey())));

        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(r.jsonPath().getList("decision.reasons.code")).containsExactly("identity-name-mismatch");
        assertThat(r.jsonPath().getString("decision.decider.kind")).isEqualTo("SYSTEM");
    }

    static String sha256(JpkiTestCa.Generation gen) {
        try {
            return ConfiguredFile.sha256Hex(gen.certificate().getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
