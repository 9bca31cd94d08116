package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.testkit.RaInstance;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SignedApplications;
import dev.shomei.ra.testkit.WrkApplications;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Two RA instances on one PostgreSQL side by side (docs/operations.md, "Beyond one machine"), against one of them
 * alone, in the same run: two JVMs of the packaged RA ({@link RaInstance}, what {@code bin/ra} runs), one database,
 * the simulated J-LIS in this JVM, and wrk posting pre-made applications ({@link WrkApplications}). First both
 * instances are warmed up; then one instance takes {@code bench.applications} alone; then the two take as many
 * between them (half each, one wrk per instance, at once). Rates are counted from the decisions committed to the
 * database, next to the raw CMS verification rate of this JVM. On one machine the two instances share its cores:
 * the figure shows what the shared database and the second JVM cost or give, not what a second machine would add.
 *
 * <p>Zone: tests only (benchmark). Runs in failsafe's integration-test phase of {@code bin/bench} (the bench profile
 * runs the ITs tagged bench), after the RA is packaged.
 */
@Tag("bench")
@EnabledIfSystemProperty(named = "shomei.integration-test", matches = "true",
        disabledReason = "runs in failsafe's integration-test phase, against the packaged RA")
class TwoInstancesThroughputBenchIT {

    static final int APPLICATIONS = Integer.getInteger("bench.applications", 6000);
    static final int WARM_UP = Integer.getInteger("bench.warm-up", 3000);
    static final int CONNECTIONS = Integer.getInteger("bench.connections", 64);
    static final Duration CAP = Duration.ofSeconds(Long.getLong("bench.max-seconds", 300));

    @Test
    void oneInstanceThenTwoSideBySide() throws Exception {
        Assumptions.assumeTrue(WrkApplications.wrk() != null, "wrk is not installed (bin/bench installs it as root:"
                + " apt-get install wrk)");
        RaTestEnvironment environment = new RaTestEnvironment();
        Map<String, String> config = new HashMap<>(environment.start());
        // The J-LIS source as in ApplicationThroughputBenchTest: the verified, cached CRL unless told otherwise.
        config.put("ra.jlis.prefer", ApplicationThroughputBenchTest.JlisSource.prefer());
        Supplier<Connection> db = () -> {
            try {
                return DriverManager.getConnection(config.get("test.database.url"),
                        config.get("quarkus.datasource.username"), config.get("quarkus.datasource.password"));
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
        RaInstance a = null;
        RaInstance b = null;
        ExecutorService boot = Executors.newFixedThreadPool(2);
        try {
            Future<RaInstance> fa = boot.submit(() -> RaInstance.start("bench-a", config, Duration.ofSeconds(180),
                    RaInstance.BENCH_JVM));
            Future<RaInstance> fb = boot.submit(() -> RaInstance.start("bench-b", config, Duration.ofSeconds(180),
                    RaInstance.BENCH_JVM));
            try {
                a = fa.get(200, TimeUnit.SECONDS);
            } finally {
                b = fb.get(200, TimeUnit.SECONDS);
            }
            int threads = Runtime.getRuntime().availableProcessors();
            Path dir = Path.of("target", "bench-two-instances-" + ProcessHandle.current().pid());
            int half = APPLICATIONS / 2;
            SignedApplications.write(dir.resolve("warm-a"), 0, WARM_UP, threads);
            SignedApplications.write(dir.resolve("warm-b"), WARM_UP, WARM_UP, threads);
            List<byte[]> one = SignedApplications.write(dir.resolve("one"), 2 * WARM_UP, APPLICATIONS, threads);
            SignedApplications.write(dir.resolve("two-a"), 2 * WARM_UP + APPLICATIONS, half, threads);
            SignedApplications.write(dir.resolve("two-b"), 2 * WARM_UP + APPLICATIONS + half, half, threads);

            ApplicationThroughputBenchTest.verifyAll(one.subList(0, Math.min(500, one.size())), threads);
            long t0 = System.nanoTime();
            ApplicationThroughputBenchTest.verifyAll(one, threads);
            double baseline = one.size() / ((System.nanoTime() - t0) / 1e9);

            URI uriA = URI.create("http://localhost:" + a.httpPort);
            URI uriB = URI.create("http://localhost:" + b.httpPort);
            WrkApplications.Rate warm = run(db, WARM_UP * 2,
                    new Load(uriA, dir.resolve("warm-a"), WARM_UP), new Load(uriB, dir.resolve("warm-b"), WARM_UP));
            WrkApplications.Rate single = run(db, APPLICATIONS, new Load(uriA, dir.resolve("one"), APPLICATIONS));
            WrkApplications.Rate both = run(db, 2 * half,
                    new Load(uriA, dir.resolve("two-a"), half), new Load(uriB, dir.resolve("two-b"), half));

            System.out.printf("%nBENCH ra-service, two RA instances on one PostgreSQL (packaged RA JVMs, %d cores,"
                    + " wrk %d connections per instance, J-LIS %s first; load average %s):%n", threads, CONNECTIONS,
                    config.get("ra.jlis.prefer"), ApplicationThroughputBenchTest.loadAverage());
            System.out.printf("BENCH   baseline  raw CMS verify (BC, %d threads):         %,10.0f /s%n", threads,
                    baseline);
            System.out.printf("BENCH   warm-up, both instances:                         %,10.0f /s%n",
                    warm.perSecond());
            System.out.printf("BENCH   one instance alone, applications decided:        %,10.0f /s  (%.1f%% of"
                    + " baseline)%n", single.perSecond(), 100 * single.perSecond() / baseline);
            System.out.printf("BENCH   two instances side by side, decided:             %,10.0f /s  (%.1f%% of"
                    + " baseline; %.2f x one instance)%n%n", both.perSecond(), 100 * both.perSecond() / baseline,
                    both.perSecond() / single.perSecond());
            for (WrkApplications.Rate r : List.of(warm, single, both)) {
                for (WrkApplications.Answers answers : r.answers()) {
                    assertThat(answers.other()).as("unexpected answers: %s", answers.output()).isZero();
                }
            }
            assertThat(single.decisions()).isEqualTo(APPLICATIONS);
            assertThat(both.decisions()).isEqualTo(2 * half);
            // Each application decided once, by one instance: as many approvals as applications posted.
            assertThat(WrkApplications.approved(db)).isEqualTo(2L * WARM_UP + APPLICATIONS + 2L * half);
        } finally {
            boot.shutdownNow();
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            environment.stop();
        }
    }

    record Load(URI base, Path dir, int count) {}

    private static WrkApplications.Rate run(Supplier<Connection> db, int expected, Load... loads) throws Exception {
        long before = WrkApplications.count(db);
        long start = System.nanoTime();
        List<Process> runs = new java.util.ArrayList<>();
        for (Load l : loads) {
            runs.add(WrkApplications.start(l.base(), l.dir(), l.count(), loads.length == 1 ? 2 : 1,
                    CONNECTIONS, CAP));
        }
        return WrkApplications.measure(runs, start, db, before, expected, CAP);
    }
}
