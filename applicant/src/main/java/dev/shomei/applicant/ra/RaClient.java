package dev.shomei.applicant.ra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The RA's applicant API over HTTP(S): {@code POST /applications}, {@code /renewals} and {@code /revocation-requests}
 * (application/cms, RFC 7193), their status, and {@code GET /applications/{id}/certificate}. RA errors arrive as
 * RFC 9457 problem+json and become {@link RaProblemException}; an unreachable RA, a timeout or a 5xx become
 * {@link RaUnavailableException}.
 *
 * <p>Zone: the applicant's PC, calling the RA (online zone). Sends only what the applicant signed.
 */
public final class RaClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http;
    private final Duration timeout;

    /** A reply the RA accepted: the HTTP status and the JSON body. */
    public record Reply(int status, JsonNode body) {}

    public RaClient(URI base, Path trustedCertificates, Duration timeout) throws IOException {
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s : s + "/");
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (trustedCertificates != null) {
            b.sslContext(trusting(trustedCertificates));
        }
        this.http = b.build();
    }

    public Reply submitApplication(byte[] cms) throws RaProblemException, RaUnavailableException {
        return json(post("applications", cms));
    }

    /** {@code POST /renewals}: a renewal signed with the subscriber's current certificate of this CA. */
    public Reply submitRenewal(byte[] cms) throws RaProblemException, RaUnavailableException {
        return json(post("renewals", cms));
    }

    public Reply submitRevocationRequest(byte[] cms) throws RaProblemException, RaUnavailableException {
        return json(post("revocation-requests", cms));
    }

    public Reply application(String id) throws RaProblemException, RaUnavailableException {
        return json(get("applications/" + id, "application/json"));
    }

    public Reply revocationRequest(String id) throws RaProblemException, RaUnavailableException {
        return json(get("revocation-requests/" + id, "application/json"));
    }

    /** The certificate and its chain (PEM), or empty while the RA answers 404 certificate-not-issued. */
    public Optional<String> certificate(String id) throws RaProblemException, RaUnavailableException {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(resolve("applications/" + id + "/certificate"))
                .header("Accept", "application/pem-certificate-chain, application/problem+json").GET());
        if (r.statusCode() == 200) {
            return Optional.of(new String(r.body(), StandardCharsets.US_ASCII));
        }
        RaProblemException p = problem(r);
        if (r.statusCode() == 404 && "certificate-not-issued".equals(p.code())) {
            return Optional.empty();
        }
        throw p;
    }

    public URI base() {
        return base;
    }

    private HttpResponse<byte[]> post(String path, byte[] cms) throws RaUnavailableException {
        return send(HttpRequest.newBuilder(resolve(path)).header("Content-Type", "application/cms")
                .header("Accept", "application/json, application/problem+json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(cms)));
    }

    private HttpResponse<byte[]> get(String path, String accept) throws RaUnavailableException {
        return send(HttpRequest.newBuilder(resolve(path)).header("Accept", accept + ", application/problem+json")
                .GET());
    }

    private URI resolve(String path) {
        return base.resolve(path);
    }

    /**
     * Which client this is, for the RA's record of the channel an application came through (an investigator's
     * "was it the holder?"): the User-Agent and the explicit X-Shomei-Client header.
     */
    public static final String CLIENT = "shomei-apply/" + java.util.Objects.requireNonNullElse(
            RaClient.class.getPackage().getImplementationVersion(), "dev");

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws RaUnavailableException {
        HttpRequest req = request.timeout(timeout).header("User-Agent", CLIENT + " (Java "
                + Runtime.version().feature() + "; " + System.getProperty("os.name") + ")")
                .header("X-Shomei-Client", CLIENT).build();
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new RaUnavailableException("the RA at " + base + " did not answer within " + timeout.toSeconds()
                    + " s; try again later (a signed application can be sent again: the RA recognises the same"
                    + " bytes and never decides twice)", e);
        } catch (ConnectException e) {
            throw new RaUnavailableException("cannot connect to the RA at " + base + " (" + describe(e) + "); check"
                    + " the address (--ra) and your network", e);
        } catch (SSLException e) {
            throw new RaUnavailableException("TLS with the RA at " + base + " failed (" + describe(e) + "); if the RA"
                    + " uses a private CA, give its certificate with --ra-ca", e);
        } catch (IOException e) {
            throw new RaUnavailableException("the connection to the RA at " + base + " failed: " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RaUnavailableException("interrupted while talking to the RA", e);
        }
    }

    private Reply json(HttpResponse<byte[]> r) throws RaProblemException, RaUnavailableException {
        if (r.statusCode() >= 200 && r.statusCode() < 300) {
            try {
                return new Reply(r.statusCode(), JSON.readTree(r.body()));
            } catch (IOException e) {
                throw new RaUnavailableException("the RA at " + base + " answered " + r.statusCode()
                        + " with a body that is not JSON; is --ra the RA's address?", e);
            }
        }
        throw problem(r);
    }

    private RaProblemException problem(HttpResponse<byte[]> r) throws RaUnavailableException {
        JsonNode body = null;
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (type.startsWith("application/problem+json") || type.startsWith("application/json")) {
            try {
                body = JSON.readTree(r.body());
            } catch (IOException ignored) {
                // A proxy's error page: reported by status below.
            }
        }
        if (r.statusCode() >= 500 || r.statusCode() == 429 || r.statusCode() == 408) {
            String detail = body == null ? "" : ": " + text(body, "title") + " - " + text(body, "detail");
            throw new RaUnavailableException("the RA at " + base + " answered HTTP " + r.statusCode() + detail
                    + "; try again later", null);
        }
        if (body == null) {
            return new RaProblemException(r.statusCode(), "http-" + r.statusCode(), "HTTP " + r.statusCode(),
                    "the RA at " + base + " answered HTTP " + r.statusCode() + " without a problem document; is --ra"
                            + " the RA's address?", null);
        }
        return new RaProblemException(r.statusCode(), text(body, "code"), text(body, "title"),
                text(body, "detail"), body);
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static SSLContext trusting(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ra-" + i++, c);
            }
            if (i == 0) {
                throw new IOException("--ra-ca " + pem + " holds no PEM certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("--ra-ca " + pem + " cannot be used: " + e.getMessage(), e);
        }
    }
}
