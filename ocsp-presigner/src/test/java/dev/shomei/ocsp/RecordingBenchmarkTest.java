package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ocsp.presign.OcspResponseStore;
import dev.shomei.ocsp.presign.SignedChunk;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What recording a pre-signed response costs the database, per response, for the two ways a chunk is written
 * (OcspResponseStore#record): a first response by binary COPY straight into ocsp_response, and the staging table
 * plus upsert (the only way before first responses were copied, still the way for re-signed ones). On a host whose
 * CPU also signs (SoftHSM2), every microsecond the database spends per response is taken from signing: this is
 * the cost the presign / raw-signing ratio pays. Measured as the CPU time of the PostgreSQL backend (Linux
 * /proc/PID/stat of the backend, pg_backend_pid()) and of the writing thread, so other load on the machine does not
 * enter the figure the way wall time would. {@code ./mvnw -Pbench -pl ocsp-presigner verify -Dtest=RecordingBenchmarkTest}.
 *
 * <p>Test scope (benchmarks); Linux only (reads /proc).
 */
@Tag("bench")
class RecordingBenchmarkTest {

    private static final int RESPONSES = Integer.getInteger("bench.responses", 100_000);
    private static final int CHUNK = 1_000;

    @Test
    void databaseCpuPerRecordedResponse() throws Exception {
        try (PresignerFixture f = PresignerFixture.create("recording")) {
            f.presigner(); // migrates ocsp_response
            OcspResponseStore store = new OcspResponseStore(PresignerFixture.ISSUING, "1234");
            byte[] der = new byte[1_300]; // the size of a response with the responder certificate in certs
            new Random(7).nextBytes(der);
            // Warm-up of both ways (JIT, PostgreSQL caches), then each measured twice, alternating.
            record(f, store, der, true, 0, 20_000);
            record(f, store, der, false, 1, 20_000);
            double[] copy = {Double.MAX_VALUE, 0};
            double[] upsert = {Double.MAX_VALUE, 0};
            for (int round = 0; round < 2; round++) {
                double[] c = record(f, store, der, true, 10 + round * 2, RESPONSES);
                double[] u = record(f, store, der, false, 11 + round * 2, RESPONSES);
                if (c[0] < copy[0]) {
                    copy = c;
                }
                if (u[0] < upsert[0]) {
                    upsert = u;
                }
            }
            System.out.printf("recording %,d new responses per way, chunks of %d, load average %.1f:%n", RESPONSES, CHUNK,
                    ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            System.out.printf("  COPY into ocsp_response (first responses): database %.1f µs, writer thread %.1f µs per response%n",
                    copy[0], copy[1]);
            System.out.printf("  staging COPY + INSERT … ON CONFLICT:        database %.1f µs, writer thread %.1f µs per response%n",
                    upsert[0], upsert[1]);
            System.out.printf("SUMMARY copyDbUs=%.1f upsertDbUs=%.1f ratio=%.2f%n", copy[0], upsert[0], copy[0] / upsert[0]);
            assertThat(f.count("SELECT count(*) FROM ocsp_response")).isEqualTo(40_000L + 4L * RESPONSES);
        }
    }

    /**
     * Whether the order of the serials matters once ocsp_response's primary key outgrows PostgreSQL's shared buffers
     * (as at 10M certificates): {@code bench.scaleResponses} (default 3,000,000) responses of 100 bytes recorded by
     * the upsert, once in random serial order (as the presign cursor delivers them: the certificate table's order,
     * serials random) and once, into a fresh database, in ascending order; the database's CPU per response over the
     * last third of each (when the index is largest).
     */
    @Test
    void serialOrderOnceThePrimaryKeyOutgrowsSharedBuffers() throws Exception {
        int n = Integer.getInteger("bench.scaleResponses", 3_000_000);
        byte[] der = new byte[100];
        double[] random = scale(n, der, false);
        double[] ascending = scale(n, der, true);
        System.out.printf("recording %,d responses of %d bytes by the upsert, database CPU per response (last third):"
                + " random serial order %.1f µs (WAL %,d bytes, %,d full-page images), ascending %.1f µs (WAL %,d bytes, %,d"
                + " full-page images); load average %.1f%n", n, der.length, random[0], (long) random[1], (long) random[2],
                ascending[0], (long) ascending[1], (long) ascending[2],
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("SUMMARY randomDbUs=%.1f ascendingDbUs=%.1f%n", random[0], ascending[0]);
    }

    private static double[] scale(int n, byte[] der, boolean ascending) throws Exception {
        try (PresignerFixture f = PresignerFixture.create(ascending ? "ascending" : "random")) {
            f.presigner();
            OcspResponseStore store = new OcspResponseStore(PresignerFixture.ISSUING, "1234");
            Random rnd = new Random(11);
            HexFormat hex = HexFormat.of();
            Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            try (Connection c = f.ca.database().dataSource().getConnection()) {
                long pid;
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    pid = rs.getLong(1);
                }
                c.commit();
                long db0 = 0;
                long[] wal0 = null;
                int from3 = n - n / 3;
                for (int from = 0; from < n; from += CHUNK) {
                    if (from >= from3 && wal0 == null) {
                        db0 = backendCpuMicros(pid);
                        wal0 = wal(c);
                    }
                    int size = Math.min(CHUNK, n - from);
                    String[] serials = new String[size];
                    String[] statuses = new String[size];
                    byte[][] ders = new byte[size][];
                    String[] sha = new String[size];
                    for (int i = 0; i < size; i++) {
                        byte[] b = new byte[16];
                        rnd.nextBytes(b);
                        // 32 hex digits either way; ascending: the row number in front of random digits.
                        serials[i] = ascending ? String.format("1%07x", from + i) + hex.formatHex(b).substring(0, 24)
                                : "1" + hex.formatHex(b).substring(0, 31);
                        statuses[i] = "good";
                        ders[i] = der;
                        sha[i] = "00";
                    }
                    store.record(c, new SignedChunk(serials, statuses, ders, sha, now, now.plus(Duration.ofHours(96)),
                            now.plus(Duration.ofHours(48)), false));
                    c.commit();
                    if (from % 500_000 == 0) {
                        System.out.printf("scale (%s): %,d / %,d%n", ascending ? "ascending" : "random", from, n);
                    }
                }
                long[] wal1 = wal(c);
                double perResponse = (backendCpuMicros(pid) - db0) / (double) (n - from3);
                return new double[] {perResponse, wal1[0] - wal0[0], wal1[1] - wal0[1]};
            }
        }
    }

    private static long[] wal(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT wal_bytes, wal_fpi FROM pg_stat_wal")) {
            rs.next();
            long[] r = {rs.getLong(1), rs.getLong(2)};
            c.commit();
            return r;
        }
    }

    /** Records {@code n} responses for fresh serials; returns backend CPU µs and writer-thread CPU µs per response. */
    private static double[] record(PresignerFixture f, OcspResponseStore store, byte[] der, boolean first, int series, int n)
            throws Exception {
        HexFormat hex = HexFormat.of();
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        var threads = ManagementFactory.getThreadMXBean();
        try (Connection c = f.ca.database().dataSource().getConnection()) {
            long pid;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getLong(1);
            }
            c.commit();
            long db0 = backendCpuMicros(pid);
            long t0 = threads.getCurrentThreadCpuTime();
            for (int from = 0; from < n; from += CHUNK) {
                int size = Math.min(CHUNK, n - from);
                String[] serials = new String[size];
                String[] statuses = new String[size];
                byte[][] ders = new byte[size][];
                String[] sha = new String[size];
                for (int i = 0; i < size; i++) {
                    serials[i] = String.format("%x%030x", 1 + series, from + i);
                    statuses[i] = "good";
                    ders[i] = der;
                    sha[i] = hex.formatHex(new byte[32]);
                }
                SignedChunk chunk = new SignedChunk(serials, statuses, ders, sha, now, now.plus(Duration.ofHours(96)),
                        now.plus(Duration.ofHours(48)), first);
                assertThat(store.record(c, chunk)).isEqualTo(size);
                c.commit();
            }
            double db = (backendCpuMicros(pid) - db0) / (double) n;
            double writer = (threads.getCurrentThreadCpuTime() - t0) / 1e3 / n;
            return new double[] {db, writer};
        }
    }

    /** utime + stime of a process, in µs (proc(5): fields 14 and 15, in clock ticks of 1/100 s). */
    private static long backendCpuMicros(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000L;
    }
}
