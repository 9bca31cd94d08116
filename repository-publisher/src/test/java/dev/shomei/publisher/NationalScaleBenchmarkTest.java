package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.audit.SignerCheckpointSigner;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.AuditedPresignerEvents;
import dev.shomei.ocsp.cli.PresignerCli;
import dev.shomei.ocsp.config.PresignerConfig;
import dev.shomei.ocsp.presign.OcspPresigner;
import dev.shomei.ocsp.presign.OcspResponseSigner;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.publisher.cli.PublisherCli;
import dev.shomei.testsupport.SoftHsmToken;
import dev.shomei.testsupport.TestDatabase;
import dev.shomei.testsupport.Throughput;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * National scale, end to end on the real components, inside one JVM whose heap is capped (run it with -Xmx256m):
 * millions of certificates in the CA database (5% revoked), one CRL run (the full CRL and every partitioned shard,
 * each checked by {@code openssl crl}), a full pre-signing pass with raw PKCS#11 signing of the same key measured
 * before and after it, and optionally a full publication bundle published to a filesystem origin.
 *
 * <p>The certificate rows are loaded as a database restore would load them: the table's indexes and constraints
 * are dropped, the rows are generated server-side ({@code INSERT … SELECT … FROM generate_series}) in chunks, and
 * the very same indexes and constraints are created again from the definitions read from the catalog before the
 * drop. What is synthetic: serial (pseudo-random, 125–127 bits like {@code SerialNumbers.random}), subject,
 * public-key hash and request id are generated; {@code der} holds the bytes of one real certificate of this CA for
 * every row (the right size on disk; the CRL, the presigner and the publisher never read it). A hundred
 * certificates are really issued first, some of them revoked, to check that each one's CRL distribution point names
 * the shard that lists it.
 *
 * <p>Command: {@code bin/bench -o -pl repository-publisher -am -Dtest=NationalScaleBenchmarkTest
 * -Dbench.certificates=10000000 -Dsurefire.jvm.args="… -Xmx256m"} (docs/benchmarks.md has the full line).
 */
@Tag("bench")
class NationalScaleBenchmarkTest {

    private static final long CERTIFICATES = Long.getLong("bench.certificates", 10_000_000L);
    /** Whether to write a full publication bundle and publish it (needs disk and inodes: see docs/benchmarks.md). */
    private static final boolean PUBLISH = Boolean.parseBoolean(System.getProperty("bench.publish", "false"));
    /** Whether to drop the CA database before publishing, for the disk it holds (default: at 5M certificates and more). */
    private static final boolean DROP_DATABASE = Boolean.parseBoolean(System.getProperty("bench.drop-database",
            String.valueOf(CERTIFICATES >= 5_000_000)));
    private static final long CHUNK = Long.getLong("bench.chunk", 500_000L);
    private static final int REVOKED_EVERY = 20;
    private static final int REAL = 100;
    private static final String ISSUING = "issuing-scale";
    private static final String RESPONDER = "ocsp-scale";
    private static final String PUBLISHER = "publication-scale";
    private static final String OPERATOR = "Bench Operator";

    @Test
    void nationalScale() throws Exception {
        HeapWatch heap = HeapWatch.start();
        long revoked = CERTIFICATES / REVOKED_EVERY;
        int shards = shardsFor(revoked + REAL);
        SoftHsmToken token = SoftHsmToken.create("scale-ca", "4321-scale");
        TestDatabase.Database db = TestDatabase.create("scale");
        Path dir = token.directory();
        Path pin = token.writePinFile();
        Files.writeString(dir.resolve("db.password"), db.password());
        Path caYaml = dir.resolve("ca.yaml");
        Files.writeString(caYaml, """
                hsm: { module: %s, token: %s, pin: "file:%s", parallelism: 2 }
                database: { url: "%s", user: %s, passwordFile: db.password, ownerUser: %s, ownerPasswordFile: db.password }
                issuingKey: pkcs11:token=%s;object=%s
                ceremony:
                  output: ceremony
                  root:    { label: root-scale, algorithm: EC-P256, subject: "CN=Scale Root,O=Shomei Test,C=JP", validityYears: 20 }
                  issuing: { label: %s, algorithm: EC-P256, subject: "CN=Scale Issuing,O=Shomei Test,C=JP", validityYears: 10 }
                repository: { crlUrl: "http://repo.test/crl/{generation}.crl", ocspUrl: "http://repo.test/ocsp" }
                crl: { nextUpdateHours: 24, shards: %d }
                profiles:
                  subscriber-signature: { validityDays: 365, keyUsage: [digitalSignature, nonRepudiation], crlDistributionPoint: true, ocsp: true, allowedKeys: [EC-P256] }
                  ocsp-responder: { validityDays: 90, keyUsage: [digitalSignature], extendedKeyUsage: [ocspSigning], ocspNoCheck: true, allowedKeys: [EC-P256] }
                  publication-signer: { validityDays: 365, keyUsage: [digitalSignature], extendedKeyUsage: [publicationSigning, emailProtection], allowedKeys: [EC-P256] }
                """.formatted(token.module(), token.label(), pin, db.jdbcUrl(), db.serviceUser(), db.user(), token.label(),
                ISSUING, ISSUING, shards), StandardCharsets.UTF_8);
        Path presignerYaml = dir.resolve("presigner.yaml");
        Files.writeString(presignerYaml, "ca: ca.yaml\nresponderKey: " + RESPONDER + "\npublicationSignerKey: " + PUBLISHER
                + "\nvalidityHours: 96\nchunkSize: 1000\nprogressPercent: 5\n");
        CaConfig cfg = PresignerConfig.load(presignerYaml).caConfig();
        Map<String, String> figures = new LinkedHashMap<>();
        Path bundle = null;
        try {
            try (CertificateAuthority ca = CertificateAuthority.open(cfg, new AuditedCaEvents(AuditedPresignerEvents.caLog(cfg),
                    AuditedCaEvents.operator(OPERATOR, cfg.hsmConfig().tokenLabel())), Clock.systemUTC())) {
                ca.ceremony(OPERATOR, List.of("Bench Witness"), s -> { });
                ca.delegate(RESPONDER, KeyAlgorithm.EC_P256, new X500Name("CN=Scale OCSP,O=Shomei Test,C=JP"), "ocsp-responder");
                X509Certificate publication = ca.delegate(PUBLISHER, KeyAlgorithm.EC_P256,
                        new X500Name("CN=Scale Publication,O=Shomei Test,C=JP"), "publication-signer");
                Files.writeString(dir.resolve("publication.pem"), TestPki.pem(publication));
                System.out.printf("national scale: %,d certificates, %d CRL shards, load average %.1f%n", CERTIFICATES, shards,
                        loadAverage());

                // Step 1: real certificates (CDP names their shard), every 20th revoked; one's DER fills the bulk rows.
                List<X509Certificate> real = new ArrayList<>();
                List<X509Certificate> realRevoked = new ArrayList<>();
                for (int i = 0; i < REAL; i++) {
                    X509Certificate c = ca.issuer().issue(null, TestPki.csr("CN=Scale Subscriber " + i + ",C=JP"),
                            "subscriber-signature").certificate();
                    real.add(c);
                    if (i % 10 == 0) {
                        ca.issuer().revoke(c.getSerialNumber().toString(16), RevocationReason.KEY_COMPROMISE, OPERATOR);
                        realRevoked.add(c);
                    }
                }
                byte[] der = real.getFirst().getEncoded();

                // Step 2: the bulk rows.
                long t0 = System.nanoTime();
                try (Connection c = db.connect()) {
                    BulkCertificates.load(c, CERTIFICATES, REVOKED_EVERY, CHUNK, ISSUING, der);
                }
                double loadSeconds = seconds(t0);
                figures.put("load", String.format("%,d rows (%,d revoked) in %.0f s (%,.0f rows/s), database %s",
                        CERTIFICATES, revoked, loadSeconds, CERTIFICATES / loadSeconds, databaseSize(db)));
                System.out.println("loaded: " + figures.get("load") + String.format(", load average %.1f", loadAverage()));

                // Step 3: one CRL run, the full CRL and every shard; then the audit checkpoint as `ca crl` signs it.
                heap.reset();
                t0 = System.nanoTime();
                CrlIssuer.IssuedCrl crl = ca.crlIssuer().issue();
                double crlSeconds = seconds(t0);
                long crlHeap = heap.peak();
                try (Connection c = ca.database().dataSource().getConnection()) {
                    AuditedPresignerEvents.caLog(cfg).checkpoint(c, new SignerCheckpointSigner(ca.issuingSigner()));
                    c.commit();
                }
                long expectedRevoked = revoked + realRevoked.size();
                assertThat(crl.record().entries()).isEqualTo(expectedRevoked);
                assertThat(crl.shards()).hasSize(shards);
                assertThat(crl.shards().stream().mapToLong(CrlIssuer.ShardCrl::entries).sum()).isEqualTo(expectedRevoked);
                long fullBytes = Files.size(crl.file());
                t0 = System.nanoTime();
                Files.copy(crl.file(), dir.resolve("full.crl"));
                assertThat(openssl(dir, "crl", "-inform", "DER", "-in", "full.crl", "-CAfile", "ceremony/issuing-ca.pem",
                        "-noout")).contains("verify OK");
                long largest = 0;
                long smallest = Long.MAX_VALUE;
                Map<String, String> shardText = new LinkedHashMap<>();
                for (CrlIssuer.ShardCrl s : crl.shards()) {
                    Path f = dir.resolve("shard-" + s.shard() + ".crl");
                    Files.copy(s.file(), f);
                    long size = Files.size(f);
                    largest = Math.max(largest, size);
                    smallest = Math.min(smallest, size);
                    assertThat(size).as("shard %d size", s.shard()).isLessThanOrEqualTo(1L << 20);
                    String text = openssl(dir, "crl", "-inform", "DER", "-in", f.getFileName().toString(), "-CAfile",
                            "ceremony/issuing-ca.pem", "-noout", "-text");
                    assertThat(text).contains("verify OK", "Issuing Distribution Point", s.url());
                    shardText.put(s.url(), text);
                }
                // Each really issued, revoked certificate is listed in the shard its CRL distribution point names.
                for (X509Certificate c : realRevoked) {
                    String text = shardText.get(distributionPoint(c));
                    String hex = c.getSerialNumber().toString(16).toUpperCase();
                    // openssl prints whole octets: an odd number of hex digits gets a leading zero.
                    assertThat(text).as("shard named by %s", c.getSubjectX500Principal())
                            .contains("Serial Number: " + (hex.length() % 2 == 1 ? "0" + hex : hex));
                }
                shardText.clear();
                double opensslSeconds = seconds(t0);
                figures.put("crl", String.format("%,d entries, full CRL %.1f MB + %d shards (%,d–%,d bytes, all <= 1 MiB) in"
                        + " %.1f s; peak heap %d MB; openssl crl verified the full CRL and all %d shards (%.0f s)",
                        expectedRevoked, fullBytes / 1e6, shards, smallest, largest, crlSeconds, crlHeap >> 20, shards,
                        opensslSeconds));
                System.out.println("CRL run: " + figures.get("crl") + String.format(", load average %.1f", loadAverage()));

                // Step 4: raw signing of the responder key, a full presign pass, raw again.
                Pkcs11Signer signer = ca.signer(RESPONDER);
                int threads = ca.token().config().parallelism();
                byte[] tbs = new byte[200];
                OcspResponseSigner responses = new OcspResponseSigner(signer, ca.token().certificateChain(ISSUING)[0]);
                Instant now = Instant.now();
                Throughput.Op build = i -> responses.sign(BigInteger.ONE.shiftLeft(100).add(BigInteger.valueOf(i)), null, 0,
                        now, now.plus(Duration.ofHours(96)));
                Throughput.rate("warm-up", threads, 5_000, i -> signer.sign(tbs));
                Throughput.rate("warm-up", threads, 5_000, build);
                double rawBefore = 0;
                double builtBefore = 0;
                for (int round = 0; round < 2; round++) {
                    rawBefore = Math.max(rawBefore, Throughput.rate("raw PKCS#11 sign, " + threads + " threads", threads,
                            20_000, i -> signer.sign(tbs)));
                    builtBefore = Math.max(builtBefore, Throughput.rate("OCSP build + sign, " + threads + " threads",
                            threads, 20_000, build));
                }
                System.out.printf("load average before presign: %.1f%n", loadAverage());
                heap.reset();
                OcspPresigner presigner = OcspPresigner.forCa(ca, RESPONDER, new OcspPresigner.Settings(Duration.ofHours(96),
                        1000, 2, System.out), new AuditedPresignerEvents(AuditedPresignerEvents.caLog(cfg),
                        AuditedPresignerEvents.system()), Clock.systemUTC());
                OcspPresigner.Result r = presigner.run();
                long presignHeap = heap.peak();
                double loadAfterPresign = loadAverage();
                double rawAfter = Throughput.rate("raw PKCS#11 sign, " + threads + " threads (after)", threads, 20_000,
                        i -> signer.sign(tbs));
                long expectedResponses = CERTIFICATES + REAL + 2;
                assertThat(r.signed()).isEqualTo(expectedResponses);
                double raw = (rawBefore + rawAfter) / 2;
                figures.put("presign", String.format("%,d responses in %.0f s = %,.0f/s (%d threads); raw PKCS#11 sign same run"
                        + " %,.0f/s before, %,.0f/s after: ratio %.2f (target >= 0.9); build + sign alone %,.0f/s (%.2f of raw);"
                        + " thread-time signing %.0f s, recording %.0f s; peak heap %d MB; ocsp_response %s; load average %.1f",
                        r.signed(), r.seconds(), r.perSecond(), threads, rawBefore, rawAfter, r.perSecond() / raw, builtBefore,
                        builtBefore / rawBefore, r.signingSeconds(), r.recordingSeconds(), presignHeap >> 20,
                        tableSize(db, "ocsp_response"), loadAfterPresign));
                System.out.println("presign: " + figures.get("presign"));

                // Step 5 (optional): a full bundle of the whole set, as one tar.
                if (PUBLISH) {
                    // A tar in path order: one file for the whole set, read by the publisher as a stream.
                    bundle = dir.resolve("bundle.tar");
                    heap.reset();
                    t0 = System.nanoTime();
                    assertThat(PresignerCli.run("--config", presignerYaml.toString(), "bundle", "--out", bundle.toString(),
                            "--full")).isZero();
                    double bundleSeconds = seconds(t0);
                    figures.put("bundle", String.format("bundle --full as one tar: %.2f GB in %.0f s, peak heap %d MB",
                            Files.size(bundle) / 1e9, bundleSeconds, heap.peak() >> 20));
                    System.out.println(figures.get("bundle"));
                }
            }
            if (PUBLISH) {
                long expectedResponses = CERTIFICATES + REAL + 2;
                if (DROP_DATABASE) {
                    // The publication needs the disk the database holds (10M: ~25 GB): the CA is closed, its database goes.
                    TestDatabase.drop(db);
                    System.out.println("database dropped before the publication, to free its disk");
                }
                assertThat(dev.shomei.publisher.bundle.PublicationBundle.read(bundle).streamed())
                        .as("the presigner's tar is in path order: published with nothing of it in memory").isTrue();
                Path origin = dir.resolve("origin");
                heap.reset();
                long t0 = System.nanoTime();
                StringWriter out = new StringWriter();
                PrintWriter err = new PrintWriter(System.err, true);
                int published = PublisherCli.run(Clock.systemUTC(), new PrintWriter(out, true), err,
                        "publish", "--bundle", bundle.toString(), "--ca-cert", dir.resolve("ceremony/issuing-ca.pem").toString(),
                        "--ca-cert", dir.resolve("ceremony/root-ca.pem").toString(), "--publication-signer-cert",
                        dir.resolve("publication.pem").toString(), "--origin-dir", origin.toString());
                double publishSeconds = seconds(t0);
                long publishHeap = heap.peak();
                assertThat(published).as(out.toString()).isZero();
                long[] originSize = du(origin);
                // Every response is live and in the live OCSP index (the rollback check of the next publication).
                dev.shomei.publisher.origin.LiveManifest live = new dev.shomei.publisher.origin.FileSystemOrigin(origin).liveManifest();
                long indexed = live.artifacts().stream().filter(e -> dev.shomei.publisher.origin.LiveOcspIndex.KIND.equals(e.kind()))
                        .mapToLong(dev.shomei.publisher.origin.LiveManifest.Entry::count).sum();
                assertThat(indexed).isEqualTo(expectedResponses);
                figures.put("publish", String.format("publish (verify + stage + switch, streamed) to a filesystem origin:"
                        + " %,d responses (%,.0f/s), %,d files (at most %,d in one directory), %.2f GB in %.0f s,"
                        + " peak heap %d MB; load average %.1f",
                        indexed, indexed / publishSeconds, originSize[0], originSize[2], originSize[1] / 1e9, publishSeconds,
                        publishHeap >> 20, loadAverage()));
                System.out.println(figures.get("publish"));
            }
        } finally {
            heap.stop();
        }
        System.out.printf("peak heap over the whole run: %d MB of max %d MB (MemoryMXBean, sampled every 50 ms)%n",
                heap.overall() >> 20, Runtime.getRuntime().maxMemory() >> 20);
        figures.forEach((k, v) -> System.out.println("SUMMARY " + k + ": " + v));
    }

    /** About 40 bytes per entry: shards of at most ~1 MB with 30% headroom, a power of two (docs/crl.md). */
    static int shardsFor(long revoked) {
        return Integer.highestOneBit((int) Math.max(1, revoked * 40 * 13 / 10 / 1_000_000)) * 2;
    }

    static String distributionPoint(X509Certificate c) {
        CRLDistPoint cdp = CRLDistPoint.getInstance(ASN1OctetString.getInstance(
                c.getExtensionValue(Extension.cRLDistributionPoints.getId())).getOctets());
        GeneralName n = GeneralNames.getInstance(cdp.getDistributionPoints()[0].getDistributionPoint().getName())
                .getNames()[0];
        return n.getName().toString();
    }

    private static String openssl(Path dir, String... args) throws Exception {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofMinutes(5), dir, Stream.concat(Stream.of("openssl"),
                Stream.of(args)).toList());
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output();
    }

    /** Files, bytes, and the most files in one directory (what ext4 without large_dir caps at ~9M). */
    private static long[] du(Path root) throws Exception {
        long[] r = new long[3];
        java.util.Map<Path, Long> perDirectory = new java.util.HashMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(Files::isRegularFile).forEach(p -> {
                r[0]++;
                r[1] += p.toFile().length();
                r[2] = Math.max(r[2], perDirectory.merge(p.getParent(), 1L, Long::sum));
            });
        }
        return r;
    }

    private static String databaseSize(TestDatabase.Database db) throws Exception {
        return query(db, "SELECT pg_size_pretty(pg_database_size(current_database()))");
    }

    private static String tableSize(TestDatabase.Database db, String table) throws Exception {
        return query(db, "SELECT pg_size_pretty(pg_total_relation_size('" + table + "'))");
    }

    private static String query(TestDatabase.Database db, String sql) throws Exception {
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * The heap in use, sampled every 50 ms on a scheduled daemon thread (MemoryMXBean): the peak since the last reset and
     * over the whole run. The JVM's -Xmx is the hard cap; this says how close each phase came to it.
     */
    static final class HeapWatch {
        private final AtomicLong phase = new AtomicLong();
        private final AtomicLong overall = new AtomicLong();
        private final java.util.concurrent.ScheduledExecutorService sampler =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "heap-watch");
                    t.setDaemon(true);
                    return t;
                });

        private void sample() {
            long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            phase.accumulateAndGet(used, Math::max);
            overall.accumulateAndGet(used, Math::max);
        }

        static HeapWatch start() {
            HeapWatch w = new HeapWatch();
            w.sampler.scheduleAtFixedRate(w::sample, 0, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
            return w;
        }

        void reset() {
            phase.set(0);
        }

        long peak() {
            return phase.get();
        }

        long overall() {
            return overall.get();
        }

        void stop() {
            sampler.shutdownNow();
        }
    }
}
