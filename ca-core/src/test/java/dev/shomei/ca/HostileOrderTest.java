package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.shomei.ca.cli.CaCli;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.lint.LintException;
import dev.shomei.ca.orders.OrderBundleException;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ca.orders.OrderBundleVerifier;
import dev.shomei.ca.orders.OrderPuller;
import dev.shomei.pkcs11.Signer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

/**
 * Hostile input from the online zone cannot stop the CA: one bad order refuses only itself, the pull loop goes
 * on, a result the RA will never take does not hold back the bundles after it, a key is certified once even
 * inside one batch or when two processes race, and the CA reads no more than it allows.
 */
class HostileOrderTest {

    /** A CSR whose CN AttributeTypeAndValue has a third element: Bouncy Castle reads it, the JDK's parser does not. */
    static byte[] csrWithExtraAtvElement(KeyPair k) throws Exception {
        ASN1EncodableVector atv = new ASN1EncodableVector();
        atv.add(BCStyle.CN);
        atv.add(new DERUTF8String("Mallory"));
        atv.add(new DERUTF8String("one element too many"));
        RDN cn = RDN.getInstance(new DERSet(new DERSequence(atv)));
        RDN c = new RDN(BCStyle.C, new DERPrintableString("JP"));
        X500Name subject = X500Name.getInstance(new DERSequence(new ASN1Encodable[] {c, cn}));
        return new PKCS10CertificationRequestBuilder(subject, SubjectPublicKeyInfo.getInstance(k.getPublic().getEncoded()))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())).getEncoded();
    }

    /** Counts what the CA key signs. */
    static Signer counting(Signer s, AtomicInteger signatures) {
        return new Signer() {
            public dev.shomei.pkcs11.SignatureAlgorithm algorithm() { return s.algorithm(); }
            public X509Certificate certificate() { return s.certificate(); }
            public java.security.PublicKey publicKey() { return s.publicKey(); }
            public dev.shomei.pkcs11.Pkcs11Uri keyUri() { return s.keyUri(); }
            public byte[] sign(byte[] data) { signatures.incrementAndGet(); return s.sign(data); }
            public byte[] sign(Content c) { signatures.incrementAndGet(); return s.sign(c); }
            public Health health() { return s.health(); }
        };
    }

    /** A signer that fails like an HSM whose power was cut. */
    static Signer dying(Signer s) {
        return new Signer() {
            public dev.shomei.pkcs11.SignatureAlgorithm algorithm() { return s.algorithm(); }
            public X509Certificate certificate() { return s.certificate(); }
            public java.security.PublicKey publicKey() { return s.publicKey(); }
            public dev.shomei.pkcs11.Pkcs11Uri keyUri() { return s.keyUri(); }
            public byte[] sign(byte[] data) { throw new IllegalStateException("power lost"); }
            public byte[] sign(Content c) { throw new IllegalStateException("power lost"); }
            public Health health() { return new Health(false, "dying"); }
        };
    }

    @Test
    void aSubjectTheJdkCannotReadIsRefusedBeforeTheHsmSignsAndRefusesOnlyItsOrder() throws Exception {
        try (CaFixture f = CaFixture.create("hostilejdk", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            byte[] evil = csrWithExtraAtvElement(CaFixture.ecKey("secp256r1"));

            // The CA key never signs it.
            AtomicInteger signatures = new AtomicInteger();
            CertificateIssuer watched = new CertificateIssuer(ca.database().dataSource(),
                    counting(ca.issuingSigner(), signatures), "issuing-test", ca.config(), Clock.systemUTC(),
                    f.recordingEvents());
            assertThatThrownBy(() -> watched.issue("evil-direct", evil, "subscriber-signature"))
                    .isInstanceOf(LintException.class).hasMessageContaining("JDK's X.509 parser")
                    .hasMessageContaining("nothing was signed");
            assertThat(signatures.get()).isZero();

            // In a bundle, it is refused alone; the orders around it are issued and the bundle completes.
            OrderBundleProcessor.Result r = ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert, "jdk",
                    OrderBundleTest.issue("before", CaFixture.csr("CN=Before,C=JP", CaFixture.ecKey("secp256r1"))),
                    OrderBundleTest.issue("evil", evil),
                    OrderBundleTest.issue("after", CaFixture.csr("CN=After,C=JP", CaFixture.ecKey("secp256r1")))));
            assertThat(r.issued()).isEqualTo(2);
            assertThat(r.refused()).isEqualTo(1);
            JsonNode results = OrderBundleTest.results(r.resultBundle(), ca.issuingSigner().certificate());
            assertThat(results.get(1).get("reason").asText()).contains("JDK's X.509 parser");
            assertThat(f.count("certificate")).isEqualTo(2);
            assertThat(f.events()).contains("order evil refused", "order before issued", "order after issued");
        }
    }

    @Test
    void anOrderWithABadFieldIsRefusedAloneAndAnsweredAgainUnderItsId() throws Exception {
        try (CaFixture f = CaFixture.create("hostilefield", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            ObjectNode notBase64 = OrderBundleTest.issue("bad-csr", new byte[] {1}).put("csr", "%%% not base64 %%%");
            ObjectNode unknownType = OrderBundleTest.issue("bad-type", new byte[] {1}).put("type", "escalate");
            ObjectNode noDecision = OrderBundleTest.issue("no-decision",
                    CaFixture.csr("CN=No Decision,C=JP", CaFixture.ecKey("secp256r1")));
            noDecision.remove("decision");
            OrderBundleProcessor.Result r = ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert, "fields",
                    notBase64, unknownType, noDecision,
                    OrderBundleTest.issue("good", CaFixture.csr("CN=Good,C=JP", CaFixture.ecKey("secp256r1")))));
            assertThat(r.issued()).isEqualTo(1);
            assertThat(r.refused()).isEqualTo(3);
            JsonNode results = OrderBundleTest.results(r.resultBundle(), ca.issuingSigner().certificate());
            assertThat(results.findValuesAsText("reason")).anyMatch(m -> m.contains("csr is not base64"))
                    .anyMatch(m -> m.contains("unknown type 'escalate'")).anyMatch(m -> m.contains("no decision reference"));
            // The refusal stands for that order id: a later bundle with the same id gets the first answer.
            OrderBundleProcessor.Result again = ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert,
                    "fields-2", OrderBundleTest.issue("bad-type", CaFixture.csr("CN=Later,C=JP", CaFixture.ecKey("secp256r1")))));
            assertThat(again.repeated()).isEqualTo(1);
            assertThat(f.count("certificate")).isEqualTo(1);

            // Two orders with one id cannot be answered apart: that bundle is refused whole.
            byte[] csr = CaFixture.csr("CN=Twice,C=JP", CaFixture.ecKey("secp256r1"));
            assertThatThrownBy(() -> ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert, "twice",
                    OrderBundleTest.issue("same", csr), OrderBundleTest.issue("same", csr))))
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("order id same more than once");
        }
    }

    @Test
    void thePullLoopGoesOnAfterABadOrderAFailedBundleAndAResultTheRaRefusesForGood() throws Exception {
        try (CaFixture f = CaFixture.create("hostilepull", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            // A minimal RA: serves the head of its queue until it gets an answer (2xx) or refuses one for good (4xx).
            ConcurrentLinkedDeque<byte[]> outbox = new ConcurrentLinkedDeque<>();
            List<byte[]> received = new CopyOnWriteArrayList<>();
            AtomicInteger resultStatus = new AtomicInteger(204);
            AtomicInteger refusedPosts = new AtomicInteger();
            HttpServer ra = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
            ra.createContext("/ca/order-bundles/next", ex -> {
                byte[] next = outbox.peek();
                if (next == null) {
                    ex.sendResponseHeaders(204, -1);
                } else {
                    ex.sendResponseHeaders(200, next.length);
                    ex.getResponseBody().write(next);
                }
                ex.close();
            });
            ra.createContext("/ca/result-bundles", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                int status = resultStatus.get();
                if (status == 204) {
                    received.add(body);
                    outbox.poll();
                    ex.sendResponseHeaders(204, -1);
                } else {
                    refusedPosts.incrementAndGet();
                    byte[] problem = "{\"type\":\"result-status-unknown\",\"status\":422}".getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(status, problem.length);
                    ex.getResponseBody().write(problem);
                }
                ex.close();
            });
            ra.start();
            try {
                URI base = URI.create("http://localhost:" + ra.getAddress().getPort() + "/");
                HttpClient http = HttpClient.newHttpClient();
                List<String> log = new CopyOnWriteArrayList<>();
                OrderPuller puller = new OrderPuller(base, http, ca.orderProcessor(), ca.database().dataSource(),
                        ca.config().maxOrderBundleBytes(), log::add);

                // Step 1: a bundle with an order that used to stop the CA, then another bundle: both done in one pass.
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "p-1",
                        OrderBundleTest.issue("p-evil", csrWithExtraAtvElement(CaFixture.ecKey("secp256r1"))),
                        OrderBundleTest.issue("p-good", CaFixture.csr("CN=Good,C=JP", CaFixture.ecKey("secp256r1")))));
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "p-2",
                        OrderBundleTest.issue("p-next", CaFixture.csr("CN=Next,C=JP", CaFixture.ecKey("secp256r1")))));
                OrderPuller.Pass p1 = puller.pass();
                assertThat(p1.problem()).isNull();
                assertThat(p1.executed()).isEqualTo(2);
                assertThat(received).hasSize(2);

                // Step 2: a failure that is no order's fault (the HSM dies while signing the result): reported, not
                // thrown; the next pass executes the same bundle, each order once.
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "p-3",
                        OrderBundleTest.issue("p-3a", CaFixture.csr("CN=Three,C=JP", CaFixture.ecKey("secp256r1")))));
                OrderBundleProcessor broken = new OrderBundleProcessor(ca.database().dataSource(), ca.issuer(),
                        dying(ca.issuingSigner()), new OrderBundleVerifier(List.of(f.raCert)), f.recordingEvents(),
                        Clock.systemUTC(), List.of("subscriber-signature"));
                OrderPuller.Pass failed = new OrderPuller(base, http, broken, ca.database().dataSource(),
                        ca.config().maxOrderBundleBytes(), log::add).pass();
                assertThat(failed.problem()).contains("could not be executed", "power lost", "the next pass tries again");
                OrderPuller.Pass p3 = puller.pass();
                assertThat(p3.problem()).isNull();
                assertThat(received).hasSize(3);
                assertThat(f.count("certificate")).isEqualTo(3);

                // Step 3: the RA refuses a result for good (422) and moves on: the next bundle is still executed,
                // the refused result is kept for the operator and not sent again.
                resultStatus.set(422);
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "p-4",
                        OrderBundleTest.issue("p-4a", CaFixture.csr("CN=Four,C=JP", CaFixture.ecKey("secp256r1")))));
                OrderPuller.Pass refused = puller.pass();
                assertThat(refused.problem()).contains("served order bundle p-4 again");
                assertThat(log).anyMatch(l -> l.contains("refused result bundle p-4 for good") && l.contains("422"));
                outbox.poll(); // the RA gives up on p-4 and serves the next bundle
                resultStatus.set(204);
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "p-5",
                        OrderBundleTest.issue("p-5a", CaFixture.csr("CN=Five,C=JP", CaFixture.ecKey("secp256r1")))));
                int postsBefore = refusedPosts.get();
                OrderPuller.Pass after = puller.pass();
                assertThat(after.problem()).isNull();
                assertThat(after.executed()).isEqualTo(1);
                assertThat(refusedPosts.get()).as("the refused result is not posted again").isEqualTo(postsBefore);
                List<OrderPuller.Undelivered> kept = OrderPuller.undelivered(ca.database().dataSource());
                assertThat(kept).singleElement().satisfies(u -> {
                    assertThat(u.bundleId()).isEqualTo("p-4");
                    assertThat(u.refusal()).contains("HTTP 422", "result-status-unknown");
                });
                assertThat(ca.orderProcessor().storedResult("p-4")).isNotEmpty();

                // Step 4: a body larger than orders.maxBundleBytes is not read, and nothing is recorded.
                long bundles = f.count("order_bundle");
                outbox.add(OrderBundleTest.bundle(f.raKeys, f.raCert, "p-big",
                        OrderBundleTest.issue("p-big-1", CaFixture.csr("CN=Big One,C=JP", CaFixture.ecKey("secp256r1"))),
                        OrderBundleTest.issue("p-big-2", CaFixture.csr("CN=Big Two,C=JP", CaFixture.ecKey("secp256r1")))));
                OrderPuller.Pass big = new OrderPuller(base, http, ca.orderProcessor(), ca.database().dataSource(),
                        1024, log::add).pass();
                assertThat(big.problem()).contains("larger than orders.maxBundleBytes (1024 bytes)");
                assertThat(f.count("order_bundle")).isEqualTo(bundles);
            } finally {
                ra.stop(0);
            }
        }
    }

    @Test
    void anImportedFileLargerThanTheLimitIsNotRead() throws Exception {
        try (CaFixture f = CaFixture.create("hostileimport", "EC-P256", "EC-P256")) {
            f.ceremony();
            f.ca.close();
            f.ca = null;
            Files.writeString(f.configFile, Files.readString(f.configFile).replace("  trustedRaCertificates: [ra-orders.pem]",
                    "  trustedRaCertificates: [ra-orders.pem]\n  maxBundleBytes: 2048"));
            byte[] bundle = OrderBundleTest.bundle(f.raKeys, f.raCert, "too-big",
                    OrderBundleTest.issue("big-1", CaFixture.csr("CN=Big One,C=JP", CaFixture.ecKey("secp256r1"))),
                    OrderBundleTest.issue("big-2", CaFixture.csr("CN=Big Two,C=JP", CaFixture.ecKey("secp256r1"))),
                    OrderBundleTest.issue("big-3", CaFixture.csr("CN=Big Three,C=JP", CaFixture.ecKey("secp256r1"))));
            assertThat(bundle.length).isGreaterThan(2048);
            Path file = f.dir.resolve("too-big.p7m");
            Files.write(file, bundle);
            int exit = CaCli.run("--config", f.configFile.toString(), "orders", "import", "--bundle", file.toString(),
                    "--result-out", f.dir.resolve("too-big-result.p7m").toString());
            assertThat(exit).isNotZero();
            assertThat(f.count("order_bundle")).isZero();
            assertThat(f.count("certificate")).isZero();
        }
    }

    @Test
    void duplicateJsonKeysInSignedContentRefuseTheBundle() throws Exception {
        try (CaFixture f = CaFixture.create("hostilejson", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            String csr = java.util.Base64.getEncoder().encodeToString(
                    CaFixture.csr("CN=Dup,C=JP", CaFixture.ecKey("secp256r1")));
            // A reader keeping the first "profile" sees a subscriber order; Jackson's default keeps the last.
            String json = """
                    {"format":"shomei-order-bundle/v1","bundleId":"dup","createdAt":"2026-11-22T14:00:00Z","orders":[
                     {"orderId":"dup-1","type":"issue","profile":"subscriber-signature","profile":"ocsp-responder",
                      "csr":"%s","decision":{"id":"d","sha256":"%s"}}]}""".formatted(csr, "ab".repeat(32));
            assertThatThrownBy(() -> ca.orderProcessor().process(signed(f.raKeys, f.raCert, json.getBytes(StandardCharsets.UTF_8))))
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("Duplicate field 'profile'");
            assertThat(f.count("certificate")).isZero();
            assertThat(f.events()).contains("bundle refused (unreadable)");
        }
    }

    static byte[] signed(KeyPair key, X509Certificate cert, byte[] content) throws Exception {
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()), cert));
        g.addCertificates(new JcaCertStore(List.of(cert)));
        return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
    }

    @Test
    void aKeyIsCertifiedOnceInsideABatchAndTheDatabaseEnforcesOneLiveCertificatePerKeyAndProfile() throws Exception {
        try (CaFixture f = CaFixture.create("hostilekey", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            KeyPair k = CaFixture.ecKey("secp256r1");
            // Two orders of one bundle for the same key (two CSRs, so the request digests differ).
            OrderBundleProcessor.Result r = ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert, "twice",
                    OrderBundleTest.issue("key-a", CaFixture.csr("CN=A,C=JP", k)),
                    OrderBundleTest.issue("key-b", CaFixture.csr("CN=B,C=JP", k))));
            assertThat(r.issued()).isEqualTo(1);
            assertThat(r.refused()).isEqualTo(1);
            assertThat(OrderBundleTest.results(r.resultBundle(), ca.issuingSigner().certificate()).get(1).get("reason").asText())
                    .contains("also in request key-a of the same batch");
            assertThat(f.count("certificate")).isEqualTo(1);

            // The database itself refuses a second live certificate for the key and profile...
            String keySha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(k.getPublic().getEncoded()));
            assertThatThrownBy(() -> insertCertificate(f, "f00d01", "raw-1", keySha))
                    .isInstanceOf(SQLException.class).hasMessageContaining("certificate_one_live_per_key");
            // ...and once that certificate is revoked, the key is no longer live under it.
            String serial = OrderBundleTest.results(r.resultBundle(), ca.issuingSigner().certificate()).get(0).get("serial").asText();
            ca.issuer().revoke(serial, dev.shomei.ca.issuance.RevocationReason.SUPERSEDED, "test");
            insertCertificate(f, "f00d02", "raw-2", keySha);
        }
    }

    @Test
    void twoProcessesCertifyingOneKeyAtOnceEndInOneCertificateAndOneRefusal() throws Exception {
        try (CaFixture f = CaFixture.create("hostilerace", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            KeyPair k = CaFixture.ecKey("secp256r1");
            String keySha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(k.getPublic().getEncoded()));
            ExecutorService other = Executors.newSingleThreadExecutor();
            try (Connection otherProcess = f.db.connect()) {
                otherProcess.setAutoCommit(false);
                // The other process has certified the key but not committed yet: this CA's check cannot see it.
                insertCertificate(otherProcess, "beef01", "other-process", keySha);
                Future<CertificateIssuer.Issued> mine = other.submit(() ->
                        ca.issuer().issue("race-1", CaFixture.csr("CN=Race,C=JP", k), "subscriber-signature"));
                // Wait (with a deadline) until this CA's insert blocks on the other process's index entry.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!waitingOnALock(f) && !mine.isDone()) {
                    assertThat(System.nanoTime()).as("the CA's insert never waited on the other's").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                otherProcess.commit();
                assertThatThrownBy(() -> {
                    try {
                        mine.get(60, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause();
                    }
                }).isInstanceOf(CaOperationException.class).hasMessageContaining("already has a live certificate")
                        .hasMessageContaining("request other-process");
            } finally {
                other.shutdownNow();
            }
            assertThat(f.count("certificate")).isEqualTo(1);
            assertThat(f.events()).noneMatch(e -> e.startsWith("issued "));
        }
    }

    private static boolean waitingOnALock(CaFixture f) throws SQLException {
        // pg_locks, not pg_stat_activity: the CA works as the service role, whose sessions' wait events another role
        // cannot see. A blocked unique-index insert waits for the other transaction's id (a lock not granted).
        try (Connection c = f.db.connect(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_locks"
                + " WHERE NOT granted"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    private static void insertCertificate(CaFixture f, String serial, String requestId, String keySha) throws SQLException {
        try (Connection c = f.db.connect()) {
            c.setAutoCommit(false);
            insertCertificate(c, serial, requestId, keySha);
            c.commit();
        }
    }

    private static void insertCertificate(Connection c, String serial, String requestId, String keySha) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO certificate (serial, issuer_label, request_id, profile,"
                + " subject, public_key_sha256, not_before, not_after, der) VALUES (?, 'issuing-test', ?,"
                + " 'subscriber-signature', 'CN=Raw', ?, now(), now() + interval '1 day', '\\x00'::bytea)")) {
            ps.setString(1, serial);
            ps.setString(2, requestId);
            ps.setString(3, keySha);
            ps.executeUpdate();
        }
    }
}
