package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JlisControl;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.MutualTlsClient;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import dev.shomei.testsupport.Fuzz;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the JSON bodies of the RA officers' API over its HTTP path (mutual TLS with an officer's certificate): an
 * officer's decision on an application ({@code POST /officer/applications/{id}/decision}) and on a revocation request
 * ({@code POST /officer/revocation-requests/{id}/decision}), and an officer's revocation ({@code POST
 * /officer/revocations}), from mutations of valid bodies, against subjects that await exactly those calls (a referred
 * application, a referred revocation request, an approved application; new ones every {@value #SEGMENT} inputs, whose
 * {@value #THREADS} client threads share them). Every body ends in a 2xx or a 4xx problem+json, never a 5xx; a body
 * accepted, or refused with 409 because an earlier body settled its subject (the state is checked after the body), must
 * be one JSON object in UTF-8, without a key given twice, that names the outcome (or application) and a reason.
 *
 * <p>Zone: tests only (the RA's code, on loopback, with its test database and the simulated J-LIS).
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
@Tag("fuzz")
class OfficerApiFuzzTest {

    static final JpkiPerson PERSON = JpkiPerson.of("審査", "試験", "2", java.time.LocalDate.of(1975, 6, 7),
            "福岡県福岡市博多区東公園7番7号");
    static final JpkiPerson MOVED = PERSON.withAddress("沖縄県那覇市泉崎一丁目2番2号");
    /** Inputs per set of subjects. */
    static final int SEGMENT = 3_000;
    /** Client threads posting a segment's inputs. */
    static final int THREADS = 4;
    /** Bodies that passed the resource's checks and were refused by the subject's state (409). */
    static final java.util.concurrent.atomic.AtomicLong stateRefusals = new java.util.concurrent.atomic.AtomicLong();
    /** What an accepted body must be: one JSON object, no key twice (RFC 8259 section 4), nothing after it. */
    static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    static final Fuzz.Target applicationDecision = new Fuzz.Target(
            "ra-service officer decision on an application (POST /officer/applications/{id}/decision)",
            OfficerApiFuzzTest::refusal);
    static final Fuzz.Target revocationDecision = new Fuzz.Target(
            "ra-service officer decision on a revocation request (POST /officer/revocation-requests/{id}/decision)",
            OfficerApiFuzzTest::refusal);
    static final Fuzz.Target revocation = new Fuzz.Target(
            "ra-service officer revocation (POST /officer/revocations)", OfficerApiFuzzTest::refusal);

    static final List<byte[]> DECISIONS = List.of(
            ApplicantClient.json(Map.of("outcome", "REJECTED", "reason", "the applicant withdrew at the counter")),
            ApplicantClient.json(Map.of("outcome", "APPROVED", "reason", "card checked in person with the J-LIS"
                    + " terminal", "certifiedName", "試験 審査", "jlisOverride", true)),
            ApplicantClient.json(Map.of("outcome", "APPROVED", "reason", "residence record checked")));

    /** A 4xx problem+json: the documented refusal. */
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
        List<Fuzz.Target> run = List.of(applicationDecision, revocationDecision, revocation).stream()
                .filter(t -> t.inputs() > 0).toList();
        run.forEach(Fuzz.Target::report);
        System.out.printf("fuzz: officer bodies that passed the checks and were refused by the subject's state (409,"
                + " oracle checked): %d%n", stateRefusals.get());
        run.forEach(t -> assertThat(t.accepted()).as("some valid bodies are accepted").isPositive());
    }

    record Subjects(String referredApplication, String referredRevocation, String approvedApplication,
                    List<byte[]> revocations) {}

    KeyPair cardKey;
    KeyPair movedCardKey;

    @Test
    void everyBodyIsAcceptedOrRefusedWithAProblemNeverAServerError() throws Exception {
        MutualTlsClient officer = new MutualTlsClient("test.tls.officer-keystore");
        cardKey = SimulatedCard.rsaKey();
        movedCardKey = SimulatedCard.rsaKey();
        for (int start = 0; start < Fuzz.tries(); start += SEGMENT) {
            Subjects x = subjects();
            int first = start;
            // The segment's inputs on several client threads, over the one keep-alive client: the RA serves requests
            // concurrently, so the cores are not idle while one request waits for the database or the network.
            Fuzz.parallel(THREADS, Math.min(SEGMENT, Fuzz.tries() - start), i -> fuzz(officer, x, first + i));
        }
    }

    /** Input {@code n}: a body for one of the three calls, against the segment's subjects. */
    void fuzz(MutualTlsClient officer, Subjects x, int n) {
        switch (n % 3) {
            case 0 -> {
                byte[] in = Fuzz.input(DECISIONS, n);
                if (applicationDecision.check(in, b -> post(officer,
                        "/officer/applications/" + x.referredApplication() + "/decision", b,
                        OfficerApiFuzzTest::assertDecision))) {
                    Fuzz.oracle(in, OfficerApiFuzzTest::assertDecision);
                }
            }
            case 1 -> {
                byte[] in = Fuzz.input(DECISIONS, n);
                if (revocationDecision.check(in, b -> post(officer,
                        "/officer/revocation-requests/" + x.referredRevocation() + "/decision", b,
                        OfficerApiFuzzTest::assertDecision))) {
                    Fuzz.oracle(in, OfficerApiFuzzTest::assertDecision);
                }
            }
            default -> {
                byte[] in = Fuzz.input(x.revocations(), n);
                Fuzz.Body assertRevocation = b -> {
                    assertThat(Fuzz.isUtf8(b)).as("UTF-8 (RFC 8259 section 8.1)").isTrue();
                    JsonNode body = STRICT.readTree(b);
                    assertThat(body.isObject()).isTrue();
                    // The RA reads the id as a UUID (OfficerResource.uuid): the same one, however it is written.
                    assertThat(UUID.fromString(body.path("applicationId").asText()))
                            .isEqualTo(UUID.fromString(x.approvedApplication()));
                    assertThat(body.path("reason").asText()).as("the reason kept in the books").isNotBlank();
                    assertStorable(body, "reason", "certificateSerial");
                    assertRevocationFits(body);
                };
                if (revocation.check(in, b -> post(officer, "/officer/revocations", b, assertRevocation))) {
                    Fuzz.oracle(in, assertRevocation);
                }
            }
        }
    }

    /** An accepted decision body: one object, no key twice, a known outcome and a reason. */
    static void assertDecision(byte[] in) throws Exception {
        assertThat(Fuzz.isUtf8(in)).as("UTF-8 (RFC 8259 section 8.1)").isTrue();
        JsonNode body = STRICT.readTree(in);
        assertThat(body.isObject()).isTrue();
        assertThat(body.path("outcome").asText()).isIn("APPROVED", "REJECTED");
        assertThat(body.path("reason").asText()).as("the reason kept in the books").isNotBlank();
        assertStorable(body, "reason", "certifiedName");
    }

    /** An officer's revocation fits its row: reason and serial no longer than revocation_request's columns. */
    static void assertRevocationFits(JsonNode body) {
        String reason = body.path("reason").asText("");
        String serial = body.path("certificateSerial").asText("");
        assertThat(reason.codePointCount(0, reason.length())).as("reason length").isLessThanOrEqualTo(256);
        assertThat(serial.codePointCount(0, serial.length())).as("certificateSerial length").isLessThanOrEqualTo(64);
    }

    /** Text the books keep holds no U+0000: PostgreSQL text cannot (the write would fail, an HTTP 500). */
    static void assertStorable(JsonNode body, String... fields) {
        for (String f : fields) {
            assertThat(body.path(f).asText("")).as(f + " without U+0000").doesNotContain("\0");
        }
    }

    /**
     * POSTs a body: a 2xx is acceptance, a 4xx problem+json a refusal, anything else a finding. A 409 comes only after
     * the body passed every check of the resource (OfficerResource: the body is read and checked before the subject's
     * state is), so a 409 body must pass the same oracle as an accepted one: subjects settled by an earlier input of
     * the segment still have every body checked.
     */
    static void post(MutualTlsClient client, String path, byte[] body, Fuzz.Body oracle) throws Exception {
        HttpResponse<String> r = client.post(path, "application/json", body);
        if (r.statusCode() >= 200 && r.statusCode() < 300) {
            return;
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (r.statusCode() >= 400 && r.statusCode() < 500 && type.startsWith("application/problem+json")) {
            if (r.statusCode() == 409) {
                stateRefusals.incrementAndGet();
                Fuzz.oracle(body, oracle);
            }
            throw new Refused(r.body());
        }
        throw new AssertionError("HTTP " + r.statusCode() + " (" + type + "): " + r.body());
    }

    /** A referred application (J-LIS does not know the card), an approved one, and a referred revocation of it. */
    Subjects subjects() {
        SimulatedCard card = SimulatedCard.inSoftware(cardKey, PERSON,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON));
        String referred;
        JlisControl.ocspMode("unknown");
        try {
            Response r = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                    ApplicantClient.csr(ApplicantClient.ecKey())));
            r.then().statusCode(201);
            assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
            referred = r.jsonPath().getString("applicationId");
        } finally {
            JlisControl.ocspMode("good");
        }
        Response a = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        a.then().statusCode(201);
        assertThat(a.jsonPath().getString("status")).isEqualTo("APPROVED");
        String approved = a.jsonPath().getString("applicationId");
        // The subscriber's card now states another address: the revocation request goes to an officer.
        SimulatedCard moved = SimulatedCard.inSoftware(movedCardKey, MOVED,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, movedCardKey.getPublic(), MOVED));
        Response q = Ra.revocationRequest(ApplicantClient.revocationRequest(moved, approved, "affiliationChanged"));
        q.then().statusCode(201);
        assertThat(q.jsonPath().getString("status")).isEqualTo("REFERRED");
        List<byte[]> revocations = List.of(
                ApplicantClient.json(Map.of("applicationId", approved, "reason", "the subscriber reported the card"
                        + " lost at the counter")),
                ApplicantClient.json(Map.of("applicationId", approved, "certificateSerial", "7a3f09",
                        "reason", "keyCompromise")));
        return new Subjects(referred, q.jsonPath().getString("revocationRequestId"), approved, revocations);
    }
}
