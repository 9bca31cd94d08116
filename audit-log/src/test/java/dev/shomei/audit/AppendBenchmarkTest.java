package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Append throughput with 1, 4 and 16 concurrent writers, each append in its own transaction (append +
 * commit), against the test PostgreSQL. Not a test: run with {@code ./mvnw -B -o -pl audit-log -Pbench verify}.
 * Also times a checkpoint and a full verification of what was written.
 *
 * <p>The machine is shared, so each figure is printed next to a floor measured in the same run: the rate
 * of the smallest transaction that, like an append, holds one row lock until commit ({@code UPDATE} of
 * a single counter row + {@code COMMIT}). No gapless in-transaction sequence can beat that floor.
 */
@Tag("bench")
class AppendBenchmarkTest {

    // -Dbench.seconds=N shortens (or lengthens) every measurement; the warm-up is a quarter of it.
    private static final long MEASURE_MS = Long.getLong("bench.seconds", 8) * 1_000;
    private static final long WARMUP_MS = Math.max(500, MEASURE_MS / 4);
    /** The target: 5,000 appends per second with 16 concurrent writers. */
    private static final double TARGET_16 = 5_000;

    /**
     * How the benchmark's sessions commit. DURABLE is production's setting (every commit flushed to disk), so on a
     * disk shared with other builds the flush dominates. CPU_BOUND sets {@code synchronous_commit = off} for the
     * benchmark's own sessions only (commits are not waited on: what the baseline measured with
     * {@code fsync=off}), to show the work the log itself costs.
     */
    enum Mode { DURABLE, CPU_BOUND }

    @Test
    void appendsPerSecond() throws Exception {
        StringBuilder summary = new StringBuilder("\n=== audit-log append benchmark (PostgreSQL: "
                + dev.shomei.testsupport.TestDatabase.kind() + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs) ===\n");
        // -Dbench.writers=16 measures one setting only; -Dbench.modes=CPU_BOUND one mode only.
        int[] writerCounts = java.util.Arrays.stream(System.getProperty("bench.writers", "1,4,16").split(","))
                .mapToInt(w -> Integer.parseInt(w.strip())).toArray();
        for (String modeName : System.getProperty("bench.modes", "DURABLE,CPU_BOUND").split(",")) {
            Mode mode = Mode.valueOf(modeName.strip());
            summary.append(mode == Mode.DURABLE ? "durable commits (synchronous_commit on, production's setting):\n"
                    : "CPU bound (synchronous_commit off in the benchmark's sessions; the issue's baseline had fsync off):\n");
            for (int writers : writerCounts) {
                summary.append(measure(mode, writers));
            }
        }
        System.out.println(summary);
    }

    private static String measure(Mode mode, int writers) throws Exception {
        LogFixture f = LogFixture.create();
        GroupAppender.ConnectionSource connections = () -> {
            Connection c = f.connect();
            if (mode == Mode.CPU_BOUND) {
                try (var st = c.createStatement()) {
                    st.execute("SET synchronous_commit = off");
                }
            }
            return c;
        };
        try (Connection c = f.connect(); var st = c.createStatement()) {
            st.execute("CREATE TABLE bench_counter (id int PRIMARY KEY, n bigint NOT NULL)");
            st.execute("INSERT INTO bench_counter VALUES (1, 0)");
        }
        AtomicLong counter = new AtomicLong();
        run(connections, writers, WARMUP_MS, (c, i) -> counterStep(c, counter));
        counter.set(0);
        long floorMs = run(connections, writers, MEASURE_MS / 2, (c, i) -> counterStep(c, counter));
        double floor = counter.get() * 1000.0 / floorMs;

        run(connections, writers, WARMUP_MS, (c, i) -> f.log.append(c, LogFixture.event(i)));
        long before = count(f);
        long ms = run(connections, writers, MEASURE_MS, (c, i) -> f.log.append(c, LogFixture.event(i)));
        long n = count(f) - before;
        double rate = n * 1000.0 / ms;

        // The same writers through the group-commit appender: each append still returns only once committed.
        double grouped;
        double meanGroup;
        try (GroupAppender appender = f.log.groupAppender(connections)) {
            run(connections, writers, WARMUP_MS, (c, i) -> appender.append(LogFixture.event(i)));
            long beforeGrouped = count(f);
            long groupedMs = run(connections, writers, MEASURE_MS, (c, i) -> appender.append(LogFixture.event(i)));
            grouped = (count(f) - beforeGrouped) * 1000.0 / groupedMs;
            meanGroup = appender.meanGroupSize();
        }

        long t0 = System.nanoTime();
        Checkpoint cp = f.checkpoint();
        long checkpointMs = (System.nanoTime() - t0) / 1_000_000;
        t0 = System.nanoTime();
        VerificationReport r = f.verify();
        long verifyMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.ok()).as(r.render()).isTrue();
        return String.format("  %2d writers: group commit %,7.0f/s (%.1f entries per commit) | baseline, one transaction"
                + " per append: %,7.0f/s | floor, 1-row UPDATE + COMMIT: %,7.0f/s | group commit = %.1f x baseline%s"
                + " | checkpoint of %,d entries %,d ms, full verify %,d ms%n",
                writers, grouped, meanGroup, rate, floor, grouped / rate,
                writers == 16 ? String.format(" | target >= %,.0f/s: %s", TARGET_16,
                        grouped >= TARGET_16 ? "met" : "NOT met") : "",
                cp.treeSize(), checkpointMs, verifyMs);
    }

    private static long count(LogFixture f) throws Exception {
        try (Connection c = f.connect()) {
            return f.log.size(c);
        }
    }

    private interface Step {
        void run(Connection c, int i) throws Exception;
    }

    private static void counterStep(Connection c, AtomicLong counter) throws Exception {
        try (var ps = c.prepareStatement("UPDATE bench_counter SET n = n + 1 WHERE id = 1")) {
            ps.executeUpdate();
        }
        counter.incrementAndGet();
    }

    /** Every writer runs {@code step} and commits in a loop for {@code millis}; returns the elapsed time. */
    private static long run(GroupAppender.ConnectionSource connections, int writers, long millis, Step step)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch connected = new CountDownLatch(writers);
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long[] deadline = new long[1];
        for (int w = 0; w < writers; w++) {
            int id = w;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Connection c = connections.open()) {
                    c.setAutoCommit(false);
                    connected.countDown();
                    start.await();
                    int i = 0;
                    while (System.nanoTime() < deadline[0]) {
                        step.run(c, id * 1_000_000 + i++);
                        c.commit();
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                    connected.countDown(); // a writer that could not connect must not hold the others up
                    e.printStackTrace();
                }
            }));
        }
        // Every writer connected (or failed) before the clock starts: connecting is not appending.
        assertThat(connected.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("writers connected within 60 s").isTrue();
        long t0 = System.nanoTime();
        deadline[0] = t0 + millis * 1_000_000;
        start.countDown();
        for (Thread t : threads) {
            // The writers stop at the deadline; one stuck on a lock fails the run instead of hanging it.
            assertThat(t.join(java.time.Duration.ofMillis(millis + 120_000))).as("writer " + t + " stopped").isTrue();
        }
        assertThat(failures.get()).isZero();
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
