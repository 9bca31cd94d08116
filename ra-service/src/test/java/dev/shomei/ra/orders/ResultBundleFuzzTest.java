package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.Ra;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.MutualTlsClient;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import dev.shomei.testsupport.Fuzz;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the RA's ingestion of CA result bundles ({@link Orders#ingest}, docs/order-bundles.md) through its HTTP path,
 * {@code POST /ca/result-bundles} over mutual TLS with the CA's client certificate, on a running RA with real order
 * bundles waiting for their answer. Two kinds of input, alternating:
 * <ul>
 * <li><b>unsigned</b>: mutations of result bundles the CA signed (the CMS bytes changed, so the signature no longer
 * covers them unless the change missed what is signed): accepted only if the content is byte for byte one the CA
 * signed;</li>
 * <li><b>signed</b>: mutations of the result JSON, then signed with the CA's result signer key, as a CA with a bug (or
 * a stolen key) would: they pass the signature check and reach the parser and the order bookkeeping.</li>
 * </ul>
 * Every input ends in 204 or a 4xx problem+json, never a 5xx. Every {@value #SEGMENT} inputs the bundle is answered
 * properly and checked: the application is issued with a certificate from the CA for its CSR's key (or refused),
 * whatever the fuzzer posted before; then a new application, and a revocation of the one before, make the next bundle.
 * The same two kinds of input also run in process ({@link #inProcessUnsignedOnlyWhatTheCaSignedIsRead},
 * {@link #inProcessSignedNothingButOneStrictJsonObjectIsRead}), fast enough for a million each.
 *
 * <p>Zone: tests only (the RA's code, on loopback, with its test database).
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
@Tag("fuzz")
class ResultBundleFuzzTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final JpkiPerson PERSON = JpkiPerson.of("結果", "試験", "1", java.time.LocalDate.of(1980, 1, 2),
            "大阪府大阪市中央区大手前二丁目1番22号");
    /** Inputs per order bundle: then the bundle is answered properly and a new one made. */
    static final int SEGMENT = 2_000;
    /** Client threads posting a segment's inputs over HTTP. */
    static final int THREADS = 4;

    static Fuzz.Target unsignedTarget = new Fuzz.Target("ra-service Orders.ingest, unsigned mutations"
            + " (POST /ca/result-bundles)", ResultBundleFuzzTest::refusal);
    static Fuzz.Target signedTarget = new Fuzz.Target("ra-service Orders.ingest, CA-signed mutated content"
            + " (POST /ca/result-bundles)", ResultBundleFuzzTest::refusal);
    static Fuzz.Target verifyUnsigned = new Fuzz.Target("ra-service Orders.verifiedResult, unsigned mutations"
            + " (in process)", ResultBundleFuzzTest::inProcessRefusal);
    static Fuzz.Target verifySigned = new Fuzz.Target("ra-service Orders.verifiedResult, CA-signed mutated content"
            + " (in process)", ResultBundleFuzzTest::inProcessRefusal);
    /** An independent reader of the signed content: one JSON value, no key twice (RFC 8259 section 4), nothing after. */
    static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** A 4xx problem+json from the RA: the documented refusal. */
    static final class Refused extends Exception {
        Refused(String why) {
            super(why, null, false, false);
        }
    }

    static boolean refusal(Throwable t) {
        return t instanceof Refused;
    }

    @AfterAll
    static void report() {
        List<Fuzz.Target> run = List.of(unsignedTarget, signedTarget, verifyUnsigned, verifySigned).stream()
                .filter(t -> t.inputs() > 0).toList();
        run.forEach(Fuzz.Target::report);
        run.forEach(t -> assertThat(t.accepted()).as("the unchanged samples are accepted").isPositive());
    }

    /** One order bundle waiting for its result, and the result bundles made for it. */
    record Fixture(String application, JsonNode orderBundle, byte[] answer, List<byte[]> signed,
                   List<byte[]> contents) {}

    /** The SHA-256 (hex) of every content signed by the CA's result signer in this run; several threads add to it. */
    final Set<String> signedContents = ConcurrentHashMap.newKeySet();
    MutualTlsClient ca;
    SimulatedCard card;
    PrivateKey caKey;
    X509Certificate caCertificate;
    /**
     * The CA's result signer, as production signs results (docs/order-bundles.md, "The result signer"): a key of its
     * own, certified by the issuing CA for digitalSignature and resultBundleSigning only, its certificate carried in
     * the bundle with the issuing CA's; in memory, so that signing each input costs a software signature.
     */
    PrivateKey resultKey;
    X509Certificate resultSigner;
    /** The RA's own: its result-signature check and its ObjectMapper (StrictJson), as Orders.ingest uses them. */
    @Inject
    OrderSigning signing;
    @Inject
    CaGenerations generations;
    @Inject
    ObjectMapper raJson;

    void setUp() throws Exception {
        ca = new MutualTlsClient("test.orders.ca-client-keystore");
        java.security.KeyPair cardKey = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(cardKey, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(),
                PERSON));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(Ra.config("test.orders.issuing-ca-keystore")))) {
            ks.load(in, Ra.config("test.tls.password").toCharArray());
        }
        caCertificate = (X509Certificate) ks.getCertificate("ca");
        caKey = (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray());
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair results = g.generateKeyPair();
        resultKey = results.getPrivate();
        Instant now = Instant.now();
        resultSigner = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                caCertificate, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(Duration.ofDays(2))), new javax.security.auth.x500.X500Principal(
                        "CN=Shomei Fuzz Result Signer,O=Shomei Test,C=JP"), results.getPublic())
                .addExtension(org.bouncycastle.asn1.x509.Extension.keyUsage, true,
                        new org.bouncycastle.asn1.x509.KeyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature))
                .addExtension(org.bouncycastle.asn1.x509.Extension.extendedKeyUsage, false,
                        new org.bouncycastle.asn1.x509.ExtendedKeyUsage(org.bouncycastle.asn1.x509.KeyPurposeId
                                .getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(
                                        ResultBundleSignature.RESULT_BUNDLE_SIGNING_OID))))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
    }

    /**
     * The same two kinds of input, given in process to what {@link Orders#ingest} does before it touches the database
     * ({@link Orders#verifiedResult}: the CMS, the result signer, the signed JSON read by the RA's strict
     * ObjectMapper), on two threads: thousands of inputs per second where the HTTP path above runs tens. Refused
     * means a {@link RaProblem} with a 4xx status (what the HTTP path answers as problem+json). The samples answer a
     * real order bundle of the running RA, which is then answered properly, so nothing is left waiting.
     *
     * <p>Unsigned inputs: accepted only if the content is byte for byte one the CA signed.
     */
    @Test
    void inProcessUnsignedOnlyWhatTheCaSignedIsRead() throws Exception {
        setUp();
        Fixture f = fixture(null);
        Fuzz.parallel(2, Fuzz.tries(), n -> {
            byte[] input = Fuzz.input(f.signed(), n);
            if (verifyUnsigned.check(input, in -> Orders.verifiedResult(in, signing, raJson, generations))) {
                Fuzz.oracle(input, x -> {
                    byte[] content = (byte[]) new CMSSignedData(x).getSignedContent().getContent();
                    assertThat(signedContents).as("an accepted result bundle carries content the CA signed")
                            .contains(ConfiguredFile.sha256Hex(content));
                });
            }
        });
        finish(f);
    }

    /**
     * Signed inputs: mutated result JSON signed by the result signer (each input costs the test one ECDSA signature
     * and the RA two ECDSA verifications, docs/fuzzing.md), accepted only if the content is UTF-8, one JSON object
     * without a key twice, of the result format, and read by the RA as an independent strict reader reads it.
     */
    @Test
    void inProcessSignedNothingButOneStrictJsonObjectIsRead() throws Exception {
        setUp();
        Fixture f = fixture(null);
        // Each target its own fuzz.tries inputs (the HTTP test splits its tries between the two).
        Fuzz.parallel(2, Fuzz.tries(), n -> {
            byte[] content = Fuzz.input(f.contents(), n);
            JsonNode[] read = new JsonNode[1];
            if (verifySigned.check(content, in -> read[0] = Orders.verifiedResult(sign(in), signing, raJson,
                    generations).content())) {
                // What the RA read is the one JSON object the CA signed: read again by a strict reader of its own.
                Fuzz.oracle(content, x -> {
                    assertThat(Fuzz.isUtf8(x)).as("UTF-8 (RFC 8259 section 8.1)").isTrue();
                    assertThat(STRICT.readTree(x)).isEqualTo(read[0]);
                    assertThat(read[0].isObject()).isTrue();
                    assertThat(read[0].path("format").asText()).isEqualTo(Orders.RESULT_FORMAT);
                    assertThat(strings(read[0])).as("no U+0000 (PostgreSQL text cannot hold it)")
                            .noneMatch(t -> t.indexOf('\0') >= 0);
                });
            }
        });
        finish(f);
    }

    /** Every key and string value in {@code node}. */
    static List<String> strings(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node.isTextual()) {
            out.add(node.textValue());
        }
        node.fields().forEachRemaining(e -> {
            out.add(e.getKey());
            out.addAll(strings(e.getValue()));
        });
        if (node.isArray()) {
            node.forEach(n -> out.addAll(strings(n)));
        }
        return out;
    }

    /** A refusal of Orders.verifiedResult: what the RA answers with a 4xx problem+json. */
    static boolean inProcessRefusal(Throwable t) {
        return t instanceof RaProblem p && p.status() >= 400 && p.status() < 500;
    }

    @Test
    void onlyWhatTheCaSignedIsAppliedAndNothingFailsTheRa() throws Exception {
        setUp();
        String issued = null;
        for (int start = 0; start < Fuzz.tries(); start += SEGMENT) {
            Fixture f = fixture(issued);
            int first = start;
            // The segment's inputs on several client threads, over the one keep-alive client: the RA serves requests
            // concurrently (the bundle's row lock orders the ingests of one bundle), so the cores are not idle while
            // one request waits for the database or the network.
            Fuzz.parallel(THREADS, Math.min(SEGMENT, Fuzz.tries() - start), i -> fuzzHttp(f, first + i));
            issued = finish(f);
        }
    }

    /** Input {@code n} over HTTP: even, an unsigned mutation of a result bundle; odd, mutated content then signed. */
    void fuzzHttp(Fixture f, int n) throws Exception {
        if (n % 2 == 0) {
            byte[] input = Fuzz.input(f.signed(), n);
            if (unsignedTarget.check(input, this::post)) {
                // Accepted without being signed as it stands: only if what it carries is exactly what was signed.
                Fuzz.oracle(input, x -> {
                    byte[] content = (byte[]) new CMSSignedData(x).getSignedContent().getContent();
                    assertThat(signedContents).as("an accepted result bundle carries content the CA signed")
                            .contains(ConfiguredFile.sha256Hex(content));
                });
            }
        } else {
            byte[] content = Fuzz.input(f.contents(), n);
            signedTarget.check(content, in -> post(sign(in)));
        }
    }

    /** POSTs a result bundle: 204 is acceptance, a 4xx problem+json a refusal, anything else a finding. */
    void post(byte[] cms) throws Exception {
        HttpResponse<String> r = ca.post("/ca/result-bundles", "application/pkcs7-mime", cms);
        if (r.statusCode() == 204) {
            return;
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (r.statusCode() >= 400 && r.statusCode() < 500 && type.startsWith("application/problem+json")) {
            throw new Refused(r.body());
        }
        throw new AssertionError("HTTP " + r.statusCode() + " (" + type + "): " + r.body());
    }

    /**
     * Answers the bundle as the CA would and checks what the fuzzing left: the application was issued a certificate
     * of the CA for its CSR's key, or is refused; returns the application if issued.
     */
    String finish(Fixture f) throws Exception {
        try {
            post(f.answer());
        } catch (Refused e) {
            // A CA-signed input of the segment answered the bundle without this application's order (accepted: the
            // CA signed it). The RA then put the order back in its queue, as it does with every order a CA's first
            // answer to a bundle leaves out, and this bundle no longer holds it: answer the bundle it is in now.
            if (!e.getMessage().contains("\"code\":\"order-unknown\"")) {
                throw e;
            }
            post(sign(JSON.writeValueAsBytes(answer(bundleWith("app-" + f.application())))));
        }
        String status = Ra.status(f.application()).getString("status");
        assertThat(status).as("the application after its bundle was answered").isIn("ISSUED", "CA_REFUSED");
        if (!status.equals("ISSUED")) {
            return null;
        }
        String pem = RestAssured.given().get("/applications/" + f.application() + "/certificate").then()
                .statusCode(200).extract().asString();
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(
                new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).iterator().next();
        cert.verify(caCertificate.getPublicKey());
        byte[] csr = csrOf(f.orderBundle(), "app-" + f.application());
        assertThat(cert.getPublicKey().getEncoded()).as("the certificate handed out certifies the CSR's key")
                .isEqualTo(new PKCS10CertificationRequest(csr).getSubjectPublicKeyInfo().getEncoded());
        return f.application();
    }

    /** A new approved application, an officer's revocation of the last issued one, and the bundle holding them. */
    Fixture fixture(String issued) throws Exception {
        if (issued != null) {
            Ra.officer().contentType("application/json")
                    .body(Map.of("applicationId", issued, "reason", "fuzzing the result of a revoke order"))
                    .post("/officer/revocations").then().statusCode(201);
        }
        io.restassured.response.Response r = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        String app = r.jsonPath().getString("applicationId");
        JsonNode bundle = bundleWith("app-" + app);

        List<ObjectNode> results = new ArrayList<>();
        results.add(answer(bundle));
        ObjectNode refused = resultBundle(bundle);
        ArrayNode list = refused.putArray("results");
        for (JsonNode o : bundle.path("orders")) {
            list.addObject().put("orderId", o.path("orderId").asText()).put("status", "refused")
                    .put("reason", "the CSR's key is refused by the CA profile");
        }
        results.add(refused);
        ObjectNode unknown = answer(bundle);
        unknown.put("orderBundleId", "no-such-bundle");
        results.add(unknown);
        List<byte[]> contents = new ArrayList<>();
        List<byte[]> signed = new ArrayList<>();
        for (ObjectNode o : results) {
            byte[] c = JSON.writeValueAsBytes(o);
            contents.add(c);
            signed.add(sign(c));
        }
        return new Fixture(app, bundle, signed.get(0), signed, contents);
    }

    /** Pulls order bundles, answering those that do not hold {@code orderId}, until one does. */
    JsonNode bundleWith(String orderId) throws Exception {
        for (int i = 0; i < 20; i++) {
            byte[] b = Ra.tls().keyStore(new java.io.File(Ra.config("test.orders.ca-client-keystore")),
                    Ra.config("test.tls.password")).get("/ca/order-bundles/next").then().statusCode(200).extract()
                    .asByteArray();
            JsonNode content = JSON.readTree((byte[]) new CMSSignedData(b).getSignedContent().getContent());
            for (JsonNode o : content.path("orders")) {
                if (orderId.equals(o.path("orderId").asText())) {
                    return content;
                }
            }
            post(sign(JSON.writeValueAsBytes(answer(content))));
        }
        throw new AssertionError("order " + orderId + " was never served");
    }

    static byte[] csrOf(JsonNode bundle, String orderId) {
        for (JsonNode o : bundle.path("orders")) {
            if (orderId.equals(o.path("orderId").asText())) {
                return Base64.getDecoder().decode(o.path("csr").asText());
            }
        }
        throw new AssertionError("no order " + orderId);
    }

    static ObjectNode resultBundle(JsonNode orderBundle) {
        ObjectNode r = JSON.createObjectNode();
        r.put("format", Orders.RESULT_FORMAT);
        r.put("orderBundleId", orderBundle.path("bundleId").asText());
        r.put("createdAt", Instant.now().toString());
        return r;
    }

    /** What a correct CA answers: each issue order issued from its CSR under the ordered subject, each revoke done. */
    ObjectNode answer(JsonNode orderBundle) throws Exception {
        ObjectNode r = resultBundle(orderBundle);
        dev.shomei.ra.testkit.StandInCa.results(r, orderBundle, caCertificate, caKey);
        return r;
    }

    /**
     * Signs {@code content} as the CA signs result bundles (ca-core's OrderBundleProcessor: CMS SignedData,
     * encapsulated, one signer, the result signer's key, carrying its certificate and the issuing CA's).
     */
    byte[] sign(byte[] content) throws Exception {
        signedContents.add(ConfiguredFile.sha256Hex(content));
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(resultKey), resultSigner));
        g.addCertificates(new JcaCertStore(List.of(resultSigner, caCertificate)));
        return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
    }
}
