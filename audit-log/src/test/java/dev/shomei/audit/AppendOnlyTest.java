package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The migration's append-only guarantees, enforced by PostgreSQL itself: the application role may
 * append but not rewrite, and even the owner is stopped by the triggers.
 */
class AppendOnlyTest {

    private static final AtomicInteger ROLES = new AtomicInteger();

    /** A login role made a member of the given group role, as a DBA would set up the application's account. */
    private static Connection loginAs(LogFixture f, String groupRole) throws SQLException {
        String role = "audit_test_" + groupRole.replace("shomei_audit_", "") + "_" + ProcessHandle.current().pid() + "_"
                + ROLES.incrementAndGet();
        try (Connection c = f.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'test-only'");
            st.execute("GRANT " + groupRole + " TO " + role);
        }
        return DriverManager.getConnection(f.db.jdbcUrl(), role, "test-only");
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
                    "TRUNCATE audit_head")) {
                assertThatThrownBy(() -> st.execute(sql)).as(sql)
                        .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
            }
            // The head is the one row it updates, and only forward by one entry.
            assertThatThrownBy(() -> st.execute("UPDATE audit_head SET seq = 0"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("may only advance by one entry");
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
                    .hasMessageContaining("may only advance by one entry");
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
}
