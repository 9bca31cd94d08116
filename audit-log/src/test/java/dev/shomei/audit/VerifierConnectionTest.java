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
}
