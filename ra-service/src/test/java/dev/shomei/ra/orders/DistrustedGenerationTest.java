package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaEvents;
import dev.shomei.ra.testkit.DistrustedGenerationEnvironment;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.io.File;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/**
 * A generation the root revoked is distrusted at the RA by SHA-256 (ra.orders.distrusted-ca-certificates; the RA
 * does not read the root's CRL): even while still listed in ra.orders.ca-certificates, with its result signer pinned,
 * its result bundles are refused and nothing they carry reaches the applicant (docs/key-ceremony.md, "Revoking an
 * issuing generation", step 5).
 */
@QuarkusTest
@WithTestResource(DistrustedGenerationEnvironment.class)
class DistrustedGenerationTest {

    @Test
    void resultsOfADistrustedGenerationAreRefused() {
        JpkiPerson p = JpkiPerson.hanako();
        var cardKey = SimulatedCard.rsaKey();
        SimulatedCard card = SimulatedCard.inSoftware(cardKey, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024,
                cardKey.getPublic(), p));
        Response submitted = Ra.submit(ApplicantClient.application(card, Claim.of(p),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        submitted.then().statusCode(201);
        String app = submitted.jsonPath().getString("applicationId");
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            byte[] bundle = ca().get("/ca/order-bundles/next").then().statusCode(200).extract().asByteArray();
            OrderBundleProcessor.Result issued = ca.orderProcessor().process(bundle);
            assertThat(issued.issued()).isEqualTo(1);
            ca().contentType("application/pkcs7-mime").body(issued.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(422).body("type", org.hamcrest.Matchers.endsWith("result-signature-invalid"));
        }
        assertThat(Ra.status(app).getString("status")).isEqualTo("APPROVED");
        RestAssured.given().get("/applications/" + app + "/certificate").then().statusCode(404)
                .body("type", org.hamcrest.Matchers.endsWith("certificate-not-issued"));
    }

    private static io.restassured.specification.RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }
}
