package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.bouncycastle.cert.ocsp.CertificateID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.origin.ObjectHeaders;

/**
 * The OCSP responses' file layout, {@code ocsp/<ikh>/<first 2 hex of the serial>/<serial>.der}: path order is serial
 * order (what lets a bundle stream past the live index's shards once), no directory holds more than one fan-out's
 * share, and an origin published in the layout before it (one directory per issuer key, a sidecar per response)
 * keeps answering through the edge and is moved over by its next publication.
 */
class FanOutLayoutTest {

    static final String IKH = "0123456789abcdef0123456789abcdef01234567";

    @TempDir Path tmp;

    @Test
    void pathOrderIsSerialTextOrderForSerialsOfEveryLength() {
        SecureRandom random = new SecureRandom();
        List<String> serials = new ArrayList<>(List.of("1", "2", "f", "10", "1f", "ff", "100", "fff0"));
        for (int i = 0; i < 5_000; i++) {
            serials.add(new BigInteger(1 + random.nextInt(160), random).add(BigInteger.ONE).toString(16));
        }
        List<String> bySerial = serials.stream().distinct().sorted().toList();
        List<String> byPath = bySerial.stream().map(s -> OcspPath.of(IKH, s)).sorted().toList();
        assertThat(byPath).isEqualTo(bySerial.stream().map(s -> OcspPath.of(IKH, s)).toList());
        for (String s : bySerial) {
            assertThat(OcspPath.parse(OcspPath.of(IKH, s))).hasValue(new OcspPath.Id(IKH, s));
        }
    }

    @Test
    void onlyTheSerialsOwnDirectoryIsAccepted() {
        assertThat(OcspPath.of(IKH, "4001")).isEqualTo("ocsp/" + IKH + "/40/4001.der");
        assertThat(OcspPath.of(IKH, "7")).isEqualTo("ocsp/" + IKH + "/7/7.der");
        assertThat(OcspPath.parse("ocsp/" + IKH + "/41/4001.der")).isEmpty();
        assertThat(OcspPath.parse("ocsp/" + IKH + "/4001.der")).isEmpty();
        assertThat(OcspPath.parse("ocsp/" + IKH + "/04/0401.der")).as("leading zero").isEmpty();
        assertThat(OcspPath.parse("ocsp/" + IKH + "/40/4001.DER")).isEmpty();
        assertThat(OcspPath.fromFlat("ocsp/" + IKH + "/4001.der")).hasValue("ocsp/" + IKH + "/40/4001.der");
        assertThat(OcspPath.fromFlat("ocsp/" + IKH + "/40/4001.der")).isEmpty();
    }

    @Test
    void anOriginInTheLayoutBeforeTheFanOutIsServedAndThenMovedByTheNextPublication() throws Exception {
        try (PublishedRepository repo = new PublishedRepository(tmp, Clock.systemUTC())) {
            BigInteger good = repo.good.certificate().getSerialNumber();
            BigInteger revoked = repo.revoked.certificate().getSerialNumber();
            // Turn the live release into what an older publisher left: flat names, a header sidecar each.
            Path release = repo.origin.resolve("current").toRealPath();
            byte[] goodBefore = Files.readAllBytes(release.resolve(repo.ocspPath(good)));
            byte[] revokedBefore = Files.readAllBytes(release.resolve(repo.ocspPath(revoked)));
            for (BigInteger serial : List.of(good, revoked)) {
                Path fanned = release.resolve(repo.ocspPath(serial));
                Path flat = release.resolve(OcspPath.beforeFanOut(OcspPath.parse(repo.ocspPath(serial)).orElseThrow()));
                Files.move(fanned, flat);
                Files.writeString(flat.resolveSibling(flat.getFileName() + ObjectHeaders.SIDECAR_SUFFIX), "{}");
            }
            try (Stream<Path> dirs = Files.list(release.resolve("ocsp").resolve(OcspPath.parse(repo.ocspPath(good)).orElseThrow().issuerKeyHash()))) {
                for (Path d : dirs.filter(Files::isDirectory).toList()) {
                    Files.delete(d); // the fan-out directories, emptied above
                }
            }

            // The edge still answers from the flat names...
            assertThat(post(repo, good).body()).isEqualTo(goodBefore);
            assertThat(post(repo, revoked).body()).isEqualTo(revokedBefore);

            // ...and the next (incremental) publication moves every response into the fan-out layout.
            BundleBuilder next = new BundleBuilder(repo.pki).crlNumber(8);
            next.revoke(revoked, repo.bundle.now().minusSeconds(7200));
            Instant later = repo.bundle.now().plusSeconds(30);
            next.ocsp(good, later, later.plus(Duration.ofDays(4)));
            assertThat(repo.publish(next, "bundle-2").refusals()).isEmpty();
            Path now = repo.origin.resolve("current").toRealPath();
            assertThat(now).isNotEqualTo(release);
            byte[] goodAfter = Files.readAllBytes(now.resolve(repo.ocspPath(good)));
            assertThat(goodAfter).isNotEqualTo(goodBefore);
            assertThat(now.resolve(repo.ocspPath(revoked))).hasBinaryContent(revokedBefore);
            try (Stream<Path> files = Files.walk(now.resolve("ocsp"))) {
                assertThat(files.filter(Files::isRegularFile).map(p -> now.relativize(p).toString()).sorted(Comparator.naturalOrder()))
                        .containsExactlyElementsOf(Stream.of(repo.ocspPath(good), repo.ocspPath(revoked)).sorted().toList());
            }
            assertThat(post(repo, good).body()).isEqualTo(goodAfter);
            assertThat(post(repo, revoked).body()).isEqualTo(revokedBefore);
        }
    }

    private static HttpResponse<byte[]> post(PublishedRepository repo, BigInteger serial) throws Exception {
        byte[] request = RepositoryEdgeTest.request(repo.pki.issuing.certificate(), serial, CertificateID.HASH_SHA1, false);
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(repo.ocspUri())
                .header("Content-Type", "application/ocsp-request").POST(HttpRequest.BodyPublishers.ofByteArray(request)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r;
    }
}
