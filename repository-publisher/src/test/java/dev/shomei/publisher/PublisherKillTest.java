package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.cli.PublisherCli;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.fault.CrashPoints;
import dev.shomei.publisher.origin.FileSystemOrigin;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code kill -9} of a {@code publisher publish} JVM (a child process started with
 * {@code -Dshomei.crash.at=<point>}, see {@link CrashPoints}) at each of its crash points while it publishes a second
 * bundle over a first to a filesystem origin, with the edge serving that origin throughout (docs/faults.md).
 *
 * <p>After each kill: what the edge and the origin serve is the previous release, byte for byte (or, killed after
 * the switch, the new one, whole); no temporary file is served. The rerun (a new child JVM, the same command) exits
 * 0 and the edge then serves the new bundle: every file with the bundle's bytes, and its OCSP responses by request.
 *
 * <p>Part of the fault suite ({@code bin/test-faults}): a dozen child JVMs, about 20 s.
 */
@Tag("fault")
class PublisherKillTest {

    static final TestPki PKI = new TestPki();
    static final List<String> SUMMARY = new ArrayList<>();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir Path tmp;
    Path ca;

    @AfterAll
    static void summary() {
        System.out.println("fault suite (publisher SIGKILL): " + SUMMARY.size() + " crash(es) exercised");
        SUMMARY.forEach(s -> System.out.println("  " + s));
    }

    @BeforeEach
    void caFiles() throws Exception {
        ca = tmp.resolve("ca");
        PKI.writeCaFiles(ca);
        PKI.writePublicationSigner(ca);
    }

    @Test
    void aPublisherKilledAtEachCrashPointLeavesAWholeReleaseServedAndTheRerunPublishesTheBundle() throws Exception {
        Path first = new BundleBuilder(PKI).crlNumber(5).ocsp(BigInteger.valueOf(0x5001)).ocsp(BigInteger.valueOf(0x5002))
                .write(tmp.resolve("b1"));
        Path second = new BundleBuilder(PKI).crlNumber(6).ocsp(BigInteger.valueOf(0x5003)).ocsp(BigInteger.valueOf(0x5004))
                .write(tmp.resolve("b2"));
        int writes = writesOf(first, second);
        // The first file, one half-way, the last (the live manifest's header sidecar), the switch either side.
        List<String> points = List.of(CrashPoints.PUBLISH_DURING_WRITE + "@1",
                CrashPoints.PUBLISH_DURING_WRITE + "@" + (writes / 2),
                CrashPoints.PUBLISH_DURING_WRITE + "@" + writes,
                CrashPoints.PUBLISH_BEFORE_SWITCH,
                CrashPoints.PUBLISH_AFTER_SWITCH);
        for (String point : points) {
            Path origin = tmp.resolve("origin-" + point.replace('@', '-'));
            inProcess(origin).publish(PublicationBundle.read(first));
            SortedMap<String, String> before = PublicationFaultTest.served(origin);
            try (RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(origin), cas(),
                    new InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(), Duration.ofHours(1))) {
                ExternalProcess.Result killed = publish(origin, second, point);
                assertThat(killed.exit()).as("killed by SIGKILL (128 + 9) at " + point + ": " + killed.output())
                        .isEqualTo(137);
                assertThat(killed.output()).contains("shomei crash point " + point.split("@")[0]);

                boolean switched = point.equals(CrashPoints.PUBLISH_AFTER_SWITCH);
                Path live = switched ? second : first;
                if (!switched) {
                    assertThat(PublicationFaultTest.served(origin)).as("after a kill at " + point
                            + " the previous release is served, unchanged").isEqualTo(before);
                }
                PublicationFaultTest.assertWholeAndVerified(origin, PublicationFaultTest.bundleId(live));
                assertEdgeServes(edge, live);
                String afterCrash = switched ? "new release served, whole" : "previous release served, unchanged";

                ExternalProcess.Result rerun = publish(origin, second, null);
                assertThat(rerun.exit()).as("rerun after a kill at " + point + ": " + rerun.output()).isZero();
                assertThat(rerun.output()).contains("published to " + origin.toAbsolutePath());
                PublicationFaultTest.assertWholeAndVerified(origin, PublicationFaultTest.bundleId(second));
                PublicationFaultTest.assertCarries(origin, second);
                assertThat(PublicationFaultTest.leftovers(origin)).as("the rerun clears a killed publication's staging")
                        .isEmpty();
                assertEdgeServes(edge, second);
                SUMMARY.add("publish " + point + " SIGKILL (of " + writes + " writes): " + afterCrash
                        + "; rerun exit 0, edge serves the new bundle whole");
            }
        }
    }

    /** How many files a publication of {@code second} over {@code first} writes (objects and header sidecars). */
    private int writesOf(Path first, Path second) throws Exception {
        Path probe = tmp.resolve("probe");
        inProcess(probe).publish(PublicationBundle.read(first));
        AtomicInteger n = new AtomicInteger();
        new Publisher(cas(), PKI.signers(), new FileSystemOrigin(probe) {
            @Override
            protected void writeFile(Path target, byte[] content) throws IOException {
                n.incrementAndGet();
                super.writeFile(target, content);
            }
        }, Clock.systemUTC(), Duration.ofHours(1)).publish(PublicationBundle.read(second));
        assertThat(n.get()).isGreaterThan(10);
        return n.get();
    }

    /** Every file of the bundle over HTTP with the bundle's bytes, and each OCSP response by an RFC 6960 request. */
    private static void assertEdgeServes(RepositoryEdge edge, Path bundle) throws Exception {
        try (Stream<Path> walk = Files.walk(bundle)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                String rel = bundle.relativize(p).toString();
                if (!rel.startsWith("ocsp/")) {
                    // (under /ocsp/ a GET is an RFC 6960 request, so the responses are fetched by request below)
                    HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(edge.uri().resolve(rel)).GET().build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(r.statusCode()).as("GET " + rel).isEqualTo(200);
                    assertThat(r.body()).as("GET " + rel + " serves the bundle's bytes").isEqualTo(Files.readAllBytes(p));
                } else if (rel.endsWith(".der")) {
                    BigInteger serial = new BigInteger(p.getFileName().toString().replace(".der", ""), 16);
                    HttpResponse<byte[]> o = HTTP.send(HttpRequest.newBuilder(edge.uri().resolve("ocsp"))
                            .header("Content-Type", "application/ocsp-request")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(RepositoryEdgeTest.request(
                                    PKI.issuing.certificate(), serial, CertificateID.HASH_SHA1, false)))
                            .build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(o.statusCode()).isEqualTo(200);
                    assertThat(o.body()).as("OCSP for " + serial.toString(16)).isEqualTo(Files.readAllBytes(p));
                }
            }
        }
    }

    /** {@code publisher publish} in a child JVM, killed at {@code crashAt} when it is not null. */
    private ExternalProcess.Result publish(Path origin, Path bundle, String crashAt) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (crashAt != null) {
            cmd.add("-Dshomei.crash.at=" + crashAt);
        }
        cmd.addAll(List.of("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), PublisherCli.class.getName(),
                "publish", "--bundle", bundle.toString(), "--origin-dir", origin.toString(),
                "--ca-cert", ca.resolve("issuing.pem").toString(), "--ca-cert", ca.resolve("root.pem").toString(),
                "--publication-signer-cert", ca.resolve("publication-signer.pem").toString()));
        return ExternalProcess.run(Duration.ofSeconds(120), null, cmd);
    }

    private static CaCertificates cas() {
        return CaCertificates.of(List.of(PKI.root.certificate(), PKI.issuing.certificate()));
    }

    private static Publisher inProcess(Path origin) {
        return new Publisher(cas(), PKI.signers(), new FileSystemOrigin(origin), Clock.systemUTC(), Duration.ofHours(1));
    }
}
