package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaCoreEnvironment;
import dev.shomei.ra.testkit.CaEvents;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;

/**
 * End to end with the real CA code: ca-core's OrderBundleProcessor (SoftHSM2 CA, its own database) verifies and
 * executes the RA's signed bundle, and the RA ingests the CA-signed result bundle.
 */
@QuarkusTest
@WithTestResource(CaCoreEnvironment.class)
class CaCoreEndToEndTest {

    @Test
    void theCaExecutesTheRasBundleAndTheRaIngestsTheResult() throws Exception {
        JpkiPerson p = JpkiPerson.hanako();
        SimulatedCard card = SimulatedCard.inSoftHsm("hanako-e2e", p,
                kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), p));
        byte[] csr = ApplicantClient.csr(ApplicantClient.ecKey());
        Response submitted = Ra.submit(ApplicantClient.application(card, Claim.of(p), csr));
        submitted.then().statusCode(201);
        String app = submitted.jsonPath().getString("applicationId");

        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            OrderBundleProcessor processor = ca.orderProcessor();
            X509Certificate issuing = ca.issuingSigner().certificate();

            byte[] bundle = ca().get("/ca/order-bundles/next").then().statusCode(200).extract().asByteArray();
            OrderBundleProcessor.Result issued = processor.process(bundle);
            assertThat(issued.issued()).isEqualTo(1);
            // The same answer signed with the issuing CA key instead of the pinned result signer is refused: that key
            // is for certificates and CRLs only (docs/order-bundles.md, "The result signer"). Nothing is applied.
            ca().contentType("application/pkcs7-mime").body(signedByIssuingKey(ca, issued.resultBundle()))
                    .post("/ca/result-bundles").then().statusCode(422)
                    .body("type", org.hamcrest.Matchers.endsWith("result-signature-invalid"));
            assertThat(Ra.status(app).getString("status")).isNotEqualTo("ISSUED");
            ca().contentType("application/pkcs7-mime").body(issued.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(204);
            ca().contentType("application/pkcs7-mime").body(issued.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(204);

            assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
            String pem = RestAssured.given().get("/applications/" + app + "/certificate").then().statusCode(200)
                    .extract().asString();
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                    pem.getBytes(StandardCharsets.US_ASCII))).forEach(c -> chain.add((X509Certificate) c));
            assertThat(chain).hasSize(2);
            assertThat(chain.get(1)).isEqualTo(issuing);
            chain.get(0).verify(issuing.getPublicKey());
            assertThat(chain.get(0).getPublicKey().getEncoded())
                    .isEqualTo(new PKCS10CertificationRequest(csr).getSubjectPublicKeyInfo().getEncoded());
            ca().get("/ca/order-bundles/next").then().statusCode(204);

            // The subscriber revokes with the same My Number card: a JPKI-signed revocation request, decided
            // automatically, becomes a revocation order.
            Response revocation = Ra.revocationRequest(ApplicantClient.revocationRequest(card, app, "keyCompromise"));
            revocation.then().statusCode(201);
            assertThat(revocation.jsonPath().getString("status")).isEqualTo("APPROVED");
            String rev = revocation.jsonPath().getString("revocationRequestId");
            byte[] revBundle = ca().get("/ca/order-bundles/next").then().statusCode(200).extract().asByteArray();
            OrderBundleProcessor.Result revoked = processor.process(revBundle);
            assertThat(revoked.revoked()).isEqualTo(1);
            ca().contentType("application/pkcs7-mime").body(revoked.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(204);
            assertThat(RestAssured.given().get("/revocation-requests/" + rev).jsonPath().getString("status"))
                    .isEqualTo("REVOKED");
            assertThat(Ra.status(app).getString("certificate.status")).isEqualTo("REVOKED");

            // The CA's next CRL lists the serial, with the reason the subscriber gave.
            java.security.cert.X509CRL crl = (java.security.cert.X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(ca.crlIssuer().issue().der()));
            crl.verify(issuing.getPublicKey());
            assertThat(crl.getRevokedCertificate(chain.get(0).getSerialNumber())).isNotNull();
            assertThat(crl.getRevokedCertificate(chain.get(0).getSerialNumber()).getRevocationReason())
                    .isEqualTo(java.security.cert.CRLReason.KEY_COMPROMISE);
        }
    }

    /** The result bundle's content, signed by the issuing CA key (with its certificate), as a CA before the upgrade. */
    private static byte[] signedByIssuingKey(CertificateAuthority ca, byte[] resultBundle) throws Exception {
        byte[] content = (byte[]) new org.bouncycastle.cms.CMSSignedData(resultBundle).getSignedContent().getContent();
        var g = new org.bouncycastle.cms.CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder(
                new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build())
                .build(new dev.shomei.pkcs11.SignerContentSigner(ca.issuingSigner()), ca.issuingSigner().certificate()));
        g.addCertificates(new org.bouncycastle.cert.jcajce.JcaCertStore(List.of(ca.issuingSigner().certificate())));
        return g.generate(new org.bouncycastle.cms.CMSProcessableByteArray(content), true).getEncoded();
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }
}
