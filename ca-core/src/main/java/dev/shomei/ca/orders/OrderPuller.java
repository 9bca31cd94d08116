package dev.shomei.ca.orders;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.fault.CrashPoints;
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
 *
 * <p>Nothing the RA sends can stop the loop: a body larger than {@code orders.maxBundleBytes} is not read;
 * a bundle that fails to execute ends the pass with the problem reported (the next pass tries again); a
 * result the RA refuses for good (HTTP 4xx other than 408/429) is recorded with the RA's answer, kept for the
 * operator ({@code ca orders undelivered}), and no longer retried, so it cannot hold back later bundles.
 *
 * <p>A crash anywhere in a pass loses nothing and answers nothing twice (docs/faults.md, the pull points): a bundle
 * read but not executed is served again by the RA (it has no answer); a bundle executed but not delivered is
 * refused as a replay and answered with its stored result, or delivered first by Step 1; a result the RA took but
 * the CA did not record as delivered is posted again, and the RA applies each order's first answer only.
 */
public final class OrderPuller {

    /**
     * What one pass did: bundles executed, results delivered, certificates revoked by the executed bundles (what makes
     * the pass start the publication cycle, {@link PublicationTrigger}), and the problem that ended it, if any.
     */
    public record Pass(int executed, int delivered, int revoked, String problem) {}

    private final URI base;
    private final HttpClient http;
    private final OrderBundleProcessor processor;
    private final DataSource dataSource;
    private final Consumer<String> progress;
    private final long maxBundleBytes;

    /** The most of an RA error answer the CA reads (to quote it in its report). */
    static final int MAX_ANSWER_BYTES = 4096;

    public OrderPuller(URI base, HttpClient http, OrderBundleProcessor processor, DataSource dataSource,
                       long maxBundleBytes, Consumer<String> progress) {
        this.maxBundleBytes = maxBundleBytes;
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
        int revoked = 0;
        try {
            // Step 1: results not yet acknowledged.
            for (String bundleId : undelivered()) {
                if (deliver(bundleId, processor.storedResult(bundleId))) {
                    delivered++;
                }
            }
            // Step 2 to 4: bundles until the RA has none.
            java.util.Set<String> seen = new java.util.HashSet<>();
            while (true) {
                HttpResponse<InputStream> next = http.send(HttpRequest.newBuilder(base.resolve("ca/order-bundles/next"))
                        .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                if (next.statusCode() == 204) {
                    next.body().close();
                    return new Pass(executed, delivered, revoked, null);
                }
                if (next.statusCode() != 200) {
                    return new Pass(executed, delivered, revoked, "the RA answered " + next.statusCode() + " to GET ca/order-bundles/next: "
                            + new String(readAtMost(next.body(), MAX_ANSWER_BYTES), StandardCharsets.UTF_8));
                }
                byte[] body = readAtMost(next.body(), maxBundleBytes);
                if (body.length > maxBundleBytes) {
                    return new Pass(executed, delivered, revoked, "the RA's order bundle is larger than orders.maxBundleBytes ("
                            + maxBundleBytes + " bytes): not read; the RA must send smaller bundles");
                }
                CrashPoints.reach(CrashPoints.PULL_AFTER_FETCH, body.length + " bytes");
                String bundleId;
                byte[] result;
                try {
                    OrderBundleProcessor.Result r = processor.process(body);
                    bundleId = r.bundleId();
                    result = r.resultBundle();
                    progress.accept("order bundle " + bundleId + ": " + r.issued() + " issued, " + r.revoked() + " revoked, "
                            + r.refused() + " refused");
                    executed++;
                    revoked += r.revoked();
                } catch (OrderBundleException e) {
                    // Refused whole (and audited). A replay of a completed bundle gets its stored result again, so the
                    // RA can move on; any other refusal is reported and the loop stops until an operator looks.
                    String id = completedBundleId(body);
                    if (id == null) {
                        return new Pass(executed, delivered, revoked, "order bundle refused: " + e.getMessage());
                    }
                    progress.accept("refused a replay of " + id + "; sending its stored result again");
                    bundleId = id;
                    result = processor.storedResult(id);
                } catch (RuntimeException e) {
                    // Not one order's fault (those are refused in the result): the HSM or the database. Nothing was
                    // completed; the next pass executes the bundle again, each order once.
                    return new Pass(executed, delivered, revoked, "an order bundle could not be executed (" + e.getMessage()
                            + "); nothing of it was completed, the next pass tries again");
                }
                if (!seen.add(bundleId)) {
                    return new Pass(executed, delivered, revoked, "the RA served order bundle " + bundleId + " again in the same"
                            + " pass after its result was sent: the RA does not accept that result (ca orders undelivered)");
                }
                CrashPoints.reach(CrashPoints.PULL_BEFORE_DELIVERY, bundleId);
                if (deliver(bundleId, result)) {
                    delivered++;
                }
            }
        } catch (IOException e) {
            return new Pass(executed, delivered, revoked, "the RA at " + base + " is unreachable (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); nothing is lost, the next pass tries again");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Pass(executed, delivered, revoked, "interrupted");
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database failed during a pull pass: " + e.getMessage(), e);
        }
    }

    /**
     * Posts a result; true when the RA took it. A permanent refusal (4xx, but 408 and 429 are "later") is
     * recorded and answered false; anything else is an {@link IOException}: the next pass tries again.
     */
    private boolean deliver(String bundleId, byte[] result) throws IOException, InterruptedException, SQLException {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(base.resolve("ca/result-bundles"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/pkcs7-mime")
                .POST(HttpRequest.BodyPublishers.ofByteArray(result)).build(), HttpResponse.BodyHandlers.ofInputStream());
        String answer = new String(readAtMost(r.body(), MAX_ANSWER_BYTES), StandardCharsets.UTF_8);
        int status = r.statusCode();
        if (status / 100 == 4 && status != 408 && status != 429) {
            String why = "HTTP " + status + ": " + answer;
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("UPDATE order_bundle SET result_refused_at = now(),"
                         + " result_refusal = ? WHERE bundle_id = ?")) {
                ps.setString(1, why);
                ps.setString(2, bundleId);
                ps.executeUpdate();
                c.commit();
            }
            progress.accept("the RA refused result bundle " + bundleId + " for good (" + why + "); it is kept for the"
                    + " operator (ca orders undelivered) and not sent again");
            return false;
        }
        if (status / 100 != 2) {
            throw new IOException("the RA refused result bundle " + bundleId + " with " + status + ": " + answer);
        }
        CrashPoints.reach(CrashPoints.PULL_AFTER_DELIVERY, bundleId);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE order_bundle SET result_delivered_at = now() WHERE bundle_id = ?")) {
            ps.setString(1, bundleId);
            ps.executeUpdate();
            c.commit();
        }
        return true;
    }

    /** Reads at most {@code max} + 1 bytes (one more tells that there was more), then closes the stream. */
    static byte[] readAtMost(InputStream in, long max) throws IOException {
        try (in) {
            return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        }
    }

    private List<String> undelivered() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT bundle_id FROM order_bundle WHERE completed_at IS NOT NULL"
                     + " AND result_delivered_at IS NULL AND result_refused_at IS NULL ORDER BY completed_at");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
            c.rollback();
        }
        return ids;
    }

    /** A completed bundle whose result has not reached the RA: waiting, or refused by the RA for good. */
    public record Undelivered(String bundleId, java.time.Instant completedAt, java.time.Instant refusedAt, String refusal) {}

    /** Every result the RA has not taken, oldest first, for the operator ({@code ca orders undelivered}). */
    public static List<Undelivered> undelivered(DataSource dataSource) throws SQLException {
        List<Undelivered> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT bundle_id, completed_at, result_refused_at, result_refusal"
                     + " FROM order_bundle WHERE completed_at IS NOT NULL AND result_delivered_at IS NULL"
                     + " ORDER BY completed_at");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                java.sql.Timestamp refused = rs.getTimestamp(3);
                out.add(new Undelivered(rs.getString(1), rs.getTimestamp(2).toInstant(),
                        refused == null ? null : refused.toInstant(), rs.getString(4)));
            }
            c.rollback();
        }
        return out;
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
