package dev.shomei.publisher.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.LiveManifest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The edge's management interface, on a port of its own (bind it to the operators' network, never the CDN's):
 * {@code /q/health/live}, {@code /q/health/ready} (the origin has a live release with a readable live manifest) and
 * {@code /q/metrics} in the Prometheus text format: requests served by kind and HTTP status, and the nextUpdate of
 * what is live (each CRL, the earliest OCSP response), read from the origin's live manifest. docs/monitoring.md.
 *
 * <p>Online zone. Reads the origin's live manifest; writes nothing; holds no key.
 */
public final class EdgeManagement implements AutoCloseable {

    /**
     * Requests served by the edge, by kind (ocsp, static) and HTTP status. Counted on the edge's event loops at
     * every request, so without a map lookup or an allocation: one adder per kind and status, made on first use.
     */
    public static final class Counters {
        private static final String[] KINDS = {"ocsp", "static"};
        private static final int STATUSES = 600;
        private final AtomicReferenceArray<LongAdder> served = new AtomicReferenceArray<>(KINDS.length * STATUSES);

        void served(boolean ocsp, int status) {
            int i = (ocsp ? 0 : STATUSES) + Math.floorMod(status, STATUSES);
            LongAdder a = served.get(i);
            if (a == null) {
                served.compareAndSet(i, null, new LongAdder());
                a = served.get(i);
            }
            a.increment();
        }

        private void appendTo(StringBuilder m) {
            for (int i = 0; i < served.length(); i++) {
                LongAdder a = served.get(i);
                if (a != null) {
                    m.append("shomei_edge_requests_total{kind=\"").append(KINDS[i / STATUSES]).append("\",status=\"")
                            .append(i % STATUSES).append("\"} ").append(a.sum()).append('\n');
                }
            }
        }
    }

    static {
        // This interface stays on the JDK's HTTP server (a scrape every few seconds is no load): bound the time a
        // client may take to send a request there too (slowloris), unless the operator set it with -D.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", "10");
            System.setProperty("sun.net.httpserver.timerMillis", "1000");
        }
        if (System.getProperty("sun.net.httpserver.maxReqHeaderSize") == null) {
            System.setProperty("sun.net.httpserver.maxReqHeaderSize", Integer.toString(32 * 1024));
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final FileSystemOrigin origin;
    private final Counters counters;
    private volatile Cached cached;

    private record Cached(String bundleId, String metrics) {}

    private EdgeManagement(HttpServer server, ExecutorService executor, FileSystemOrigin origin, Counters counters) {
        this.server = server;
        this.executor = executor;
        this.origin = origin;
        this.counters = counters;
    }

    public static EdgeManagement start(RepositoryEdge edge, FileSystemOrigin origin, InetSocketAddress bind)
            throws IOException {
        HttpServer server = HttpServer.create(bind, 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        EdgeManagement m = new EdgeManagement(server, executor, origin, edge.counters());
        server.createContext("/q/health", m::health);
        server.createContext("/q/metrics", m::metrics);
        server.setExecutor(executor);
        server.start();
        return m;
    }

    public URI uri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    private void health(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/q/health/live")) {
                send(ex, 200, "application/json", "{\"status\":\"UP\",\"checks\":[]}");
                return;
            }
            String why = null;
            try {
                if (origin.liveRelease().isEmpty()) {
                    why = "no live release: nothing has been published to the origin";
                } else {
                    origin.liveManifest();
                }
            } catch (IOException | RuntimeException e) {
                why = "the live manifest cannot be read: " + e.getMessage();
            }
            String check = "{\"name\":\"origin\",\"status\":\"" + (why == null ? "UP" : "DOWN") + "\""
                    + (why == null ? "" : ",\"data\":{\"reason\":\"" + json(why) + "\"}") + "}";
            send(ex, why == null ? 200 : 503, "application/json",
                    "{\"status\":\"" + (why == null ? "UP" : "DOWN") + "\",\"checks\":[" + check + "]}");
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            StringBuilder m = new StringBuilder();
            m.append("# HELP shomei_edge_requests_total requests answered by the edge, by kind and HTTP status\n");
            m.append("# TYPE shomei_edge_requests_total counter\n");
            counters.appendTo(m);
            m.append(live());
            send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", m.toString());
        }
    }

    /** What is live, from the live manifest; recomputed only when a new bundle has been published. */
    private String live() {
        LiveManifest manifest;
        try {
            manifest = origin.liveRelease().isEmpty() ? null : origin.liveManifest();
        } catch (IOException | RuntimeException e) {
            manifest = null;
        }
        StringBuilder m = new StringBuilder();
        m.append("# HELP shomei_edge_live_release_up 1 when the origin has a live release with a readable live manifest\n");
        m.append("# TYPE shomei_edge_live_release_up gauge\n");
        m.append("shomei_edge_live_release_up ").append(manifest == null ? 0 : 1).append('\n');
        if (manifest == null) {
            return m.toString();
        }
        Cached c = cached;
        if (c != null && c.bundleId().equals(String.valueOf(manifest.bundleId()))) {
            return m + c.metrics();
        }
        StringBuilder l = new StringBuilder();
        l.append("# HELP shomei_edge_crl_next_update_timestamp_seconds nextUpdate of each live CRL\n");
        l.append("# TYPE shomei_edge_crl_next_update_timestamp_seconds gauge\n");
        Instant earliest = null;
        long ocsp = 0;
        for (LiveManifest.Entry e : manifest.artifacts()) {
            if ("crl".equals(e.kind()) && e.nextUpdate() != null) {
                l.append("shomei_edge_crl_next_update_timestamp_seconds{path=\"").append(label(e.path()))
                        .append("\",issuer=\"").append(label(e.crlIssuer())).append("\"} ")
                        .append(Instant.parse(e.nextUpdate()).getEpochSecond()).append('\n');
            } else if ("ocsp".equals(e.kind()) || dev.shomei.publisher.origin.LiveOcspIndex.KIND.equals(e.kind())) {
                // A shard of the live OCSP index: its count and earliest nextUpdate (a v1 manifest: one response).
                ocsp += e.count() == null ? 1 : e.count();
                if (e.nextUpdate() != null) {
                    Instant n = Instant.parse(e.nextUpdate());
                    earliest = earliest == null || n.isBefore(earliest) ? n : earliest;
                }
            }
        }
        l.append("# HELP shomei_edge_ocsp_responses live pre-signed OCSP responses\n");
        l.append("# TYPE shomei_edge_ocsp_responses gauge\n");
        l.append("shomei_edge_ocsp_responses ").append(ocsp).append('\n');
        if (earliest != null) {
            l.append("# HELP shomei_edge_ocsp_earliest_next_update_timestamp_seconds the earliest nextUpdate of a live"
                    + " OCSP response\n");
            l.append("# TYPE shomei_edge_ocsp_earliest_next_update_timestamp_seconds gauge\n");
            l.append("shomei_edge_ocsp_earliest_next_update_timestamp_seconds ").append(earliest.getEpochSecond())
                    .append('\n');
        }
        cached = new Cached(String.valueOf(manifest.bundleId()), l.toString());
        return m + l.toString();
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    private static String label(String s) {
        return s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
