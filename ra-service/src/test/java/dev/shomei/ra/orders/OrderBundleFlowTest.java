package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RA → CA orders through the real endpoints: approval makes an order, the CA (here a test stand-in that signs
 * results with the configured issuing CA key) pulls the signed bundle over mutual TLS and posts the result back.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class OrderBundleFlowTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static SimulatedCard hanako;

    @BeforeAll
    static void card() {
        JpkiPerson p = JpkiPerson.hanako();
        hanako = SimulatedCard.inSoftHsm("hanako-orders", p,
                kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), p));
    }

    @Test
    void anApprovedApplicationIsOrderedServedUntilAnsweredAndItsCertificateFetched() throws Exception {
        byte[] csr = ApplicantClient.csr(ApplicantClient.ecKey());
        String app = approved(csr);
        RestAssured.given().get("/applications/" + app + "/certificate").then().statusCode(404)
                .contentType("application/problem+json");
        assertThat(RestAssured.given().get("/applications/" + app + "/certificate").jsonPath().getString("code"))
                .isEqualTo("certificate-not-issued");

        byte[] bundle = bundleWith("app-" + app);
        JsonNode content = verifiedByRaCertificate(bundle);
        assertThat(content.path("format").asText()).isEqualTo("shomei-order-bundle/v1");
        JsonNode order = orderOf(content, "app-" + app);
        assertThat(order.path("type").asText()).isEqualTo("issue");
        assertThat(order.path("profile").asText()).isEqualTo("subscriber-signature");
        assertThat(Base64.getDecoder().decode(order.path("csr").asText())).isEqualTo(csr);
        Map<String, Object> decisionEntry = decisionBookEntry(app);
        assertThat(order.path("decision").path("id").asText()).isEqualTo(Ra.status(app).getString("decision.decisionId"));
        assertThat(order.path("decision").path("sha256").asText())
                .isEqualTo(ConfiguredFile.sha256Hex(JSON.writeValueAsBytes(decisionEntry)));

        // Not answered yet: the very same signed bytes again.
        assertThat(next().asByteArray()).isEqualTo(bundle);

        byte[] result = answer(content);
        ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").then().statusCode(204);
        // The same result again changes nothing.
        ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").then().statusCode(204);

        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
        assertThat(Ra.status(app).getString("certificate.status")).isEqualTo("ISSUED");
        String pem = RestAssured.given().get("/applications/" + app + "/certificate").then().statusCode(200)
                .extract().asString();
        List<X509Certificate> chain = new ArrayList<>();
        CertificateFactory.getInstance("X.509").generateCertificates(
                new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).forEach(c -> chain.add((X509Certificate) c));
        assertThat(chain).hasSize(2);
        chain.get(0).verify(chain.get(1).getPublicKey());
        assertThat(chain.get(0).getPublicKey().getEncoded()).isEqualTo(
                new PKCS10CertificationRequest(csr).getSubjectPublicKeyInfo().getEncoded());

        List<Map<String, Object>> issuance = Ra.auditor().get("/books/export?format=json&book=ISSUANCE&limit=1000")
                .then().statusCode(200).extract().jsonPath().getList("$");
        assertThat(issuance).filteredOn(e -> app.equals(e.get("subjectId"))).hasSize(1)
                .first().satisfies(e -> assertThat(((Map<?, ?>) e.get("entry")).get("serial"))
                        .isEqualTo(chain.get(0).getSerialNumber().toString(16)));

        // Answered: the next pull is a different bundle or nothing.
        Response after = next();
        if (after.statusCode() == 200) {
            assertThat(verifiedByRaCertificate(after.asByteArray()).path("bundleId").asText())
                    .isNotEqualTo(content.path("bundleId").asText());
        } else {
            assertThat(after.statusCode()).isEqualTo(204);
        }
    }

    @Test
    void anOfficerRevocationOfAnIssuedCertificateIsOrderedAndConfirmed() throws Exception {
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey()));
        JsonNode issueBundle = verifiedByRaCertificate(bundleWith("app-" + app));
        ca().contentType("application/pkcs7-mime").body(answer(issueBundle)).post("/ca/result-bundles")
                .then().statusCode(204);
        String rev = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", app, "reason", "subscriber reported the key lost at the counter"))
                .post("/officer/revocations").then().statusCode(201).extract().jsonPath()
                .getString("revocationRequestId");

        JsonNode content = verifiedByRaCertificate(bundleWith("rev-" + rev));
        JsonNode order = orderOf(content, "rev-" + rev);
        assertThat(order.path("type").asText()).isEqualTo("revoke");
        assertThat(order.path("serial").asText()).isEqualTo(Ra.status(app).getString("certificate.serial"));
        assertThat(order.path("reason").asText()).isEqualTo("unspecified");
        ca().contentType("application/pkcs7-mime").body(answer(content)).post("/ca/result-bundles")
                .then().statusCode(204);

        assertThat(RestAssured.given().get("/revocation-requests/" + rev).jsonPath().getString("status"))
                .isEqualTo("REVOKED");
        assertThat(Ra.status(app).getString("certificate.status")).isEqualTo("REVOKED");
        List<Map<String, Object>> revocations = Ra.auditor().get("/books/export?format=json&book=REVOCATION&limit=1000")
                .jsonPath().getList("$");
        assertThat(revocations).anySatisfy(e -> {
            assertThat(e.get("subjectId")).isEqualTo(rev);
            assertThat(((Map<?, ?>) e.get("entry")).get("status")).isEqualTo("revoked");
        });
    }

    /**
     * Found by fuzzing (ResultBundleFuzzTest, CA-signed content): a "revoked" result whose serial was not one (a long
     * non-hex string) failed the write of the holder's notice, HTTP 500. The CA may only confirm what the RA ordered.
     */
    @Test
    void aRevokedResultNamingAnotherCertificateIsRefusedAndChangesNothing() throws Exception {
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey()));
        ca().contentType("application/pkcs7-mime").body(answer(verifiedByRaCertificate(bundleWith("app-" + app))))
                .post("/ca/result-bundles").then().statusCode(204);
        String serial = Ra.status(app).getString("certificate.serial");
        String rev = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", app, "reason", "subscriber reported the key lost at the counter"))
                .post("/officer/revocations").then().statusCode(201).extract().jsonPath()
                .getString("revocationRequestId");
        JsonNode content = verifiedByRaCertificate(bundleWith("rev-" + rev));
        String other = new BigInteger(serial, 16).add(BigInteger.ONE).toString(16);
        for (String named : List.of("dLN0e2y5ZXDhcPBRqPgjEgA{g+VtM85STNlKauPXTAKBggqhkjOPQQDAgNJQDBGAiEAs0/SdaEeriOjGU8D71eRwqnbP",
                other, "")) {
            ObjectNode result = resultBundle(content);
            ObjectNode n = result.putArray("results").addObject().put("orderId", "rev-" + rev).put("status", "revoked")
                    .put("revokedAt", Instant.now().toString()).put("reason", "unspecified");
            if (!named.isEmpty()) {
                n.put("serial", named);
            }
            Response r = ca().contentType("application/pkcs7-mime").body(signAsCa(result)).post("/ca/result-bundles");
            r.then().statusCode(422).contentType("application/problem+json");
            assertThat(r.jsonPath().getString("code")).as(named).isEqualTo("result-serial-mismatch");
            assertThat(r.jsonPath().getString("detail")).contains("rev-" + rev, serial);
            assertThat(RestAssured.given().get("/revocation-requests/" + rev).jsonPath().getString("status"))
                    .isNotEqualTo("REVOKED");
        }
        // The result naming the ordered serial (in capitals and with a leading zero: the same number) is applied.
        ObjectNode result = resultBundle(content);
        result.putArray("results").addObject().put("orderId", "rev-" + rev).put("status", "revoked")
                .put("serial", "0" + serial.toUpperCase()).put("revokedAt", Instant.now().toString())
                .put("reason", "unspecified");
        ca().contentType("application/pkcs7-mime").body(signAsCa(result)).post("/ca/result-bundles")
                .then().statusCode(204);
        assertThat(RestAssured.given().get("/revocation-requests/" + rev).jsonPath().getString("status"))
                .isEqualTo("REVOKED");
        List<Map<String, Object>> revocations = Ra.auditor().get("/books/export?format=json&book=REVOCATION&limit=1000")
                .jsonPath().getList("$");
        assertThat(revocations).anySatisfy(e -> {
            assertThat(e.get("subjectId")).isEqualTo(rev);
            assertThat(((Map<?, ?>) e.get("entry")).get("serial")).isEqualTo(serial);
        });
    }

    @Test
    void aRefusalIsVisibleInTheApplicationStatus() throws Exception {
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey()));
        JsonNode content = verifiedByRaCertificate(bundleWith("app-" + app));
        ObjectNode refusal = resultBundle(content);
        ArrayNode results = refusal.putArray("results");
        for (JsonNode o : content.path("orders")) {
            results.addObject().put("orderId", o.path("orderId").asText()).put("status", "refused")
                    .put("reason", "the CSR's key is refused by the CA profile");
        }
        ca().contentType("application/pkcs7-mime").body(signAsCa(refusal)).post("/ca/result-bundles")
                .then().statusCode(204);

        assertThat(Ra.status(app).getString("status")).isEqualTo("CA_REFUSED");
        assertThat(Ra.status(app).getString("caRefusal")).contains("refused by the CA profile");
        Response cert = RestAssured.given().get("/applications/" + app + "/certificate");
        cert.then().statusCode(404);
        assertThat(cert.jsonPath().getString("detail")).contains("refused by the CA profile");
    }

    @Test
    void aRevokeOrderWhoseIssueOrderTheCaRefusedIsAnsweredInsteadOfWaitingForever() throws Exception {
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey()));
        JsonNode content = verifiedByRaCertificate(bundleWith("app-" + app));
        // Revoked before the certificate exists: the revoke order waits for the issue order's certificate.
        String rev = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", app, "reason", "applicant withdrew before issuance"))
                .post("/officer/revocations").then().statusCode(201).extract().jsonPath()
                .getString("revocationRequestId");
        // The CA refuses the issue order: no certificate will ever exist for the revoke order to name.
        ObjectNode refusal = resultBundle(content);
        ArrayNode results = refusal.putArray("results");
        for (JsonNode o : content.path("orders")) {
            results.addObject().put("orderId", o.path("orderId").asText()).put("status", "refused")
                    .put("reason", "profile 'x' may not be used by RA orders");
        }
        ca().contentType("application/pkcs7-mime").body(signAsCa(refusal)).post("/ca/result-bundles")
                .then().statusCode(204);
        // The next pull answers the revoke order as not applicable; it is never served to the CA.
        Response after = next();
        if (after.statusCode() == 200) {
            assertThat(verifiedByRaCertificate(after.asByteArray()).path("orders").findValuesAsText("orderId"))
                    .doesNotContain("rev-" + rev);
        }
        Response status = RestAssured.given().get("/revocation-requests/" + rev);
        assertThat(status.jsonPath().getString("status")).isEqualTo("CA_REFUSED");
        assertThat(status.asString()).contains("not applicable", "the CA refused issue order app-" + app);
    }

    @Test
    void aTamperedOrForeignResultIsRefusedAndChangesNothing() throws Exception {
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey()));
        JsonNode content = verifiedByRaCertificate(bundleWith("app-" + app));
        byte[] good = answer(content);
        byte[] tampered = good.clone();
        // Flip a byte inside the encapsulated JSON (the certificate's base64), keeping the DER structure intact.
        String s = new String(good, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("\"certificate\":\"") + 40;
        tampered[at] = (byte) (tampered[at] == 'A' ? 'B' : 'A');

        Response r = ca().contentType("application/pkcs7-mime").body(tampered).post("/ca/result-bundles");
        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("result-signature-invalid");

        Response garbage = ca().contentType("application/pkcs7-mime").body(new byte[] {1, 2, 3})
                .post("/ca/result-bundles");
        garbage.then().statusCode(400);
        assertThat(garbage.jsonPath().getString("code")).isEqualTo("cms-malformed");
        assertThat(Ra.status(app).getString("status")).isEqualTo("APPROVED");
        // Still unanswered: served again.
        assertThat(verifiedByRaCertificate(next().asByteArray()).path("bundleId").asText())
                .isEqualTo(content.path("bundleId").asText());

        ObjectNode unknown = resultBundle(content);
        unknown.put("orderBundleId", "no-such-bundle");
        unknown.putArray("results");
        Response u = ca().contentType("application/pkcs7-mime").body(signAsCa(unknown)).post("/ca/result-bundles");
        u.then().statusCode(422);
        assertThat(u.jsonPath().getString("code")).isEqualTo("order-bundle-unknown");

        ca().contentType("application/pkcs7-mime").body(good).post("/ca/result-bundles").then().statusCode(204);
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
    }

    @Test
    void aCertificateStatingTheCsrsSubjectInsteadOfTheVerifiedOneIsNotHandedToTheApplicant() throws Exception {
        // The applicant typed someone else's name and an organisation into the CSR; a CA that took it is refused.
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey(), "CN=Somebody Else,O=Some Company"));
        JsonNode content = verifiedByRaCertificate(bundleWith("app-" + app));

        Response r = ca().contentType("application/pkcs7-mime").body(answer(content, null, true))
                .post("/ca/result-bundles");

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("result-certificate-subject-mismatch");
        assertThat(Ra.status(app).getString("status")).isEqualTo("APPROVED");
        ca().contentType("application/pkcs7-mime").body(answer(content)).post("/ca/result-bundles").then().statusCode(204);
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
    }

    @Test
    void aCertificateForAnotherKeyThanTheCsrsIsNotHandedToTheApplicant() throws Exception {
        String app = approved(ApplicantClient.csr(ApplicantClient.ecKey()));
        JsonNode content = verifiedByRaCertificate(bundleWith("app-" + app));

        Response r = ca().contentType("application/pkcs7-mime").body(answer(content, ApplicantClient.ecKey().getPublic()))
                .post("/ca/result-bundles");

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("result-certificate-mismatch");
        assertThat(Ra.status(app).getString("status")).isEqualTo("APPROVED");
        ca().contentType("application/pkcs7-mime").body(answer(content)).post("/ca/result-bundles").then().statusCode(204);
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
    }

    @Test
    void onlyThePinnedCaClientCertificateMayPullOrPost() {
        Response officer = Ra.officer().get("/ca/order-bundles/next");
        officer.then().statusCode(403).contentType("application/problem+json");
        assertThat(officer.jsonPath().getString("code")).isEqualTo("ca-certificate-not-allowed");
        Response post = Ra.officer().contentType("application/pkcs7-mime").body(new byte[] {1})
                .post("/ca/result-bundles");
        post.then().statusCode(403);
        Response plain = RestAssured.given().get("/ca/order-bundles/next");
        plain.then().statusCode(401);
        assertThat(plain.jsonPath().getString("code")).isEqualTo("ca-certificate-required");
    }

    // ---- helpers ----

    private static String approved(byte[] csr) {
        Response r = Ra.submit(ApplicantClient.application(hanako, Claim.of(hanako.person()), csr));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        return r.jsonPath().getString("applicationId");
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }

    private static Response next() {
        return ca().get("/ca/order-bundles/next");
    }

    /** Pulls bundles, answering those of other tests' orders, until one holds {@code orderId}. */
    private static byte[] bundleWith(String orderId) throws Exception {
        for (int i = 0; i < 20; i++) {
            Response r = next();
            r.then().statusCode(200).contentType("application/pkcs7-mime");
            byte[] b = r.asByteArray();
            JsonNode content = verifiedByRaCertificate(b);
            if (orderOf(content, orderId) != null) {
                return b;
            }
            ca().contentType("application/pkcs7-mime").body(answer(content)).post("/ca/result-bundles")
                    .then().statusCode(204);
        }
        throw new AssertionError("order " + orderId + " was never served");
    }

    private static JsonNode orderOf(JsonNode content, String orderId) {
        for (JsonNode o : content.path("orders")) {
            if (orderId.equals(o.path("orderId").asText())) {
                return o;
            }
        }
        return null;
    }

    /** The application's DECISION book entry, following the export's pages (other tests fill the books too). */
    private static Map<String, Object> decisionBookEntry(String app) {
        String page = "/books/export?format=json&book=DECISION&limit=1000";
        while (page != null) {
            io.restassured.response.Response r = Ra.auditor().get(page);
            List<Map<String, Object>> entries = r.jsonPath().getList("$");
            for (Map<String, Object> x : entries) {
                if (app.equals(x.get("subjectId"))) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> e = (Map<String, Object>) x.get("entry");
                    return e;
                }
            }
            String link = r.getHeader("Link");
            page = link == null ? null : link.substring(link.indexOf('<') + 1, link.indexOf('>'));
        }
        throw new AssertionError("no DECISION book entry for application " + app);
    }

    /** Verifies the bundle with BouncyCastle against the RA's order-signing certificate, returns its JSON. */
    private static JsonNode verifiedByRaCertificate(byte[] bundle) throws Exception {
        X509Certificate ra = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Base64.getDecoder().decode(Ra.config("test.orders.ra-signing-certificate"))));
        CMSSignedData signed = new CMSSignedData(bundle);
        SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
        assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(ra))).isTrue();
        assertThat(si.getDigestAlgOID()).isEqualTo("2.16.840.1.101.3.4.2.1");
        assertThat(signed.getCertificates().getMatches(null)).contains(new JcaX509CertificateHolder(ra));
        return JSON.readTree((byte[]) signed.getSignedContent().getContent());
    }

    private static ObjectNode resultBundle(JsonNode orderBundle) {
        ObjectNode r = JSON.createObjectNode();
        r.put("format", "shomei-result-bundle/v1");
        r.put("orderBundleId", orderBundle.path("bundleId").asText());
        r.put("createdAt", Instant.now().toString());
        return r;
    }

    /** What the CA would answer: issue every issue order from its CSR, revoke every revoke order. */
    private static byte[] answer(JsonNode orderBundle) throws Exception {
        return answer(orderBundle, null, false);
    }

    private static byte[] answer(JsonNode orderBundle, java.security.PublicKey otherKey) throws Exception {
        return answer(orderBundle, otherKey, false);
    }

    /**
     * As {@link #answer(JsonNode)}, a CA that issues under the subject each order states; with {@code otherKey}, every
     * certificate certifies that key, not the CSR's; with {@code csrSubject}, it states the CSR's subject instead.
     */
    private static byte[] answer(JsonNode orderBundle, java.security.PublicKey otherKey, boolean csrSubject)
            throws Exception {
        ObjectNode r = resultBundle(orderBundle);
        ArrayNode results = r.putArray("results");
        KeyStore ks = dev.shomei.ra.testkit.StandInCa.caKeyStore();
        X509Certificate ca = (X509Certificate) ks.getCertificate("ca");
        PrivateKey key = (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray());
        for (JsonNode o : orderBundle.path("orders")) {
            ObjectNode n = results.addObject().put("orderId", o.path("orderId").asText());
            if (o.path("type").asText().equals("issue")) {
                PKCS10CertificationRequest csr = new PKCS10CertificationRequest(
                        Base64.getDecoder().decode(o.path("csr").asText()));
                Instant now = Instant.now();
                BigInteger serial = new BigInteger(64, new SecureRandom());
                X509Certificate c = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                        new JcaX509CertificateHolder(ca).getSubject(), serial, Date.from(now),
                        Date.from(now.plus(Duration.ofDays(365))), csrSubject ? csr.getSubject() : orderedSubject(o),
                        otherKey != null ? otherKey
                                : new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo()))
                        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
                n.put("status", "issued").put("serial", serial.toString(16))
                        .put("certificate", Base64.getEncoder().encodeToString(c.getEncoded())).put("repeated", false);
            } else {
                n.put("status", "revoked").put("serial", o.path("serial").asText())
                        .put("revokedAt", Instant.now().toString()).put("reason", o.path("reason").asText());
            }
        }
        return signAsCa(r);
    }

    /** The subject an issue order states (C as PrintableString, the rest UTF8String, as the CA encodes them). */
    private static org.bouncycastle.asn1.x500.X500Name orderedSubject(JsonNode order) {
        org.bouncycastle.asn1.x500.X500NameBuilder b =
                new org.bouncycastle.asn1.x500.X500NameBuilder(org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE);
        for (JsonNode a : order.path("subject")) {
            b.addRDN(org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE.attrNameToOID(a.path("type").asText()),
                    a.path("value").asText());
        }
        return b.build();
    }

    private static byte[] signAsCa(ObjectNode content) throws Exception {
        return dev.shomei.ra.testkit.StandInCa.signAsCa(content);
    }
}
