package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.ObjectHeaders;
import dev.shomei.publisher.origin.PublicationFailedException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publication to a filesystem origin crashed at every step (docs/faults.md) and run out of disk space part-way:
 * the live manifest always points at a whole release whose every object matches its recorded digest, the release
 * served before the fault stays served until the rerun, and the rerun publishes the bundle whole. No bundle is ever
 * live with content other than its own (a release directory published twice holds the same bytes).
 *
 * <p>A crash here is an {@link Error} thrown inside the origin's write or switch: none of the publisher's
 * {@code catch} clauses handle it, so its clean-up does not run, as after a kill; the rerun is a new publisher.
 * The full sweep is in the fault suite; the normal build runs a slice and the full disk (a few seconds: no HSM,
 * no database).
 */
class PublicationFaultTest {

    static final TestPki PKI = new TestPki();
    static final List<String> SUMMARY = new ArrayList<>();

    /** A process crash at a step of the origin's publication. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String where) {
            super("simulated crash " + where);
        }
    }

    @TempDir Path tmp;

    @AfterAll
    static void summary() {
        System.out.println("fault suite (publication): " + SUMMARY.size() + " fault(s) exercised");
        SUMMARY.forEach(s -> System.out.println("  " + s));
    }

    Publisher publisher(FileSystemOrigin o) {
        CaCertificates cas = CaCertificates.of(List.of(PKI.root.certificate(), PKI.issuing.certificate()));
        return new Publisher(cas, PKI.signers(), o, Clock.systemUTC(), Duration.ofHours(1));
    }

    Path firstBundle() throws Exception {
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(5);
        b.revoke(BigInteger.valueOf(0x1002), b.now().minusSeconds(3600));
        return b.ocsp(BigInteger.valueOf(0x1001)).ocsp(BigInteger.valueOf(0x1002)).write(tmp.resolve("b1-" + System.nanoTime()));
    }

    Path secondBundle() throws Exception {
        return new BundleBuilder(PKI).crlNumber(6).ocsp(BigInteger.valueOf(0x1003)).ocsp(BigInteger.valueOf(0x1004))
                .write(tmp.resolve("b2-" + System.nanoTime()));
    }

    /** The whole sweep (about 45 s): the fault suite, {@code bin/test-faults}. */
    @Test
    @Tag("fault")
    void aCrashAtEveryWriteOrAtTheSwitchLeavesTheLiveReleaseServedAndTheRerunPublishesTheBundleWhole() throws Exception {
        crashSweep(null);
    }

    /** The normal build's slice: a crash half-way through the writes, and one at the switch. */
    @Test
    @Tag("fault-slice")
    void aCrashHalfWayThroughTheWritesOrAtTheSwitchLeavesTheLiveReleaseServedAndTheRerunPublishesIt() throws Exception {
        crashSweep(writes -> List.of(writes / 2, writes + 1));
    }

    /** Crashes at each chosen step (1..writes: the n-th file write; writes + 1: the switch), each on a new origin. */
    private void crashSweep(java.util.function.IntFunction<List<Integer>> chosen) throws Exception {
        Path first = firstBundle();
        Path second = secondBundle();
        // How many files a publication of the second bundle writes (objects and header sidecars).
        int writes;
        {
            Path probe = tmp.resolve("probe");
            publisher(new FileSystemOrigin(probe)).publish(PublicationBundle.read(first));
            AtomicInteger n = new AtomicInteger();
            publisher(new FileSystemOrigin(probe) {
                @Override
                protected void writeFile(Path target, byte[] content) throws IOException {
                    n.incrementAndGet();
                    super.writeFile(target, content);
                }
            }).publish(PublicationBundle.read(second));
            writes = n.get();
        }
        assertThat(writes).isGreaterThan(10);
        List<Integer> steps = chosen == null
                ? java.util.stream.IntStream.rangeClosed(1, writes + 1).boxed().toList() : chosen.apply(writes);
        for (int k : steps) {
            Path origin = tmp.resolve("origin-" + k);
            publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(first));
            SortedMap<String, String> served = served(origin);
            int crashAt = k;
            AtomicInteger seen = new AtomicInteger();
            FileSystemOrigin crashing = new FileSystemOrigin(origin) {
                @Override
                protected void writeFile(Path target, byte[] content) throws IOException {
                    if (seen.incrementAndGet() == crashAt) {
                        // half the file on disk under its temporary name, then the process is gone
                        Files.createDirectories(target.getParent());
                        Files.write(target.resolveSibling(".tmp-" + target.getFileName()),
                                java.util.Arrays.copyOf(content, content.length / 2));
                        throw new SimulatedCrash("at write #" + crashAt + " (" + target.getFileName() + ")");
                    }
                    super.writeFile(target, content);
                }

                @Override
                protected void switchCurrent(Path newLink) throws IOException {
                    if (crashAt == writes + 1) {
                        throw new SimulatedCrash("before the switch of 'current'");
                    }
                    super.switchCurrent(newLink);
                }
            };
            String where = k <= writes ? "write #" + k : "switch";
            assertThatThrownBy(() -> publisher(crashing).publish(PublicationBundle.read(second)))
                    .as("crash at " + where).isInstanceOf(SimulatedCrash.class);
            assertThat(served(origin)).as("after a crash at " + where + " the previous release is served, unchanged")
                    .isEqualTo(served);
            assertWholeAndVerified(origin, bundleId(first));

            assertThat(publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(second)).refusals())
                    .as("rerun after a crash at " + where).isEmpty();
            assertWholeAndVerified(origin, bundleId(second));
            assertCarries(origin, second);
            assertThat(leftovers(origin)).as("a crashed publication's staging is cleared by the rerun").isEmpty();
        }
        SUMMARY.add("publish origin-write " + (chosen == null ? "#1.." + writes : "#" + steps.get(0)) + " + switch,"
                + " process (Error): " + steps.size() + " crashes, previous release served each time, rerun whole");
    }

    @Test
    @Tag("fault-slice")
    void aFullDiskFailsThePublicationByNameKeepsTheLiveReleaseAndTheRerunSucceedsOnceSpaceReturns() throws Exception {
        Path origin = tmp.resolve("origin");
        publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(firstBundle()));
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        Path second = secondBundle();
        // A file system with room for 4 KiB more: the write that crosses it puts what fits, then fails as
        // write(2) does with ENOSPC.
        AtomicLong room = new AtomicLong(4096);
        FileSystemOrigin full = new FileSystemOrigin(origin) {
            @Override
            protected void writeFile(Path target, byte[] content) throws IOException {
                long left = room.addAndGet(-content.length);
                if (left < 0) {
                    Files.createDirectories(target.getParent());
                    try (FileChannel ch = FileChannel.open(target.resolveSibling(".tmp-" + target.getFileName()),
                            StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(content, 0, (int) Math.max(0, content.length + left)));
                    }
                    throw new IOException("No space left on device");
                }
                super.writeFile(target, content);
            }
        };
        assertThatThrownBy(() -> publisher(full).publish(PublicationBundle.read(second)))
                .isInstanceOf(PublicationFailedException.class)
                .hasMessageContaining("No space left on device")
                .hasMessageContaining("the live release is unchanged")
                .hasMessageContaining(origin.toAbsolutePath().toString());
        assertThat(OriginSnapshot.of(origin)).as("nothing of the failed publication is left, the live release is as it was")
                .isEqualTo(before);

        // Space returns: the same bundle is published, whole.
        assertThat(publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(second)).refusals()).isEmpty();
        assertWholeAndVerified(origin, bundleId(second));
        assertCarries(origin, second);
        SUMMARY.add("publish origin full disk (ENOSPC after 4 KiB): failed by name, previous release served, rerun whole");
    }

    /** The bundle id its signed manifest names. */
    static String bundleId(Path bundle) throws IOException {
        String json = Files.readString(bundle.resolve("manifest.json"));
        return json.replaceAll("(?s).*\"bundleId\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    }

    /** What a client can fetch: everything under 'current', by content. */
    static SortedMap<String, String> served(Path origin) throws IOException {
        Path live = new FileSystemOrigin(origin).liveRelease().orElseThrow();
        SortedMap<String, String> out = new TreeMap<>(OriginSnapshot.of(live));
        out.put("(current)", live.getFileName().toString());
        return out;
    }

    /** The live manifest names the bundle; every object served has its sidecar, whose SHA-256 it matches. */
    static void assertWholeAndVerified(Path origin, String bundleId) throws Exception {
        FileSystemOrigin o = new FileSystemOrigin(origin);
        LiveManifest live = o.liveManifest();
        assertThat(live.bundleId()).isEqualTo(bundleId);
        Path release = o.liveRelease().orElseThrow();
        for (LiveManifest.Entry e : live.artifacts()) {
            byte[] content = Files.readAllBytes(release.resolve(e.path()));
            assertThat(OriginSnapshot.sha256(content)).as("served " + e.path() + " matches the live manifest").isEqualTo(e.sha256());
            ObjectHeaders h = ObjectHeaders.parse(Files.readAllBytes(release.resolve(e.path() + ObjectHeaders.SIDECAR_SUFFIX)));
            assertThat(h.sha256()).isEqualTo(e.sha256());
            if (dev.shomei.publisher.origin.LiveOcspIndex.KIND.equals(e.kind())) {
                // Every response the index lists is served, with the thisUpdate the index records.
                String ikh = e.path().split("/")[1];
                var lines = dev.shomei.publisher.origin.LiveOcspIndex.parse(e.path(), content);
                assertThat(lines).hasSize(e.count().intValue());
                for (var l : lines.entrySet()) {
                    byte[] der = Files.readAllBytes(release.resolve(OcspPath.of(ikh, l.getKey())));
                    var single = ((org.bouncycastle.cert.ocsp.BasicOCSPResp) new org.bouncycastle.cert.ocsp.OCSPResp(der)
                            .getResponseObject()).getResponses()[0];
                    assertThat(single.getThisUpdate().toInstant()).isEqualTo(l.getValue().thisUpdate());
                }
            }
        }
        try (Stream<Path> walk = Files.walk(release)) {
            assertThat(walk.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".tmp-"));
        }
    }

    /** Every file of the bundle is served with the bundle's bytes (same name, same content). */
    static void assertCarries(Path origin, Path bundle) throws IOException {
        Path release = new FileSystemOrigin(origin).liveRelease().orElseThrow();
        try (Stream<Path> walk = Files.walk(bundle)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                assertThat(release.resolve(bundle.relativize(p).toString())).hasSameBinaryContentAs(p);
            }
        }
    }

    static List<String> leftovers(Path origin) throws IOException {
        return OriginSnapshot.of(origin).keySet().stream()
                .filter(k -> k.contains(".staging-") || k.startsWith(".current-")).toList();
    }
}
