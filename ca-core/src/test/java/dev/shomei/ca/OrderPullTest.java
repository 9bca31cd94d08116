package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderPuller;
import dev.shomei.ca.orders.PublicationTrigger;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * The CA pulls order bundles from an RA over HTTPS with a client certificate (a real TLS server here that
 * requires one), posts results back, survives an unreachable RA and a refused delivery without losing
 * anything, and answers a replayed bundle with its stored result.
 */
class OrderPullTest {

    static X509Certificate selfSigned(String cn, KeyPair k) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=" + cn), BigInteger.valueOf(System.nanoTime()),
                new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000L),
                new X500Name("CN=" + cn), k.getPublic());
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")));
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
    }

    static KeyStore keyStore(String alias, KeyPair k, X509Certificate c, char[] pw) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, k.getPrivate(), pw, new Certificate[] {c});
        return ks;
    }

    /** The puller {@code ca orders pull} builds from ca.yaml, with its pull URL set to {@code url}. */
    static OrderPuller puller(CaFixture f, CertificateAuthority ca, String url) {
        CaConfig base = f.config();
        CaConfig cfg = new CaConfig(base.hsm(), base.database(), base.issuingKey(), base.ceremony(), base.repository(),
                base.crl(), base.profiles(), new CaConfig.Orders(base.orders().trustedRaCertificates(), null, null,
                new CaConfig.Pull(url, 1, "ca-client.p12", "ca-client.pw", "ra-server.pem")),
                base.baseDirectory());
        return new OrderPuller(OrderPuller.url(cfg), OrderPuller.client(cfg), ca.orderProcessor(),
                ca.database().dataSource(), cfg.maxOrderBundleBytes(), line -> { });
    }

    @Test
    void pullsExecutesAndDeliversWithoutLosingAnything() throws Exception {
        try (CaFixture f = CaFixture.create("pull", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            char[] pw = "changeit".toCharArray();
            // The CA's TLS client identity and the RA's server identity.
            KeyPair caTls = CaFixture.ecKey("secp256r1");
            X509Certificate caTlsCert = selfSigned("Shomei CA puller", caTls);
            Path clientP12 = f.dir.resolve("ca-client.p12");
            try (OutputStream o = Files.newOutputStream(clientP12)) {
                keyStore("ca", caTls, caTlsCert, pw).store(o, pw);
            }
            Files.writeString(f.dir.resolve("ca-client.pw"), "changeit\n");
            KeyPair raTls = CaFixture.ecKey("secp256r1");
            X509Certificate raTlsCert = selfSigned("localhost", raTls);
            ExternalVerifiers.writePem(f.dir.resolve("ra-server.pem"), raTlsCert);

            // The RA's address is taken by binding to port 0 and kept for the whole test (never found by binding
            // and releasing a port, which another process may take in between).
            HttpsServer server = HttpsServer.create(new InetSocketAddress("localhost", 0), 0);
            int port = server.getAddress().getPort();
            OrderPuller puller = puller(f, ca, "https://localhost:" + port);

            byte[] b1 = OrderBundleTest.bundle(f.raKeys, f.raCert, "pull-1",
                    OrderBundleTest.issue("pull-app-1", CaFixture.csr("CN=Pull One,C=JP", CaFixture.ecKey("secp256r1"))));
            byte[] b2 = OrderBundleTest.bundle(f.raKeys, f.raCert, "pull-2",
                    OrderBundleTest.issue("pull-app-2", CaFixture.csr("CN=Pull Two,C=JP", CaFixture.ecKey("secp256r1"))));

            // The RA is down: its port is held by a socket that is bound but not listening, so a connection is
            // refused (as it is when the RA process is stopped). The pass reports it; nothing is executed or lost.
            try (java.net.Socket down = new java.net.Socket()) {
                down.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
                OrderPuller.Pass downPass = puller(f, ca, "https://127.0.0.1:" + down.getLocalPort()).pass();
                assertThat(downPass.problem()).contains("unreachable").contains("ConnectException").contains("nothing is lost");
                assertThat(f.count("order_bundle")).isZero();
            }

            // The RA comes up; it requires a client certificate and trusts only the CA's.
            ConcurrentLinkedDeque<byte[]> outbox = new ConcurrentLinkedDeque<>(List.of(b1, b2));
            List<byte[]> received = new CopyOnWriteArrayList<>();
            List<String> clientCerts = new CopyOnWriteArrayList<>();
            AtomicBoolean refuseResults = new AtomicBoolean(false);
            SSLContext tls = SSLContext.getInstance("TLS");
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore("ra", raTls, raTlsCert, pw), pw);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", caTlsCert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            server.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters sp = tls.getDefaultSSLParameters();
                    sp.setNeedClientAuth(true);
                    params.setSSLParameters(sp);
                }
            });
            server.createContext("/ca/order-bundles/next", ex -> {
                clientCerts.add(((X509Certificate) ((com.sun.net.httpserver.HttpsExchange) ex).getSSLSession()
                        .getPeerCertificates()[0]).getSubjectX500Principal().getName());
                byte[] next = outbox.poll();
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
                if (refuseResults.get()) {
                    ex.sendResponseHeaders(503, -1);
                } else {
                    received.add(body);
                    ex.sendResponseHeaders(204, -1);
                }
                ex.close();
            });
            server.start();
            try {
                // The RA cannot take results: the bundle is executed, its result kept.
                refuseResults.set(true);
                OrderPuller.Pass p1 = puller.pass();
                assertThat(p1.executed()).isEqualTo(1);
                assertThat(p1.problem()).contains("503");
                assertThat(received).isEmpty();

                // Next pass: the kept result is delivered first, then the next bundle is executed and answered.
                refuseResults.set(false);
                OrderPuller.Pass p2 = puller.pass();
                assertThat(p2.problem()).isNull();
                assertThat(p2.delivered()).isEqualTo(2);
                assertThat(p2.executed()).isEqualTo(1);
                assertThat(received).hasSize(2);
                assertThat(OrderBundleTest.results(received.get(0), ca.issuingSigner().certificate()).get(0).get("status").asText())
                        .isEqualTo("issued");
                assertThat(clientCerts).allMatch(n -> n.contains("Shomei CA puller"));

                // The RA serves pull-1 again (it lost our answer): refused as a replay, its stored result re-sent.
                outbox.add(b1);
                OrderPuller.Pass p3 = puller.pass();
                assertThat(p3.problem()).isNull();
                assertThat(received).hasSize(3);
                assertThat(received.get(2)).isEqualTo(ca.orderProcessor().storedResult("pull-1"));
                assertThat(f.count("certificate")).isEqualTo(2);
                assertThat(f.events()).contains("bundle refused pull-1");
                assertThat(List.of(p1, p2, p3)).allMatch(p -> p.revoked() == 0);
                assertThat(PublicationTrigger.due(p3, false, false)).as("a pass that only issued").isFalse();

                // A pass that revokes starts the publication cycle: the presigner's loop, listening on the CA
                // database, is woken with the reason (PostgreSQL NOTIFY, delivered at commit).
                String serial = OrderBundleTest.results(received.get(0), ca.issuingSigner().certificate()).get(0)
                        .get("serial").asText();
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "pull-3", OrderBundleTest.revoke("pull-rev-1", serial)));
                try (java.sql.Connection listener = f.db.connect()) {
                    listener.setAutoCommit(true);
                    try (var st = listener.createStatement()) {
                        st.execute("LISTEN " + PublicationTrigger.CHANNEL);
                    }
                    OrderPuller.Pass p4 = puller.pass();
                    assertThat(p4.problem()).isNull();
                    assertThat(p4.revoked()).isEqualTo(1);
                    assertThat(PublicationTrigger.due(p4, false, false)).isTrue();
                    PublicationTrigger.signal(ca.database().dataSource(), "1 revoked");
                    org.postgresql.PGNotification[] heard = listener.unwrap(org.postgresql.PGConnection.class)
                            .getNotifications(10_000);
                    assertThat(heard).isNotNull().hasSize(1);
                    assertThat(heard[0].getName()).isEqualTo(PublicationTrigger.CHANNEL);
                    assertThat(heard[0].getParameter()).isEqualTo("1 revoked");
                }
            } finally {
                server.stop(0);
            }
        }
    }
}
