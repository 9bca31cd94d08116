package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SignedApplications;
import dev.shomei.ra.testkit.StatementAccount;
import dev.shomei.ra.testkit.WrkApplications;
import dev.shomei.testsupport.CpuAccount;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * Applications decided per second, end to end (HTTP in, CMS and chain verification, the J-LIS status, CSR and identity
 * checks, policy, one transaction with books and audit-log, HTTP out), next to the raw rate of CMS signature
 * verification measured in the same run on the same applications. The load generator is wrk, a process of its own
 * ({@link WrkApplications}), posting applications made before the timing starts; the rate is counted from the
 * decisions committed to the database. Warm-up rounds of their own applications come first, until the JIT compilers
 * have settled (under 5% of the JVM's CPU in two rounds in a row). Run with
 * {@code bin/bench -pl ra-service -am -Dtest=ApplicationThroughputBenchTest}; not part of the normal test run. Options:
 * {@code -Dbench.applications} (timed, default 6,000), {@code -Dbench.warm-up} (the most applications to warm up
 * with, default 60,000), {@code -Dbench.connections} (default 64), {@code -Dbench.jlis} (CRL or
 * OCSP, see {@link JlisSource}), {@code -Dshomei.test.pg-statement-statistics=true} (the server's time per SQL statement,
 * {@link StatementAccount}).
 */
@Tag("bench")
@DisabledIfSystemProperty(named = "shomei.integration-test", matches = "true",
        disabledReason = "runs in surefire; failsafe's bench run is TwoInstancesThroughputBenchIT")
@QuarkusTest
@TestProfile(ApplicationThroughputBenchTest.JlisSource.class)
@WithTestResource(RaTestEnvironment.class)
class ApplicationThroughputBenchTest {

    /**
     * The J-LIS source the RA asks first ({@code ra.jlis.prefer}): {@code -Dbench.jlis=CRL} (the default here: the
     * verified CRL, cached until its nextUpdate) or {@code OCSP} (a round trip to the simulated J-LIS per application).
     */
    public static class JlisSource implements QuarkusTestProfile {
        static String prefer() {
            return System.getProperty("bench.jlis", "CRL");
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ra.jlis.prefer", prefer());
        }
    }

    static final int APPLICATIONS = Integer.getInteger("bench.applications", 6000);
    static final int WARM_UP = Integer.getInteger("bench.warm-up", 60_000);
    static final int WARM_UP_ROUND = 3_000;
    static final int CONNECTIONS = Integer.getInteger("bench.connections", 64);
    static final Duration CAP = Duration.ofSeconds(Long.getLong("bench.max-seconds", 300));

    @Inject
    AgroalDataSource dataSource;

    @Test
    void applicationsDecidedPerSecond() throws Exception {
        Assumptions.assumeTrue(WrkApplications.wrk() != null, "wrk is not installed (bin/bench installs it as root:"
                + " apt-get install wrk)");
        int threads = Runtime.getRuntime().availableProcessors();
        Path dir = Path.of("target", "bench-applications-" + ProcessHandle.current().pid());
        long made = System.nanoTime();
        List<byte[]> timed = SignedApplications.write(dir.resolve("timed"), 0, APPLICATIONS, threads);
        System.out.printf("BENCH made %,d signed applications in %.1f s%n", APPLICATIONS,
                (System.nanoTime() - made) / 1e9);

        // Baseline: verify each CMS signature (messageDigest + RSA-2048), nothing else.
        verifyAll(timed.subList(0, Math.min(timed.size(), 500)), threads);
        long t0 = System.nanoTime();
        verifyAll(timed, threads);
        double baseline = APPLICATIONS / ((System.nanoTime() - t0) / 1e9);

        URI base = URI.create("http://localhost:" + RestAssured.port);
        Supplier<Connection> db = () -> {
            try {
                return dataSource.getConnection();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
        int warmedUp = warmUp(base, dir, db, threads);
        StatementAccount statements = StatementAccount.enabled()
                ? StatementAccount.start(RaTestEnvironment.lastDatabase()) : null;
        Instant from = Instant.now();
        long before = WrkApplications.count(db);
        long start = System.nanoTime();
        Process wrk = WrkApplications.start(base, dir.resolve("timed"), APPLICATIONS, 2, CONNECTIONS, CAP);
        int postgres = postgresPort();
        CpuAccount account = new CpuAccount(RA_THREAD_ROLES, ApplicationThroughputBenchTest::roleOf, postgres, "wrk",
                () -> List.of(wrk));
        Map<String, Long> cpuBefore = account.snapshot();
        WrkApplications.Rate rate = WrkApplications.measure(List.of(wrk), start, db, before, APPLICATIONS, CAP,
                account::snapshot);
        Instant to = Instant.now();
        WrkApplications.Answers answers = rate.answers().get(0);

        System.out.printf("%nBENCH ra-service (%d cores, wrk: %d connections, %d warm-up + %d timed applications,"
                + " J-LIS %s first; load average %s; timed window %s .. %s):%n", threads, CONNECTIONS, warmedUp,
                APPLICATIONS, JlisSource.prefer(), loadAverage(), from, to);
        System.out.printf("BENCH   baseline  raw CMS verify (BC, %d threads):       %,10.0f /s%n", threads, baseline);
        System.out.printf("BENCH   CSR proof of possession verified by %s%n", dev.shomei.pkcs11.NativeVerification.engine());
        System.out.printf("BENCH   end to end applications decided (APPROVED):   %,10.0f /s  (%.1f%% of baseline;"
                + " target 1,000/s; %,d decisions in %.1f s, by the database; answer latency p50 %.0f ms, p99 %.0f"
                + " ms)%n%n", rate.perSecond(), 100 * rate.perSecond() / baseline, rate.decisions(), rate.seconds(),
                answers.p50Millis(), answers.p99Millis());
        CpuAccount.print("BENCH ", "application decided", CpuAccount.perUnit(cpuBefore, rate.cpuAtEnd(), rate.decisions()));
        if (statements != null) {
            statements.print(rate.decisions(), 25);
        }
        System.out.println();
        assertThat(answers.other()).as("wrk's unexpected answers: %s", answers.output()).isZero();
        assertThat(answers.created()).as(answers.output()).isEqualTo(APPLICATIONS);
        assertThat(rate.decisions()).isEqualTo(APPLICATIONS);
        assertThat(WrkApplications.approved(db)).isEqualTo(warmedUp + APPLICATIONS);
    }

    /**
     * Rounds of {@link #WARM_UP_ROUND} applications of their own until the JIT compilers take under 5% of this JVM's
     * CPU in two rounds in a row, at most {@link #WARM_UP} applications (returns how many): the timed window is to
     * measure the RA, not the JVM's start (after a fixed 3,000 the compilers still took 0.64 ms per application, 14%
     * of all the CPU).
     */
    private int warmUp(URI base, Path dir, Supplier<Connection> db, int threads) throws Exception {
        // All rounds' applications first: making them compiles code too, which must not count as the RA's warm-up.
        List<Integer> sizes = new ArrayList<>();
        for (int made = 0; made < WARM_UP; made += sizes.get(sizes.size() - 1)) {
            int n = Math.min(WARM_UP_ROUND, WARM_UP - made);
            SignedApplications.write(dir.resolve("warm-up-" + sizes.size()), APPLICATIONS + made, n, threads);
            sizes.add(n);
        }
        CpuAccount jvm = new CpuAccount(List.of(), t -> "Java threads", 0, null, List::of);
        int done = 0;
        int quiet = 0;
        for (int round = 0; round < sizes.size(); round++) {
            int n = sizes.get(round);
            Path roundDir = dir.resolve("warm-up-" + round);
            Map<String, Long> before = jvm.snapshot();
            long cpu = CpuAccount.processNanos();
            WrkApplications.Rate r = run(base, roundDir, n, db);
            done += n;
            double share = (double) (jvm.snapshot().get(CpuAccount.JIT) - before.get(CpuAccount.JIT))
                    / Math.max(1, CpuAccount.processNanos() - cpu);
            System.out.printf("BENCH warm-up: %,d decisions, the last %,d at %,.0f /s; JIT compilers %.0f%% of the"
                    + " JVM's CPU in that round%n", done, r.decisions(), r.perSecond(), 100 * share);
            // Two quiet rounds in a row: the compilers work in bursts.
            quiet = share < 0.05 ? quiet + 1 : 0;
            if (quiet == 2) {
                return done;
            }
        }
        System.out.println("BENCH warm-up: stopped at -Dbench.warm-up before the JIT compilers settled");
        return done;
    }

    private WrkApplications.Rate run(URI base, Path dir, int count, Supplier<Connection> db) throws Exception {
        long before = WrkApplications.count(db);
        long start = System.nanoTime();
        Process wrk = WrkApplications.start(base, dir, count, 2, CONNECTIONS, CAP);
        return WrkApplications.measure(List.of(wrk), start, db, before, count, CAP);
    }

    /** The port of the RA's PostgreSQL (the test database), to account its CPU. */
    static int postgresPort() {
        String url = org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("quarkus.datasource.jdbc.url", String.class);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("//[^:/]+:(\\d+)/").matcher(url);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ", 4);
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    static void verifyAll(List<byte[]> apps, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            AtomicInteger next = new AtomicInteger();
            List<Future<Integer>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i; (i = next.getAndIncrement()) < apps.size(); ) {
                        CMSSignedData s = new CMSSignedData(apps.get(i));
                        SignerInformation si = s.getSignerInfos().getSigners().iterator().next();
                        var holder = (org.bouncycastle.cert.X509CertificateHolder)
                                s.getCertificates().getMatches(si.getSID()).iterator().next();
                        var cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(holder);
                        if (si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(cert.getPublicKey()))) {
                            ok++;
                        }
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : fs) {
                ok += f.get();
            }
            assertThat(ok).isEqualTo(apps.size());
        } finally {
            pool.shutdownNow();
        }
    }

    /** The RA's Java threads by role, for {@link CpuAccount}. */
    private static final List<String> RA_THREAD_ROLES = List.of("RA request threads", "RA HTTP event loops",
            "RA group commit", "other Java threads (test, J-LIS simulator)");

    private static String roleOf(String thread) {
        return thread.startsWith("executor-thread") ? RA_THREAD_ROLES.get(0)
                : thread.startsWith("vert.x-eventloop") || thread.startsWith("vert.x-acceptor") ? RA_THREAD_ROLES.get(1)
                : thread.startsWith("ra-group-commit") ? RA_THREAD_ROLES.get(2) : RA_THREAD_ROLES.get(3);
    }
}
