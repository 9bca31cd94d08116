package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link AuditVerifier#verify(Connection, List)} on PostgreSQL: it reads the rows the in-memory tests
 * ({@link AuditVerifierTest}) hand it directly, names the database it read, and gives the connection back as it got
 * it: autocommit, isolation level and read-only restored, its snapshot rolled back.
 */
class VerifierConnectionTest {

    @Test
    void theStoredLogIsReadAndTheConnectionIsGivenBackAsItCame() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 3);
        Checkpoint published = f.checkpoint();
        f.appendAll(3, 5);
        f.checkpoint();
        try (Connection c = f.connect()) {
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            c.setReadOnly(false);
            VerificationReport r = new AuditVerifier(List.of(f.keys.getPublic())).verify(c, List.of(published));
            assertThat(r.ok()).as(r.render()).isTrue();
            assertThat(r.source()).isEqualTo("database " + f.db.jdbcUrl());
            assertThat(r.origin()).isEqualTo(LogFixture.ORIGIN);
            assertThat(r.entriesChecked()).isEqualTo(5);
            assertThat(r.checkpointsChecked()).isEqualTo(3);
            assertThat(c.getAutoCommit()).isTrue();
            assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_READ_COMMITTED);
            assertThat(c.isReadOnly()).isFalse();
            // The same connection goes on writing, as the caller's.
            c.setAutoCommit(false);
            f.log.append(c, LogFixture.event(5));
            c.commit();
        }
        try (Connection c = f.connect()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            VerificationReport r = new AuditVerifier(List.of(f.keys.getPublic())).verify(c);
            assertThat(r.entriesChecked()).isEqualTo(6);
            assertThat(r.checkpointsChecked()).isEqualTo(2);
            assertThat(c.getAutoCommit()).isFalse();
            assertThat(c.isReadOnly()).isTrue();
            assertThat(c.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
        }
    }

    /**
     * An append committed while the verifier reads must not look like tampering: the head row, the checkpoints and the
     * entries come from one snapshot. The verifier is made to read the entries only after the append has committed
     * (a writer holds audit_entry locked until then, and the verifier's SELECT waits, seen in pg_stat_activity); in
     * a fresh snapshot per statement the head would then say 4 while entry 5 is stored.
     */
    @Test
    void anAppendCommittedWhileTheVerifierReadsIsNotSeenHalfWay() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 5);
        f.checkpoint();
        try (Connection writer = f.connect(); Connection observer = f.connect(); Connection c = f.connect()) {
            writer.setAutoCommit(false);
            try (java.sql.Statement st = writer.createStatement()) {
                st.execute("LOCK TABLE audit_entry IN ACCESS EXCLUSIVE MODE");
            }
            java.util.concurrent.CompletableFuture<VerificationReport> report = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> new AuditVerifier(List.of(f.keys.getPublic())).verify(c));
            java.time.Instant deadline = java.time.Instant.now().plusSeconds(60);
            while (!waitingOnALock(observer, "audit_entry")) {
                assertThat(java.time.Instant.now()).as("the verifier waiting to read audit_entry").isBefore(deadline);
                assertThat(report).as("the verifier must wait for the lock").isNotDone();
                Thread.sleep(20); // polling a state with a deadline
            }
            f.log.append(writer, LogFixture.event(5));
            writer.commit();
            VerificationReport r = report.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.ok()).as(r.render()).isTrue();
            assertThat(r.entriesChecked()).isEqualTo(5);
        }
        assertThat(f.verify().entriesChecked()).isEqualTo(6);
    }

    private static boolean waitingOnALock(Connection observer, String table) throws java.sql.SQLException {
        try (java.sql.PreparedStatement ps = observer.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE"
                + " datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                + " AND query ILIKE ?")) {
            ps.setString(1, "%FROM " + table + "%");
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1) > 0;
            }
        }
    }
}
