package dev.shomei.ra.books;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.OfficerPki;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The books (帳簿): both the automatically approved and the officer-approved application appear in the export
 * with their identity verification and decisions; entries cannot be changed or deleted before their retention
 * deadline; every decision is in audit-log; personal data stays out of the log file.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class BooksTest {

    static final JpkiPerson PERSON = JpkiPerson.of("帳簿", "確認", "3", java.time.LocalDate.of(1990, 1, 31),
            "福岡県福岡市博多区博多駅前三丁目2番1号");
    static SimulatedCard card;
    static String automatic;
    static String byOfficer;
    /** When this class's applications were submitted: the export is paged, so the tests read from here on. */
    static Instant since;

    @BeforeAll
    static void applications() {
        KeyPair k = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), PERSON));
    }

    static synchronized void ensureApplications() {
        if (automatic != null) {
            return;
        }
        since = Instant.now().minusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        automatic = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey()))).then().statusCode(201).extract().path("applicationId");
        byOfficer = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON).withName("帳簿 確認X"),
                ApplicantClient.csr(ApplicantClient.ecKey()))).then().statusCode(201).extract().path("applicationId");
        // Four eyes: the first officer's approval is pending, the second completes it.
        Ra.officer().contentType("application/json").body(Map.of("outcome", "APPROVED", "reason", "typo in name"))
                .post("/officer/applications/" + byOfficer + "/decision").then().statusCode(202);
        Ra.secondOfficer().contentType("application/json").body(Map.of("outcome", "APPROVED", "reason", "agreed"))
                .post("/officer/applications/" + byOfficer + "/decision").then().statusCode(200);
    }

    @Test
    void theJsonExportShowsBothApplicationsTheirVerificationAndWhoDecided() {
        ensureApplications();

        Response r = Ra.auditor().get("/books/export?format=json&limit=1000&from=" + since);

        r.then().statusCode(200).contentType("application/json");
        List<Map<String, Object>> entries = r.jsonPath().getList("$");
        List<Map<String, Object>> auto = of(entries, automatic);
        List<Map<String, Object>> officer = of(entries, byOfficer);
        assertThat(auto).extracting(e -> e.get("book"))
                .containsExactly("APPLICATION", "IDENTITY_VERIFICATION", "DECISION");
        assertThat(officer).extracting(e -> e.get("book"))
                .containsExactly("APPLICATION", "IDENTITY_VERIFICATION", "DECISION", "DECISION");
        Map<String, Object> verification = entry(auto.get(1));
        assertThat(verification.get("method")).asString().contains("JPKI signing certificate");
        assertThat(verification.get("jpkiCertificateSerial"))
                .isEqualTo(card.certificate().getSerialNumber().toString(16));
        assertThat(verification.get("jpkiCertificateIssuer")).asString().contains("JPKI for digital signature");
        assertThat(verification.get("revocationCheck")).asString().contains("GOOD").contains("OCSP");
        assertThat(decider(auto.get(2))).containsEntry("kind", "SYSTEM").containsEntry("id", "ra-service");
        assertThat(decider(officer.get(2))).containsEntry("kind", "SYSTEM");
        assertThat(decider(officer.get(3))).containsEntry("kind", "PERSON")
                .containsEntry("id", OfficerPki.SECOND_OFFICER_NAME);
        // Retention: ten years from recording (ra.books.retention=P10Y).
        Instant recorded = Instant.parse((String) auto.get(0).get("recordedAt"));
        Instant retain = Instant.parse((String) auto.get(0).get("retainUntil"));
        assertThat(retain).isEqualTo(recorded.atZone(ZoneOffset.UTC).plusYears(10).toInstant());
    }

    @Test
    void theCsvExportHasOneRowPerEntry() {
        ensureApplications();

        Response r = Ra.auditor().get("/books/export?format=csv&limit=1000&from=" + since);

        r.then().statusCode(200).contentType(org.hamcrest.Matchers.startsWith("text/csv"));
        String[] lines = r.asString().split("\r\n");
        assertThat(lines[0]).isEqualTo("seq,id,book,subject_kind,subject_id,recorded_at,retain_until,entry");
        assertThat(List.of(lines).stream().filter(l -> l.contains(automatic)).count()).isEqualTo(3);
        assertThat(List.of(lines).stream().filter(l -> l.contains("," + byOfficer + ",")).count()).isEqualTo(4);
    }

    @Test
    void theExportNeedsAnAuditorCertificateAndThereIsNoDeleteEndpoint() {
        Response anonymous = RestAssured.given().get("/books/export?format=json");
        anonymous.then().statusCode(401).contentType("application/problem+json");
        Response delete = Ra.auditor().delete("/books/export");
        delete.then().statusCode(405).contentType("application/problem+json");
        assertThat(delete.jsonPath().getString("code")).isEqualTo("method-not-allowed");
    }

    @Test
    void theDatabaseRefusesToDeleteOrChangeEntriesBeforeTheirRetentionDeadline() throws SQLException {
        ensureApplications();
        try (Connection c = connect()) {
            UUID app = UUID.fromString(automatic);
            assertThatThrownBy(() -> update(c, "DELETE FROM book_entry WHERE subject_id = ?", app))
                    .hasMessageContaining("must be kept until");
            assertThatThrownBy(() -> update(c, "UPDATE book_entry SET entry = '{}' WHERE subject_id = ?", app))
                    .hasMessageContaining("append-only");
            assertThatThrownBy(() -> update(c, "DELETE FROM decision WHERE subject_id = ?", app))
                    .hasMessageContaining("must be kept until");
            assertThatThrownBy(() -> update(c, "DELETE FROM application WHERE id = ?", app))
                    .hasMessageContaining("must be kept until");
            assertThatThrownBy(() -> c.createStatement().execute("TRUNCATE book_entry"))
                    .hasMessageContaining("cannot be truncated");
            // Past its deadline, an entry may go: the trigger enforces the deadline, not "never".
            UUID old = UUID.randomUUID();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO book_entry (id, book, subject_kind, subject_id,"
                    + " recorded_at, retain_until, entry) VALUES (?, 'APPLICATION', 'APPLICATION', ?,"
                    + " now() - interval '11 years', now() - interval '1 year', '{}')")) {
                ps.setObject(1, old);
                ps.setObject(2, UUID.randomUUID());
                ps.executeUpdate();
            }
            assertThat(update(c, "DELETE FROM book_entry WHERE id = ?", old)).isEqualTo(1);
        }
    }

    @Test
    void retentionCannotBeShortenedToDeleteEarly() throws SQLException {
        ensureApplications();
        UUID app = UUID.fromString(automatic);
        // The old way around the early-delete trigger: move the deadline into the past, then delete.
        try (Connection c = connect()) {
            for (String table : List.of("application", "book_entry", "decision")) {
                String key = table.equals("application") ? "id" : "subject_id";
                assertThatThrownBy(() -> update(c, "UPDATE " + table + " SET retain_until = now() - interval '1 day'"
                        + " WHERE " + key + " = ?", app)).as(table)
                        .hasMessageFindingMatch("retain_until may only be extended|append-only");
            }
            assertThatThrownBy(() -> update(c, "UPDATE application SET jpki_name = 'someone else' WHERE id = ?", app))
                    .hasMessageContaining("application.jpki_name is evidence recorded on receipt");
        }
    }

    @Test
    void theServiceRoleCannotBypassTheBooks() throws SQLException {
        ensureApplications();
        UUID app = UUID.fromString(automatic);
        try (Connection c = connectAsService()) {
            for (String sql : List.of(
                    "UPDATE book_entry SET entry = '{}' WHERE subject_id = ?",
                    "UPDATE decision SET outcome = 'REJECTED' WHERE subject_id = ?",
                    "DELETE FROM book_entry WHERE subject_id = ?",
                    "DELETE FROM decision WHERE subject_id = ?",
                    "DELETE FROM application WHERE id = ?",
                    "UPDATE application SET retain_until = now() WHERE id = ?",
                    "UPDATE application SET cms = NULL WHERE id = ?",
                    "UPDATE application SET channel = '{}', client_address = '192.0.2.1' WHERE id = ?",
                    "UPDATE application SET key_device = '{\"kind\":\"pkcs11-token\"}' WHERE id = ?",
                    "UPDATE application SET contact_email = 'someone.else@example.test' WHERE id = ?",
                    "DELETE FROM notice WHERE application_id = ?",
                    "DELETE FROM notice_dispute WHERE ?::text IS NOT NULL",
                    "DELETE FROM audit_entry WHERE subject = 'application:' || ?::text",
                    "INSERT INTO audit_entry SELECT * FROM audit_entry WHERE subject = 'application:' || ?::text",
                    "UPDATE audit_head SET seq = seq + 1 WHERE ?::text IS NOT NULL")) {
                assertThatThrownBy(() -> update(c, sql, app)).as(sql).isInstanceOf(SQLException.class)
                        .hasMessageFindingMatch("permission denied|may only be extended|is evidence recorded");
            }
            for (String sql : List.of("TRUNCATE book_entry", "TRUNCATE application CASCADE", "TRUNCATE notice CASCADE",
                    "ALTER TABLE book_entry DISABLE TRIGGER ALL", "DROP TRIGGER book_entry_append_only ON book_entry",
                    "ALTER TABLE decision OWNER TO " + c.getMetaData().getUserName(),
                    "SET session_replication_role = replica")) {
                assertThatThrownBy(() -> c.createStatement().execute(sql)).as(sql).isInstanceOf(SQLException.class)
                        .hasMessageFindingMatch("permission denied|must be owner|must be superuser");
            }
        }
    }

    @Test
    void everyDecisionIsInTheAuditLog() throws SQLException {
        ensureApplications();
        try (Connection c = connect()) {
            assertThat(actors(c, "application:" + automatic)).containsExactly("SYSTEM ra-service");
            assertThat(actors(c, "application:" + byOfficer)).containsExactly("SYSTEM ra-service",
                    "PERSON " + OfficerPki.OFFICER_NAME, "PERSON " + OfficerPki.SECOND_OFFICER_NAME);
        }
    }

    @Test
    void personalDataFromTheJpkiCertificateIsNotLogged() throws Exception {
        ensureApplications();
        // The log file rotates (Quarkus: 10 MB) while the whole suite runs: read every generation of it.
        StringBuilder all = new StringBuilder();
        try (var files = Files.list(Path.of("target"))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("ra-test.log")).toList()) {
                all.append(Files.readString(f, StandardCharsets.UTF_8));
            }
        }
        String log = all.toString();
        assertThat(log).contains(automatic);
        assertThat(log).doesNotContain(PERSON.name()).doesNotContain("帳簿").doesNotContain(PERSON.address())
                .doesNotContain(PERSON.eraBirthDate()).doesNotContain("1990-01-31");
    }

    static List<String> actors(Connection c, String subject) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT actor_kind, actor_id FROM audit_entry WHERE subject = ? ORDER BY seq")) {
            ps.setString(1, subject);
            try (ResultSet rs = ps.executeQuery()) {
                List<String> out = new java.util.ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString(1) + " " + rs.getString(2));
                }
                return out;
            }
        }
    }

    static int update(Connection c, String sql, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            return ps.executeUpdate();
        }
    }

    /** As the owner of the tables, who runs the migrations: the triggers stop even this role. */
    static Connection connect() throws SQLException {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.flyway.username", String.class),
                config.getValue("quarkus.flyway.password", String.class));
    }

    /** As the RA service itself connects. */
    static Connection connectAsService() throws SQLException {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }

    @Test
    void theExportIsPagedAndTheNextLinkContinuesAfterTheLastEntry() {
        ensureApplications();

        Response first = Ra.auditor().get("/books/export?format=json&limit=2&from=" + since);
        first.then().statusCode(200);
        List<Map<String, Object>> page1 = first.jsonPath().getList("$");
        assertThat(page1).hasSize(2);
        String link = first.getHeader("Link");
        assertThat(link).contains("rel=\"next\"").contains("after=" + page1.get(1).get("seq"));
        String next = link.substring(link.indexOf('<') + 1, link.indexOf('>'));

        List<Map<String, Object>> page2 = Ra.auditor().get(next).then().statusCode(200).extract().jsonPath().getList("$");
        assertThat(page2).isNotEmpty();
        assertThat(((Number) page2.get(0).get("seq")).longValue())
                .isGreaterThan(((Number) page1.get(1).get("seq")).longValue());
    }

    @Test
    void aPageLargerThanTheBoundIsRefused() {
        Response r = Ra.auditor().get("/books/export?format=json&limit=1000000");
        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("paging-limit");
        Response q = Ra.officer().get("/officer/queue?limit=0");
        assertThat(q.jsonPath().getString("code")).isEqualTo("paging-limit");
    }

    static List<Map<String, Object>> of(List<Map<String, Object>> entries, String id) {
        return entries.stream().filter(e -> id.equals(e.get("subjectId"))).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> entry(Map<String, Object> e) {
        return (Map<String, Object>) e.get("entry");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> decider(Map<String, Object> e) {
        return (Map<String, Object>) entry(e).get("decider");
    }
}
