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
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The certificate states exactly the identity that was verified, end to end: the RA approves, the ca-core CA
 * (SoftHSM2, its own database, profile {@code subjectFrom: order}) executes the RA's signed order bundle, and openssl
 * reads the issued certificate's subject. Then the second automatic route: a renewal and a revocation signed with the
 * subscriber's own certificate of this CA.
 */
@QuarkusTest
@WithTestResource(CaCoreEnvironment.class)
class IdentityEndToEndTest {

    static final Path OUT = Path.of("target", "identity-e2e");

    @Test
    void theCertificateStatesOnlyTheVerifiedIdentityAndTheSubscriberRenewsAndRevokesWithIt() throws Exception {
        Files.createDirectories(OUT);
        // Hanako types someone else's name, an organisation and extra attributes into her CSR.
        JpkiPerson hanako = JpkiPerson.hanako();
        SimulatedCard card = SimulatedCard.inSoftHsm("identity-e2e", hanako,
                kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), hanako));
        KeyPair key = ApplicantClient.ecKey();
        byte[] forgedCsr = ApplicantClient.csr(key, "CN=山田 太郎,O=Evil Corp,OU=Administrators,L=Tokyo,C=US");
        Response submitted = Ra.submit(ApplicantClient.application(card, Claim.of(hanako), forgedCsr));
        submitted.then().statusCode(201);
        assertThat(submitted.jsonPath().getString("status")).isEqualTo("APPROVED");
        String app = submitted.jsonPath().getString("applicationId");

        // A card whose name has a substitute character (〓, geta): the officer enters the register's name.
        KeyPair cardKey = SimulatedCard.rsaKey();
        JpkiPerson ichiro = JpkiPerson.of("〓橋", "一郎", "1", LocalDate.of(1975, 6, 1), "福岡県福岡市中央区天神一丁目8番1号")
                .withNameSubstitutesAt(0);
        SimulatedCard ichiroCard = SimulatedCard.inSoftware(cardKey, ichiro,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), ichiro));
        Response referred = Ra.submit(ApplicantClient.application(ichiroCard, Claim.of(ichiro).withName("髙橋 一郎"),
                ApplicantClient.csr(ApplicantClient.ecKey(), "CN=髙橋 一郎,O=Some Company")));
        assertThat(referred.jsonPath().getString("status")).isEqualTo("REFERRED");
        String ichiroApp = referred.jsonPath().getString("applicationId");
        Ra.officer().contentType("application/json").body(Map.of("outcome", "APPROVED",
                        "reason", "card shows a substitute for 髙; resident record checked", "certifiedName", "髙橋\u3000一郎"))
                .post("/officer/applications/" + ichiroApp + "/decision").then().statusCode(202);
        Ra.secondOfficer().contentType("application/json").body(Map.of("outcome", "APPROVED",
                        "reason", "second officer: resident record checked", "certifiedName", "髙橋\u3000一郎"))
                .post("/officer/applications/" + ichiroApp + "/decision").then().statusCode(200);
        // The officers' name is their decision (both of them: four eyes); the card's original text is kept beside it.
        List<Map<String, Object>> checks = Ra.auditor().get("/books/export?format=json&book=IDENTITY_VERIFICATION&limit=1000")
                .then().statusCode(200).extract().jsonPath().getList("findAll { it.subjectId == '" + ichiroApp
                        + "' && it.entry.certifiedName != null }.entry");
        assertThat(checks).singleElement().satisfies(e -> {
            assertThat(e.get("cardName")).isEqualTo("〓橋\u3000一郎");
            assertThat(e.get("certifiedName")).isEqualTo("髙橋\u3000一郎");
            assertThat(e.get("substitutePositions")).isEqualTo(List.of(1));
            assertThat(e.get("officer")).isEqualTo(dev.shomei.ra.testkit.OfficerPki.SECOND_OFFICER_NAME);
            assertThat(e.get("officers")).isEqualTo(List.of(dev.shomei.ra.testkit.OfficerPki.OFFICER_NAME,
                    dev.shomei.ra.testkit.OfficerPki.SECOND_OFFICER_NAME));
        });

        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            OrderBundleProcessor processor = ca.orderProcessor();
            assertThat(execute(processor).issued()).isEqualTo(2);

            X509Certificate cert = certificate(app);
            assertThat(cert.getPublicKey()).isEqualTo(key.getPublic());
            assertThat(opensslSubject(cert, "hanako")).isEqualTo("subject=C=PRINTABLESTRING:JP, CN=UTF8STRING:試験　花子");
            assertThat(opensslSubject(certificate(ichiroApp), "ichiro"))
                    .isEqualTo("subject=C=PRINTABLESTRING:JP, CN=UTF8STRING:髙橋　一郎");

            // Renewal: signed with the current certificate's key, for a new key; the CSR's subject is ignored again.
            KeyPair newKey = ApplicantClient.ecKey();
            Response renewal = given().body(ApplicantClient.renewal(key, cert,
                    ApplicantClient.csr(newKey, "CN=Someone Else,O=Evil Corp"))).post("/renewals");
            renewal.then().statusCode(201);
            JsonPath r = renewal.jsonPath();
            assertThat(r.getString("status")).isEqualTo("APPROVED");
            assertThat(r.getString("route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
            assertThat(r.getString("renewsApplicationId")).isEqualTo(app);
            assertThat(r.getString("decision.decider.kind")).isEqualTo("SYSTEM");
            assertThat(r.getString("decision.evidence.route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
            assertThat(r.getString("decision.evidence.subscriberCertificateSerial"))
                    .isEqualTo(cert.getSerialNumber().toString(16));
            assertThat(r.getString("decision.evidence.issuingCaCertificateSha256")).hasSize(64);
            assertThat(r.getString("decision.evidence.statusSource")).contains("no revocation");
            String renewed = r.getString("applicationId");
            assertThat(execute(processor).issued()).isEqualTo(1);
            X509Certificate renewedCert = certificate(renewed);
            assertThat(renewedCert.getPublicKey()).isEqualTo(newKey.getPublic());
            assertThat(renewedCert.getSubjectX500Principal().getEncoded())
                    .isEqualTo(cert.getSubjectX500Principal().getEncoded());
            assertThat(opensslSubject(renewedCert, "renewed")).isEqualTo("subject=C=PRINTABLESTRING:JP, CN=UTF8STRING:試験　花子");

            // A certificate is renewed once; a renewal must certify a new key.
            given().body(ApplicantClient.renewal(key, cert, ApplicantClient.csr(ApplicantClient.ecKey())))
                    .post("/renewals").then().statusCode(409)
                    .body("type", org.hamcrest.Matchers.endsWith("certificate-already-renewed"));
            given().body(ApplicantClient.renewal(newKey, renewedCert, ApplicantClient.csr(newKey)))
                    .post("/renewals").then().statusCode(422)
                    .body("type", org.hamcrest.Matchers.endsWith("renewal-key-not-new"));

            // Revocation signed with the subscriber's own certificate: only that certificate, decided automatically.
            given().body(ApplicantClient.revocationRequest(newKey, renewedCert, ichiroApp, "keyCompromise"))
                    .post("/revocation-requests").then().statusCode(403)
                    .body("type", org.hamcrest.Matchers.endsWith("revocation-not-own-certificate"));
            Response revocation = given().body(ApplicantClient.revocationRequest(newKey, renewedCert, renewed,
                    "keyCompromise")).post("/revocation-requests");
            revocation.then().statusCode(201);
            assertThat(revocation.jsonPath().getString("status")).isEqualTo("APPROVED");
            assertThat(revocation.jsonPath().getString("decision.decider.kind")).isEqualTo("SYSTEM");
            assertThat(revocation.jsonPath().getString("decision.evidence.route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
            assertThat(revocation.jsonPath().getString("decision.evidence.subscriberCertificateSerial"))
                    .isEqualTo(renewedCert.getSerialNumber().toString(16));
            assertThat(execute(processor).revoked()).isEqualTo(1);
            assertThat(Ra.status(renewed).getString("certificate.status")).isEqualTo("REVOKED");

            // A revoked certificate signs nothing any more.
            given().body(ApplicantClient.renewal(newKey, renewedCert, ApplicantClient.csr(ApplicantClient.ecKey())))
                    .post("/renewals").then().statusCode(422)
                    .body("type", org.hamcrest.Matchers.endsWith("subscriber-certificate-revoked"));
        }
    }

    private static OrderBundleProcessor.Result execute(OrderBundleProcessor processor) {
        byte[] bundle = ca().get("/ca/order-bundles/next").then().statusCode(200).extract().asByteArray();
        OrderBundleProcessor.Result result = processor.process(bundle);
        ca().contentType("application/pkcs7-mime").body(result.resultBundle()).post("/ca/result-bundles")
                .then().statusCode(204);
        return result;
    }

    private static X509Certificate certificate(String applicationId) throws Exception {
        String pem = RestAssured.given().get("/applications/" + applicationId + "/certificate").then().statusCode(200)
                .extract().asString();
        List<X509Certificate> chain = new ArrayList<>();
        CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                pem.getBytes(StandardCharsets.US_ASCII))).forEach(c -> chain.add((X509Certificate) c));
        return chain.get(0);
    }

    /** What an outside verifier reads: {@code openssl x509 -noout -subject -nameopt utf8,...}. */
    private static String opensslSubject(X509Certificate cert, String name) throws Exception {
        Path pem = OUT.resolve(name + ".pem");
        Files.writeString(pem, "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        Process p = new ProcessBuilder("openssl", "x509", "-in", pem.toString(), "-noout", "-subject", "-nameopt",
                "utf8,sep_comma_plus_space,show_type").redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl x509 did not finish in 30 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static RequestSpecification given() {
        return RestAssured.given().contentType("application/cms");
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }
}
