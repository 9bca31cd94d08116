package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.origin.FileSystemOrigin;

/**
 * Requests per second of the keyless edge (OCSP POST and GET, 10,000 distinct pre-signed responses) beside the
 * JDK's static file server serving the same response files, driven by the same client in the same run.
 * Run: {@code ./mvnw -B -o -Pbench -pl repository-publisher verify}.
 */
@Tag("bench")
class EdgeBenchmarkTest {

    static final int RESPONSES = Integer.getInteger("bench.responses", 10_000);
    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 32);
    static final Duration WARMUP = Duration.ofSeconds(Long.getLong("bench.warmupSeconds", 3));
    static final Duration MEASURE = Duration.ofSeconds(Long.getLong("bench.seconds", 10));

    @TempDir Path tmp;

    record Result(String name, long requests, long errors, double seconds) {
        double perSecond() {
            return requests / seconds;
        }
    }

    @Test
    void edgeAgainstAStaticFileServer() throws Exception {
        TestPki pki = new TestPki("Bench");
        BundleBuilder b = new BundleBuilder(pki).crlNumber(1);
        List<BigInteger> serials = new ArrayList<>();
        for (int i = 0; i < RESPONSES; i++) {
            BigInteger s = BigInteger.valueOf(0x100000L + i);
            serials.add(s);
            b.ocsp(s);
        }
        long t0 = System.nanoTime();
        Path bundle = b.write(tmp.resolve("bundle"));
        double signSeconds = (System.nanoTime() - t0) / 1e9;
        CaCertificates cas = CaCertificates.of(List.of(pki.root.certificate(), pki.issuing.certificate()));
        Path origin = tmp.resolve("origin");
        t0 = System.nanoTime();
        var checked = new Publisher(cas, pki.signers(), new FileSystemOrigin(origin), Clock.systemUTC(), Duration.ofHours(1))
                .check(PublicationBundle.read(bundle));
        double verifySeconds = (System.nanoTime() - t0) / 1e9;
        assertThat(checked.refusals()).isEmpty();
        t0 = System.nanoTime();
        var v = new Publisher(cas, pki.signers(), new FileSystemOrigin(origin), Clock.systemUTC(), Duration.ofHours(1))
                .publish(PublicationBundle.read(bundle));
        double publishSeconds = (System.nanoTime() - t0) / 1e9;
        assertThat(v.refusals()).isEmpty();

        // Every request is prepared up front so the client measures the servers, not BC encoding.
        var calc = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
        var issuer = new JcaX509CertificateHolder(pki.issuing.certificate());
        byte[][] ders = new byte[RESPONSES][];
        String[] getPaths = new String[RESPONSES];
        String[] filePaths = new String[RESPONSES];
        String ikh = BundleBuilder.keyHashHex(pki.issuing.certificate());
        for (int i = 0; i < RESPONSES; i++) {
            ders[i] = new OCSPReqBuilder().addRequest(new CertificateID(calc, issuer, serials.get(i))).build().getEncoded();
            getPaths[i] = "ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(ders[i]), StandardCharsets.UTF_8);
            filePaths[i] = OcspPath.of(ikh, serials.get(i).toString(16));
        }
        byte[] sample = Files.readAllBytes(origin.resolve("current").resolve(filePaths[0]));

        try (ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
             RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(origin), cas, new InetSocketAddress("127.0.0.1", 0),
                     Clock.systemUTC(), Duration.ofHours(1))) {
            // Baseline: the JDK's own static file server on the same HttpServer stack and the same executor kind,
            // serving the very files the edge answers with.
            HttpServer files = SimpleFileServer.createFileServer(new InetSocketAddress("127.0.0.1", 0),
                    origin.resolve("current").toRealPath(), SimpleFileServer.OutputLevel.NONE);
            files.setExecutor(serverThreads);
            files.start();
            URI filesUri = URI.create("http://127.0.0.1:" + files.getAddress().getPort() + "/");
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                assertThat(client.send(HttpRequest.newBuilder(edge.uri().resolve(getPaths[0])).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(sample);
                assertThat(client.send(HttpRequest.newBuilder(filesUri.resolve(filePaths[0])).build(),
                        HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(sample);

                Result staticGet = drive(client, "static file server GET", i ->
                        HttpRequest.newBuilder(filesUri.resolve(filePaths[i])).build());
                Result edgeGet = drive(client, "edge OCSP GET", i ->
                        HttpRequest.newBuilder(edge.uri().resolve(getPaths[i])).build());
                Result edgePost = drive(client, "edge OCSP POST", i ->
                        HttpRequest.newBuilder(edge.uri().resolve("ocsp")).header("Content-Type", "application/ocsp-request")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(ders[i])).build());

                System.out.printf("%n=== repository-publisher edge benchmark (%d pre-signed responses, %d concurrent clients, "
                        + "%ds each, %d CPUs) ===%n", RESPONSES, CONCURRENCY, MEASURE.toSeconds(), Runtime.getRuntime().availableProcessors());
                System.out.printf("bundle: %d responses signed in %.1f s (BC software keys); verified in %.1f s; verified + published in %.1f s%n",
                        RESPONSES, signSeconds, verifySeconds, publishSeconds);
                for (Result r : List.of(staticGet, edgeGet, edgePost)) {
                    System.out.printf("%-24s %9.0f req/s  (%d requests, %d errors)%n", r.name(), r.perSecond(), r.requests(), r.errors());
                }
                System.out.printf("ratio edge GET / static GET:  %.2f%n", edgeGet.perSecond() / staticGet.perSecond());
                System.out.printf("ratio edge POST / static GET: %.2f%n%n", edgePost.perSecond() / staticGet.perSecond());
                for (Result r : List.of(staticGet, edgeGet, edgePost)) {
                    assertThat(r.errors()).as(r.name()).isZero();
                    assertThat(r.requests()).as(r.name()).isPositive();
                }
            } finally {
                files.stop(0);
            }
        }
    }

    /** CONCURRENCY virtual threads send requests for random responses; counts 200s of the right size. */
    private static Result drive(HttpClient client, String name, IntFunction<HttpRequest> request) throws Exception {
        run(client, request, WARMUP, new AtomicLong(), new AtomicLong());
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long start = System.nanoTime();
        run(client, request, MEASURE, ok, errors);
        return new Result(name, ok.get(), errors.get(), (System.nanoTime() - start) / 1e9);
    }

    private static void run(HttpClient client, IntFunction<HttpRequest> request, Duration duration, AtomicLong ok,
                            AtomicLong errors) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < CONCURRENCY; c++) {
                clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        int i = ThreadLocalRandom.current().nextInt(RESPONSES);
                        try {
                            HttpResponse<byte[]> r = client.send(request.apply(i), HttpResponse.BodyHandlers.ofByteArray());
                            // A pre-signed response is several hundred bytes; an error status is 5.
                            if (r.statusCode() == 200 && r.body().length > 100) {
                                ok.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
        }
    }

}
