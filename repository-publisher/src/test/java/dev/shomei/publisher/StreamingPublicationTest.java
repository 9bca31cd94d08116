package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.LiveOcspIndex;
import dev.shomei.publisher.origin.ObjectHeaders;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publication as a stream: a tar in path order (made here by GNU tar from a sorted list, not by our code) is
 * verified and staged one artifact at a time, and what is live about OCSP responses is the live OCSP index, whose
 * shards a publication reads, updates and writes only where its responses fall.
 */
class StreamingPublicationTest {

    static final TestPki PKI = BundleVerifierTest.PKI;

    @TempDir Path tmp;
    Path origin;
    String ikh;

    @BeforeEach
    void setUp() throws Exception {
        origin = tmp.resolve("origin");
        ikh = BundleBuilder.keyHashHex(PKI.issuing.certificate());
    }

    Publisher publisher() {
        return new Publisher(CaCertificates.of(List.of(PKI.root.certificate(), PKI.issuing.certificate())), PKI.signers(),
                new FileSystemOrigin(origin), Clock.systemUTC(), Duration.ofHours(1));
    }

    /** The bundle directory as a tar whose entries are in path order, the manifest pair last (as the presigner writes). */
    Path sortedTar(Path dir) throws Exception {
        List<String> names = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(n -> !n.equals("manifest.json") && !n.equals("manifest.p7s")).sorted().forEach(names::add);
        }
        names.add("manifest.json");
        names.add("manifest.p7s");
        Path list = Files.write(tmp.resolve(dir.getFileName() + ".list"), names);
        Path tar = tmp.resolve(dir.getFileName() + ".tar");
        BundleVerifierTest.tar("-C", dir.toString(), "--no-recursion", "-cf", tar.toString(), "-T", list.toString());
        return tar;
    }

    BundleBuilder withResponses(int crlNumber, int n, Instant thisUpdate) {
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(crlNumber);
        for (int i = 0; i < n; i++) {
            // Serials of different hex lengths and first digits: several shards, and text order unlike numeric order.
            b.ocsp(BigInteger.valueOf(0x10 + 37L * i * i), thisUpdate, thisUpdate.plus(Duration.ofDays(4)));
        }
        return b;
    }

    @Test
    void aTarInPathOrderIsPublishedAsAStreamAndTheIndexListsEveryResponse() throws Exception {
        Instant t1 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(600);
        Path tar = sortedTar(withResponses(1, 300, t1).write(tmp.resolve("b1")));
        PublicationBundle bundle = PublicationBundle.read(tar);
        assertThat(bundle.streamed()).as("read as a stream, without a list of its entries").isTrue();

        Verification v = publisher().publish(bundle);
        assertThat(v.refusals()).isEmpty();
        assertThat(v.ocspResponses()).isEqualTo(300);

        LiveManifest live = new FileSystemOrigin(origin).liveManifest();
        List<LiveManifest.Entry> shards = live.artifacts().stream().filter(e -> LiveOcspIndex.KIND.equals(e.kind())).toList();
        assertThat(shards.size()).as("responses spread over shards by the serial's first two digits").isGreaterThan(10);
        assertThat(shards.stream().mapToLong(LiveManifest.Entry::count).sum()).isEqualTo(300);
        assertThat(live.artifacts()).noneMatch(e -> "ocsp".equals(e.kind()));
        Path current = origin.resolve("current");
        for (LiveManifest.Entry shard : shards) {
            byte[] text = Files.readAllBytes(current.resolve(shard.path()));
            assertThat(OriginSnapshot.sha256(text)).isEqualTo(shard.sha256());
            SortedMap<String, LiveOcspIndex.Times> lines = LiveOcspIndex.parse(shard.path(), text);
            assertThat(lines).hasSize(shard.count().intValue());
            lines.keySet().forEach(serial -> assertThat(current.resolve(OcspPath.of(ikh, serial))).isRegularFile());
            // Served with its headers, like every artifact but the responses themselves.
            assertThat(ObjectHeaders.parse(Files.readAllBytes(current.resolve(shard.path() + ObjectHeaders.SIDECAR_SUFFIX)))
                    .contentType()).isEqualTo(LiveOcspIndex.CONTENT_TYPE);
        }
        // The probe's sample: the oldest responses, read through the shards.
        assertThat(LiveOcspIndex.oldestResponses(live, p -> Files.readAllBytes(current.resolve(p)), 5)).hasSize(5)
                .allMatch(p -> p.startsWith("ocsp/" + ikh + "/"));
    }

    @Test
    void anIncrementalBundleRewritesOnlyItsShardsAndAnOlderResponseIsRefused() throws Exception {
        Instant t1 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(600);
        assertThat(publisher().publish(PublicationBundle.read(sortedTar(withResponses(1, 300, t1).write(tmp.resolve("b1")))))
                .refusals()).isEmpty();
        Map<String, String> before = shardDigests();

        // Two responses re-signed: only their shards change.
        Instant t2 = t1.plusSeconds(300);
        BundleBuilder b2 = new BundleBuilder(PKI).crlNumber(2);
        BigInteger a = BigInteger.valueOf(0x10);
        BigInteger b = BigInteger.valueOf(0x10 + 37L * 7 * 7);
        b2.ocsp(a, t2, t2.plus(Duration.ofDays(4))).ocsp(b, t2, t2.plus(Duration.ofDays(4)));
        assertThat(publisher().publish(PublicationBundle.read(sortedTar(b2.write(tmp.resolve("b2"))))).refusals()).isEmpty();
        Map<String, String> after = shardDigests();
        List<String> changed = after.keySet().stream().filter(k -> !after.get(k).equals(before.get(k))).toList();
        assertThat(changed).containsExactlyInAnyOrder(LiveOcspIndex.shardPath(ikh, a.toString(16)), LiveOcspIndex.shardPath(ikh, b.toString(16)));
        assertThat(LiveOcspIndex.lookup(new FileSystemOrigin(origin), ikh, a.toString(16))).map(LiveOcspIndex.Times::thisUpdate).hasValue(t2);
        assertThat(LiveOcspIndex.lookup(new FileSystemOrigin(origin), ikh, "11")).isEmpty();

        // An older response for a live serial: refused, nothing changes.
        BundleBuilder b3 = new BundleBuilder(PKI).crlNumber(3);
        b3.ocsp(b, t1, t1.plus(Duration.ofDays(4)));
        SortedMap<String, String> snapshot = OriginSnapshot.of(origin);
        Verification v = publisher().publish(PublicationBundle.read(sortedTar(b3.write(tmp.resolve("b3")))));
        assertThat(v.refusals()).anySatisfy(r -> assertThat(r.toString())
                .isEqualTo(OcspPath.of(ikh, b.toString(16)) + ": thisUpdate " + t1 + " is older than the live response's "
                        + t2 + " for serial " + b.toString(16) + "; a newer response must not be replaced by an older one"));
        assertThat(OriginSnapshot.of(origin)).isEqualTo(snapshot);
    }

    @Test
    void aShardChangedOnTheOriginStopsThePublicationAndNamesIt() throws Exception {
        Instant t1 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(600);
        assertThat(publisher().publish(PublicationBundle.read(withResponses(1, 20, t1).write(tmp.resolve("b1")))).refusals()).isEmpty();
        // Someone rewrites a shard to let an older response back in: the live manifest's SHA-256 no longer matches.
        String shard = LiveOcspIndex.shardPath(ikh, "10");
        Path file = origin.resolve("current").resolve(shard);
        String text = Files.readString(file);
        Files.delete(file);
        Files.writeString(file, text.replace(t1.toString(), t1.minusSeconds(86_400).toString()));
        BundleBuilder b2 = new BundleBuilder(PKI).crlNumber(2);
        b2.ocsp(BigInteger.valueOf(0x10), t1.minusSeconds(3600), t1.plus(Duration.ofDays(3)));
        String liveBefore = Files.readString(origin.resolve("current").resolve(LiveManifest.PATH));
        assertThatThrownBy(() -> publisher().publish(PublicationBundle.read(b2.write(tmp.resolve("b2")))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the live OCSP index shard " + shard)
                .hasMessageContaining("does not match its SHA-256 in live-manifest.json");
        assertThat(Files.readString(origin.resolve("current").resolve(LiveManifest.PATH))).isEqualTo(liveBefore);
        assertThat(Files.list(origin.resolve("releases")).map(p -> p.getFileName().toString()))
                .noneMatch(n -> n.startsWith(".staging-"));
    }

    @Test
    void anOriginWithAVersionOneLiveManifestIsCheckedAgainstItAndConverted() throws Exception {
        // An origin published before the index and the fan-out: the live manifest has an entry per response, and the
        // responses (with a header sidecar each) are in one directory per issuer key.
        Instant t1 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(600);
        assertThat(publisher().publish(PublicationBundle.read(withResponses(1, 3, t1).write(tmp.resolve("b1")))).refusals()).isEmpty();
        Path live = origin.resolve("current").toRealPath();
        for (String serial : List.of("10", "35", "a4")) {
            Path flat = live.resolve("ocsp/" + ikh + "/" + serial + ".der");
            Files.move(live.resolve(OcspPath.of(ikh, serial)), flat);
            Files.writeString(flat.resolveSibling(serial + ".der" + ObjectHeaders.SIDECAR_SUFFIX), "{}");
            Files.delete(flat.resolveSibling(OcspPath.fanOut(serial)));
        }
        Path liveFile = origin.resolve("current").resolve(LiveManifest.PATH);
        LiveManifest v2 = LiveManifest.parse(Files.readAllBytes(liveFile));
        List<LiveManifest.Entry> v1Entries = new ArrayList<>(v2.artifacts().stream()
                .filter(e -> !LiveOcspIndex.KIND.equals(e.kind())).toList());
        for (String serial : List.of("10", "35", "a4")) {
            v1Entries.add(new LiveManifest.Entry("ocsp/" + ikh + "/" + serial + ".der", "ocsp", "application/ocsp-response",
                    "x", 100, null, null, serial, t1.toString(), t1.plus(Duration.ofDays(4)).toString(), v2.bundleId()));
        }
        for (String p : v2.artifacts().stream().filter(e -> LiveOcspIndex.KIND.equals(e.kind())).map(LiveManifest.Entry::path).toList()) {
            Files.delete(origin.resolve("current").resolve(p));
        }
        Files.delete(liveFile);
        Files.write(liveFile, new String(new LiveManifest("shomei-live-manifest/v1", v2.bundleId(), v2.publishedAt(), v1Entries)
                .toJson(), StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));

        // The v1 entries still guard against rollback...
        BundleBuilder old = new BundleBuilder(PKI).crlNumber(2);
        old.ocsp(BigInteger.valueOf(0x35), t1.minusSeconds(60), t1.plus(Duration.ofDays(3)));
        assertThat(publisher().publish(PublicationBundle.read(old.write(tmp.resolve("old")))).refusals())
                .anySatisfy(r -> assertThat(r.reason()).contains("is older than the live response's " + t1));

        // ...and the next publication moves every one of them into the index.
        BundleBuilder next = new BundleBuilder(PKI).crlNumber(2);
        next.ocsp(BigInteger.valueOf(0x35), t1.plusSeconds(60), t1.plus(Duration.ofDays(4)));
        assertThat(publisher().publish(PublicationBundle.read(next.write(tmp.resolve("next")))).refusals()).isEmpty();
        LiveManifest converted = new FileSystemOrigin(origin).liveManifest();
        assertThat(converted.format()).isEqualTo(LiveManifest.FORMAT);
        assertThat(converted.artifacts()).noneMatch(e -> "ocsp".equals(e.kind()));
        FileSystemOrigin o = new FileSystemOrigin(origin);
        assertThat(LiveOcspIndex.lookup(o, ikh, "10")).map(LiveOcspIndex.Times::thisUpdate).hasValue(t1);
        assertThat(LiveOcspIndex.lookup(o, ikh, "35")).map(LiveOcspIndex.Times::thisUpdate).hasValue(t1.plusSeconds(60));
        assertThat(LiveOcspIndex.lookup(o, ikh, "a4")).map(LiveOcspIndex.Times::thisUpdate).hasValue(t1);
        // The responses moved to the fan-out layout, the ones not in this bundle by a hard link to the same file;
        // the old sidecars and flat names are gone.
        Path now = origin.resolve("current");
        for (String serial : List.of("10", "35", "a4")) {
            assertThat(now.resolve(OcspPath.of(ikh, serial))).isRegularFile();
        }
        assertThat(Files.isSameFile(now.resolve(OcspPath.of(ikh, "a4")), live.resolve("ocsp/" + ikh + "/a4.der"))).isTrue();
        try (var names = Files.list(now.resolve("ocsp/" + ikh))) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("10", "35", "a4");
        }
    }

    @Test
    void anOriginIndexedByTwoDigitShardsIsSpreadOverThreeDigitShardsWhereABundleTouchesIt() throws Exception {
        // An origin published while the index's shards were named by two hex digits of the serial.
        Instant t1 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).minusSeconds(600);
        List<String> serials = List.of("ab", "ab0", "ab1f", "abc12", "c50", "c5a1", "3f0");
        BundleBuilder b1 = new BundleBuilder(PKI).crlNumber(1);
        serials.forEach(s -> b1.ocsp(new BigInteger(s, 16), t1, t1.plus(Duration.ofDays(4))));
        assertThat(publisher().publish(PublicationBundle.read(b1.write(tmp.resolve("b1")))).refusals()).isEmpty();
        Path liveFile = origin.resolve("current").resolve(LiveManifest.PATH);
        LiveManifest three = LiveManifest.parse(Files.readAllBytes(liveFile));
        Map<String, StringBuilder> twoDigit = new TreeMap<>();
        List<LiveManifest.Entry> entries = new ArrayList<>(three.artifacts().stream()
                .filter(e -> !LiveOcspIndex.KIND.equals(e.kind())).toList());
        for (LiveManifest.Entry e : three.artifacts()) {
            if (LiveOcspIndex.KIND.equals(e.kind())) {
                Path file = origin.resolve("current").resolve(e.path());
                for (String line : Files.readAllLines(file)) {
                    twoDigit.computeIfAbsent(line.substring(0, 2), k -> new StringBuilder()).append(line).append('\n');
                }
                Files.delete(file);
            }
        }
        for (var g : twoDigit.entrySet()) {
            String path = "live-ocsp/" + ikh + "/" + g.getKey() + ".tsv";
            byte[] text = g.getValue().toString().getBytes(StandardCharsets.UTF_8);
            Files.write(origin.resolve("current").resolve(path), text);
            String first = g.getValue().substring(0, g.getValue().indexOf("\t"));
            entries.add(new LiveManifest.Entry(path, LiveOcspIndex.KIND, LiveOcspIndex.CONTENT_TYPE, sha256(text),
                    text.length, null, null, first, t1.toString(), t1.plus(Duration.ofDays(4)).toString(), three.bundleId(),
                    g.getValue().chars().filter(c -> c == '\n').count()));
        }
        Files.delete(liveFile);
        Files.write(liveFile, new LiveManifest(LiveManifest.FORMAT, three.bundleId(), three.publishedAt(), entries).toJson());
        assertThat(shardDigests().keySet()).containsExactly("live-ocsp/" + ikh + "/3f.tsv", "live-ocsp/" + ikh + "/ab.tsv",
                "live-ocsp/" + ikh + "/c5.tsv");

        // The two-digit shards still guard against rollback...
        BundleBuilder old = new BundleBuilder(PKI).crlNumber(2);
        old.ocsp(new BigInteger("ab1f", 16), t1.minusSeconds(60), t1.plus(Duration.ofDays(3)));
        assertThat(publisher().publish(PublicationBundle.read(old.write(tmp.resolve("old")))).refusals())
                .anySatisfy(r -> assertThat(r.reason()).contains("is older than the live response's " + t1));

        // ...and a bundle that touches "ab" and "c5" spreads those two over three-digit shards; "3f" stays as it is.
        Instant t2 = t1.plusSeconds(60);
        BundleBuilder next = new BundleBuilder(PKI).crlNumber(2);
        next.ocsp(new BigInteger("ab1f", 16), t2, t2.plus(Duration.ofDays(4)));
        next.ocsp(new BigInteger("c5a1", 16), t2, t2.plus(Duration.ofDays(4)));
        assertThat(publisher().publish(PublicationBundle.read(next.write(tmp.resolve("next")))).refusals()).isEmpty();
        String dir = "live-ocsp/" + ikh + "/";
        assertThat(shardDigests().keySet()).containsExactly(dir + "3f.tsv", dir + "ab.tsv", dir + "ab0.tsv",
                dir + "ab1.tsv", dir + "abc.tsv", dir + "c50.tsv", dir + "c5a.tsv");
        // The two-digit shard "ab" keeps only the serial of two digits; "c5" had none and is gone from the index.
        assertThat(LiveOcspIndex.parse(dir + "ab.tsv", Files.readAllBytes(origin.resolve("current").resolve(dir + "ab.tsv"))))
                .containsOnlyKeys("ab");
        FileSystemOrigin o = new FileSystemOrigin(origin);
        for (String serial : serials) {
            Instant expected = serial.equals("ab1f") || serial.equals("c5a1") ? t2 : t1;
            assertThat(LiveOcspIndex.lookup(o, ikh, serial)).as(serial).map(LiveOcspIndex.Times::thisUpdate).hasValue(expected);
        }
        // Each shard's count in the live manifest is its lines.
        for (LiveManifest.Entry e : o.liveManifest().artifacts()) {
            if (LiveOcspIndex.KIND.equals(e.kind())) {
                assertThat(LiveOcspIndex.parse(e.path(), Files.readAllBytes(origin.resolve("current").resolve(e.path()))))
                        .as(e.path()).hasSize(e.count().intValue());
            }
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    }

    private Map<String, String> shardDigests() throws Exception {
        Map<String, String> m = new TreeMap<>();
        for (LiveManifest.Entry e : new FileSystemOrigin(origin).liveManifest().artifacts()) {
            if (LiveOcspIndex.KIND.equals(e.kind())) {
                m.put(e.path(), e.sha256());
            }
        }
        return m;
    }
}
