package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ra.Ra;
import dev.shomei.ra.books.AuditCheckpointSchedule;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RestartableRaEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import dev.shomei.ra.testkit.StandInCa;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.io.File;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.cms.CMSSignedData;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The RA's ingest of a CA result bundle ({@code POST /ca/result-bundles}, {@link Orders#ingest}) crashed at each of
 * its crash points ({@link CrashPoints}; docs/faults.md), in three ways:
 * <ul>
 *   <li><b>process</b>: an {@link Error} at the point; the transaction is rolled back and abandoned, the CA gets no
 *       answer (HTTP 500), as a killed RA's PostgreSQL session drops it;</li>
 *   <li><b>database</b>: the RA's PostgreSQL is killed (SIGKILL, postmaster and backends) at the point and started
 *       again; the RA carries on with broken connections;</li>
 *   <li><b>both</b>: PostgreSQL killed, then the Error.</li>
 * </ul>
 * A real SIGKILL of an RA JVM is in {@link IngestKillIT}. After each crash the CA delivers the same result bundle
 * again (and once more: it is idempotent) until the RA answers 204, and then: every order of the bundle is answered
 * once; each application is ISSUED once with the CA's certificate, the revocation request REVOKED once; exactly one
 * ISSUANCE or REVOCATION book entry, one notice in the outbox with its NOTICE book entry, and one {@code order.*}
 * audit entry for each; no subject anywhere has two; the order bundle is answered with these bytes; the audit log
 * verifies against the checkpoint signed before the crash and one signed after.
 */
@QuarkusTest
@WithTestResource(RestartableRaEnvironment.class)
@Tag("fault")
class IngestCrashPointTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SUMMARY = new ArrayList<>();
    static SimulatedCard card;

    enum Mode { PROCESS, DATABASE, BOTH }

    /** A crash of the RA process at a point: nothing of the RA catches it. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String where) {
            super("simulated crash at " + where);
        }
    }

    @Inject
    AuditCheckpointSchedule checkpoints;

    @BeforeAll
    static void card() {
        JpkiPerson p = JpkiPerson.hanako();
        card = SimulatedCard.inSoftHsm("hanako-ingest-faults", p,
                kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), p));
    }

    @AfterEach
    void clear() {
        CrashPoints.clear();
        RestartableRaEnvironment.restartIfDown();
    }

    @AfterAll
    static void summary() {
        System.out.println("fault suite (RA ingest): " + SUMMARY.size() + " crash(es) exercised");
        SUMMARY.forEach(s -> System.out.println("  " + s));
    }

    // The bundle holds, in this order: the revoke order, then two issue orders.

    @Test
    void afterVerify() throws Exception {
        everyMode(CrashPoints.INGEST_AFTER_VERIFY, 1);
    }

    @Test
    void afterTheRevocationIsRecorded() throws Exception {
        everyMode(CrashPoints.INGEST_AFTER_RECORD, 1);
    }

    @Test
    void afterTheFirstIssuanceIsRecorded() throws Exception {
        everyMode(CrashPoints.INGEST_AFTER_RECORD, 2);
    }

    @Test
    void afterTheLastAuditAppend() throws Exception {
        everyMode(CrashPoints.INGEST_AFTER_AUDIT_APPEND, 3);
    }

    @Test
    void beforeCommit() throws Exception {
        everyMode(CrashPoints.INGEST_BEFORE_COMMIT, 1);
    }

    @Test
    void afterCommitBeforeTheAnswer() throws Exception {
        everyMode(CrashPoints.INGEST_AFTER_COMMIT, 1);
    }

    private void everyMode(String point, int nth) throws Exception {
        for (Mode mode : Mode.values()) {
            crashAndRedeliver(point, nth, mode);
        }
    }

    private void crashAndRedeliver(String point, int nth, Mode mode) throws Exception {
        // Step 1: an issued certificate whose revocation is ordered, and two more applications approved.
        String issued = approved(card);
        StandInCa.execute("app-" + issued);
        String rev = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", issued, "reason", "the holder reported the key lost"))
                .post("/officer/revocations").then().statusCode(201).extract().jsonPath().getString("revocationRequestId");
        String a1 = approved(card);
        String a2 = approved(card);
        // Step 2: the CA pulls the bundle and answers it (the bytes it will deliver again after the crash).
        Response pulled = ca().get("/ca/order-bundles/next");
        pulled.then().statusCode(200);
        JsonNode bundle = JSON.readTree((byte[]) new CMSSignedData(pulled.asByteArray()).getSignedContent().getContent());
        assertThat(bundle.path("orders").findValuesAsText("orderId"))
                .containsExactly("rev-" + rev, "app-" + a1, "app-" + a2);
        byte[] result = answer(bundle);
        JsonNode results = JSON.readTree((byte[]) new CMSSignedData(result).getSignedContent().getContent()).path("results");
        Checkpoint before = checkpoints.signIfGrown().orElseGet(() -> latestCheckpoint());

        // Step 3: the crash.
        String where = point + (nth > 1 ? "@" + nth : "");
        AtomicInteger seen = new AtomicInteger();
        CrashPoints.install((p, detail) -> {
            if (!p.equals(point) || seen.incrementAndGet() != nth) {
                return;
            }
            if (mode != Mode.PROCESS) {
                RestartableRaEnvironment.crash();
            }
            if (mode != Mode.DATABASE) {
                throw new SimulatedCrash(where + " " + detail);
            }
        });
        int firstAnswer = ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").statusCode();
        CrashPoints.clear();
        assertThat(seen.get()).as("the crash point " + where + " was reached").isGreaterThanOrEqualTo(nth);
        RestartableRaEnvironment.restartIfDown();
        boolean committed = point.equals(CrashPoints.INGEST_AFTER_COMMIT);
        if (!committed) {
            assertThat(firstAnswer).as("a crash before the commit: the CA gets no 204").isNotEqualTo(204);
        }
        String bundleId = bundle.path("bundleId").asText();
        long doneAfterCrash = count("select count(*) from ca_order where bundle_id = ? and state = 'DONE'", bundleId);
        assertThat(doneAfterCrash).as("all of the bundle's results commit, or none").isIn(0L, 3L);
        assertThat(doneAfterCrash == 3).as("committed exactly when the crash came after the commit").isEqualTo(committed);

        // Step 4: the CA delivers the same result bundle again, until the RA answers (stale connections fail first).
        int attempts = redeliver(result);
        ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").then().statusCode(204);

        // Step 5: the invariants.
        assertAnswered(bundleId, result, List.of("rev-" + rev, "app-" + a1, "app-" + a2));
        assertIssuedOnce(a1, serialOf(results, "app-" + a1));
        assertIssuedOnce(a2, serialOf(results, "app-" + a2));
        assertRevokedOnce(rev);
        assertNothingTwice();
        Checkpoint after = checkpoints.signIfGrown().orElseThrow();
        assertAuditVerifies(before, after);
        SUMMARY.add("ingest " + where + " " + mode.name().toLowerCase() + ": first answer " + firstAnswer
                + ", orders done after crash=" + doneAfterCrash + "/3, redelivered " + attempts + "x until 204;"
                + " 2 issued + 1 revoked once each, audit verifies (" + after.treeSize() + " entries)");
    }

    /** Delivers {@code result} until 204, at most 60 s; returns how many deliveries it took. */
    private static int redeliver(byte[] result) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        int attempts = 0;
        while (true) {
            attempts++;
            int status = ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").statusCode();
            if (status == 204) {
                return attempts;
            }
            assertThat(System.nanoTime()).as("the RA answers the redelivered result within 60 s (last: " + status + ")")
                    .isLessThan(deadline);
        }
    }

    private static void assertAnswered(String bundleId, byte[] result, List<String> orderIds) throws SQLException {
        try (Connection c = connect()) {
            for (String id : orderIds) {
                try (PreparedStatement st = c.prepareStatement(
                        "select state, bundle_id, result_status from ca_order where id = ?")) {
                    st.setString(1, id);
                    try (ResultSet rs = st.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        assertThat(rs.getString(1)).as(id).isEqualTo("DONE");
                        assertThat(rs.getString(2)).as(id).isEqualTo(bundleId);
                    }
                }
                // The decision the order carries is kept, once, for its subject.
                try (PreparedStatement st = c.prepareStatement("select count(*) from ca_order o join decision d on"
                        + " d.id = o.decision_id and d.subject_id = o.subject_id where o.id = ? and (select count(*) from"
                        + " decision e where e.subject_id = o.subject_id) = 1")) {
                    st.setString(1, id);
                    try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        assertThat(rs.getLong(1)).as("the one decision of order " + id).isEqualTo(1);
                    }
                }
            }
            try (PreparedStatement st = c.prepareStatement("select answered_at, result_cms from order_bundle where id = ?")) {
                st.setString(1, bundleId);
                try (ResultSet rs = st.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getTimestamp(1)).isNotNull();
                    assertThat(rs.getBytes(2)).as("the result bundle kept as received").isEqualTo(result);
                }
            }
        }
    }

    private static void assertIssuedOnce(String app, String serial) throws SQLException {
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
        assertThat(Ra.status(app).getString("certificate.serial")).isEqualToIgnoringCase(serial);
        assertThat(count("select count(*) from book_entry where book = 'ISSUANCE' and (entry::jsonb ->> 'orderId') is not null and subject_id = ?::uuid", app))
                .as("ISSUANCE book entries of " + app).isEqualTo(1);
        assertThat(count("select count(*) from notice where kind = 'ISSUANCE' and subject_id = ?::uuid", app))
                .as("issuance notices of " + app).isEqualTo(1);
        assertThat(count("select count(*) from book_entry where book = 'NOTICE' and (entry::jsonb ->> 'state') in ('QUEUED', 'NO_CONTACT') and subject_id = ?::uuid", app))
                .as("NOTICE book entries of " + app).isEqualTo(1);
        assertThat(count("select count(*) from audit_entry where action = 'order.issued' and subject = ?",
                "application:" + app)).as("order.issued audit entries of " + app).isEqualTo(1);
    }

    private static void assertRevokedOnce(String rev) throws SQLException {
        assertThat(io.restassured.RestAssured.given().get("/revocation-requests/" + rev).jsonPath().getString("status"))
                .isEqualTo("REVOKED");
        assertThat(count("select count(*) from book_entry where book = 'REVOCATION' and (entry::jsonb ->> 'orderId') is not null and subject_id = ?::uuid", rev))
                .as("REVOCATION book entries of " + rev).isEqualTo(1);
        assertThat(count("select count(*) from notice where kind = 'REVOCATION' and subject_id = ?::uuid", rev))
                .isEqualTo(1);
        assertThat(count("select count(*) from book_entry where book = 'NOTICE' and (entry::jsonb ->> 'state') in ('QUEUED', 'NO_CONTACT') and subject_id = ?::uuid", rev))
                .isEqualTo(1);
        assertThat(count("select count(*) from audit_entry where action = 'order.revoked' and subject = ?",
                "revocation-request:" + rev)).isEqualTo(1);
    }

    /** Over everything this RA has ingested so far (every earlier crash included): nobody has anything twice. */
    private static void assertNothingTwice() throws SQLException {
        assertThat(count("select count(*) from (select subject_id from book_entry where book in ('ISSUANCE', 'REVOCATION')"
                + " and (entry::jsonb ->> 'orderId') is not null group by book, subject_id having count(*) > 1) d"))
                .as("a result's book entry twice").isZero();
        assertThat(count("select count(*) from (select subject_id from book_entry where book = 'NOTICE' and"
                + " (entry::jsonb ->> 'state') in ('QUEUED', 'NO_CONTACT') group by subject_id, entry::jsonb ->> 'kind'"
                + " having count(*) > 1) d")).as("a notice's book entry twice").isZero();
        assertThat(count("select count(*) from (select subject_id from notice group by kind, subject_id"
                + " having count(*) > 1) d")).as("notices twice").isZero();
        assertThat(count("select count(*) from (select subject from audit_entry where action like 'order.%'"
                + " group by action, subject having count(*) > 1) d")).as("order audit entries twice").isZero();
        assertThat(count("select count(*) from (select certificate_serial from application where certificate_serial"
                + " is not null group by certificate_serial having count(*) > 1) d")).as("a certificate twice").isZero();
        assertThat(count("select count(*) from ca_order o where o.type = 'ISSUE' and o.state = 'DONE' and"
                + " o.result_status = 'issued' and not exists (select 1 from book_entry b where b.book = 'ISSUANCE'"
                + " and b.subject_id = o.subject_id)")).as("an issued order without its book entry").isZero();
    }

    private void assertAuditVerifies(Checkpoint before, Checkpoint after) throws Exception {
        try (Connection c = connect()) {
            VerificationReport r = new AuditVerifier(List.of(checkpoints.signer().orElseThrow().publicKey()))
                    .verify(c, List.of(before, after));
            assertThat(r.ok()).as(r.render()).isTrue();
        }
    }

    private Checkpoint latestCheckpoint() {
        try (Connection c = connect(); PreparedStatement st = c.prepareStatement(
                "select checkpoint from audit_checkpoint order by id desc limit 1"); ResultSet rs = st.executeQuery()) {
            assertThat(rs.next()).isTrue();
            return Checkpoint.parse(rs.getString(1));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String serialOf(JsonNode results, String orderId) {
        for (JsonNode r : results) {
            if (orderId.equals(r.path("orderId").asText())) {
                return r.path("serial").asText();
            }
        }
        throw new AssertionError("no result for " + orderId);
    }

    static byte[] answer(JsonNode bundle) throws Exception {
        KeyStore ks = StandInCa.caKeyStore();
        X509Certificate caCert = (X509Certificate) ks.getCertificate("ca");
        PrivateKey key = (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray());
        ObjectNode r = JSON.createObjectNode();
        r.put("format", "shomei-result-bundle/v1");
        r.put("orderBundleId", bundle.path("bundleId").asText());
        r.put("createdAt", Instant.now().toString());
        StandInCa.results(r, bundle, caCert, key);
        return StandInCa.sign(JSON.writeValueAsBytes(r), caCert, key);
    }

    /** A new application by {@code card}'s holder, approved automatically; its id. */
    static String approved(SimulatedCard card) {
        Response r = Ra.submit(ApplicantClient.application(card, Claim.of(card.person()),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        return r.jsonPath().getString("applicationId");
    }

    static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }

    static long count(String sql, String... args) throws SQLException {
        try (Connection c = connect(); PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setString(i + 1, args[i]);
            }
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static Connection connect() throws SQLException {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("test.database.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }
}
