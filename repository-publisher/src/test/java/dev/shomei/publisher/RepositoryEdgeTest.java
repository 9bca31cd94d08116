package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;

/** The keyless edge over HTTP: OCSP POST and GET, error statuses, caching headers, static artifacts. */
class RepositoryEdgeTest extends AgainstPublishedRepository {

    static final HttpClient HTTP = HttpClient.newHttpClient();


    static byte[] request(X509Certificate issuer, BigInteger serial, AlgorithmIdentifier hash, boolean nonce) throws Exception {
        OCSPReqBuilder b = new OCSPReqBuilder();
        b.addRequest(new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(hash),
                new JcaX509CertificateHolder(issuer), serial));
        if (nonce) {
            byte[] n = new byte[16];
            new SecureRandom().nextBytes(n);
            b.setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false, new DEROctetString(n))));
        }
        return b.build().getEncoded();
    }

    static byte[] request(BigInteger serial) throws Exception {
        return request(repo.pki.issuing.certificate(), serial, CertificateID.HASH_SHA1, false);
    }

    static HttpResponse<byte[]> post(byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(repo.ocspUri()).header("Content-Type", "application/ocsp-request")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(repo.edge.uri().resolve(path)).GET();
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static String getPath(byte[] der) {
        // RFC 6960 Appendix A.1: the URL-encoding of the base64 of the DER request.
        return "ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(der), StandardCharsets.UTF_8);
    }

    byte[] presigned(BigInteger serial) throws Exception {
        return Files.readAllBytes(repo.origin.resolve("current").resolve(repo.ocspPath(serial)));
    }

    @Test
    void postAnswersWithTheExactPresignedBytesAndCacheHeaders() throws Exception {
        BigInteger serial = repo.good.certificate().getSerialNumber();
        HttpResponse<byte[]> r = post(request(serial));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/ocsp-response");
        assertThat(r.body()).isEqualTo(presigned(serial));
        assertThat(r.headers().firstValue("ETag")).hasValue("\"" + OriginSnapshot.sha256(presigned(serial)) + "\"");
        Instant nextUpdate = repo.bundle.now().plus(Duration.ofDays(4));
        assertThat(r.headers().firstValue("Expires")).hasValue(httpDate(nextUpdate));
        assertThat(r.headers().firstValue("Last-Modified")).hasValue(httpDate(repo.bundle.now().minusSeconds(60)));
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("public, max-age=3600, no-transform, must-revalidate");
    }

    @Test
    void getWithUrlEncodedBase64AnswersTheSameBytes() throws Exception {
        BigInteger serial = repo.revoked.certificate().getSerialNumber();
        // Find a request (nonces vary the bytes) whose base64 has both '+' and '/': they must survive URL decoding.
        byte[] der;
        String b64;
        do {
            der = request(repo.pki.issuing.certificate(), serial, CertificateID.HASH_SHA1, true);
            b64 = Base64.getEncoder().encodeToString(der);
        } while (!b64.contains("+") || !b64.contains("/"));
        HttpResponse<byte[]> r = get(getPath(der));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(presigned(serial));
        assertThat(new OCSPResp(r.body()).getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
    }

    @Test
    void sha256CertIdsFindTheSameResponse() throws Exception {
        BigInteger serial = repo.good.certificate().getSerialNumber();
        byte[] der = request(repo.pki.issuing.certificate(), serial, new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256), false);
        assertThat(post(der).body()).isEqualTo(presigned(serial));
    }

    @Test
    void unknownSerialIsUnauthorized() throws Exception {
        HttpResponse<byte[]> r = post(request(BigInteger.valueOf(0xdead_beefL)));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new OCSPResp(r.body()).getStatus()).isEqualTo(OCSPResp.UNAUTHORIZED);
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    }

    @Test
    void unknownIssuerIsUnauthorized() throws Exception {
        TestPki other = new TestPki("Other");
        byte[] der = request(other.issuing.certificate(), repo.good.certificate().getSerialNumber(), CertificateID.HASH_SHA1, false);
        assertThat(new OCSPResp(post(der).body()).getStatus()).isEqualTo(OCSPResp.UNAUTHORIZED);
    }

    @Test
    void garbageIsMalformedRequest() throws Exception {
        assertThat(new OCSPResp(post("not an OCSP request".getBytes(StandardCharsets.UTF_8)).body()).getStatus())
                .isEqualTo(OCSPResp.MALFORMED_REQUEST);
        assertThat(new OCSPResp(get("ocsp/not*base64!").body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
        assertThat(new OCSPResp(get("ocsp/" + Base64.getEncoder().encodeToString(new byte[] {1, 2, 3})).body()).getStatus())
                .isEqualTo(OCSPResp.MALFORMED_REQUEST);
    }

    @Test
    void moreThanOneCertIdIsMalformedRequest() throws Exception {
        var calc = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
        var issuer = new JcaX509CertificateHolder(repo.pki.issuing.certificate());
        byte[] der = new OCSPReqBuilder()
                .addRequest(new CertificateID(calc, issuer, repo.good.certificate().getSerialNumber()))
                .addRequest(new CertificateID(calc, issuer, repo.revoked.certificate().getSerialNumber()))
                .build().getEncoded();
        assertThat(new OCSPResp(post(der).body()).getStatus()).isEqualTo(OCSPResp.MALFORMED_REQUEST);
    }

    @Test
    void ifNoneMatchWithTheCurrentEtagIs304() throws Exception {
        String path = getPath(request(repo.good.certificate().getSerialNumber()));
        String etag = get(path).headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> r = get(path, "If-None-Match", etag);
        assertThat(r.statusCode()).isEqualTo(304);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("ETag")).hasValue(etag);
        assertThat(get(path, "If-None-Match", "\"something-else\"").statusCode()).isEqualTo(200);

        String crlEtag = get("crl/issuing-2026.crl").headers().firstValue("ETag").orElseThrow();
        assertThat(get("crl/issuing-2026.crl", "If-None-Match", crlEtag).statusCode()).isEqualTo(304);
    }

    @Test
    void headGivesTheHeadersOfGetWithoutABody() throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(repo.edge.uri().resolve("crl/issuing-2026.crl"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
        byte[] crl = Files.readAllBytes(repo.origin.resolve("current/crl/issuing-2026.crl"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/pkix-crl");
        assertThat(r.headers().firstValue("Content-Length")).hasValue(Integer.toString(crl.length));
        assertThat(r.headers().firstValue("ETag")).hasValue("\"" + OriginSnapshot.sha256(crl) + "\"");
    }

    @Test
    void staticArtifactsAreServedWithTheirContentTypes() throws Exception {
        assertContent("crl/issuing-2026.crl", "application/pkix-crl");
        assertContent("certs/root.cer", "application/pkix-cert");
        assertContent("certs/issuing-2026.cer", "application/pkix-cert");
        assertContent("ca-hash-values/ca-hash-values.txt", "text/plain; charset=utf-8");
        assertContent("ca-hash-values/ca-hash-values.json", "application/json");
        assertContent("ca-hash-values/index.html", "text/html; charset=utf-8");
        assertContent("cps/cps-v1.pdf", "application/pdf");
        assertContent("audit/checkpoint.txt", "text/plain; charset=utf-8");
        assertContent("manifest.json", "application/json");
    }

    @Test
    void onlyPublishedArtifactsAreServed() throws Exception {
        for (String path : new String[] {"crl/issuing-2026.crl.headers", "nothing-here.txt", "crl/../../ca/root.pem",
                "%2e%2e/%2e%2e/ca/root.pem"}) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        assertThat(HTTP.send(HttpRequest.newBuilder(repo.edge.uri().resolve("crl/issuing-2026.crl"))
                .DELETE().build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(405);
    }

    @Test
    void anExpiredResponseIsTryLaterNotServed() throws Exception {
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(5)), ZoneOffset.UTC);
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(new dev.shomei.publisher.origin.FileSystemOrigin(repo.origin),
                repo.cas, new java.net.InetSocketAddress("127.0.0.1", 0), later, Duration.ofHours(1))) {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(edge.uri().resolve("ocsp"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request(repo.good.certificate().getSerialNumber()))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(new OCSPResp(r.body()).getStatus()).isEqualTo(OCSPResp.TRY_LATER);
        }
    }

    @Test
    void aRequestSeenBeforeIsStillAnsweredFromTheLiveReleaseAndItsExpiry() throws Exception {
        // The edge remembers where a request's exact bytes led (DecodedRequests); what it serves must still be read
        // per request: a newer release, a response removed from it, and the response's own expiry.
        Path copy = copyOrigin("remembered-origin");
        BigInteger serial = repo.good.certificate().getSerialNumber();
        String path = getPath(request(serial));
        java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(Instant.now());
        Clock clock = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now.get(); }
        };
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(new dev.shomei.publisher.origin.FileSystemOrigin(copy),
                repo.cas, new java.net.InetSocketAddress("127.0.0.1", 0), clock, Duration.ofHours(1))) {
            HttpRequest same = HttpRequest.newBuilder(edge.uri().resolve(path)).GET().build();
            HttpResponse<byte[]> first = HTTP.send(same, HttpResponse.BodyHandlers.ofByteArray());
            assertThat(first.body()).isEqualTo(presigned(serial));

            // A newer release with another response for the serial: the same request gets the new bytes.
            Path r2 = copy.resolve("releases/r2");
            copyTree(copy.resolve("releases/r1"), r2);
            byte[] newer = presigned(repo.revoked.certificate().getSerialNumber());
            Files.write(r2.resolve(repo.ocspPath(serial)), newer);
            repoint(copy, "releases/r2");
            assertThat(HTTP.send(same, HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(newer);

            // A release without it: no longer answered.
            Path r3 = copy.resolve("releases/r3");
            copyTree(copy.resolve("releases/r1"), r3);
            Files.delete(r3.resolve(repo.ocspPath(serial)));
            repoint(copy, "releases/r3");
            assertThat(new OCSPResp(HTTP.send(same, HttpResponse.BodyHandlers.ofByteArray()).body()).getStatus())
                    .isEqualTo(OCSPResp.UNAUTHORIZED);

            // Back to the first release, then past the response's nextUpdate: try later, not the stale bytes.
            repoint(copy, "releases/r1");
            assertThat(HTTP.send(same, HttpResponse.BodyHandlers.ofByteArray()).body()).isEqualTo(presigned(serial));
            now.set(now.get().plus(Duration.ofDays(5)));
            assertThat(new OCSPResp(HTTP.send(same, HttpResponse.BodyHandlers.ofByteArray()).body()).getStatus())
                    .isEqualTo(OCSPResp.TRY_LATER);
        }
    }

    /** A copy of the published repository (its current release as releases/r1) under tmp. */
    private Path copyOrigin(String name) throws Exception {
        Path copy = tmp.resolve(name);
        copyTree(repo.origin.resolve("current").toRealPath(), copy.resolve("releases/r1"));
        Files.createSymbolicLink(copy.resolve("current"), Path.of("releases/r1"));
        return copy;
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Points current at another release the way a publication does: a new link renamed over the old one. */
    private static void repoint(Path origin, String release) throws Exception {
        Path next = origin.resolve("current.next");
        Files.deleteIfExists(next);
        Files.createSymbolicLink(next, Path.of(release));
        Files.move(next, origin.resolve("current"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aCorruptSidecarIsAnInternalErrorNotAWrongAnswer() throws Exception {
        // A copy of the repository whose response (its headers come from it) and a CRL's sidecar were damaged on disk.
        Path copy = copyOrigin("damaged-origin");
        Path copyRelease = copy.resolve("releases/r1");
        BigInteger serial = repo.good.certificate().getSerialNumber();
        Files.writeString(copyRelease.resolve(repo.ocspPath(serial)), "{not json");
        Files.writeString(copyRelease.resolve("crl/issuing-2026.crl.headers"), "{not json");
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(new dev.shomei.publisher.origin.FileSystemOrigin(copy),
                repo.cas, new java.net.InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(), Duration.ofHours(1))) {
            HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(edge.uri().resolve("ocsp"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(request(serial))).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(new OCSPResp(r.body()).getStatus()).isEqualTo(OCSPResp.INTERNAL_ERROR);
            HttpResponse<byte[]> crl = HTTP.send(HttpRequest.newBuilder(edge.uri().resolve("crl/issuing-2026.crl")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(crl.statusCode()).isEqualTo(500);
            // The client learns that the origin failed, not where it lives or what the parser said.
            assertThat(new String(crl.body(), StandardCharsets.UTF_8)).contains("the origin could not be read")
                    .doesNotContain(copy.toString()).doesNotContain("not json").doesNotContain("Exception");
        }
    }

    private void assertContent(String path, String contentType) throws Exception {
        HttpResponse<byte[]> r = get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue(contentType);
        assertThat(r.body()).as(path).isEqualTo(Files.readAllBytes(repo.origin.resolve("current").resolve(path)));
    }

    static String httpDate(Instant i) {
        return java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC).format(i);
    }

}
