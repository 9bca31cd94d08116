package dev.shomei.ca.orders;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.sql.DataSource;

/**
 * Pulls order bundles from the RA over an outbound HTTPS connection with a client certificate, and posts
 * the result bundles back (docs/order-bundles.md). The CA opens no port.
 *
 * <p>Zone: secure, outbound only. One pass: Step 1, deliver result bundles the RA has not acknowledged yet;
 * Step 2, fetch the next bundle ({@code GET <url>/ca/order-bundles/next}: 200 with a bundle, 204 when
 * there is none); Step 3, execute it through {@link OrderBundleProcessor} (the same code as a carried-in
 * file); Step 4, post the result ({@code POST <url>/ca/result-bundles}) and mark it delivered. An
 * unreachable RA loses nothing: results stay stored until delivered, and the next pass tries again.
 */
public final class OrderPuller {

    /** What one pass did. */
    public record Pass(int executed, int delivered, String problem) {}

    private final URI base;
    private final HttpClient http;
    private final OrderBundleProcessor processor;
    private final DataSource dataSource;
    private final Consumer<String> progress;

    public OrderPuller(URI base, HttpClient http, OrderBundleProcessor processor, DataSource dataSource,
                       Consumer<String> progress) {
        this.base = base;
        this.http = http;
        this.processor = processor;
        this.dataSource = dataSource;
        this.progress = progress;
    }

    /** An HTTP client presenting the CA's client certificate and trusting only the configured RA server certificates. */
    public static HttpClient client(CaConfig config) {
        CaConfig.Pull pull = config.orders() == null ? null : config.orders().pull();
        if (pull == null || pull.url() == null) {
            throw new ConfigException("orders.pull.url is not set: the RA's CA-facing base URL, e.g. https://ra.internal:8443");
        }
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            KeyManagerFactory kmf = null;
            if (pull.clientKeystore() != null) {
                char[] pw = pull.clientKeystorePasswordFile() == null ? new char[0]
                        : Files.readString(config.resolve(pull.clientKeystorePasswordFile()), StandardCharsets.UTF_8).strip().toCharArray();
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(config.resolve(pull.clientKeystore()))) {
                    ks.load(in, pw);
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, pw);
            }
            TrustManagerFactory tmf = null;
            if (pull.trustedServerCertificates() != null) {
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                Path p = config.resolve(pull.trustedServerCertificates());
                try (InputStream in = Files.newInputStream(p)) {
                    int i = 0;
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        trust.setCertificateEntry("ra-" + i++, c);
                    }
                }
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            tls.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException("orders.pull: cannot set up the TLS client: " + e.getMessage());
        }
    }

    public static URI url(CaConfig config) {
        String u = config.orders().pull().url();
        return URI.create(u.endsWith("/") ? u : u + "/");
    }

    /** One pass; never throws for an unreachable RA (the problem is reported and retried next pass). */
    public Pass pass() {
        int delivered = 0;
        int executed = 0;
        try {
            // Step 1: results not yet acknowledged.
            for (String bundleId : undelivered()) {
                deliver(bundleId, processor.storedResult(bundleId));
                delivered++;
            }
            // Step 2 to 4: bundles until the RA has none.
            while (true) {
                HttpResponse<byte[]> next = http.send(HttpRequest.newBuilder(base.resolve("ca/order-bundles/next"))
                        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (next.statusCode() == 204) {
                    return new Pass(executed, delivered, null);
                }
                if (next.statusCode() != 200) {
                    return new Pass(executed, delivered, "the RA answered " + next.statusCode() + " to GET ca/order-bundles/next: "
                            + new String(next.body(), StandardCharsets.UTF_8));
                }
                String bundleId;
                byte[] result;
                try {
                    OrderBundleProcessor.Result r = processor.process(next.body());
                    bundleId = r.bundleId();
                    result = r.resultBundle();
                    progress.accept("order bundle " + bundleId + ": " + r.issued() + " issued, " + r.revoked() + " revoked, "
                            + r.refused() + " refused");
                    executed++;
                } catch (OrderBundleException e) {
                    // Refused whole (and audited). A replay of a completed bundle gets its stored result again, so the
                    // RA can move on; any other refusal is reported and the loop stops until an operator looks.
                    String id = completedBundleId(next.body());
                    if (id == null) {
                        return new Pass(executed, delivered, "order bundle refused: " + e.getMessage());
                    }
                    progress.accept("refused a replay of " + id + "; sending its stored result again");
                    bundleId = id;
                    result = processor.storedResult(id);
                }
                deliver(bundleId, result);
                delivered++;
            }
        } catch (IOException e) {
            return new Pass(executed, delivered, "the RA at " + base + " is unreachable (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); nothing is lost, the next pass tries again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Pass(executed, delivered, "interrupted");
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database failed during a pull pass: " + e.getMessage(), e);
        }
    }

    private void deliver(String bundleId, byte[] result) throws IOException, InterruptedException, SQLException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("ca/result-bundles"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/pkcs7-mime")
                .POST(HttpRequest.BodyPublishers.ofByteArray(result)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("the RA refused result bundle " + bundleId + " with " + r.statusCode() + ": " + r.body());
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE order_bundle SET result_delivered_at = now() WHERE bundle_id = ?")) {
            ps.setString(1, bundleId);
            ps.executeUpdate();
            c.commit();
        }
    }

    private List<String> undelivered() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT bundle_id FROM order_bundle WHERE completed_at IS NOT NULL"
                     + " AND result_delivered_at IS NULL ORDER BY completed_at");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            c.rollback();
        }
        return ids;
    }

    /** The id of a bundle that verifies and was completed before, or null. */
    private String completedBundleId(byte[] cms) throws SQLException {
        String id;
        try {
            id = processor.peekBundleId(cms);
        } catch (OrderBundleException e) {
            return null;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM order_bundle WHERE bundle_id = ? AND completed_at IS NOT NULL")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                boolean done = rs.next();
                c.rollback();
                return done ? id : null;
            }
        }
    }
}
