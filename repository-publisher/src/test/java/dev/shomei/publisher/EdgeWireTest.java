package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.bouncycastle.cert.ocsp.OCSPResp;
import org.junit.jupiter.api.Test;

/**
 * The edge's answers byte by byte on a raw connection, as a CDN or an OCSP client sees them: which header fields
 * each kind of answer carries (the same set the edge sent when it ran on the JDK's HTTP server, names compared
 * case-insensitively), keep-alive and pipelining (RFC 9112 §9.3), HTTP/1.0, chunked and 100-continue bodies, and
 * the 4xx answers for requests the HTTP parser refuses.
 */
class EdgeWireTest extends AgainstPublishedRepository {

    record Response(String statusLine, Map<String, String> headers, byte[] body) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** Sends raw bytes, reads {@code count} answers ({@code head}: the answers carry no body), then whether the edge closed. */
    static List<Response> exchange(String request, int count, boolean head, boolean expectClose) throws Exception {
        try (Socket s = new Socket(repo.edge.uri().getHost(), repo.edge.uri().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream o = s.getOutputStream();
            o.write(request.getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = s.getInputStream();
            List<Response> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                out.add(read(in, head));
            }
            if (expectClose) {
                assertThat(in.read()).as("the edge closes the connection").isEqualTo(-1);
            }
            return out;
        }
    }

    static Response exchange(String request) throws Exception {
        return exchange(request, 1, request.startsWith("HEAD "), true).get(0);
    }

    static Response read(InputStream in, boolean head) throws IOException {
        String status = line(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            String name = l.substring(0, colon).toLowerCase(Locale.ROOT);
            assertThat(headers).as("field %s sent once", name).doesNotContainKey(name);
            headers.put(name, l.substring(colon + 1).trim());
        }
        int status100 = Integer.parseInt(status.split(" ")[1]);
        byte[] body = new byte[0];
        if (!head && status100 != 304 && status100 != 100) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        }
        return new Response(status, headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed in the middle of an answer: " + b);
            }
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        assertThat(s).as("lines end in CRLF").endsWith("\r");
        return s.substring(0, s.length() - 1);
    }

    static String ocspGetTarget(BigInteger serial) throws Exception {
        byte[] der = RepositoryEdgeTest.request(serial);
        return "/ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(der), StandardCharsets.UTF_8);
    }

    static String get(String target, String... extra) {
        return "GET " + target + " HTTP/1.1\r\nHost: edge\r\n" + String.join("", extra) + "Connection: close\r\n\r\n";
    }

    @Test
    void aPresignedResponseCarriesItsEntityAndCachingHeaders() throws Exception {
        BigInteger serial = repo.good.certificate().getSerialNumber();
        byte[] presigned = Files.readAllBytes(repo.origin.resolve("current").resolve(repo.ocspPath(serial)));
        Response r = exchange(get(ocspGetTarget(serial)));
        assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
        assertThat(r.headers().keySet()).containsExactlyInAnyOrder("date", "etag", "last-modified", "expires",
                "content-type", "cache-control", "x-content-type-options", "content-length", "connection");
        assertThat(r.header("Content-Type")).isEqualTo("application/ocsp-response");
        assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(presigned.length));
        assertThat(r.header("Date")).matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT");
        assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(r.header("Connection")).isEqualTo("close");
        assertThat(r.body()).isEqualTo(presigned);

        // HEAD: the same fields, Content-Length included, and no body (RFC 9110 §9.3.2).
        Response h = exchange(get(ocspGetTarget(serial)).replaceFirst("GET", "HEAD"));
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.headers().keySet()).isEqualTo(r.headers().keySet());
        assertThat(h.header("Content-Length")).isEqualTo(Integer.toString(presigned.length));
        assertThat(h.body()).isEmpty();

        // 304: the validators and Cache-Control, no Content-Type and no length (RFC 9110 §15.4.5).
        String crlEtag = exchange(get("/crl/issuing-2026.crl")).header("ETag");
        Response n = exchange(get("/crl/issuing-2026.crl", "If-None-Match: W/\"other\", " + crlEtag + "\r\n"));
        assertThat(n.statusLine()).isEqualTo("HTTP/1.1 304 Not Modified");
        assertThat(n.headers().keySet()).containsExactlyInAnyOrder("date", "etag", "last-modified", "expires",
                "cache-control", "x-content-type-options", "connection");
        assertThat(n.header("ETag")).isEqualTo(crlEtag);

        // The manifest says what is current: always revalidated, no Expires.
        Response m = exchange(get("/manifest.json"));
        assertThat(m.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(m.headers()).doesNotContainKey("expires");
    }

    @Test
    void errorsAreProblemsOrUnsignedOcspStatusesAndNeverCached() throws Exception {
        Response notFound = exchange(get("/nothing%3Cx%3E"));
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.headers().keySet()).containsExactlyInAnyOrder("date", "content-type", "cache-control",
                "x-content-type-options", "content-length", "connection");
        assertThat(notFound.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(notFound.header("Cache-Control")).isEqualTo("no-store");
        assertThat(new String(notFound.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
                        + "\"detail\":\"no published artifact at /nothing\\u003cx\\u003e\"}");

        Response delete = exchange("DELETE /crl/issuing-2026.crl HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n");
        assertThat(delete.status()).isEqualTo(405);
        assertThat(delete.header("Allow")).isEqualTo("GET, HEAD");
        Response put = exchange("PUT /ocsp HTTP/1.1\r\nHost: edge\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assertThat(put.status()).isEqualTo(405);
        assertThat(put.header("Allow")).isEqualTo("GET, HEAD, POST");

        for (String target : new String[] {"/ocsp", "/ocsp/", "/ocsp/garbage!"}) {
            Response r = exchange(get(target));
            assertThat(r.status()).as(target).isEqualTo(200);
            assertThat(r.header("Cache-Control")).isEqualTo("no-store");
            assertThat(new OCSPResp(r.body()).getStatus()).as(target).isEqualTo(OCSPResp.MALFORMED_REQUEST);
        }

        // Not a URI (RFC 3986): a problem, not the server's HTML page.
        for (String target : new String[] {"/nothing<x>", "/%zz"}) {
            Response r = exchange(get(target));
            assertThat(r.status()).as(target).isEqualTo(400);
            assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
            assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
        }
    }

    @Test
    void requestsTheParserRefusesGetAProblemAndTheConnectionIsClosed() throws Exception {
        Response garbage = exchange("GARBAGE\r\n\r\n");
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(garbage.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(garbage.header("Connection")).isEqualTo("close");

        Response headers = exchange(get("/x", "X-Big: " + "b".repeat(40_000) + "\r\n"));
        assertThat(headers.status()).isEqualTo(431);
        assertThat(new String(headers.body(), StandardCharsets.UTF_8)).contains("32768 bytes").doesNotContain("bbbb");

        Response line = exchange(get("/" + "u".repeat(40_000)));
        assertThat(line.status()).isEqualTo(414);

        // Long but within the limit: answered, the echo cut.
        Response longPath = exchange(get("/" + "u".repeat(20_000)));
        assertThat(longPath.status()).isEqualTo(404);
        assertThat(longPath.body().length).isLessThan(400);
    }

    @Test
    void keepAliveAndPipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        BigInteger good = repo.good.certificate().getSerialNumber();
        BigInteger revoked = repo.revoked.certificate().getSerialNumber();
        String keep = "Host: edge\r\n\r\n";
        List<Response> r = exchange("GET " + ocspGetTarget(good) + " HTTP/1.1\r\n" + keep
                + "GET /nothing HTTP/1.1\r\n" + keep
                + "GET " + ocspGetTarget(revoked) + " HTTP/1.1\r\n" + keep
                + "GET /crl/issuing-2026.crl HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n", 4, false, true);
        assertThat(r).extracting(Response::status).containsExactly(200, 404, 200, 200);
        assertThat(r.get(0).body()).isEqualTo(Files.readAllBytes(repo.origin.resolve("current").resolve(repo.ocspPath(good))));
        assertThat(r.get(2).body()).isEqualTo(Files.readAllBytes(repo.origin.resolve("current").resolve(repo.ocspPath(revoked))));
        assertThat(r.subList(0, 3)).allSatisfy(x -> assertThat(x.headers()).doesNotContainKey("connection"));

        // HTTP/1.0 without keep-alive: answered as HTTP/1.1 and closed.
        Response old = exchange("GET " + ocspGetTarget(good) + " HTTP/1.0\r\n\r\n");
        assertThat(old.status()).isEqualTo(200);
        assertThat(old.header("Connection")).isEqualTo("close");
    }

    @Test
    void postBodiesChunkedWithContinueAndTooLarge() throws Exception {
        BigInteger serial = repo.good.certificate().getSerialNumber();
        byte[] der = RepositoryEdgeTest.request(serial);
        byte[] presigned = Files.readAllBytes(repo.origin.resolve("current").resolve(repo.ocspPath(serial)));
        String body = new String(der, StandardCharsets.ISO_8859_1);
        String post = "POST /ocsp HTTP/1.1\r\nHost: edge\r\nContent-Type: application/ocsp-request\r\n";

        Response chunked = exchange(post + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + Integer.toHexString(10) + "\r\n" + body.substring(0, 10) + "\r\n"
                + Integer.toHexString(der.length - 10) + "\r\n" + body.substring(10) + "\r\n0\r\n\r\n");
        assertThat(chunked.body()).isEqualTo(presigned);

        // RFC 9110 §10.1.1: the client waits for 100 Continue before its body.
        try (Socket s = new Socket(repo.edge.uri().getHost(), repo.edge.uri().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((post + "Content-Length: " + der.length + "\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            Response cont = read(s.getInputStream(), false);
            assertThat(cont.statusLine()).isEqualTo("HTTP/1.1 100 Continue");
            s.getOutputStream().write(der);
            assertThat(read(s.getInputStream(), false).body()).isEqualTo(presigned);
        }

        // Over 16 KB is not an OCSP request: malformedRequest, and the connection goes on serving.
        List<Response> r = exchange(post + "Content-Length: 20000\r\n\r\n" + "a".repeat(20_000)
                + post + "Content-Length: " + der.length + "\r\nConnection: close\r\n\r\n" + body, 2, false, true);
        assertThat(new OCSPResp(r.get(0).body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
        assertThat(r.get(1).body()).isEqualTo(presigned);
    }
}
