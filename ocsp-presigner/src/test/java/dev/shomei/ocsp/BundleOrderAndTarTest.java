package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.bundle.BundleVerifier;
import dev.shomei.ocsp.bundle.PublicationBundle;
import dev.shomei.ocsp.presign.OcspResponseSigner;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The bundle's path order and its tar form (docs/publication-bundle.md, "Layout"), which let the publisher check a
 * bundle of ten million responses as a stream: a merge-join of the manifest's artifact list and the bundle's files.
 *
 * <p>One CA for the class, with partitioned CRLs (12 shards: "10.crl" sorts before "2.crl") and a second issuing
 * generation (a renewal), so that the order is tested across CRL shards, generations (issuer key hashes) and serials
 * whose hex lengths differ. Besides the real responses of issued certificates, each test records a few responses under
 * short serials of its own ("9" and "10": numeric order is not text order), as rows of ocsp_response; the bundle only
 * copies their bytes, so they need not be OCSP. Each test writes its bundles into its own files; tests that count
 * what an incremental bundle holds write a base bundle first, so they pass in any order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundleOrderAndTarTest {

    static final String SECOND_GENERATION = "issuing-gen2";

    /** Thrown at a crash point: no catch of the bundle writer handles an Error, as none survives a kill. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String point) {
            super("simulated crash at " + point);
        }
    }

    PresignerFixture f;
    Path cps;
    String firstKeyHash;
    String secondKeyHash;
    /** Synthetic serials handed out so far (the serial is ocsp_response's primary key, across generations). */
    int synthetic;

    @BeforeAll
    void setUp() throws Exception {
        f = PresignerFixture.create("bundle_order", """
                crl:
                  shards: 12
                """);
        List<X509Certificate> certs = f.issue(6);
        f.revoke(certs.get(5), RevocationReason.KEY_COMPROMISE);
        f.presigner().run();
        f.crlAndCheckpoint();
        // A renewal: a second issuing generation beside the one in use, with a CRL of its own.
        var renewal = f.ca.renewIssuingKey("Test Operator", new CaConfig.CaKey(SECOND_GENERATION, "EC-P256",
                "CN=Shomei Test Issuing CA 2,O=Shomei Test,C=JP", 5, null), List.of(), f.dir.resolve("renewal"), s -> { });
        f.ca.crlIssuer(SECOND_GENERATION).issue();
        firstKeyHash = HexFormat.of().formatHex(OcspResponseSigner.keyHash(f.issuingCert()));
        secondKeyHash = HexFormat.of().formatHex(OcspResponseSigner.keyHash(renewal.issuing()));
        cps = f.dir.resolve("cps-v1.pdf");
        try (PDDocument doc = new PDDocument()) {
            doc.addPage(new PDPage());
            doc.save(cps.toFile());
        }
    }

    @AfterAll
    void tearDown() {
        f.close();
    }

    PublicationBundle bundle() {
        return PublicationBundle.forCa(f.ca, PresignerFixture.PUBLISHER, AuditedPresignerEvents.caLog(f.ca.config()),
                new AuditedPresignerEvents(AuditedPresignerEvents.caLog(f.ca.config()), AuditedPresignerEvents.system()),
                Clock.systemUTC());
    }

    Path out(String name) {
        return f.dir.resolve(name + "-" + UUID.randomUUID());
    }

    /**
     * Records responses (random bytes) under serials made from {@code stems} for {@code label}: each stem gets a
     * suffix unique in this class run, so serials stay distinct across calls; e.g. stem "9" and "10" give "9" + k and
     * "10" + k for the same k, whose text order differs from their numeric order. Returns the serials.
     */
    List<String> record(String label, Duration validFor, String... stems) throws Exception {
        List<String> serials = new ArrayList<>();
        Instant now = Instant.now();
        try (Connection c = f.db.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO ocsp_response"
                + " (serial, issuer_label, responder_serial, status, this_update, next_update, refresh_after, produced_at,"
                + " signed_seq, der, sha256) VALUES (?, ?, 'synthetic', 'good', ?, ?, ?, ?, nextval('ocsp_signed_seq'),"
                + " ?, ?)")) {
            String k = Integer.toHexString(++synthetic);
            for (String stem : stems) {
                String serial = stem + "f" + k;
                byte[] der = new byte[20 + serials.size()];
                new java.security.SecureRandom().nextBytes(der);
                ps.setString(1, serial);
                ps.setString(2, label);
                ps.setTimestamp(3, Timestamp.from(now.minus(validFor).minusSeconds(60)));
                ps.setTimestamp(4, Timestamp.from(now.plus(validFor)));
                ps.setTimestamp(5, Timestamp.from(now));
                ps.setTimestamp(6, Timestamp.from(now));
                ps.setBytes(7, der);
                ps.setString(8, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der)));
                ps.addBatch();
                serials.add(serial);
            }
            ps.executeBatch();
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }
        return serials;
    }

    static List<JsonNode> artifacts(JsonNode manifest) {
        List<JsonNode> out = new ArrayList<>();
        manifest.path("artifacts").forEach(out::add);
        return out;
    }

    static List<String> paths(JsonNode manifest) {
        return artifacts(manifest).stream().map(a -> a.path("path").asText()).toList();
    }

    /** Strictly increasing as String.compareTo: sorted and no path twice. */
    static void assertPathOrder(List<String> paths) {
        for (int i = 1; i < paths.size(); i++) {
            assertThat(paths.get(i).compareTo(paths.get(i - 1))).as("%s after %s", paths.get(i), paths.get(i - 1))
                    .isPositive();
        }
    }

    long lastSignedSeq(String bundleId) throws Exception {
        return f.count("SELECT last_signed_seq FROM publication_bundle WHERE bundle_id = '" + bundleId + "'");
    }

    /** serial -> signed_seq of the responses of the issuing generations still valid and signed after {@code since}. */
    Map<String, Long> publishable(long since) throws Exception {
        Map<String, Long> out = new HashMap<>();
        try (Connection c = f.db.connect(); PreparedStatement ps = c.prepareStatement("SELECT serial, signed_seq FROM"
                + " ocsp_response WHERE signed_seq > ? AND next_update > now() AND issuer_label IN (?, ?)")) {
            ps.setLong(1, since);
            ps.setString(2, PresignerFixture.ISSUING);
            ps.setString(3, SECOND_GENERATION);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    @Test
    void artifactsAreListedInStrictPathOrderAcrossShardsGenerationsAndSerialsOfEveryLength() throws Exception {
        // Serials of 2 to 6 hex digits under both generations; "9.." and "10..": text order differs from numeric.
        List<String> first = record(PresignerFixture.ISSUING, Duration.ofDays(2), "9", "10", "a", "ab", "abc", "1", "ff");
        List<String> second = record(SECOND_GENERATION, Duration.ofDays(2), "9", "10", "b", "bcd", "2");
        // Neither a lapsed response nor one under a label that is no issuing generation is published.
        List<String> lapsed = record(PresignerFixture.ISSUING, Duration.ofSeconds(-3600), "c");
        List<String> stranger = record("not-a-generation", Duration.ofDays(2), "d");

        Path out = out("order-full");
        PublicationBundle.Written w = bundle().write(out, List.of(cps), true);
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        List<String> paths = paths(manifest);
        assertPathOrder(paths);

        // Everything is there, the non-OCSP artifacts first.
        assertThat(paths).contains("audit/checkpoint.txt", "audit/consistency.txt", "ca-hash-values/index.html",
                "certs/issuing-gen2.cer", "certs/issuing-test.cer", "certs/root-test.cer", "cps/cps-v1.pdf",
                "crl/issuing-gen2.crl", "crl/issuing-test.crl");
        List<String> shards = paths.stream().filter(p -> p.startsWith("crl/issuing-test/")).toList();
        assertThat(shards).hasSize(12).startsWith("crl/issuing-test/0.crl", "crl/issuing-test/1.crl",
                "crl/issuing-test/10.crl", "crl/issuing-test/11.crl", "crl/issuing-test/2.crl");
        assertThat(paths.indexOf("crl/issuing-test.crl")).isLessThan(paths.indexOf("crl/issuing-test/0.crl"));
        int firstOcsp = paths.indexOf(paths.stream().filter(p -> p.startsWith("ocsp/")).findFirst().orElseThrow());
        assertThat(paths.subList(firstOcsp, paths.size())).allMatch(p -> p.startsWith("ocsp/"));

        // The responses: each generation under its own key hash, serials in text order.
        Map<String, List<String>> serialsByKeyHash = new HashMap<>();
        for (JsonNode a : artifacts(manifest)) {
            if (a.path("kind").asText().equals("ocsp")) {
                // ocsp/<issuerKeyHash>/<first two hex digits of the serial>/<serial>.der (docs/publication-bundle.md)
                String serial = a.path("serial").asText();
                assertThat(a.path("path").asText()).isEqualTo("ocsp/" + a.path("issuerKeyHash").asText() + "/"
                        + serial.substring(0, Math.min(2, serial.length())) + "/" + serial + ".der");
                serialsByKeyHash.computeIfAbsent(a.path("issuerKeyHash").asText(), k -> new ArrayList<>())
                        .add(a.path("serial").asText());
            }
        }
        assertThat(serialsByKeyHash.get(firstKeyHash)).containsAll(first);
        assertThat(serialsByKeyHash.get(secondKeyHash)).containsAll(second);
        assertThat(serialsByKeyHash).containsOnlyKeys(firstKeyHash, secondKeyHash);
        List<String> all = serialsByKeyHash.values().stream().flatMap(List::stream).toList();
        assertThat(all).doesNotContainAnyElementsOf(lapsed).doesNotContainAnyElementsOf(stranger);
        // "10…" before "9…" (text), and "ab…" before "abc…" is not a case here: the suffix follows the stem.
        List<String> gen1 = serialsByKeyHash.get(firstKeyHash);
        assertThat(gen1.indexOf(first.get(1))).isLessThan(gen1.indexOf(first.get(0)));
        assertThat(gen1).isSortedAccordingTo(String::compareTo);
        assertThat(gen1.stream().map(String::length).distinct().count()).as("hex lengths in " + gen1).isGreaterThan(3);
        // A full bundle holds every publishable response, and records the newest it holds.
        Map<String, Long> expected = publishable(0);
        assertThat(all).containsExactlyInAnyOrderElementsOf(expected.keySet());
        assertThat(w.ocspResponses()).isEqualTo(expected.size());
        assertThat(lastSignedSeq(w.bundleId())).isEqualTo(expected.values().stream().mapToLong(Long::longValue).max()
                .orElseThrow());

        assertThat(new BundleVerifier(List.of(f.issuingCert())).verify(out, Clock.systemUTC().instant())).isEmpty();
    }

    @Test
    void anIncrementalBundleHoldsWhatWasSignedSinceTheLastOneInPathOrder() throws Exception {
        PublicationBundle.Written base = bundle().write(out("order-base"), List.of(), false);
        long since = lastSignedSeq(base.bundleId());
        assertThat(publishable(since)).isEmpty();

        // Signed after the base bundle, in an order that is neither path order nor serial order: generation 2 first,
        // long serials before short, then a real certificate's response (40 hex digits or so).
        List<String> second = record(SECOND_GENERATION, Duration.ofDays(2), "fffff", "10", "9");
        List<String> first = record(PresignerFixture.ISSUING, Duration.ofDays(2), "eeee", "100", "1", "a0");
        X509Certificate cert = f.issue(1).get(0);
        f.presigner().run();
        Map<String, Long> expected = publishable(since);

        Path out = out("order-incremental");
        PublicationBundle.Written w = bundle().write(out, List.of(), false);
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        List<String> paths = paths(manifest);
        assertPathOrder(paths);
        List<String> ocsp = paths.stream().filter(p -> p.startsWith("ocsp/")).toList();
        Set<String> serials = new HashSet<>();
        for (String p : ocsp) {
            serials.add(p.substring(p.lastIndexOf('/') + 1, p.length() - ".der".length()));
        }
        assertThat(serials).containsExactlyInAnyOrderElementsOf(expected.keySet())
                .containsAll(first).containsAll(second).contains(cert.getSerialNumber().toString(16));
        assertThat(w.ocspResponses()).isEqualTo(expected.size());
        // The record: the newest signed_seq the bundle holds; the next incremental bundle holds none of these again.
        assertThat(lastSignedSeq(w.bundleId())).isEqualTo(expected.values().stream().mapToLong(Long::longValue).max()
                .orElseThrow());
        assertThat(bundle().write(out("order-empty"), List.of(), false).ocspResponses()).isZero();
        assertThat(new BundleVerifier(List.of(f.issuingCert())).verify(out, Clock.systemUTC().instant())).isEmpty();
    }

    /** Entries of {@code tar -tv --full-time}: type and mode, size, date and time, name. */
    record TarLine(String mode, long size, String mtime, String name) {}

    static List<TarLine> tarList(Path dir, Path tar) throws Exception {
        PresignerFixture.Run run = PresignerFixture.run(dir, "env", "TZ=UTC", "tar", "--full-time", "-tvf",
                tar.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        Pattern line = Pattern.compile("(\\S+) +\\S+ +(\\d+) +(\\S+ \\S+) (.+)");
        List<TarLine> out = new ArrayList<>();
        for (String l : run.output().split("\n")) {
            if (l.isBlank()) {
                continue;
            }
            Matcher m = line.matcher(l);
            assertThat(m.matches()).as("tar -tv line: " + l).isTrue();
            out.add(new TarLine(m.group(1), Long.parseLong(m.group(2)), m.group(3), m.group(4)));
        }
        return out;
    }

    static List<String> leftovers(Path out) throws Exception {
        try (Stream<Path> s = Files.list(out.getParent())) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(out.getFileName().toString()) && !n.equals(out.getFileName().toString()))
                    .sorted().toList();
        }
    }

    @Test
    void theTarFormListsTheArtifactsInPathOrderThenTheManifestThenItsSignatureAndExtractsToTheBundle() throws Exception {
        record(PresignerFixture.ISSUING, Duration.ofDays(2), "9", "10", "abc");
        Path tar = f.dir.resolve("bundle-" + UUID.randomUUID() + ".tar");
        long recorded = f.count("SELECT count(*) FROM publication_bundle");
        PublicationBundle.Written w = bundle().write(tar, List.of(cps), true);
        assertThat(w.path()).isEqualTo(tar);
        assertThat(tar).isRegularFile();
        assertThat(leftovers(tar)).as("no .partial left beside the tar").isEmpty();
        assertThat(f.count("SELECT count(*) FROM publication_bundle")).isEqualTo(recorded + 1);

        // GNU tar, an outside reader: regular files only (no directory entries), 0644, the bundle's createdAt.
        List<TarLine> entries = tarList(f.dir, tar);
        Path x = Files.createDirectories(f.dir.resolve("extracted-" + UUID.randomUUID()));
        PresignerFixture.Run extract = PresignerFixture.run(x, "tar", "-xf", tar.toString());
        assertThat(extract.exit()).as(extract.output()).isZero();
        JsonNode manifest = new ObjectMapper().readTree(x.resolve("manifest.json").toFile());
        List<String> paths = paths(manifest);
        assertPathOrder(paths);
        List<String> expectedNames = new ArrayList<>(paths);
        expectedNames.add("manifest.json");
        expectedNames.add("manifest.p7s");
        assertThat(entries.stream().map(TarLine::name).toList()).containsExactlyElementsOf(expectedNames);
        assertThat(entries).allSatisfy(e -> assertThat(e.mode()).as(e.name()).isEqualTo("-rw-r--r--"));
        String createdAt = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC)
                .format(Instant.parse(manifest.path("createdAt").asText()));
        assertThat(entries).allSatisfy(e -> assertThat(e.mtime()).as(e.name()).isEqualTo(createdAt));
        assertThat(paths).anyMatch(p -> p.startsWith("ocsp/")).contains("cps/cps-v1.pdf", "crl/issuing-test/10.crl");

        // Extracted, it is the bundle directory: the listed files with their sizes and SHA-256, nothing else.
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(x)) {
            s.filter(Files::isRegularFile).forEach(p -> files.add(x.relativize(p).toString()));
        }
        assertThat(files).containsExactlyInAnyOrderElementsOf(expectedNames);
        for (JsonNode a : artifacts(manifest)) {
            byte[] content = Files.readAllBytes(x.resolve(a.path("path").asText()));
            assertThat(content.length).as(a.path("path").asText()).isEqualTo(a.path("size").asLong());
            assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)))
                    .as(a.path("path").asText()).isEqualTo(a.path("sha256").asText());
        }
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
                Files.readAllBytes(x.resolve("manifest.json"))))).isEqualTo(w.manifestSha256());
        assertThat(entries.get(entries.size() - 2).size()).isEqualTo(Files.size(x.resolve("manifest.json")));

        // openssl verifies manifest.p7s over the extracted manifest.json, up to the root.
        Path root = PresignerFixture.writePem(f.dir.resolve("root-" + UUID.randomUUID() + ".pem"), f.rootCert());
        PresignerFixture.Run cms = PresignerFixture.run(x, "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                "-in", "manifest.p7s", "-content", "manifest.json", "-CAfile", root.toString(), "-out", "/dev/null");
        assertThat(cms.exit()).as(cms.output()).isZero();
        assertThat(cms.output()).contains("Verification successful");

        // The presigner's verifier reads the tar itself, and the directory it extracts to.
        BundleVerifier verifier = new BundleVerifier(List.of(f.issuingCert()));
        assertThat(verifier.verify(tar, Clock.systemUTC().instant())).isEmpty();
        assertThat(verifier.verify(x, Clock.systemUTC().instant())).isEmpty();
        // Packed again by GNU tar in the same order with "./" names (as `tar -C DIR -cf X.tar .` names entries): the same
        // bundle to both verifiers (the publisher strips "./" too).
        Path list = f.dir.resolve("list-" + UUID.randomUUID());
        Files.write(list, expectedNames.stream().map(n -> "./" + n).toList());
        Path repacked = f.dir.resolve("repacked-" + UUID.randomUUID() + ".tar");
        PresignerFixture.Run pack = PresignerFixture.run(x, "tar", "-cf", repacked.toString(), "--no-recursion", "-T", list.toString());
        assertThat(pack.exit()).as(pack.output()).isZero();
        assertThat(tarList(f.dir, repacked)).allSatisfy(e -> assertThat(e.name()).startsWith("./"));
        assertThat(verifier.verify(repacked, Clock.systemUTC().instant())).isEmpty();

        // An existing output is refused, and left as it was; nothing is recorded.
        byte[] before = Files.readAllBytes(tar);
        assertThatThrownBy(() -> bundle().write(tar, List.of(), false)).isInstanceOf(CaOperationException.class)
                .hasMessageContaining("already exists");
        assertThat(Files.readAllBytes(tar)).isEqualTo(before);
        assertThat(leftovers(tar)).isEmpty();
        assertThat(f.count("SELECT count(*) FROM publication_bundle")).isEqualTo(recorded + 1);
    }

    @Test
    void aCrashBeforeTheSignatureLeavesNoTarOnlyAPartialWhichTheNextWriteTakesOver() throws Exception {
        bundle().write(out("crash-base"), List.of(), false);
        List<String> signed = record(PresignerFixture.ISSUING, Duration.ofDays(2), "9", "10");
        long recorded = f.count("SELECT count(*) FROM publication_bundle");
        Path tar = f.dir.resolve("crash-" + UUID.randomUUID() + ".tar");
        crash(CrashPoints.BUNDLE_BEFORE_SIGNATURE, tar);

        assertThat(tar).doesNotExist();
        Path partial = tar.resolveSibling(tar.getFileName() + ".partial");
        assertThat(leftovers(tar)).as("what a crash leaves: .partial files only")
                .allMatch(n -> n.endsWith(".partial")).contains(partial.getFileName().toString());
        assertThat(new BundleVerifier(List.of(f.issuingCert())).verify(partial, Clock.systemUTC().instant()))
                .as("an unsigned, unfinished tar is refused").isNotEmpty();
        assertThat(f.count("SELECT count(*) FROM publication_bundle")).isEqualTo(recorded);

        // While another writer holds the .partial, a second write to the same name is refused, and leaves it be.
        try (FileChannel ch = FileChannel.open(partial, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            assertThatThrownBy(() -> bundle().write(tar, List.of(), false)).isInstanceOf(CaOperationException.class)
                    .hasMessageContaining("another bundle is being written");
            assertThat(lock.isValid()).isTrue();
        }
        assertThat(partial).exists();
        assertThat(tar).doesNotExist();

        // The next write to the same name takes the leftover over: a whole tar, nothing left beside it, and (the
        // crashed bundle was never recorded) the responses signed since the last recorded bundle.
        PublicationBundle.Written w = bundle().write(tar, List.of(), false);
        assertThat(leftovers(tar)).isEmpty();
        assertThat(new BundleVerifier(List.of(f.issuingCert())).verify(tar, Clock.systemUTC().instant())).isEmpty();
        assertThat(w.ocspResponses()).isEqualTo(signed.size());
        List<String> names = tarList(f.dir, tar).stream().map(TarLine::name).toList();
        assertThat(names).endsWith("manifest.json", "manifest.p7s");
        for (String serial : signed) {
            assertThat(names).contains(PublicationBundle.ocspPath(firstKeyHash, serial));
        }
    }

    @Test
    void aCrashAfterTheSignatureBeforeTheRecordLeavesAWholeTarTheNextBundleCarriesItsResponsesAgain() throws Exception {
        bundle().write(out("crash-record-base"), List.of(), false);
        List<String> signed = record(SECOND_GENERATION, Duration.ofDays(2), "7", "70");
        Path tar = f.dir.resolve("crash-record-" + UUID.randomUUID() + ".tar");
        crash(CrashPoints.BUNDLE_BEFORE_RECORD, tar);

        assertThat(tar).isRegularFile();
        assertThat(leftovers(tar)).isEmpty();
        assertThat(new BundleVerifier(List.of(f.issuingCert())).verify(tar, Clock.systemUTC().instant())).isEmpty();
        Path rerun = f.dir.resolve("crash-record-rerun-" + UUID.randomUUID() + ".tar");
        PublicationBundle.Written w = bundle().write(rerun, List.of(), false);
        assertThat(w.ocspResponses()).isEqualTo(signed.size());
        assertThat(tarList(f.dir, rerun).stream().map(TarLine::name).toList())
                .contains(PublicationBundle.ocspPath(secondKeyHash, signed.get(0)));
    }

    private void crash(String point, Path out) {
        CrashPoints.install((pt, detail) -> {
            if (pt.equals(point)) {
                throw new SimulatedCrash(point);
            }
        });
        try {
            assertThatThrownBy(() -> bundle().write(out, List.of(), false)).isInstanceOf(SimulatedCrash.class);
        } finally {
            CrashPoints.clear();
        }
    }

    /**
     * The per-generation query of the responses, as PostgreSQL plans it with many rows: a full bundle walks the
     * (issuer_label, serial COLLATE "C") index in order, sorting nothing; an incremental one takes its few rows by
     * the signed_seq index.
     */
    @Test
    void theResponsesQueryWalksAnIndexInPathOrderForAFullBundle() throws Exception {
        try (Connection c = f.db.connect()) {
            c.setAutoCommit(false);
            try (var st = c.createStatement()) {
                // 200,000 rows of another label (6 hex digits each), in this transaction only (rolled back).
                st.execute("INSERT INTO ocsp_response SELECT to_hex(1048576 + i), 'plan-check', 'r', 'good', now(),"
                        + " now() + interval '4 days', now(), now(), nextval('ocsp_signed_seq'), '\\x00', 'x'"
                        + " FROM generate_series(1, 200000) i");
                st.execute("ANALYZE ocsp_response");
            }
            String full = plan(c, 0);
            assertThat(full).as(full).contains("ocsp_response_issuer_serial").doesNotContain("Sort");
            long max;
            try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT max(signed_seq) FROM ocsp_response")) {
                rs.next();
                max = rs.getLong(1);
            }
            String incremental = plan(c, max - 10);
            assertThat(incremental).as(incremental).contains("ocsp_response_signed_seq");
            c.rollback();
        }
    }

    private static String plan(Connection c, long since) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + PublicationBundle.RESPONSES_IN_PATH_ORDER)) {
            ps.setString(1, "plan-check");
            ps.setLong(2, since);
            ps.setTimestamp(3, Timestamp.from(Instant.now()));
            StringBuilder b = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    b.append(rs.getString(1)).append('\n');
                }
            }
            return b.toString();
        }
    }
}
