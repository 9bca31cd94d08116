package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The migration's append-only guarantees, enforced by PostgreSQL itself: the application role may
 * append but not rewrite, and even the owner is stopped by the triggers.
 */
class AppendOnlyTest {

    /** The service's login (member of shomei_audit_writer) or the auditor's (shomei_audit_reader), as a DBA sets them up. */
    private static Connection loginAs(LogFixture f, String groupRole) throws SQLException {
        return groupRole.equals(AuditSchema.WRITER_ROLE) ? f.db.connectAsService() : f.db.connectAsAuditor();
    }

    @Test
    void theApplicationRoleAppendsButCannotUpdateDeleteOrTruncate() throws Exception {
        LogFixture f = LogFixture.create();
        try (Connection app = loginAs(f, AuditSchema.WRITER_ROLE); Statement st = app.createStatement()) {
            app.setAutoCommit(false);
            assertThat(f.log.append(app, LogFixture.event(0))).isZero();
            assertThat(f.log.append(app, LogFixture.event(1))).isEqualTo(1);
            app.commit();
            app.setAutoCommit(true);
            assertThat(f.log.checkpoint(app, f.signer).treeSize()).isEqualTo(2);

            for (String sql : List.of(
                    "UPDATE audit_entry SET subject = 'serial:forged' WHERE seq = 0",
                    "DELETE FROM audit_entry WHERE seq = 1",
                    "TRUNCATE audit_entry",
                    "UPDATE audit_checkpoint SET tree_size = 1",
                    "DELETE FROM audit_checkpoint",
                    "TRUNCATE audit_checkpoint",
                    "DELETE FROM audit_head",
                    "TRUNCATE audit_head",
                    // Entries go in only through audit_append, which numbers, links and hashes them itself.
                    "INSERT INTO audit_entry SELECT seq + 100, logged_at, actor_kind, actor_id, actor_authentication,"
                            + " actor_version, policy_id, policy_digest, action, subject, detail_sha256, prev_hash,"
                            + " entry_hash FROM audit_entry WHERE seq = 1",
                    "UPDATE audit_head SET seq = seq + 1",
                    // Only the owner (or a superuser) could switch the append-only triggers off.
                    "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only",
                    "ALTER TABLE audit_entry DISABLE TRIGGER ALL",
                    "ALTER TABLE audit_head OWNER TO " + f.db.serviceUser(),
                    "DROP TRIGGER audit_entry_append_only ON audit_entry",
                    "SET session_replication_role = replica",
                    "ALTER FUNCTION audit_append(text, text, text, text, text, text, text, text, text, bytea)"
                            + " SECURITY INVOKER")) {
                assertThatThrownBy(() -> st.execute(sql)).as(sql)
                        .isInstanceOf(SQLException.class)
                        .hasMessageFindingMatch("permission denied|must be owner|must be superuser");
            }
        }
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void evenTheOwnerIsStoppedByTheTriggers() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 3);
        f.checkpoint();
        try (Connection owner = f.connect(); Statement st = owner.createStatement()) {
            assertThatThrownBy(() -> st.execute("UPDATE audit_entry SET subject = 'x' WHERE seq = 1"))
                    .hasMessageContaining("audit log table audit_entry is append-only: UPDATE refused");
            assertThatThrownBy(() -> st.execute("DELETE FROM audit_entry WHERE seq = 2"))
                    .hasMessageContaining("audit log table audit_entry is append-only: DELETE refused");
            assertThatThrownBy(() -> st.execute("TRUNCATE audit_entry"))
                    .hasMessageContaining("audit log table audit_entry is append-only: TRUNCATE refused");
            assertThatThrownBy(() -> st.execute("DELETE FROM audit_checkpoint"))
                    .hasMessageContaining("audit log table audit_checkpoint is append-only: DELETE refused");
            assertThatThrownBy(() -> st.execute("UPDATE audit_head SET seq = 0, entry_hash = entry_hash"))
                    .hasMessageContaining("audit_head may only advance");
            // Advancing by several entries (a batch append) is allowed only onto entries that are stored.
            assertThatThrownBy(() -> st.execute("UPDATE audit_head SET seq = seq + 2"))
                    .hasMessageContaining("only onto stored entries 3 to 4");
        }
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void theReaderRoleOnlyReads() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 3);
        f.checkpoint();
        try (Connection reader = loginAs(f, AuditSchema.READER_ROLE)) {
            VerificationReport r = new AuditVerifier(List.of(f.keys.getPublic())).verify(reader);
            assertThat(r.ok()).as(r.render()).isTrue();
            reader.setAutoCommit(false);
            assertThatThrownBy(() -> f.log.append(reader, LogFixture.event(3)))
                    .isInstanceOf(AuditException.class).hasMessageContaining("permission denied");
        }
    }

    @Test
    void migratingTwiceIsHarmless() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 2);
        AuditSchema.migrate(f.db.dataSource());
        assertThat(f.appendAll(2, 3)).containsExactly(2L);
    }

    @Test
    void aTemporaryTableCannotStandInForTheHead() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 2);
        try (Connection app = loginAs(f, AuditSchema.WRITER_ROLE); Statement st = app.createStatement()) {
            // audit_append runs as its owner with a pinned search path: a caller's temp table named audit_head
            // (pg_temp is searched first by default) must not be the head it locks and advances.
            st.execute("CREATE TEMP TABLE audit_head AS SELECT 1::smallint AS id, NULL::text AS origin,"
                    + " 99::bigint AS seq, decode(repeat('00', 32), 'hex') AS entry_hash");
            app.setAutoCommit(false);
            assertThat(f.log.append(app, LogFixture.event(2))).isEqualTo(2);
            app.commit();
        }
        f.checkpoint();
        assertThat(f.verify().ok()).isTrue();
    }
}
