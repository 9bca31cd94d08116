package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Refusal;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.LiveOcspIndex;
import dev.shomei.publisher.origin.ObjectHeaders;
import dev.shomei.publisher.origin.PublicationFailedException;

/** Publication to a filesystem origin: what goes live, and that every refusal or failure changes nothing. */
class FileSystemPublicationTest {

    static final TestPki PKI = new TestPki();
    static final BigInteger GOOD = BigInteger.valueOf(0x1001);
    static final BigInteger REVOKED = BigInteger.valueOf(0x1002);

    @TempDir Path tmp;
    Path origin;
    CaCertificates cas;

    @BeforeEach
    void setUp() {
        origin = tmp.resolve("origin");
        cas = CaCertificates.of(java.util.List.of(PKI.root.certificate(), PKI.issuing.certificate()));
    }

    Publisher publisher(FileSystemOrigin o) {
        return new Publisher(cas, PKI.signers(), o, Clock.systemUTC(), Duration.ofHours(1));
    }

    Verification publish(BundleBuilder b, String name) throws Exception {
        return publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(b.write(tmp.resolve(name))));
    }

    BundleBuilder first() {
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(5);
        b.revoke(REVOKED, b.now().minusSeconds(3600));
        return b.ocsp(GOOD).ocsp(REVOKED);
    }

    @Test
    void publishesEveryArtifactWithContentTypeAndCacheHeadersBehindAnAtomicLink() throws Exception {
        BundleBuilder b = first();
        Verification v = publish(b, "b1");

        assertThat(v.refusals()).isEmpty();
        Path current = origin.resolve("current");
        assertThat(Files.isSymbolicLink(current)).isTrue();
        assertThat(Files.readSymbolicLink(current).toString()).isEqualTo("releases/" + b.bundleId());
        String ocspPath = OcspPath.of(BundleBuilder.keyHashHex(PKI.issuing.certificate()), "1001");
        assertThat(current.resolve(ocspPath)).hasSameBinaryContentAs(tmp.resolve("b1").resolve(ocspPath));
        assertThat(current.resolve("manifest.json")).hasSameBinaryContentAs(tmp.resolve("b1/manifest.json"));
        assertThat(current.resolve("manifest.p7s")).exists();

        ObjectHeaders crl = ObjectHeaders.parse(Files.readAllBytes(current.resolve("crl/issuing-2026.crl.headers")));
        assertThat(crl.contentType()).isEqualTo("application/pkix-crl");
        assertThat(crl.sha256()).isEqualTo(OriginSnapshot.sha256(Files.readAllBytes(current.resolve("crl/issuing-2026.crl"))));
        assertThat(crl.expires()).isEqualTo(b.now().plus(Duration.ofDays(1)).toString());
        assertThat(crl.lastModified()).isEqualTo(b.now().minusSeconds(60).toString());
        assertThat(crl.cacheControl()).isEqualTo("public, max-age=3600, no-transform, must-revalidate");

        // A response has no sidecar: its headers come from the response itself (the edge derives them).
        assertThat(current.resolve(ocspPath + ObjectHeaders.SIDECAR_SUFFIX)).doesNotExist();
        assertThat(header(current, "certs/root.cer").contentType()).isEqualTo("application/pkix-cert");
        assertThat(header(current, "cps/cps-v1.pdf").contentType()).isEqualTo("application/pdf");
        assertThat(header(current, "ca-hash-values/ca-hash-values.txt").contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(header(current, "ca-hash-values/ca-hash-values.json").contentType()).isEqualTo("application/json");
        assertThat(header(current, "ca-hash-values/index.html").contentType()).isEqualTo("text/html; charset=utf-8");
        assertThat(header(current, "manifest.json").cacheControl()).isEqualTo("no-cache");

        LiveManifest live = new FileSystemOrigin(origin).liveManifest();
        assertThat(live.bundleId()).isEqualTo(b.bundleId());
        assertThat(live.crlNumber(PKI.issuing.certificate().getSubjectX500Principal().getName())).hasValue(5);
        assertThat(LiveOcspIndex.lookup(new FileSystemOrigin(origin), BundleBuilder.keyHashHex(PKI.issuing.certificate()),
                ocspPath.substring(ocspPath.lastIndexOf('/') + 1, ocspPath.length() - ".der".length())))
                .map(LiveOcspIndex.Times::thisUpdate).hasValue(b.now().minusSeconds(60));
    }

    @Test
    void maxAgeNeverPassesNextUpdate() throws Exception {
        BundleBuilder b = first();
        b.crlTimes(b.now().minusSeconds(60), b.now().plusSeconds(600));
        publish(b, "b1");
        String cc = header(origin.resolve("current"), "crl/issuing-2026.crl").cacheControl();
        long maxAge = Long.parseLong(cc.replaceAll(".*max-age=(\\d+).*", "$1"));
        assertThat(maxAge).isBetween(500L, 600L);
    }

    @Test
    void anIncrementalBundleKeepsTheResponsesItDoesNotCarry() throws Exception {
        BundleBuilder firstBundle = first();
        publish(firstBundle, "b1");
        BundleBuilder second = new BundleBuilder(PKI).crlNumber(6);
        second.revoke(REVOKED, second.now().minusSeconds(3600));
        BigInteger added = BigInteger.valueOf(0x1003);
        publish(second.ocsp(added), "b2");

        Path current = origin.resolve("current");
        String ikh = BundleBuilder.keyHashHex(PKI.issuing.certificate());
        assertThat(current.resolve(OcspPath.of(ikh, "1001"))).exists();
        assertThat(current.resolve(OcspPath.of(ikh, "1001") + ".headers")).doesNotExist();
        assertThat(current.resolve(OcspPath.of(ikh, "1003"))).exists();
        LiveManifest live = new FileSystemOrigin(origin).liveManifest();
        assertThat(LiveOcspIndex.lookup(new FileSystemOrigin(origin), ikh, "1001")).isPresent();
        assertThat(LiveOcspIndex.lookup(new FileSystemOrigin(origin), ikh, "1003")).isPresent();
        assertThat(live.crlNumber(PKI.issuing.certificate().getSubjectX500Principal().getName())).hasValue(6);
        // The previous release stays on disk, untouched, so an operator can switch back.
        assertThat(new FileSystemOrigin(origin).liveRelease()).hasValue(origin.resolve("releases/" + second.bundleId()));
        assertThat(origin.resolve("releases/" + firstBundle.bundleId() + "/" + OcspPath.of(ikh, "1001"))).exists();
        assertThat(origin.resolve("releases/" + firstBundle.bundleId() + "/" + OcspPath.of(ikh, "1003"))).doesNotExist();
    }

    @Test
    void republishingTheSameBundleIsAccepted() throws Exception {
        Path dir = first().write(tmp.resolve("b1"));
        Publisher p = publisher(new FileSystemOrigin(origin));
        assertThat(p.publish(PublicationBundle.read(dir)).refusals()).isEmpty();
        // A retried publication (identical CRL bytes) is not a CRL number regression.
        assertThat(p.publish(PublicationBundle.read(dir)).refusals()).isEmpty();
    }

    // ---- refusals: each leaves the origin exactly as it was ----

    @Test
    void refusesACrlWithALowerNumber() throws Exception {
        publish(first(), "b1");
        assertRefusedAndUnchanged(new BundleBuilder(PKI).crlNumber(4), "crl/issuing-2026.crl", "cRLNumber 4 is not greater than the live CRL number 5");
    }

    @Test
    void refusesACrlWithAnEqualNumber() throws Exception {
        publish(first(), "b1");
        assertRefusedAndUnchanged(new BundleBuilder(PKI).crlNumber(5), "crl/issuing-2026.crl", "cRLNumber 5 is not greater than the live CRL number 5");
    }

    @Test
    void refusesAnExpiredOcspResponse() throws Exception {
        publish(first(), "b1");
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(6);
        b.ocsp(BigInteger.valueOf(0x1004), b.now().minus(Duration.ofDays(5)), b.now().minusSeconds(1));
        assertRefusedAndUnchanged(b, ocspPath("1004"), "nextUpdate");
    }

    @Test
    void refusesAnOcspResponseOlderThanTheLiveOne() throws Exception {
        publish(first(), "b1");
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(6);
        b.ocsp(GOOD, b.now().minusSeconds(3600), b.now().plus(Duration.ofDays(3)));
        assertRefusedAndUnchanged(b, ocspPath("1001"), "is older than the live response's");
    }

    @Test
    void refusesATamperedManifest() throws Exception {
        publish(first(), "b1");
        Path dir = new BundleBuilder(PKI).crlNumber(6).write(tmp.resolve("bad"));
        String json = Files.readString(dir.resolve("manifest.json"));
        Files.writeString(dir.resolve("manifest.json"), json.replace("\"crlNumber\" : 6", "\"crlNumber\" : 60"));
        assertRefusedAndUnchanged(dir, "manifest.p7s", "does not verify over manifest.json");
    }

    @Test
    void refusesATamperedArtifact() throws Exception {
        publish(first(), "b1");
        Path dir = new BundleBuilder(PKI).crlNumber(6).write(tmp.resolve("bad"));
        byte[] pdf = Files.readAllBytes(dir.resolve("cps/cps-v1.pdf"));
        pdf[pdf.length - 2] ^= 1;
        Files.write(dir.resolve("cps/cps-v1.pdf"), pdf);
        assertRefusedAndUnchanged(dir, "cps/cps-v1.pdf", "SHA-256 is");
    }

    @Test
    void refusesAnExtraFile() throws Exception {
        publish(first(), "b1");
        Path dir = new BundleBuilder(PKI).crlNumber(6).write(tmp.resolve("bad"));
        Files.writeString(dir.resolve("cps/notes.txt"), "not listed");
        assertRefusedAndUnchanged(dir, "cps/notes.txt", "not listed in manifest.json");
    }

    @Test
    void refusesAMissingFile() throws Exception {
        publish(first(), "b1");
        Path dir = new BundleBuilder(PKI).crlNumber(6).write(tmp.resolve("bad"));
        Files.delete(dir.resolve("audit/checkpoint.txt"));
        assertRefusedAndUnchanged(dir, "audit/checkpoint.txt", "missing from the bundle");
    }

    @Test
    void refusesAManifestSignedByAnUnknownKey() throws Exception {
        publish(first(), "b1");
        TestPki other = new TestPki("Impostor");
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(6).manifestSigner(other.publicationSigner);
        assertRefusedAndUnchanged(b, "manifest.p7s", "is not issued by any configured CA certificate");
    }

    @Test
    void refusesAnOcspResponseSignedByAResponderWithoutOcspSigning() throws Exception {
        publish(first(), "b1");
        BundleBuilder b = new BundleBuilder(PKI).crlNumber(6).ocspSigner(PKI.publicationSigner).ocsp(BigInteger.valueOf(0x1005));
        assertRefusedAndUnchanged(b, ocspPath("1005"), "lacks id-kp-OCSPSigning");
    }

    @Test
    void aPublicationInterruptedPartWayLeavesTheLiveReleaseAsItWas() throws Exception {
        publish(first(), "b1");
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        AtomicInteger writes = new AtomicInteger();
        FileSystemOrigin failing = new FileSystemOrigin(origin) {
            @Override
            protected void writeFile(Path target, byte[] content) throws IOException {
                if (writes.incrementAndGet() > 5) {
                    throw new IOException("disk full (injected after 5 writes)");
                }
                super.writeFile(target, content);
            }
        };
        Path dir = new BundleBuilder(PKI).crlNumber(6).ocsp(BigInteger.valueOf(0x1006)).write(tmp.resolve("b2"));
        assertThatThrownBy(() -> publisher(failing).publish(PublicationBundle.read(dir)))
                .isInstanceOf(PublicationFailedException.class)
                .hasMessageContaining("the live release is unchanged");
        assertThat(writes.get()).isEqualTo(6);
        assertThat(OriginSnapshot.of(origin)).isEqualTo(before);
    }

    @Test
    void aFailedSwitchLeavesTheLiveReleaseAsItWas() throws Exception {
        publish(first(), "b1");
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        FileSystemOrigin failing = new FileSystemOrigin(origin) {
            @Override
            protected void switchCurrent(Path newLink) throws IOException {
                throw new IOException("rename refused (injected)");
            }
        };
        Path dir = new BundleBuilder(PKI).crlNumber(6).write(tmp.resolve("b2"));
        assertThatThrownBy(() -> publisher(failing).publish(PublicationBundle.read(dir)))
                .isInstanceOf(PublicationFailedException.class);
        assertThat(OriginSnapshot.of(origin)).isEqualTo(before);
    }

    @Test
    void leftoversOfAKilledPublisherAreClearedAndNeverServed() throws Exception {
        publish(first(), "b1");
        Path leftover = origin.resolve("releases/.staging-killed-123/crl");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("issuing-2026.crl"), "half-written");
        assertThat(publish(new BundleBuilder(PKI).crlNumber(6), "b2").refusals()).isEmpty();
        assertThat(origin.resolve("releases/.staging-killed-123")).doesNotExist();
        assertThat(OriginSnapshot.of(origin).keySet()).noneMatch(k -> k.contains(".staging-") || k.startsWith(".current-"));
    }

    @Test
    void aCpsNamedInJapaneseIsPublishedAndServedAtItsPercentEncodedUrl() throws Exception {
        String name = "認証業務規程-v1.pdf";
        assertThat(publish(first().cpsName(name), "b1").refusals()).isEmpty();
        byte[] pdf = Files.readAllBytes(origin.resolve("current/cps/" + name));
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(new FileSystemOrigin(origin), cas,
                new java.net.InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(), Duration.ofHours(1))) {
            var url = edge.uri().resolve("cps/" + java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8));
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(url).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/pdf");
            assertThat(r.body()).isEqualTo(pdf);
        }
    }

    @Test
    void aSecondPublisherIsTurnedAwayWhileOneHoldsTheOrigin() throws Exception {
        publish(first(), "b1");
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        Path dir = new BundleBuilder(PKI).crlNumber(6).write(tmp.resolve("b2"));
        try (var held = new FileSystemOrigin(origin).lock()) {
            assertThatThrownBy(() -> publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(dir)))
                    .hasMessageContaining("another publisher holds");
        }
        assertThat(OriginSnapshot.of(origin)).isEqualTo(before);
        assertThat(publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(dir)).refusals()).isEmpty();
    }

    private String ocspPath(String serialHex) throws Exception {
        return OcspPath.of(BundleBuilder.keyHashHex(PKI.issuing.certificate()), serialHex);
    }

    private void assertRefusedAndUnchanged(BundleBuilder b, String path, String reason) throws Exception {
        assertRefusedAndUnchanged(b.write(tmp.resolve("refused-" + System.nanoTime())), path, reason);
    }

    private void assertRefusedAndUnchanged(Path dir, String path, String reason) throws Exception {
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        Verification v = publisher(new FileSystemOrigin(origin)).publish(PublicationBundle.read(dir));
        assertThat(v.accepted()).isFalse();
        assertThat(v.refusals()).extracting(Refusal::path).contains(path);
        assertThat(v.refusals()).filteredOn(r -> r.path().equals(path)).extracting(Refusal::reason)
                .anySatisfy(r -> assertThat(r).contains(reason));
        assertThat(OriginSnapshot.of(origin)).isEqualTo(before);
    }

    private static ObjectHeaders header(Path current, String path) throws IOException {
        return ObjectHeaders.parse(Files.readAllBytes(current.resolve(path + ".headers")));
    }


}
