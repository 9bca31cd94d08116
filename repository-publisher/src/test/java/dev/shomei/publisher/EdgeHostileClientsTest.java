package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.shomei.publisher.cli.PublisherCli;

/**
 * The edge against clients that mean harm: what it echoes cannot become markup or break its JSON, and a client
 * that sends its request a byte at a time (slowloris) is disconnected after the configured request timeout while
 * the edge goes on serving others.
 */
class EdgeHostileClientsTest extends AgainstPublishedRepository {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    HttpResponse<String> get(String rawPath) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(repo.edge.uri() + rawPath)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    void anEchoedPathIsEscapedSoItCannotBecomeMarkupOrBreakTheJson() throws Exception {
        HttpResponse<String> r = get("%3Cscript%3Ealert(%27x%27)%3C/script%3E%22%7D%0A%E2%80%A8%26");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.body()).doesNotContain("<", ">", "&", "'", "\n", "\u2028");
        JsonNode problem = JSON.readTree(r.body());
        // Escaped on the wire, the same characters once parsed: the client is told exactly what it asked for.
        assertThat(problem.path("detail").asText()).isEqualTo("no published artifact at /<script>alert('x')</script>\"}\n\u2028&");
        assertThat(problem.path("status").asInt()).isEqualTo(404);
    }

    @Test
    void aLongPathIsEchoedCut() throws Exception {
        HttpResponse<String> r = get("a".repeat(5000));
        assertThat(r.statusCode()).isEqualTo(404);
        String detail = JSON.readTree(r.body()).path("detail").asText();
        assertThat(detail).hasSizeLessThan(300).endsWith("(5001 characters)");
    }

    @Test
    void everyAnswerSaysNoSniffing() throws Exception {
        HttpResponse<String> crl = get("crl/issuing-2026.crl");
        assertThat(crl.statusCode()).isEqualTo(200);
        assertThat(crl.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    /**
     * Three clients send their headers a byte every 100 ms and a fourth connects and sends nothing, against an edge
     * with a 1 s request timeout; meanwhile an ordinary client keeps asking for the CRL. Each slow client is cut
     * off within the timeout (plus the check interval of a quarter of it and a margin for a busy machine), never
     * answered, and the ordinary client is served all along, each answer within a second.
     */
    @Test
    void slowClientsAreCutOffWhileOthersAreServed() throws Exception {
        Duration timeout = Duration.ofSeconds(2);
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(new dev.shomei.publisher.origin.FileSystemOrigin(repo.origin),
                repo.cas, new InetSocketAddress("127.0.0.1", 0), java.time.Clock.systemUTC(), Duration.ofHours(1), timeout);
             var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            URI crlUri = edge.uri().resolve("crl/issuing-2026.crl");
            HttpRequest crlRequest = HttpRequest.newBuilder(crlUri).timeout(Duration.ofSeconds(5)).build();
            assertThat(HTTP.send(crlRequest, HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(200);
            InetSocketAddress address = new InetSocketAddress(edge.uri().getHost(), edge.uri().getPort());
            List<java.util.concurrent.Future<Duration>> slow = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                slow.add(pool.submit(() -> dribble(address, Duration.ofSeconds(15))));
            }
            slow.add(pool.submit(() -> silent(address, Duration.ofSeconds(15))));
            // The ordinary client asks again and again until every slow client has been cut off.
            int servedMeanwhile = 0;
            while (slow.stream().anyMatch(f -> !f.isDone())) {
                HttpResponse<byte[]> crl = HTTP.send(crlRequest, HttpResponse.BodyHandlers.ofByteArray());
                assertThat(crl.statusCode()).isEqualTo(200);
                if (slow.stream().noneMatch(java.util.concurrent.Future::isDone)) {
                    servedMeanwhile++;
                }
            }
            assertThat(servedMeanwhile).as("requests answered while all four slow clients were connected").isPositive();
            for (var f : slow) {
                // Not before the limit (less the check interval), within it plus a margin for a busy machine.
                assertThat(f.get()).isBetween(timeout.minusMillis(500), timeout.multipliedBy(3));
            }
        }
    }

    /** Sends a request line, then a header a byte every 100 ms; how long until the edge closed the connection. */
    static Duration dribble(InetSocketAddress address, Duration giveUp) throws Exception {
        try (Socket slow = new Socket()) {
            slow.connect(address, 5000);
            slow.setSoTimeout(100);
            OutputStream out = slow.getOutputStream();
            InputStream in = slow.getInputStream();
            long started = System.nanoTime();
            out.write("GET /crl/issuing-2026.crl HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            while (System.nanoTime() - started < giveUp.toNanos()) {
                try {
                    out.write('a');
                    out.flush();
                    int b = in.read();
                    if (b >= 0) {
                        throw new AssertionError("the edge answered a request it never fully received (byte " + b + ")");
                    }
                    return Duration.ofNanos(System.nanoTime() - started);
                } catch (SocketTimeoutException stillOpen) {
                    // Still open: the next byte.
                } catch (IOException reset) {
                    return Duration.ofNanos(System.nanoTime() - started);
                }
            }
            throw new AssertionError("the slow client was not disconnected within " + giveUp);
        }
    }

    /** Connects and sends nothing; how long until the edge closed the connection. */
    static Duration silent(InetSocketAddress address, Duration giveUp) throws Exception {
        try (Socket idle = new Socket()) {
            idle.connect(address, 5000);
            idle.setSoTimeout((int) giveUp.toMillis());
            long started = System.nanoTime();
            try {
                assertThat(idle.getInputStream().read()).isEqualTo(-1);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the silent client was not disconnected within " + giveUp);
            } catch (IOException reset) {
                // Closed with a reset: cut off all the same.
            }
            return Duration.ofNanos(System.nanoTime() - started);
        }
    }

    /**
     * The same through the command line: a second JVM runs {@code publisher edge --request-timeout PT2S}, so the
     * setting is tested where the operator sets it. A raw socket sends a request line and then
     * a header one byte every 100 ms: it never stops sending, so only a limit on the whole request can end it.
     */
    @Test
    void aClientSendingItsHeadersByteByByteIsCutOffAfterTheRequestTimeout() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PublisherCli.class.getName(), "edge",
                "--origin-dir", repo.origin.toString(), "--port", "0", "--request-timeout", "PT2S",
                "--ca-cert", repo.dir.resolve("ca/issuing.pem").toString(), "--ca-cert", repo.dir.resolve("ca/root.pem").toString()));
        Process edge = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String first = ExternalProcess.firstLine(edge, Duration.ofSeconds(60));
            assertThat(first).startsWith("edge serving ");
            URI base = URI.create(first.replaceAll(".* at (http://\\S+/) .*", "$1"));
            InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());

            long timeoutNanos = Duration.ofSeconds(2).toNanos();
            long deadline = System.nanoTime() + timeoutNanos + Duration.ofSeconds(6).toNanos();
            try (Socket slow = new Socket()) {
                slow.connect(address, 5000);
                slow.setSoTimeout(100);
                OutputStream out = slow.getOutputStream();
                InputStream in = slow.getInputStream();
                out.write("GET /crl/issuing-2026.crl HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long started = System.nanoTime();
                Long cutAfter = null;
                while (cutAfter == null && System.nanoTime() < deadline) {
                    try {
                        out.write('a');
                        out.flush();
                        // Waits up to 100 ms (the pace of the attack) and notices the server closing the connection.
                        int b = in.read();
                        if (b < 0) {
                            cutAfter = System.nanoTime() - started;
                        } else {
                            throw new AssertionError("the edge answered a request it never fully received (byte " + b + ")");
                        }
                    } catch (SocketTimeoutException stillOpen) {
                        // The connection is still open: send the next byte.
                    } catch (IOException reset) {
                        cutAfter = System.nanoTime() - started;
                    }
                }
                assertThat(cutAfter).as("the slow client was disconnected before the deadline").isNotNull();
                // Not before the configured time (less the check interval), and within it plus a margin for a busy CI machine.
                assertThat(Duration.ofNanos(cutAfter)).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(8));
            }

            // The edge still serves an ordinary client.
            HttpResponse<byte[]> crl = HTTP.send(HttpRequest.newBuilder(base.resolve("crl/issuing-2026.crl"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(crl.statusCode()).isEqualTo(200);
        } finally {
            edge.destroy();
            if (!edge.waitFor(10, TimeUnit.SECONDS)) {
                edge.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
