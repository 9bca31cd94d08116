package dev.shomei.publisher.edge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.Req;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.edge.ReleaseFiles.Served;
import dev.shomei.publisher.origin.FileSystemOrigin;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The keyless OCSP edge and static origin: answers RFC 6960 OCSP requests (POST, and GET per RFC 6960
 * Appendix A.1 / RFC 5019 §5) with the exact pre-signed response bytes, and serves the other repository
 * artifacts (CRLs, CA certificates, CA hash values, CP/CPS, audit checkpoint), each with the content type and
 * cache headers the publisher stored, so a CDN can sit directly in front of it.
 *
 * <p>Online zone. Holds no private key and so can never sign: every answer is either bytes the secure zone
 * signed, or one of the unsigned error statuses RFC 6960 §2.3 allows (malformedRequest, unauthorized,
 * tryLater, internalError). Reads the live release of a filesystem origin; writes nothing.
 *
 * <p>HTTP/1.1 (RFC 9112) with keep-alive, served by Netty with one event loop per core ({@link EdgeConnection}
 * reads the requests and writes the answers); what to answer is decided here, by {@link #answer}, the same for
 * every request whatever the transport. The answers are small and mostly bytes encoded once per file
 * ({@link Served}), so they are computed on the event loop itself: the only blocking work is a readlink of
 * {@code current} per request and reading a file the first time it is asked for (local disk, as nginx does).
 *
 * <p>Hostile clients: what the edge echoes (a requested path) goes out JSON-escaped, with every character that
 * could start markup escaped too and {@code X-Content-Type-Options: nosniff}, truncated; no exception text or
 * filesystem path is echoed. A client that takes longer than the request timeout to send its request (slowloris:
 * headers a byte at a time) is disconnected, while the event loops go on serving the others; see
 * {@link EdgeConnection}. Requests are bounded in size (request line and headers 32 KB, an OCSP request body
 * 16 KB).
 */
public final class RepositoryEdge implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RepositoryEdge.class.getName());

    /** How long a client may take to send one request (line, headers and body) unless configured otherwise. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** Echoed paths are cut to this many characters. */
    static final int MAX_ECHO = 200;

    static {
        // Netty 4.1 reaches for sun.misc.Unsafe, which JDK 24+ reports on stderr at first use (JEP 498) in the
        // operator's console unless the JVM allows it. Started in-process (tests, the quickstart's tools) the edge
        // takes Netty's safe code paths; bin/publisher and bin/bench start it with -Dio.netty.noUnsafe=false and, on
        // JDK 23+, --sun-misc-unsafe-memory-access=allow (bin/lib/env.sh), which is faster (docs/benchmarks.md).
        if (System.getProperty("io.netty.noUnsafe") == null) {
            System.setProperty("io.netty.noUnsafe", "true");
        }
    }

    /** The request timeout of edges started from now on without one (set by {@link #limitRequestTime}). */
    private static volatile Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

    /** RFC 6960 §4.2.1 OCSPResponse { responseStatus ENUMERATED } with no responseBytes: unsigned by design. */
    static final byte[] MALFORMED_REQUEST = {0x30, 0x03, 0x0a, 0x01, 0x01};
    static final byte[] INTERNAL_ERROR = {0x30, 0x03, 0x0a, 0x01, 0x02};
    static final byte[] TRY_LATER = {0x30, 0x03, 0x0a, 0x01, 0x03};
    static final byte[] UNAUTHORIZED = {0x30, 0x03, 0x0a, 0x01, 0x06};

    static final String OCSP_RESPONSE = "application/ocsp-response";
    /** An OCSP request is ~100 bytes; anything far larger is not one (and must not be buffered). */
    static final int MAX_REQUEST_BYTES = 16 * 1024;

    // Header lines that never change, encoded once.
    /** An OCSP error status is about this moment (a response may be published a minute later): not for caches. */
    private static final byte[] OCSP_ERROR_HEADERS = ascii("Content-Type: " + OCSP_RESPONSE + "\r\nCache-Control: no-store\r\n");
    private static final byte[] PROBLEM_HEADERS = ascii("Content-Type: application/problem+json\r\nCache-Control: no-store\r\n");

    private final EventLoopGroup loops;
    private final Channel listener;
    private final ReleaseFiles files;
    private final IssuerIndex issuers;
    private final Clock clock;
    private final Duration maxAgeCap;
    private final EdgeManagement.Counters counters = new EdgeManagement.Counters();
    private final DecodedRequests decoded = new DecodedRequests();

    private RepositoryEdge(EventLoopGroup loops, Channel listener, ReleaseFiles files, IssuerIndex issuers, Clock clock,
                           Duration maxAgeCap) {
        this.loops = loops;
        this.listener = listener;
        this.files = files;
        this.issuers = issuers;
        this.clock = clock;
        this.maxAgeCap = maxAgeCap;
    }

    /**
     * Sets the time a client may take to send a request, from its first byte to the end of its headers and body,
     * for edges started from now on without an explicit one, so that clients sending a byte at a time cannot hold
     * connections open. {@code publisher edge} calls it from {@code --request-timeout}.
     */
    public static void limitRequestTime(Duration timeout) {
        requestTimeout = checkTimeout(timeout);
    }

    /** The request time limit of edges started from now on without an explicit one. */
    public static Duration requestTimeout() {
        return requestTimeout;
    }

    private static Duration checkTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("--request-timeout must be positive, was " + timeout);
        }
        return timeout;
    }

    /** Starts serving with the request timeout of {@link #requestTimeout()}; port 0 picks a free port (see {@link #uri()}). */
    public static RepositoryEdge start(FileSystemOrigin origin, CaCertificates cas, InetSocketAddress bind, Clock clock,
                                       Duration maxAgeCap) throws IOException {
        return start(origin, cas, bind, clock, maxAgeCap, requestTimeout());
    }

    /** Starts serving; a client that takes longer than {@code requestTimeout} to send one request is disconnected. */
    public static RepositoryEdge start(FileSystemOrigin origin, CaCertificates cas, InetSocketAddress bind, Clock clock,
                                       Duration maxAgeCap, Duration requestTimeout) throws IOException {
        checkTimeout(requestTimeout);
        // One event loop per core, the listening socket on one of them: each connection stays on its loop.
        // Linux's epoll through Netty's native transport where it loads (fewer copies and system calls than the
        // JDK's selector), the JDK's NIO otherwise.
        boolean epoll = nativeTransport();
        int threads = Runtime.getRuntime().availableProcessors();
        DefaultThreadFactory named = new DefaultThreadFactory("shomei-edge", true);
        EventLoopGroup loops = epoll ? new EpollEventLoopGroup(threads, named) : new NioEventLoopGroup(threads, named);
        ReleaseFiles files = new ReleaseFiles(origin);
        IssuerIndex issuers = new IssuerIndex(cas);
        RepositoryEdge[] edge = new RepositoryEdge[1];
        try {
            Channel listener = new ServerBootstrap()
                    .group(loops)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    // A whole answer is written and flushed at once: nothing to gain from Nagle's delay.
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            EdgeConnection.install(ch.pipeline(), edge[0], requestTimeout);
                        }
                    })
                    .bind(bind).sync().channel();
            edge[0] = new RepositoryEdge(loops, listener, files, issuers, clock, maxAgeCap);
            return edge[0];
        } catch (InterruptedException e) {
            loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding " + bind, e);
        } catch (RuntimeException e) {
            loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            throw e;
        } catch (Exception e) {
            // The bind failed (the port is taken, the address is not ours): Netty throws it undeclared.
            loops.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            throw e instanceof IOException io ? io : new IOException("cannot listen on " + bind + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether to serve on Netty's native epoll transport: when the JVM lets this code load native libraries
     * without a warning ({@code --enable-native-access=ALL-UNNAMED}, as bin/publisher runs it; JDK 24+ prints one
     * otherwise, JEP 472) and the library loads. {@code -Dshomei.edge.transport=nio} forces the JDK's NIO.
     */
    static boolean nativeTransport() {
        if ("nio".equals(System.getProperty("shomei.edge.transport"))) {
            return false;
        }
        try {
            Object enabled = Module.class.getMethod("isNativeAccessEnabled").invoke(RepositoryEdge.class.getModule());
            if (!Boolean.TRUE.equals(enabled)) {
                return false;
            }
        } catch (NoSuchMethodException e) {
            // JDK 21: native access is not restricted.
        } catch (ReflectiveOperationException e) {
            return false;
        }
        return Epoll.isAvailable();
    }

    /** Requests served, for the management interface's metrics (EdgeManagement). */
    EdgeManagement.Counters counters() {
        return counters;
    }

    /** The transport serving the edge: "epoll" (Netty's native transport) or "nio" (the JDK's). */
    public String transport() {
        return listener instanceof EpollServerSocketChannel ? "epoll" : "nio";
    }

    public URI uri() {
        InetSocketAddress a = (InetSocketAddress) listener.localAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        // Open connections are closed with their loops; no quiet period: nothing is in flight that matters.
        loops.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ---- what to answer ----

    /**
     * What the edge sends for one request: a status, header lines (each "Name: value\r\n"; the connection adds
     * Date, Content-Length, X-Content-Type-Options and Connection) and a body, left out for HEAD (RFC 9110 §9.3.2)
     * while its Content-Length is still sent.
     */
    record Answer(int status, byte[] body, boolean head, byte[]... headers) { }

    /**
     * The answer to one complete request. {@code target} is the request-target as received; {@code ifNoneMatch}
     * the If-None-Match field lines (empty when none); {@code body} at most {@link #MAX_REQUEST_BYTES} bytes, and
     * {@code bodyTooLarge} when the client sent more.
     */
    Answer answer(String method, String target, List<String> ifNoneMatch, byte[] body, boolean bodyTooLarge) {
        boolean ocsp = false;
        Answer a;
        try {
            String path = rawPath(target);
            if (path == null) {
                a = problem(400, "Bad Request", "the request-target is not a valid URI path (RFC 9112 §3.2)", method.equals("HEAD"));
            } else {
                ocsp = path.equals("/ocsp") || path.startsWith("/ocsp/");
                a = ocsp ? ocsp(method, path, body, bodyTooLarge, ifNoneMatch) : artifact(method, path, ifNoneMatch);
            }
        } catch (RuntimeException e) {
            // A defect, not the client's fault: the operator's log gets it, the client a bare 500.
            LOG.log(System.Logger.Level.WARNING, "request failed: " + e, e);
            a = ocsp ? ocspError(INTERNAL_ERROR, method.equals("HEAD"))
                    : problem(500, "Internal Server Error", "the request could not be answered; try again later", method.equals("HEAD"));
        }
        counters.served(ocsp, a.status());
        return a;
    }

    /** An answer for a request the HTTP parser refused (counted as static: it named no OCSP path we know of). */
    Answer refused(int status, String title, String detail) {
        counters.served(false, status);
        return problem(status, title, detail, false);
    }

    /**
     * The raw path of a request-target (origin-form or absolute-form, RFC 9112 §3.2), or null if it is not a
     * valid URI reference with a path. The usual origin-form of plain characters is taken as it is.
     */
    static String rawPath(String target) {
        if (isPlainOriginForm(target)) {
            return target;
        }
        try {
            String path = new URI(target).getRawPath();
            if (path == null) {
                return null;
            }
            return path.isEmpty() ? "/" : path;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** "/" then only RFC 3986 pchar and "/", percent signs followed by two hex digits, no query, not "//". */
    private static boolean isPlainOriginForm(String t) {
        int n = t.length();
        if (n == 0 || t.charAt(0) != '/' || n > 1 && t.charAt(1) == '/') {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = t.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
                continue;
            }
            switch (c) {
                case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/' -> { }
                case '%' -> {
                    if (i + 2 >= n || Character.digit(t.charAt(i + 1), 16) < 0 || Character.digit(t.charAt(i + 2), 16) < 0) {
                        return false;
                    }
                    i += 2;
                }
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    // ---- OCSP ----

    private Answer ocsp(String method, String rawPath, byte[] body, boolean bodyTooLarge, List<String> ifNoneMatch) {
        boolean head = method.equals("HEAD");
        byte[] der;
        String encoded = null;
        String known;
        switch (method) {
            case "POST" -> {
                // RFC 6960 Appendix A.1: POST carries the DER OCSPRequest as application/ocsp-request.
                if (bodyTooLarge) {
                    return ocspError(MALFORMED_REQUEST, false);
                }
                der = body;
                known = decoded.get(der);
            }
            case "GET", "HEAD" -> {
                // RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
                if (rawPath.length() <= "/ocsp/".length()) {
                    return ocspError(MALFORMED_REQUEST, head);
                }
                encoded = rawPath.substring("/ocsp/".length());
                known = decoded.get(encoded);
                der = null;
                if (known == null) {
                    der = decodeGetRequest(encoded);
                    if (der == null) {
                        return ocspError(MALFORMED_REQUEST, head);
                    }
                }
            }
            default -> {
                return methodNotAllowed("GET, HEAD, POST");
            }
        }
        Optional<String> responsePath;
        if (known != null) {
            // These exact request bytes were decoded and checked before, and led here (DecodedRequests).
            responsePath = Optional.of(known);
        } else {
            try {
                OCSPReq request = new OCSPReq(der);
                Req[] list = request.getRequestList();
                if (list.length != 1) {
                    // RFC 5019 §2.1.1: a request MUST carry exactly one Request. A pre-signed response answers one
                    // certificate, and a keyless edge cannot sign a combined one, so anything else is malformed.
                    return ocspError(MALFORMED_REQUEST, head);
                }
                // Nonces (RFC 6960 §4.4.1) are ignored: pre-produced responses cannot echo one (RFC 5019 §4).
                responsePath = issuers.responsePath(list[0].getCertID());
            } catch (IOException | RuntimeException e) {
                return ocspError(MALFORMED_REQUEST, head);
            }
            if (responsePath.isPresent()) {
                if (encoded != null) {
                    decoded.put(encoded, responsePath.get());
                } else {
                    decoded.put(der, responsePath.get());
                }
            }
        }
        Optional<Served> served;
        try {
            served = responsePath.isEmpty() ? Optional.empty() : files.get(responsePath.get());
        } catch (IOException e) {
            // The origin disk failed (or a sidecar is corrupt): RFC 6960 §2.3 internalError, unsigned.
            LOG.log(System.Logger.Level.WARNING, "cannot read the origin for an OCSP request: " + e);
            return ocspError(INTERNAL_ERROR, head);
        }
        if (served.isEmpty()) {
            // RFC 5019 §2.2.3 / RFC 6960 §2.3: not an issuer we serve, or no pre-signed response for this serial.
            return ocspError(UNAUTHORIZED, head);
        }
        Instant expires = served.get().expires();
        Instant now = clock.instant();
        if (expires != null && !expires.isAfter(now)) {
            // The CA has not refreshed this response in time. An expired response is useless to a client
            // (RFC 5019 §4), and this edge cannot sign a fresh one: ask the client to try later.
            return ocspError(TRY_LATER, head);
        }
        return serve(served.get(), now, ifNoneMatch, head);
    }

    /** URL-decodes (without turning '+' into a space: '+' is a base64 digit) and base64-decodes; null if invalid. */
    static byte[] decodeGetRequest(String raw) {
        byte[] plain = base64Digits(raw);
        if (plain != null) {
            // What the URL decoding below yields for these characters, without building the intermediate strings.
            try {
                return Base64.getDecoder().decode(plain);
            } catch (IllegalArgumentException e) {
                // Not standard base64 after all: the full path below, with its URL-safe retry.
            }
        }
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

    /**
     * The base64 characters of a GET request made only of the standard alphabet, '=' and the percent-encodings
     * clients use for '+', '/' and '=' (%2B, %2F, %3D, either case); null for anything else.
     */
    private static byte[] base64Digits(String raw) {
        int n = raw.length();
        byte[] out = new byte[n];
        int o = 0;
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
                out[o++] = (byte) c;
            } else if (c == '%' && i + 2 < n) {
                char h = raw.charAt(i + 1);
                char l = Character.toUpperCase(raw.charAt(i + 2));
                if (h == '2' && l == 'B') {
                    out[o++] = '+';
                } else if (h == '2' && l == 'F') {
                    out[o++] = '/';
                } else if (h == '3' && l == 'D') {
                    out[o++] = '=';
                } else {
                    return null;
                }
                i += 2;
            } else {
                return null;
            }
        }
        return java.util.Arrays.copyOf(out, o);
    }

    private static Answer ocspError(byte[] status, boolean head) {
        return new Answer(200, status, head, OCSP_ERROR_HEADERS);
    }

    // ---- static artifacts ----

    private Answer artifact(String method, String rawPath, List<String> ifNoneMatch) {
        boolean head = method.equals("HEAD");
        if (!method.equals("GET") && !head) {
            return methodNotAllowed("GET, HEAD");
        }
        String path;
        try {
            path = URLDecoder.decode(rawPath.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return problem(400, "Bad Request", "the path is not valid percent-encoding (RFC 3986 §2.1)", head);
        }
        Optional<Served> served;
        try {
            served = path.length() > 1 ? files.get(path.substring(1)) : Optional.empty();
        } catch (IOException e) {
            // The operator's log gets the cause; the client gets no filesystem detail.
            LOG.log(System.Logger.Level.WARNING, "cannot read the origin for a request: " + e);
            return problem(500, "Internal Server Error", "the origin could not be read; try again later", head);
        }
        if (served.isEmpty()) {
            return problem(404, "Not Found", "no published artifact at " + echo(path), head);
        }
        return serve(served.get(), clock.instant(), ifNoneMatch, head);
    }

    // ---- common ----

    /** 200 with the stored bytes, or 304 when If-None-Match names the current ETag (RFC 9110 §13.1.2). */
    private Answer serve(Served served, Instant now, List<String> ifNoneMatch, boolean head) {
        // Recomputed now: max-age counts down to nextUpdate (RFC 5019 §6.2).
        byte[] cacheControl = served.cacheControl(now, maxAgeCap);
        if (!ifNoneMatch.isEmpty() && matches(ifNoneMatch, served.headers().etag())) {
            // RFC 9110 §15.4.5: the validators and Cache-Control a 200 would carry, no content.
            return new Answer(304, EMPTY, true, served.validators(), cacheControl);
        }
        return new Answer(200, served.content(), head, served.validators(), served.contentType(), cacheControl);
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

    private static Answer methodNotAllowed(String allow) {
        Answer p = problem(405, "Method Not Allowed", "use " + allow, false);
        return new Answer(p.status(), p.body(), false, ascii("Allow: " + allow + "\r\n"), PROBLEM_HEADERS);
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
    private static Answer problem(int status, String title, String detail, boolean head) {
        String json = "{\"type\":\"about:blank\",\"title\":" + jsonString(title) + ",\"status\":" + status
                + ",\"detail\":" + jsonString(detail) + "}";
        return new Answer(status, json.getBytes(StandardCharsets.UTF_8), head, PROBLEM_HEADERS);
    }

    private static final byte[] EMPTY = new byte[0];

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
