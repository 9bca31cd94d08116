package dev.shomei.ra.notice;

import static dev.shomei.ra.testkit.SafeguardsClient.*;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.PrivateKeyCheckpointSigner;
import dev.shomei.evidence.EvidencePackage;
import dev.shomei.evidence.PackageExporter;
import dev.shomei.ra.Ra;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.LoopbackSmtp;
import dev.shomei.ra.testkit.LoopbackSmtp.Message;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SafeguardsProfile;
import dev.shomei.ra.testkit.SimulatedCard;
import dev.shomei.ra.testkit.StandInCa;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Out-of-band notices (docs/holders.md), received by an SMTP server on loopback that the test started
 * ({@link LoopbackSmtp}): one for each act on a holder's certificate (issuance, renewal, revocation), each sending in
 * the NOTICE book; a mail server in trouble delays a notice, never the act or the record; a holder's dispute within
 * the window reaches an officer, whose decision revokes a disputed certificate or re-issues a disputed revocation; and
 * the evidence package of a decision shows its notice and the key's device.
 */
@QuarkusTest
@TestProfile(SafeguardsProfile.class)
@WithTestResource(RaTestEnvironment.class)
@WithTestResource(LoopbackSmtp.Resource.class)
class NoticeTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    NoticeSender sender;
    @Inject
    Disputes disputes;

    @Test
    void everyActIsNoticedAndADisputedRevocationIsReissuedByAnOfficer() throws Exception {
        String email = mailbox();
        KeyPair subscriberKey = ApplicantClient.ecKey();
        // Step 1: issuance.
        String app = issued(card(person()), subscriberKey, email);
        String serial = Ra.status(app).getString("certificate.serial");
        sender.sendDue();
        Message issuance = LoopbackSmtp.await(spool(), email, "issued in your name", WAIT);
        assertThat(issuance.text()).contains("Certificate serial / シリアル番号: " + serial)
                .contains("Application / 申請番号: " + app)
                .contains("https://ra.example.test/notices/" + noticeId(issuance) + "/disputes")
                .contains("object before");
        assertThat(issuance.raw()).contains("From: shomei-ra@localhost");
        Map<String, Object> row = notice(noticeId(issuance));
        assertThat(row.get("status")).isEqualTo("SENT");
        assertThat(row.get("kind")).isEqualTo("ISSUANCE");
        assertThat(row.get("dispute_code")).as("the code is not kept once sent").isNull();
        assertThat(noticeBook(noticeId(issuance))).extracting(e -> e.get("state")).containsExactly("QUEUED", "SENT");
        assertThat(noticeBook(noticeId(issuance)).get(1).get("messageSha256")).isEqualTo(row.get("message_sha256"));

        // Step 2: a renewal with the certificate's key, right after issuance: referred by the rule, approved by two
        // officers, issued, and noticed to the same contact.
        KeyPair newKey = ApplicantClient.ecKey();
        // The profile requires a hardware key of a renewal's new key too.
        Response software = post("/renewals", renewal(subscriberKey, certificate(app), ApplicantClient.csr(newKey),
                SOFTWARE), address());
        software.then().statusCode(422);
        assertThat(software.jsonPath().getList("reasons.code")).contains("key-device-software");
        Response ren = post("/renewals", renewal(subscriberKey, certificate(app), ApplicantClient.csr(newKey), TOKEN),
                address());
        ren.then().statusCode(201);
        assertThat(ren.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(ren.jsonPath().getList("decision.reasons.code")).contains("rule-renewal-soon-after-issuance");
        String renewal = ren.jsonPath().getString("applicationId");
        approveByTwoOfficers(renewal);
        StandInCa.execute("app-" + renewal);
        String renewalSerial = Ra.status(renewal).getString("certificate.serial");
        sender.sendDue();
        Message renewed = LoopbackSmtp.await(spool(), email, renewalSerial, WAIT);
        assertThat(renewed.text()).contains("Your certificate was renewed");
        assertThat(notice(noticeId(renewed)).get("kind")).isEqualTo("RENEWAL");
        assertThat(Ra.status(renewal).getString("decision.evidence.keyDevice.kind")).isEqualTo("pkcs11-token");

        // Step 3: an officer revokes the first certificate (as if told the card was lost): the holder is told.
        String rev = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", app, "reason", "caller said the key was lost"))
                .post("/officer/revocations").then().statusCode(201).extract().jsonPath()
                .getString("revocationRequestId");
        StandInCa.execute("rev-" + rev);
        sender.sendDue();
        Message revoked = LoopbackSmtp.await(spool(), email, "Your certificate was revoked", WAIT);
        assertThat(revoked.text()).contains(serial).contains("by an RA officer");
        String revNotice = noticeId(revoked);
        assertThat(notice(revNotice).get("kind")).isEqualTo("REVOCATION");

        // Step 4: the holder objects. A wrong code is refused; the right one (any case) files the dispute, once.
        Response wrong = dispute(revNotice, "AAAA-BBBB-CCCC-DDDD");
        wrong.then().statusCode(403).contentType("application/problem+json");
        assertThat(wrong.jsonPath().getString("code")).isEqualTo("dispute-code-invalid");
        Response filed = dispute(revNotice, code(revoked).toLowerCase());
        filed.then().statusCode(201);
        String disputeId = filed.jsonPath().getString("disputeId");
        assertThat(dispute(revNotice, code(revoked)).jsonPath().getString("code")).isEqualTo("notice-already-disputed");
        assertThat(Ra.officer().get("/officer/disputes?limit=1000").jsonPath().getList("disputes.disputeId"))
                .contains(disputeId);

        // Step 5: an officer upholds it: the certificate is re-issued for the same key and subject, on the officer's
        // recorded decision, and the holder is told.
        Response upheld = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "UPHELD", "reason", "holder came to the office with the card; nothing was lost"))
                .post("/officer/disputes/" + disputeId + "/decision");
        upheld.then().statusCode(200);
        assertThat(upheld.jsonPath().getString("status")).isEqualTo("UPHELD");
        String reissue = upheld.jsonPath().getString("outcomeReference");
        assertThat(Ra.status(reissue).getString("status")).isEqualTo("APPROVED");
        assertThat(Ra.status(reissue).getString("decision.decider.kind")).isEqualTo("PERSON");
        assertThat(Ra.status(reissue).getString("decision.reasons[0].code"))
                .isEqualTo("officer-reissue-after-disputed-revocation");
        assertThat(Ra.status(reissue).getString("decision.evidence.reissuesApplicationId")).isEqualTo(app);
        StandInCa.execute("app-" + reissue);
        assertThat(certificate(reissue).getPublicKey().getEncoded()).isEqualTo(subscriberKey.getPublic().getEncoded());
        assertThat(certificate(reissue).getSubjectX500Principal()).isEqualTo(certificate(app).getSubjectX500Principal());
        sender.sendDue();
        Message reissued = LoopbackSmtp.await(spool(), email, "re-issued", WAIT);
        assertThat(reissued.text()).contains(Ra.status(reissue).getString("certificate.serial"));
        assertThat(noticeBook(revNotice)).extracting(e -> e.get("state"))
                .containsExactly("QUEUED", "SENT", "DISPUTED", "UPHELD");
    }

    @Test
    void anUpheldDisputeOfAnIssuanceRevokesTheCertificate() throws Exception {
        String email = mailbox();
        String app = issued(card(person()), ApplicantClient.ecKey(), email);
        sender.sendDue();
        Message m = LoopbackSmtp.await(spool(), email, "issued in your name", WAIT);
        String disputeId = dispute(noticeId(m), code(m)).then().statusCode(201).extract().jsonPath()
                .getString("disputeId");

        Response upheld = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "UPHELD", "reason", "holder never applied; a relative used the card"))
                .post("/officer/disputes/" + disputeId + "/decision");

        upheld.then().statusCode(200);
        String rev = upheld.jsonPath().getString("outcomeReference");
        Response r = given().get("/revocation-requests/" + rev);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("initiatedBy")).isEqualTo("OFFICER");
        assertThat(r.jsonPath().getString("applicationId")).isEqualTo(app);
        assertThat(r.jsonPath().getString("decision.reasons[0].detail")).contains("holder disputed notice " + noticeId(m))
                .contains("a relative used the card");
    }

    @Test
    void aDismissedDisputeChangesNothingAndALateOneIsRefused() throws Exception {
        String email = mailbox();
        String app = issued(card(person()), ApplicantClient.ecKey(), email);
        sender.sendDue();
        Message m = LoopbackSmtp.await(spool(), email, "issued in your name", WAIT);
        UUID notice = UUID.fromString(noticeId(m));
        Instant until = ((java.sql.Timestamp) notice(notice.toString()).get("dispute_until")).toInstant();

        assertThatThrownBy(() -> disputes.file(notice, code(m), "too late", until.plusSeconds(1)))
                .isInstanceOfSatisfying(RaProblem.class, p -> assertThat(p.code()).isEqualTo("dispute-window-closed"));

        String disputeId = dispute(notice.toString(), code(m)).then().statusCode(201).extract().jsonPath()
                .getString("disputeId");
        Response dismissed = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "DISMISSED", "reason", "holder confirmed the application by phone"))
                .post("/officer/disputes/" + disputeId + "/decision");
        dismissed.then().statusCode(200);
        assertThat(dismissed.jsonPath().getString("status")).isEqualTo("DISMISSED");
        assertThat(Ra.status(app).getString("certificate.status")).isEqualTo("ISSUED");
        Map<String, Object> last = noticeBook(notice.toString()).get(noticeBook(notice.toString()).size() - 1);
        assertThat(last.get("state")).isEqualTo("DISMISSED");
        assertThat(last.get("officer")).isNotNull();
        // An officer decides once.
        Ra.officer().contentType("application/json").body(Map.of("outcome", "UPHELD", "reason", "second thoughts"))
                .post("/officer/disputes/" + disputeId + "/decision").then().statusCode(409);
    }

    @Test
    void aMailServerInTroubleDelaysTheNoticeButLosesNeitherItNorTheAct() throws Exception {
        sender.sendDue(); // whatever other tests left due
        String email = mailbox();
        String app = issued(card(person()), ApplicantClient.ecKey(), email);
        String notice = noticeOfApplication(app);
        // The CA's answer may have brought other tests' notices due with this one: the server fails each once.
        Files.writeString(spool().resolve("fail-next"), Integer.toString(due()));

        sender.sendDue();

        Map<String, Object> row = notice(notice);
        assertThat(row.get("status")).isEqualTo("PENDING");
        assertThat(row.get("attempts")).isEqualTo(1);
        assertThat((String) row.get("last_error")).contains("451").doesNotContain(email);
        assertThat(noticeBook(notice)).extracting(e -> e.get("state")).containsExactly("QUEUED", "ATTEMPT_FAILED");
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");

        sender.sendDue(); // retried (ra.notice.retry-interval is PT0S here)
        assertThat(notice(notice).get("status")).isEqualTo("SENT");
        LoopbackSmtp.await(spool(), email, "issued in your name", WAIT);

        // A server that keeps failing: after ra.notice.max-attempts (2 here) the notice is FAILED, on record.
        String other = mailbox();
        String app2 = issued(card(person()), ApplicantClient.ecKey(), other);
        String notice2 = noticeOfApplication(app2);
        Files.writeString(spool().resolve("fail-next"), Integer.toString(2 * due()));
        sender.sendDue();
        sender.sendDue();
        assertThat(notice(notice2).get("status")).isEqualTo("FAILED");
        assertThat(noticeBook(notice2)).extracting(e -> e.get("state"))
                .containsExactly("QUEUED", "ATTEMPT_FAILED", "FAILED");
        assertThat(LoopbackSmtp.messages(spool())).noneMatch(x -> x.envelopeTo().contains(other));
        assertThat(Ra.status(app2).getString("status")).isEqualTo("ISSUED");
    }

    @Test
    void anApplicantWithoutAContactGetsANoticeOnRecordThatSaysSo() throws Exception {
        String app = issued(card(person()), ApplicantClient.ecKey(), null);
        String notice = noticeOfApplication(app);
        sender.sendDue();
        assertThat(notice(notice).get("status")).isEqualTo("NO_CONTACT");
        assertThat(noticeBook(notice)).extracting(e -> e.get("state")).containsExactly("NO_CONTACT");
    }

    @Test
    void theEvidencePackageShowsTheNoticeAndTheKeysDevice() throws Exception {
        String email = mailbox();
        String from = address();
        String app = issued(card(person()), ApplicantClient.ecKey(), email, from);
        sender.sendDue();
        Message m = LoopbackSmtp.await(spool(), email, "issued in your name", WAIT);
        UUID decision = UUID.fromString(Ra.status(app).getString("decision.decisionId"));
        KeyPair auditKey = ApplicantClient.ecKey();
        Path out = Files.createTempDirectory(Path.of("target"), "safeguards-evidence");
        try (Connection c = raDb()) {
            new AuditLog("ra-service").checkpoint(c, new PrivateKeyCheckpointSigner("ra-audit-test", "SHA256withECDSA",
                    auditKey.getPrivate(), auditKey.getPublic()));
            byte[] policy = getClass().getResourceAsStream("/policy/approval-policy-safeguards.json").readAllBytes();
            new PackageExporter(c, null, new PackageExporter.Sources(List.of(JpkiTestCa.GEN_2024.certificate()),
                    List.of(policy), null, null)).export(decision, out);
        }
        Path pkg = out.resolve(decision.toString());

        JsonNode device = JSON.readTree(pkg.resolve(EvidencePackage.KEY_DEVICE).toFile());
        assertThat(device.path("keyDevice").path("kind").asText()).isEqualTo("pkcs11-token");
        assertThat(device.path("keyDevice").path("model").asText()).isEqualTo("SoftHSM v2");
        assertThat(device.path("channel").path("remoteAddress").asText()).isEqualTo(from);
        assertThat(device.path("channel").path("client").asText()).isEqualTo("shomei-apply");
        JsonNode notices = JSON.readTree(pkg.resolve(EvidencePackage.NOTICES).toFile());
        assertThat(notices).hasSize(1);
        JsonNode n = notices.get(0);
        assertThat(n.path("noticeId").asText()).isEqualTo(noticeId(m));
        assertThat(n.path("kind").asText()).isEqualTo("ISSUANCE");
        assertThat(n.path("status").asText()).isEqualTo("SENT");
        assertThat(n.path("recipient").asText()).isEqualTo(email);
        assertThat(n.path("certificateSerial").asText()).isEqualTo(Ra.status(app).getString("certificate.serial"));
        assertThat(n.path("books").findValuesAsText("state")).containsExactly("QUEUED", "SENT");
        JsonNode manifest = JSON.readTree(pkg.resolve(EvidencePackage.MANIFEST).toFile());
        assertThat(manifest.path("files").has(EvidencePackage.NOTICES)).isTrue();
        assertThat(manifest.path("files").has(EvidencePackage.KEY_DEVICE)).isTrue();
        // What a notice said cannot be rewritten afterwards, not even by the service that wrote it.
        try (Connection c = raDb(); var st = c.prepareStatement("UPDATE notice SET body = 'nothing happened' WHERE id = ?")) {
            st.setObject(1, UUID.fromString(noticeId(m)));
            assertThatThrownBy(st::executeUpdate).isInstanceOf(java.sql.SQLException.class)
                    .hasMessageContaining("is evidence recorded");
        }
        // The decision itself names the device it was made on.
        assertThat(new String(Files.readAllBytes(pkg.resolve(EvidencePackage.DECISION)), StandardCharsets.UTF_8))
                .contains("\"keyDevice\":{\"kind\":\"pkcs11-token\"");
    }

    // ---- helpers ----

    private static String issued(SimulatedCard card, KeyPair key, String email) {
        return issued(card, key, email, address());
    }

    /** Applies (approved automatically) and has the stand-in CA issue the certificate. */
    private static String issued(SimulatedCard card, KeyPair key, String email, String from) {
        Response r = post("/applications", application(card, key, email, TOKEN), from);
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        String app = r.jsonPath().getString("applicationId");
        StandInCa.execute("app-" + app);
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
        return app;
    }

    private static void approveByTwoOfficers(String app) {
        Map<String, Object> body = Map.of("outcome", "APPROVED", "reason", "holder confirmed the renewal by phone");
        Ra.officer().contentType("application/json").body(body).post("/officer/applications/" + app + "/decision")
                .then().statusCode(202);
        Ra.secondOfficer().contentType("application/json").body(body).post("/officer/applications/" + app + "/decision")
                .then().statusCode(200);
    }

    private static Response dispute(String notice, String code) {
        return given().contentType("application/json").body(Map.of("code", code, "statement", "I did not ask for this"))
                .post("/notices/" + notice + "/disputes");
    }

    private static X509Certificate certificate(String app) throws Exception {
        byte[] pem = given().get("/applications/" + app + "/certificate").then().statusCode(200).extract().asByteArray();
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(
                new ByteArrayInputStream(pem)).iterator().next();
    }

    private static String mailbox() {
        return "holder-" + UUID.randomUUID().toString().substring(0, 8) + "@example.test";
    }

    private static Path spool() {
        return Path.of(Ra.config("test.smtp.spool"));
    }

    private static String noticeId(Message m) {
        return group(m, "Notice / 通知番号:\\s+([0-9a-f-]{36})");
    }

    private static String code(Message m) {
        return group(m, "異議申立てコード: ([A-Z0-9-]{19})");
    }

    private static String group(Message m, String regex) {
        Matcher x = Pattern.compile(regex).matcher(m.text());
        assertThat(x.find()).as(regex + " in the notice").isTrue();
        return x.group(1);
    }

    private static String noticeOfApplication(String app) throws Exception {
        try (Connection c = raDb(); var st = c.prepareStatement(
                "SELECT id FROM notice WHERE subject_id = ? AND subject_kind = 'APPLICATION'")) {
            st.setObject(1, UUID.fromString(app));
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).as("a notice for application " + app).isTrue();
                return rs.getString(1);
            }
        }
    }

    /** How many notices wait to be sent. */
    private static int due() throws Exception {
        try (Connection c = raDb(); var st = c.prepareStatement("SELECT count(*) FROM notice WHERE status = 'PENDING'");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Map<String, Object> notice(String id) throws Exception {
        try (Connection c = raDb(); var st = c.prepareStatement("SELECT * FROM notice WHERE id = ?")) {
            st.setObject(1, UUID.fromString(id));
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).isTrue();
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    m.put(rs.getMetaData().getColumnName(i), rs.getObject(i));
                }
                return m;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> noticeBook(String noticeId) throws Exception {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        try (Connection c = raDb(); var st = c.prepareStatement("SELECT entry FROM book_entry WHERE book = 'NOTICE'"
                + " AND (entry::jsonb ->> 'noticeId') = ? ORDER BY seq")) {
            st.setString(1, noticeId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(JSON.readValue(rs.getString(1), Map.class));
                }
            }
        }
        return out;
    }

    private static Connection raDb() throws Exception {
        return DriverManager.getConnection(Ra.config("quarkus.datasource.jdbc.url"),
                Ra.config("quarkus.datasource.username"), Ra.config("quarkus.datasource.password"));
    }
}
