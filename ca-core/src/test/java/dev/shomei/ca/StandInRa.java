package dev.shomei.ca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * An RA's CA-facing API as the CA's pull loop sees it, over mutual TLS (the RA requires the CA's client certificate,
 * the CA pins the RA's server certificate), with the real RA's semantics (ra-service {@code Orders}): {@code GET
 * /ca/order-bundles/next} serves the oldest unanswered bundle, the same bytes until a result for it arrives, then
 * 204; {@code POST /ca/result-bundles} verifies the result's signature and applies each order's <em>first</em>
 * answer (a result posted again is accepted and changes nothing). What it applied is what "the RA sees".
 *
 * <p>Zone: tests only. Listens on localhost, on a port bound once and held.
 */
final class StandInRa implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One order's answer as the RA applied it, and how many times the CA posted an answer for it. */
    record Answer(String bundleId, String status, String serial, int posts) {}

    private final HttpsServer server;
    private final X509Certificate resultSigner;
    private final Map<String, byte[]> bundles = new LinkedHashMap<>();
    private final Map<String, Boolean> answered = new LinkedHashMap<>();
    private final Map<String, Answer> answers = new LinkedHashMap<>();
    /** Answers for an order that differ from the one applied: the CA answered one order twice, differently. */
    private final List<String> conflicts = new ArrayList<>();
    private final Map<String, Integer> resultPosts = new LinkedHashMap<>();

    /**
     * Starts the RA and writes what the CA's ca.yaml names: its client identity ({@code ca-client.p12}, password in
     * {@code ca-client.pw}) and the RA's server certificate to pin ({@code ra-server.pem}), all in {@code dir}.
     */
    StandInRa(Path dir, X509Certificate resultSigner) throws Exception {
        this.resultSigner = resultSigner;
        char[] pw = "changeit".toCharArray();
        KeyPair caTls = CaFixture.ecKey("secp256r1");
        X509Certificate caTlsCert = OrderPullTest.selfSigned("Shomei CA puller", caTls);
        try (OutputStream o = Files.newOutputStream(dir.resolve("ca-client.p12"))) {
            OrderPullTest.keyStore("ca", caTls, caTlsCert, pw).store(o, pw);
        }
        Files.writeString(dir.resolve("ca-client.pw"), "changeit\n");
        KeyPair raTls = CaFixture.ecKey("secp256r1");
        X509Certificate raTlsCert = OrderPullTest.selfSigned("localhost", raTls);
        ExternalVerifiers.writePem(dir.resolve("ra-server.pem"), raTlsCert);

        SSLContext tls = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(OrderPullTest.keyStore("ra", raTls, raTlsCert, pw), pw);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", caTlsCert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        server = HttpsServer.create(new InetSocketAddress("localhost", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters sp = tls.getDefaultSSLParameters();
                sp.setNeedClientAuth(true);
                params.setSSLParameters(sp);
            }
        });
        server.createContext("/ca/order-bundles/next", ex -> {
            byte[] next = next();
            if (next == null) {
                ex.sendResponseHeaders(204, -1);
            } else {
                ex.sendResponseHeaders(200, next.length);
                ex.getResponseBody().write(next);
            }
            ex.close();
        });
        server.createContext("/ca/result-bundles", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            String refusal = ingest(body);
            if (refusal == null) {
                ex.sendResponseHeaders(204, -1);
            } else {
                byte[] b = refusal.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/problem+json");
                ex.sendResponseHeaders(422, b.length);
                ex.getResponseBody().write(b);
            }
            ex.close();
        });
        server.start();
    }

    /** The base URL the CA pulls from. */
    String url() {
        return "https://localhost:" + server.getAddress().getPort();
    }

    /** The {@code orders.pull} section of ca.yaml for this RA (indented under {@code orders:}). */
    String pullYaml() {
        return "  pull:\n    url: " + url() + "\n    intervalSeconds: 1\n    clientKeystore: ca-client.p12\n"
                + "    clientKeystorePasswordFile: ca-client.pw\n    trustedServerCertificates: ra-server.pem\n";
    }

    synchronized void offer(String bundleId, byte[] cms) {
        bundles.put(bundleId, cms);
        answered.put(bundleId, false);
    }

    /**
     * A bundle the RA sent before and has the answer to (carried as files, {@code ca orders import}): never served
     * again; its result, if the CA posts it, changes nothing.
     */
    synchronized void answeredBefore(String bundleId, byte[] cms) {
        bundles.put(bundleId, cms);
        answered.put(bundleId, true);
    }

    private synchronized byte[] next() {
        for (Map.Entry<String, byte[]> b : bundles.entrySet()) {
            if (!answered.get(b.getKey())) {
                return b.getValue();
            }
        }
        return null;
    }

    /** Applies a result bundle; null when taken, else why it is refused (signature, unknown bundle). */
    private synchronized String ingest(byte[] cms) {
        JsonNode root;
        try {
            CMSSignedData s = new CMSSignedData(cms);
            SignerInformation si = s.getSignerInfos().getSigners().iterator().next();
            if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(resultSigner))) {
                return "{\"code\":\"result-signature-invalid\"}";
            }
            root = JSON.readTree((byte[]) s.getSignedContent().getContent());
        } catch (Exception e) {
            return "{\"code\":\"result-malformed\",\"detail\":\"" + e.getClass().getSimpleName() + "\"}";
        }
        String bundleId = root.path("orderBundleId").asText("");
        if (!bundles.containsKey(bundleId)) {
            return "{\"code\":\"order-bundle-unknown\"}";
        }
        resultPosts.merge(bundleId, 1, Integer::sum);
        for (JsonNode r : root.path("results")) {
            String orderId = r.path("orderId").asText("");
            String status = r.path("status").asText("");
            String serial = r.path("serial").asText(null);
            Answer a = answers.get(orderId);
            if (a == null) {
                answers.put(orderId, new Answer(bundleId, status, serial, 1));
            } else {
                if (!a.status().equals(status) || !java.util.Objects.equals(a.serial(), serial)) {
                    conflicts.add(orderId + ": applied " + a.status() + " " + a.serial() + ", then posted " + status
                            + " " + serial);
                }
                answers.put(orderId, new Answer(a.bundleId(), a.status(), a.serial(), a.posts() + 1));
            }
        }
        answered.put(bundleId, true);
        return null;
    }

    /** Each order's applied answer, by order id. */
    synchronized Map<String, Answer> answers() {
        return Map.copyOf(answers);
    }

    synchronized List<String> conflicts() {
        return List.copyOf(conflicts);
    }

    synchronized boolean answered(String bundleId) {
        return Boolean.TRUE.equals(answered.get(bundleId));
    }

    /** How many results for this bundle the RA took (the first one applied, the others changing nothing). */
    synchronized int resultPosts(String bundleId) {
        return resultPosts.getOrDefault(bundleId, 0);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
