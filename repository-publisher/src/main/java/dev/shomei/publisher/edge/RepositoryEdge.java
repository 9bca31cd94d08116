package dev.shomei.publisher.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.Req;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.edge.ReleaseFiles.Served;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.ObjectHeaders;

/**
 * The keyless OCSP edge and static origin: answers RFC 6960 OCSP requests (POST, and GET per RFC 6960
 * Appendix A.1 / RFC 5019 §5) with the exact pre-signed response bytes, and serves the other repository
 * artifacts (CRLs, CA certificates, CA hash values, CP/CPS, audit checkpoint), each with the content type and
 * cache headers the publisher stored, so a CDN can sit directly in front of it.
 *
 * <p>Online zone. Holds no private key and so can never sign: every answer is either bytes the secure zone
 * signed, or one of the unsigned error statuses RFC 6960 §2.3 allows (malformedRequest, unauthorized,
 * tryLater). Reads the live release of a filesystem origin; writes nothing.
 *
 * <p>Hostile clients: what the edge echoes (a requested path) goes out JSON-escaped, with every character that
 * could start markup escaped too and {@code X-Content-Type-Options: nosniff}, truncated; no exception text or
 * filesystem path is echoed. A client that takes longer than the request timeout to send its request (slowloris:
 * headers a byte at a time) is disconnected; see {@link #limitRequestTime}.
 */
public final class RepositoryEdge implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RepositoryEdge.class.getName());

    /** How long a client may take to send one request (line, headers and body) unless configured otherwise. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Echoed paths are cut to this many characters. */
    static final int MAX_ECHO = 200;

    /** Request-time settings the operator gave with -D: kept as given. */
    private static final java.util.Set<String> SET_BY_COMMAND_LINE = java.util.Set.copyOf(
            java.util.stream.Stream.of("sun.net.httpserver.maxReqTime", "sun.net.httpserver.timerMillis")
                    .filter(k -> System.getProperty(k) != null).toList());

    static {
        configureServer(DEFAULT_REQUEST_TIMEOUT, false);
    }

    /** RFC 6960 §4.2.1 OCSPResponse { responseStatus ENUMERATED } with no responseBytes: unsigned by design. */
    static final byte[] MALFORMED_REQUEST = {0x30, 0x03, 0x0a, 0x01, 0x01};
    static final byte[] INTERNAL_ERROR = {0x30, 0x03, 0x0a, 0x01, 0x02};
    static final byte[] TRY_LATER = {0x30, 0x03, 0x0a, 0x01, 0x03};
    static final byte[] UNAUTHORIZED = {0x30, 0x03, 0x0a, 0x01, 0x06};

    static final String OCSP_RESPONSE = "application/ocsp-response";
    /** An OCSP request is ~100 bytes; anything far larger is not one (and must not be buffered). */
    private static final int MAX_REQUEST_BYTES = 16 * 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final ReleaseFiles files;
    private final IssuerIndex issuers;
    private final Clock clock;
    private final Duration maxAgeCap;
    private final EdgeManagement.Counters counters = new EdgeManagement.Counters();

    private RepositoryEdge(HttpServer server, ExecutorService executor, ReleaseFiles files, IssuerIndex issuers, Clock clock,
                           Duration maxAgeCap) {
        this.server = server;
        this.executor = executor;
        this.files = files;
        this.issuers = issuers;
        this.clock = clock;
        this.maxAgeCap = maxAgeCap;
    }

    /**
     * Bounds the time a client may take to send a request, from its first byte to the end of its headers (and
     * body), so that clients sending a byte at a time cannot hold connections open. The JDK HTTP server reads this
     * setting ({@code sun.net.httpserver.maxReqTime}, whole seconds, checked every quarter of it) once, when the
     * first server of the process starts: call this before {@link #start}. {@code publisher edge} does, from
     * {@code --request-timeout}. A value already given with {@code -D} on the java command line is kept.
     */
    public static void limitRequestTime(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--request-timeout must be positive, was " + timeout);
        }
        configureServer(timeout, true);
    }

    /** The request time limit in force for servers started from now on in this process. */
    public static Duration requestTimeout() {
        return Duration.ofSeconds(Long.getLong("sun.net.httpserver.maxReqTime", -1));
    }

    private static synchronized void configureServer(Duration timeout, boolean override) {
        long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
        set("sun.net.httpserver.maxReqTime", Long.toString(seconds), override);
        // The JDK checks at this interval: a quarter of the limit (100 ms .. 1 s) cuts a client within 1.25x of it.
        set("sun.net.httpserver.timerMillis", Long.toString(Math.min(1000, Math.max(100, seconds * 1000 / 4))), override);
        // An OCSP GET is under 300 bytes of URL; 32 KB of headers is plenty (the JDK default is 380 KB).
        if (System.getProperty("sun.net.httpserver.maxReqHeaderSize") == null) {
            System.setProperty("sun.net.httpserver.maxReqHeaderSize", Integer.toString(32 * 1024));
        }
    }

    private static void set(String key, String value, boolean override) {
        if (System.getProperty(key) == null || (override && !SET_BY_COMMAND_LINE.contains(key))) {
            System.setProperty(key, value);
        }
    }

    /** Starts serving; port 0 picks a free port (see {@link #uri()}). */
    public static RepositoryEdge start(FileSystemOrigin origin, CaCertificates cas, InetSocketAddress bind, Clock clock,
                                       Duration maxAgeCap) throws IOException {
        HttpServer server = HttpServer.create(bind, 1024);
        // One virtual thread per exchange: file reads and slow clients block nobody else.
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        RepositoryEdge edge = new RepositoryEdge(server, executor, new ReleaseFiles(origin), new IssuerIndex(cas), clock, maxAgeCap);
        server.createContext("/", edge::handle);
        server.setExecutor(executor);
        server.start();
        return edge;
    }

    /** Requests served, for the management interface's metrics (EdgeManagement). */
    EdgeManagement.Counters counters() {
        return counters;
    }

    public URI uri() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            // Nothing this server sends is meant to be sniffed into another type (an echoed path above all).
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            boolean ocsp = path.equals("/ocsp") || path.startsWith("/ocsp/");
            if (ocsp) {
                handleOcsp(ex, method, path);
            } else {
                handleStatic(ex, method, path);
            }
            counters.served(ocsp ? "ocsp" : "static", ex.getResponseCode());
        } catch (IOException | RuntimeException e) {
            // The client went away or the origin disk failed; a broken exchange is all we can report.
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    // ---- OCSP ----

    private void handleOcsp(HttpExchange ex, String method, String rawPath) throws IOException {
        byte[] der;
        switch (method) {
            case "POST" -> {
                // RFC 6960 Appendix A.1: POST carries the DER OCSPRequest as application/ocsp-request.
                try (InputStream in = ex.getRequestBody()) {
                    der = in.readNBytes(MAX_REQUEST_BYTES + 1);
                }
                if (der.length > MAX_REQUEST_BYTES) {
                    ocspError(ex, MALFORMED_REQUEST, false);
                    return;
                }
            }
            case "GET", "HEAD" -> {
                // RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
                if (rawPath.length() <= "/ocsp/".length()) {
                    ocspError(ex, MALFORMED_REQUEST, method.equals("HEAD"));
                    return;
                }
                der = decodeGetRequest(rawPath.substring("/ocsp/".length()));
                if (der == null) {
                    ocspError(ex, MALFORMED_REQUEST, method.equals("HEAD"));
                    return;
                }
            }
            default -> {
                methodNotAllowed(ex, "GET, HEAD, POST");
                return;
            }
        }
        Optional<String> responsePath;
        try {
            OCSPReq request = new OCSPReq(der);
            Req[] list = request.getRequestList();
            if (list.length != 1) {
                // RFC 5019 §2.1.1: a request MUST carry exactly one Request. A pre-signed response answers one
                // certificate, and a keyless edge cannot sign a combined one, so anything else is malformed.
                ocspError(ex, MALFORMED_REQUEST, method.equals("HEAD"));
                return;
            }
            // Nonces (RFC 6960 §4.4.1) are ignored: pre-produced responses cannot echo one (RFC 5019 §4).
            responsePath = issuers.responsePath(list[0].getCertID());
        } catch (IOException | RuntimeException e) {
            ocspError(ex, MALFORMED_REQUEST, method.equals("HEAD"));
            return;
        }
        Optional<Served> served;
        try {
            served = responsePath.isEmpty() ? Optional.empty() : files.get(responsePath.get());
        } catch (IOException e) {
            // The origin disk failed (or a sidecar is corrupt): RFC 6960 §2.3 internalError, unsigned.
            ocspError(ex, INTERNAL_ERROR, method.equals("HEAD"));
            return;
        }
        if (served.isEmpty()) {
            // RFC 5019 §2.2.3 / RFC 6960 §2.3: not an issuer we serve, or no pre-signed response for this serial.
            ocspError(ex, UNAUTHORIZED, method.equals("HEAD"));
            return;
        }
        Instant expires = served.get().headers().expiresInstant();
        if (expires != null && !expires.isAfter(clock.instant())) {
            // The CA has not refreshed this response in time. An expired response is useless to a client
            // (RFC 5019 §4), and this edge cannot sign a fresh one: ask the client to try later.
            ocspError(ex, TRY_LATER, method.equals("HEAD"));
            return;
        }
        serve(ex, served.get(), method.equals("HEAD"));
    }

    /** URL-decodes (without turning '+' into a space: '+' is a base64 digit) and base64-decodes; null if invalid. */
    static byte[] decodeGetRequest(String raw) {
        try {
            String b64 = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
            try {
                return Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                // Some clients use the URL-safe alphabet; RFC 6960 does not, but nothing else could be meant.
                return Base64.getUrlDecoder().decode(b64);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void ocspError(HttpExchange ex, byte[] status, boolean head) throws IOException {
        Headers h = ex.getResponseHeaders();
        h.set("Content-Type", OCSP_RESPONSE);
        // An error is about this moment (a response may be published a minute later): not for caches.
        h.set("Cache-Control", "no-store");
        send(ex, 200, status, head);
    }

    // ---- static artifacts ----

    private void handleStatic(HttpExchange ex, String method, String rawPath) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            methodNotAllowed(ex, "GET, HEAD");
            return;
        }
        String path;
        try {
            path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            problem(ex, 400, "Bad Request", "the path is not valid percent-encoding (RFC 3986 §2.1)", method.equals("HEAD"));
            return;
        }
        Optional<Served> served;
        try {
            served = path.length() > 1 ? files.get(path.substring(1)) : Optional.empty();
        } catch (IOException e) {
            // The operator's log gets the cause; the client gets no filesystem detail.
            LOG.log(System.Logger.Level.WARNING, "cannot read the origin for a request: " + e);
            problem(ex, 500, "Internal Server Error", "the origin could not be read; try again later", method.equals("HEAD"));
            return;
        }
        if (served.isEmpty()) {
            problem(ex, 404, "Not Found", "no published artifact at " + echo(path), method.equals("HEAD"));
            return;
        }
        serve(ex, served.get(), method.equals("HEAD"));
    }

    // ---- common ----

    /** 200 with the stored bytes, or 304 when If-None-Match names the current ETag (RFC 9110 §13.1.2). */
    private void serve(HttpExchange ex, Served served, boolean head) throws IOException {
        ObjectHeaders stored = served.headers();
        Headers h = ex.getResponseHeaders();
        h.set("ETag", stored.etag());
        h.set("Last-Modified", ObjectHeaders.httpDate(Instant.parse(stored.lastModified())));
        if (stored.expires() != null) {
            h.set("Expires", ObjectHeaders.httpDate(stored.expiresInstant()));
        }
        // Recomputed now: max-age counts down to nextUpdate (RFC 5019 §6.2).
        h.set("Cache-Control", stored.cacheControl(clock.instant(), maxAgeCap));
        if (matches(ex.getRequestHeaders().get("If-None-Match"), stored.etag())) {
            ex.sendResponseHeaders(304, -1);
            return;
        }
        h.set("Content-Type", stored.contentType());
        send(ex, 200, served.content(), head);
    }

    static boolean matches(java.util.List<String> ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String header : ifNoneMatch) {
            for (String candidate : header.split(",")) {
                String c = candidate.trim();
                // RFC 9110 §13.1.2: weak comparison for If-None-Match.
                if (c.startsWith("W/")) {
                    c = c.substring(2);
                }
                if (c.equals("*") || c.equals(etag)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void methodNotAllowed(HttpExchange ex, String allow) throws IOException {
        ex.getResponseHeaders().set("Allow", allow);
        problem(ex, 405, "Method Not Allowed", "use " + allow, false);
    }

    /** A client-supplied value as it may be echoed: at most {@value #MAX_ECHO} characters, marked when cut. */
    static String echo(String value) {
        return value.length() <= MAX_ECHO ? value : value.substring(0, MAX_ECHO) + "…(" + value.length() + " characters)";
    }

    /**
     * A JSON string literal (RFC 8259 §7) safe in any context: quote, backslash and controls escaped as JSON
     * requires, and also &lt; &gt; &amp; ' and everything outside printable ASCII (U+2028/2029 included), so an
     * echoed value can never become markup or script, whatever a client makes of the body.
     */
    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '&' || c == '\'') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** RFC 9457 problem details for HTTP-level errors. */
    private static void problem(HttpExchange ex, int status, String title, String detail, boolean head) throws IOException {
        String json = "{\"type\":\"about:blank\",\"title\":" + jsonString(title) + ",\"status\":" + status
                + ",\"detail\":" + jsonString(detail) + "}";
        ex.getResponseHeaders().set("Content-Type", "application/problem+json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(ex, status, json.getBytes(StandardCharsets.UTF_8), head);
    }

    private static void send(HttpExchange ex, int status, byte[] body, boolean head) throws IOException {
        if (head) {
            // HEAD: the headers a GET would get, including its Content-Length, and no body (RFC 9110 §9.3.2).
            ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
