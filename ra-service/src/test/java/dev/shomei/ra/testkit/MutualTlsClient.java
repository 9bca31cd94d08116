package dev.shomei.ra.testkit;

import dev.shomei.ra.Ra;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A keep-alive HTTPS client of the running RA with one of the test client certificates (the CA puller, an officer),
 * for tests that send many requests (the fuzz targets): RestAssured makes a TLS handshake per request, this client
 * one per connection. It trusts the RA's test server certificate only.
 *
 * <p>Zone: tests only.
 */
public final class MutualTlsClient {

    private final HttpClient http;
    private final URI base;

    /** {@code keyStoreConfigKey}: the test configuration key naming the client's PKCS#12 key store. */
    public MutualTlsClient(String keyStoreConfigKey) {
        try {
            char[] password = Ra.config("test.tls.password").toCharArray();
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(load(Path.of(Ra.config(keyStoreConfigKey)), password), password);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(Path.of(Ra.config("test.tls.server-keystore")), password));
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
            base = URI.create("https://localhost:" + Ra.sslPort());
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up the test HTTPS client: " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path p, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p)) {
            ks.load(in, password);
        }
        return ks;
    }

    /** POSTs {@code body} to {@code path} with the content type; the RA must answer within 30 s. */
    public HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
