package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Batched appends (audit_append_batch) and the group-commit appender, on a real PostgreSQL. */
class GroupAppenderTest {

    @Test
    void appendAllNumbersLinksAndStoresEveryEventInOrderInTheCallersTransaction() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 2);
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 2; i < 12; i++) {
            events.add(LogFixture.event(i));
        }
        // Unusual text takes the SQL encoding's every branch; appendAll re-hashes each entry in Java.
        events.add(AuditEvent.of(Actor.person("山田 太郎", "マイナンバーカード"), "申請.承認", "tab\tnl\n", new byte[0]));
        try (Connection c = f.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE books (id int PRIMARY KEY)");
            c.setAutoCommit(false);
            st.execute("INSERT INTO books VALUES (1)");
            assertThat(f.log.appendAll(c, events.subList(0, 3))).containsExactly(2L, 3L, 4L);
            c.rollback(); // the business write and its entries go together, leaving no gap

            assertThat(f.log.appendAll(c, events)).containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
            assertThat(f.log.append(c, LogFixture.event(99))).as("a single append follows the batch").isEqualTo(13);
            c.commit();

            List<AuditEntry> stored = f.log.entries(c, 0, 20);
            assertThat(stored).hasSize(14);
            assertThat(stored.subList(2, 13)).extracting(AuditEntry::event).containsExactlyElementsOf(events);
            for (int i = 1; i < stored.size(); i++) {
                assertThat(stored.get(i).prevHash()).as("entry %d links to %d", i, i - 1)
                        .isEqualTo(stored.get(i - 1).entryHash());
                assertThat(stored.get(i).hashMatchesContent()).isTrue();
            }
        }
        f.checkpoint();
        VerificationReport r = f.verify();
        assertThat(r.ok()).as(r.render()).isTrue();
    }

    @Test
    void appendAllRefusesAutocommitAndAnotherLogsDatabase() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 1);
        List<AuditEvent> two = List.of(LogFixture.event(1), LogFixture.event(2));
        try (Connection c = f.connect()) {
            assertThatThrownBy(() -> f.log.appendAll(c, two)).hasMessageContaining("autocommit");
            c.setAutoCommit(false);
            assertThatThrownBy(() -> new AuditLog("shomei.example/other").appendAll(c, two))
                    .isInstanceOf(AuditException.class)
                    .hasMessageContaining("holds the audit log '" + LogFixture.ORIGIN + "'");
            c.rollback();
        }
    }

    @Test
    void theServiceRoleAppendsInBatchesOnlyThroughTheFunction() throws Exception {
        LogFixture f = LogFixture.create();
        try (Connection app = f.db.connectAsService()) {
            app.setAutoCommit(false);
            assertThat(f.log.appendAll(app, List.of(LogFixture.event(0), LogFixture.event(1)))).containsExactly(0L, 1L);
            app.commit();
        }
        f.checkpoint();
        assertThat(f.verify().ok()).isTrue();
    }

    @Test
    void concurrentWritersEachGetTheirOwnDurableEntryAndTheLogVerifies() throws Exception {
        LogFixture f = LogFixture.create();
        int writers = 16;
        int each = 25;
        Map<Long, AuditEvent> returned = new ConcurrentHashMap<>();
        AtomicInteger groupsOpened = new AtomicInteger();
        try (GroupAppender appender = f.log.groupAppender(() -> {
            groupsOpened.incrementAndGet();
            return f.connect();
        })) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int id = w;
                done.add(pool.submit(() -> {
                    try (Connection other = f.connect()) {
                        for (int i = 0; i < each; i++) {
                            AuditEvent e = LogFixture.event(id * 1000 + i);
                            long seq = appender.append(e);
                            assertThat(returned.put(seq, e)).as("sequence number %d given twice", seq).isNull();
                            // Returned means committed: another connection sees the entry at once.
                            assertThat(f.log.entry(other, seq).orElseThrow().event()).isEqualTo(e);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        assertThat(groupsOpened.get()).as("one connection for all groups").isEqualTo(1);
        try (Connection c = f.connect()) {
            assertThat(f.log.size(c)).isEqualTo(writers * each);
            Map<Long, AuditEvent> stored = new HashMap<>();
            f.log.entries(c, 0, writers * each - 1).forEach(e -> stored.put(e.seq(), e.event()));
            assertThat(stored).isEqualTo(returned);
        }
        f.checkpoint();
        VerificationReport r = f.verify();
        assertThat(r.ok()).as(r.render()).isTrue();
    }

    @Test
    void aGroupThatCannotCommitFailsItsCallersAndTheNextGroupStartsAfresh() throws Exception {
        LogFixture f = LogFixture.create();
        AtomicInteger opened = new AtomicInteger();
        try (GroupAppender appender = f.log.groupAppender(() -> {
            if (opened.incrementAndGet() == 1) {
                throw new SQLException("connection refused (first attempt)");
            }
            return f.connect();
        })) {
            assertThatThrownBy(() -> appender.append(LogFixture.event(0)))
                    .isInstanceOf(AuditException.class)
                    .hasMessageContaining("cannot commit a group of 1 audit entries")
                    .hasMessageContaining("connection refused");
            assertThat(appender.append(LogFixture.event(1))).as("nothing was stored for the failed one").isZero();
            // The server ends the appender's session: the next group reconnects, the one in between fails.
            try (Connection c = TestDatabase.connectAsSuperuser(f.db); Statement st = c.createStatement()) {
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND pid <> pg_backend_pid()");
            }
            assertThatThrownBy(() -> appender.append(LogFixture.event(2))).isInstanceOf(AuditException.class);
            assertThat(appender.append(LogFixture.event(3))).isEqualTo(1);
        }
        try (Connection c = f.connect()) {
            assertThat(f.log.entries(c, 0, 5)).extracting(AuditEntry::event)
                    .containsExactly(LogFixture.event(1), LogFixture.event(3));
        }
    }

    @Test
    void aClosedAppenderRefusesEvents() throws Exception {
        LogFixture f = LogFixture.create();
        GroupAppender appender = f.log.groupAppender(f::connect);
        assertThat(appender.append(LogFixture.event(0))).isZero();
        appender.close();
        assertThatThrownBy(() -> appender.append(LogFixture.event(1))).isInstanceOf(AuditException.class)
                .hasMessageContaining("is closed");
        try (Connection c = f.connect()) {
            assertThat(f.log.size(c)).isEqualTo(1);
        }
    }

    private static final class TestDatabase {
        static Connection connectAsSuperuser(dev.shomei.testsupport.TestDatabase.Database db) throws SQLException {
            return dev.shomei.testsupport.TestDatabase.connectAsSuperuser(db);
        }
    }
}
