package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.origin.FileSystemOrigin;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keyless edge beside nginx serving the same pre-signed OCSP responses as static files, both driven by wrk
 * (Debian packages {@code nginx} and {@code wrk}; bin/bench installs them) in the same run, with the same
 * connections, threads and duration, over random responses of the published set. The edge answers RFC 6960 GET
 * requests (decodes the request, finds the issuer, checks the response is not expired, sets caching headers);
 * nginx answers a GET of the file. Target: edge ≥ 0.9 × nginx.
 *
 * <p>Zone: tests only (benchmark). Run: {@code bin/bench -pl repository-publisher -am
 * -Dtest=EdgeAgainstNginxBenchmarkTest} ({@code -Dbench.seconds=10 -Dbench.connections=32}).
 */
@Tag("bench")
class EdgeAgainstNginxBenchmarkTest {

    static final int RESPONSES = Integer.getInteger("bench.responses", 10_000);
    static final int CONNECTIONS = Integer.getInteger("bench.connections", 32);
    static final int SECONDS = Integer.getInteger("bench.seconds", 10);
    /** Warm-up of each server before the measured rounds: the edge's JIT compiles its hot paths (nginx needs none). */
    static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup", 10);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 2);

    @TempDir Path tmp;

    /** One wrk run: its rate, failures, latency (average / max) and the load average when it ended. */
    record Rate(double perSecond, long non2xx, long errors, String latency, String load, String raw) {}

    @Test
    void edgeAgainstNginx() throws Exception {
        Assumptions.assumeTrue(which("nginx") != null && which("wrk") != null, "nginx and wrk are not installed (bin/bench installs"
                + " them as root: apt-get install nginx wrk)");
        // Step 1: one bundle of pre-signed responses, verified and published to a filesystem origin.
        TestPki pki = new TestPki("Bench");
        BundleBuilder b = new BundleBuilder(pki).crlNumber(1);
        List<BigInteger> serials = new ArrayList<>();
        for (int i = 0; i < RESPONSES; i++) {
            BigInteger s = BigInteger.valueOf(0x100000L + i);
            serials.add(s);
            b.ocsp(s);
        }
        Path bundle = b.write(tmp.resolve("bundle"));
        CaCertificates cas = CaCertificates.of(List.of(pki.root.certificate(), pki.issuing.certificate()));
        Path origin = tmp.resolve("origin");
        var published = new Publisher(cas, pki.signers(), new FileSystemOrigin(origin), Clock.systemUTC(),
                Duration.ofHours(1)).publish(PublicationBundle.read(bundle));
        assertThat(published.refusals()).isEmpty();
        Path current = origin.resolve("current").toRealPath();

        // Step 2: the request paths: RFC 6960 GET for the edge, the response file for nginx.
        var calc = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
        var issuer = new JcaX509CertificateHolder(pki.issuing.certificate());
        String ikh = BundleBuilder.keyHashHex(pki.issuing.certificate());
        List<String> edgePaths = new ArrayList<>();
        List<String> filePaths = new ArrayList<>();
        for (BigInteger s : serials) {
            byte[] der = new OCSPReqBuilder().addRequest(new CertificateID(calc, issuer, s)).build().getEncoded();
            edgePaths.add("/ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(der), StandardCharsets.UTF_8));
            filePaths.add("/" + OcspPath.of(ikh, s.toString(16)));
        }
        Path edgeList = Files.write(tmp.resolve("edge-paths.txt"), edgePaths);
        Path fileList = Files.write(tmp.resolve("file-paths.txt"), filePaths);
        Path lua = tmp.resolve("random-path.lua");
        // Each wrk thread reads the list and asks for a random entry per request.
        Files.writeString(lua, """
                local paths = {}
                for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
                math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
                request = function()
                  return wrk.format("GET", paths[math.random(#paths)])
                end
                """);

        // Step 3: nginx, as operators run it for static files (sendfile, keep-alive, no access log).
        int nginxPort = freePort();
        Path prefix = Files.createDirectories(tmp.resolve("nginx"));
        Files.createDirectories(prefix.resolve("logs"));
        Path conf = prefix.resolve("nginx.conf");
        Files.writeString(conf, """
                daemon off;
                %s
                worker_processes auto;
                pid %s/nginx.pid;
                error_log %s/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                  access_log off;
                  sendfile on;
                  tcp_nopush on;
                  keepalive_requests 1000000;
                  types { application/ocsp-response der; }
                  client_body_temp_path %s/tmp; proxy_temp_path %s/tmp; fastcgi_temp_path %s/tmp;
                  uwsgi_temp_path %s/tmp; scgi_temp_path %s/tmp;
                  server {
                    listen 127.0.0.1:%d;
                    root %s;
                  }
                }
                """.formatted(
                // As root, nginx's workers would run as nobody, who cannot read the test's private temporary files.
                "root".equals(System.getProperty("user.name")) ? "user root;" : "", prefix, prefix, prefix, prefix, prefix, prefix, prefix, nginxPort, current));
        Files.createDirectories(prefix.resolve("tmp"));
        Process nginx = new ProcessBuilder(which("nginx").toString(), "-p", prefix.toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        try (RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(origin), cas,
                new InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(), Duration.ofHours(1))) {
            URI nginxUri = URI.create("http://127.0.0.1:" + nginxPort);
            URI edgeUri = URI.create(edge.uri().toString().replaceAll("/$", ""));
            // Both serve the very same bytes.
            byte[] sample = Files.readAllBytes(current.resolve(filePaths.get(0).substring(1)));
            try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                awaitServing(client, nginxUri.resolve(filePaths.get(0)), nginx, prefix);
                assertThat(get(client, nginxUri.resolve(filePaths.get(0)))).isEqualTo(sample);
                assertThat(get(client, URI.create(edgeUri + edgePaths.get(0)))).isEqualTo(sample);
            }

            // Step 4: warm both (the edge's JIT, and its cache of the 10,000 files: it reads each on first use),
            // then measure each in turn, round after round, with the same load.
            wrk(nginxUri, fileList, lua, 3);
            wrk(edgeUri, edgeList, lua, WARMUP_SECONDS);
            List<Rate> nginxRates = new ArrayList<>();
            List<Rate> edgeRates = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                nginxRates.add(wrk(nginxUri, fileList, lua, SECONDS));
                edgeRates.add(wrk(edgeUri, edgeList, lua, SECONDS));
            }
            double nginxBest = nginxRates.stream().mapToDouble(Rate::perSecond).max().orElseThrow();
            double edgeBest = edgeRates.stream().mapToDouble(Rate::perSecond).max().orElseThrow();
            System.out.printf("%nBENCH edge vs nginx (%d pre-signed responses, wrk %d connections, 2 threads, %d s each"
                    + " after a %d s warm-up, edge on Netty %s, %d CPUs, load average %s)%n", RESPONSES, CONNECTIONS, SECONDS,
                    WARMUP_SECONDS, edge.transport(),
                    Runtime.getRuntime().availableProcessors(), loadAverage());
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < nginxRates.size(); i++) {
                ratios.add(edgeRates.get(i).perSecond() / nginxRates.get(i).perSecond());
                System.out.printf("BENCH   round %d: nginx static file GET %,10.0f /s   edge OCSP GET %,10.0f /s   ratio %.2f"
                        + "   (latency nginx %s, edge %s; load average %s)%n", i + 1, nginxRates.get(i).perSecond(),
                        edgeRates.get(i).perSecond(), ratios.get(i), nginxRates.get(i).latency(), edgeRates.get(i).latency(),
                        edgeRates.get(i).load());
            }
            ratios.sort(null);
            double median = ratios.size() % 2 == 1 ? ratios.get(ratios.size() / 2)
                    : (ratios.get(ratios.size() / 2 - 1) + ratios.get(ratios.size() / 2)) / 2;
            System.out.printf("BENCH   best: nginx %,.0f /s, edge %,.0f /s, ratio %.2f; median of the rounds' ratios %.2f"
                    + " (target >= 0.90)%n%n", nginxBest, edgeBest, edgeBest / nginxBest, median);
            for (Rate r : nginxRates) {
                assertThat(r.non2xx() + r.errors()).as(r.raw()).isZero();
            }
            for (Rate r : edgeRates) {
                assertThat(r.non2xx() + r.errors()).as(r.raw()).isZero();
            }
        } finally {
            nginx.destroy();
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Rate wrk(URI base, Path paths, Path lua, int seconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(which("wrk").toString(), "-t2", "-c" + CONNECTIONS, "-d" + seconds + "s", "--timeout", "5s",
                "-s", lua.toString(), base.toString()).redirectErrorStream(true);
        pb.environment().put("PATHS", paths.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("wrk did not finish: " + out);
        }
        assertThat(p.exitValue()).as(out).isZero();
        Matcher rate = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        assertThat(rate.find()).as(out).isTrue();
        Matcher non2xx = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(out);
        Matcher errors = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)")
                .matcher(out);
        long errs = 0;
        if (errors.find()) {
            for (int g = 1; g <= 4; g++) {
                errs += Long.parseLong(errors.group(g));
            }
        }
        Matcher latency = Pattern.compile("Latency\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)").matcher(out);
        String lat = latency.find() ? latency.group(1) + " avg / " + latency.group(3) + " max" : "?";
        return new Rate(Double.parseDouble(rate.group(1)), non2xx.find() ? Long.parseLong(non2xx.group(1)) : 0, errs, lat,
                loadAverage(), out);
    }

    private static byte[] get(HttpClient client, URI uri) throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(uri.toString()).isEqualTo(200);
        return r.body();
    }

    private static void awaitServing(HttpClient client, URI uri, Process nginx, Path prefix) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (java.io.IOException e) {
                if (!nginx.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("nginx did not start: "
                            + Files.readString(prefix.resolve("logs/stdout.log")) + " "
                            + (Files.exists(prefix.resolve("logs/error.log"))
                            ? Files.readString(prefix.resolve("logs/error.log")) : ""), e);
                }
                nginx.waitFor(100, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** The command's path (PATH, then /usr/sbin, where Debian puts nginx), or null. */
    private static Path which(String command) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "/usr/bin").split(":")));
        dirs.add("/usr/sbin");
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return Path.of(dir, command);
            }
        }
        return null;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }
}
