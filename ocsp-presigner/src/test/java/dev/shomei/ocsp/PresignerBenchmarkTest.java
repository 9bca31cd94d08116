package dev.shomei.ocsp;

import dev.shomei.testsupport.Throughput;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ocsp.presign.OcspPresigner;
import dev.shomei.ocsp.presign.OcspResponseSigner;
import dev.shomei.pkcs11.Pkcs11Signer;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Pre-signing rate over 1,000,000 certificates against the raw PKCS#11 signing rate of the same responder key,
 * measured in the same run (target: ratio >= 0.9), with the heap the run needed. Run with
 * {@code ./mvnw -B -o -Pbench -pl ocsp-presigner verify}.
 */
@Tag("bench")
class PresignerBenchmarkTest {

    private static final int CERTIFICATES = Integer.getInteger("bench.certificates", 1_000_000);
    private static final int REVOKED_EVERY = 100;

    @Test
    void figures() throws Exception {
        try (PresignerFixture f = PresignerFixture.create("bench")) {
            Pkcs11Signer signer = f.ca.signer(PresignerFixture.RESPONDER);
            int threads = f.ca.token().config().parallelism();

            // Baseline: raw signatures with the responder key, about the size of an OCSP tbsResponseData; and the
            // same plus building each response with Bouncy Castle (no database). Interleaved, best of three, so
            // that other load on the machine does not favour one of them.
            byte[] tbs = new byte[200];
            OcspResponseSigner responses = new OcspResponseSigner(signer, f.issuingCert());
            Instant thisUpdate = f.clock.instant();
            BigInteger serialBase = BigInteger.ONE.shiftLeft(100);
            Throughput.Op build = i -> responses.sign(serialBase.add(BigInteger.valueOf(i)), null, 0, thisUpdate,
                    thisUpdate.plus(Duration.ofHours(96)));
            Throughput.rate("warm-up", threads, 5_000, i -> signer.sign(tbs));
            Throughput.rate("warm-up", threads, 5_000, build);
            double raw1 = 0;
            double raw = 0;
            double built = 0;
            for (int round = 0; round < 3; round++) {
                raw1 = Math.max(raw1, Throughput.rate("raw PKCS#11 sign, 1 thread", 1, 10_000, i -> signer.sign(tbs)));
                raw = Math.max(raw, Throughput.rate("raw PKCS#11 sign, " + threads + " threads", threads, 10_000, i -> signer.sign(tbs)));
                built = Math.max(built, Throughput.rate("OCSP response build + sign, " + threads + " threads", threads, 10_000, build));
            }
            System.out.printf("system load average: %.1f%n", loadAverage());

            long t0 = System.nanoTime();
            insertCertificates(f);
            System.out.printf("inserted %,d certificates (%,d revoked) by COPY in %.1f s%n", CERTIFICATES,
                    CERTIFICATES / REVOKED_EVERY, (System.nanoTime() - t0) / 1e9);
            long expected = f.count("SELECT count(*) FROM certificate WHERE issuer_label = 'issuing-test'");

            System.gc();
            Throughput.resetHeapPeaks();
            long heapBefore = heapUsed();
            OcspPresigner presigner = OcspPresigner.forCa(f.ca, PresignerFixture.RESPONDER,
                    new OcspPresigner.Settings(Duration.ofHours(96), 1000, 10, System.out),
                    new AuditedPresignerEvents(AuditedPresignerEvents.caLog(f.ca.config()), AuditedPresignerEvents.system()),
                    f.clock);
            OcspPresigner.Result r = presigner.run();
            long peak = (Throughput.heapPeak() - heapBefore) >> 20;
            assertThat(r.signed()).isEqualTo(expected);
            assertThat(f.count("SELECT count(*) FROM ocsp_response WHERE status = 'revoked'"))
                    .isEqualTo(CERTIFICATES / REVOKED_EVERY);
            System.out.printf("%-40s %,10.0f /s  (%,d responses in %.1f s, %d threads)%n", "presign (sign + record + audit)",
                    r.perSecond(), r.signed(), r.seconds(), threads);
            System.out.printf("system load average: %.1f%n", loadAverage());
            double rawAfter = Throughput.rate("raw PKCS#11 sign, " + threads + " threads (after)", threads, 10_000, i -> signer.sign(tbs));
            System.out.printf("thread-time: building + signing %.1f s, recording %.1f s, wall %.1f s%n",
                    r.signingSeconds(), r.recordingSeconds(), r.seconds());
            System.out.printf("peak heap above baseline during the run: %d MB%n", peak);

            OcspPresigner.Result again = presigner.run();
            assertThat(again.signed()).isZero();
            System.out.printf("incremental run with nothing due: %.2f s%n", again.seconds());
            double rawMean = (raw + rawAfter) / 2;
            System.out.printf("presign / raw signing rate (mean of before and after): %.2f (target >= 0.90)%n",
                    r.perSecond() / rawMean);
            System.out.printf("SUMMARY raw1=%.0f/s raw%d=%.0f/s (after: %.0f/s) built=%.0f/s presign=%.0f/s ratio=%.2f"
                    + " peakHeap=%dMB noop=%.2fs%n", raw1, threads, raw, rawAfter, built, r.perSecond(),
                    r.perSecond() / rawMean, peak, again.seconds());
        }
    }

    /**
     * 1M synthetic certificate rows through PostgreSQL COPY. The DER column holds a placeholder of a subscriber
     * certificate's size: the presigner reads only issuer, serial and status.
     */
    private static void insertCertificates(PresignerFixture f) throws Exception {
        byte[] placeholder = new byte[650];
        new Random(1).nextBytes(placeholder);
        String der = "\\\\x" + HexFormat.of().formatHex(placeholder);
        Instant now = f.clock.instant();
        String notBefore = now.minus(Duration.ofDays(1)).toString();
        String notAfter = now.plus(Duration.ofDays(365)).toString();
        BigInteger base = BigInteger.ONE.shiftLeft(126);
        try (Connection c = f.db.connect()) {
            CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY certificate (serial, issuer_label,"
                    + " request_id, profile, subject, public_key_sha256, not_before, not_after, der) FROM STDIN");
            StringBuilder sb = new StringBuilder(1 << 20);
            for (int i = 0; i < CERTIFICATES; i++) {
                String serial = base.add(BigInteger.valueOf(i * 7919L)).toString(16);
                sb.append(serial).append("\tissuing-test\tbench-").append(i).append("\tsubscriber-signature\tCN=Bench ")
                        .append(i).append(",C=JP\t").append(serial).append('\t').append(notBefore).append('\t')
                        .append(notAfter).append('\t').append(der).append('\n');
                if (sb.length() > (1 << 20) - 2_000) {
                    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
                    copy.writeToCopy(b, 0, b.length);
                    sb.setLength(0);
                }
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            copy.writeToCopy(b, 0, b.length);
            copy.endCopy();
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO revocation (serial, revoked_at, reason, requested_by) SELECT serial,"
                        + " now() - interval '1 hour', 1, 'bench' FROM certificate WHERE request_id LIKE 'bench-%'"
                        + " AND substr(request_id, 7)::int % " + REVOKED_EVERY + " = 0");
                st.execute("ANALYZE certificate");
                st.execute("ANALYZE revocation");
            }
        }
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static long heapUsed() {
        return heap(p -> p.getUsage().getUsed());
    }

    private static long heap(java.util.function.ToLongFunction<MemoryPoolMXBean> used) {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(used).sum();
    }
}
