package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.cli.CaCli;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaCoreEnvironment;
import dev.shomei.ra.testkit.CaEvents;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaInstance;
import dev.shomei.ra.testkit.SimulatedCard;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.cms.CMSSignedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Two RA instances on one PostgreSQL, as replicas behind a load balancer (docs/operations.md, "Beyond one
 * machine"): two JVMs running the packaged RA, one database, one SoftHSM2 token for their order-signing key, and
 * the real CA (ca-core) pulling from both. Applications go to both at once, the same signed application to both at
 * the same moment; officers decide on both (the two approvals of four eyes on different instances, and two officers
 * rejecting one application on both at once); the CA fetches the next bundle from both at once, answers it to both
 * at once, then pulls with {@code ca orders pull --once} alternately from each. Afterwards: each application and
 * revocation request is decided once, each order was in exactly one bundle and executed once, the books have one
 * entry per event, and the audit log verifies with one event per action and subject.
 *
 * <p>Zone: tests only (ca-core is a test-scope dependency). Runs in the integration-test phase (failsafe), after
 * the RA is packaged.
 */
@Tag("integration")
@EnabledIfSystemProperty(named = "shomei.integration-test", matches = "true",
        disabledReason = "runs in failsafe's integration-test phase, against the packaged RA")
@DisabledIfSystemProperty(named = "shomei.test-groups", matches = "bench", disabledReason = "a test, not a benchmark")
class TwoRaInstancesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Small bundles, so that the queue spans several and the instances take turns serving them. */
    private static final int MAX_ORDERS_PER_BUNDLE = 4;

    static CaCoreEnvironment environment;
    static Map<String, String> config;
    static RaInstance a;
    static RaInstance b;
    static HttpClient applicant;
    static SSLContext officerTls;
    static SSLContext secondOfficerTls;
    static SSLContext caTls;

    @BeforeAll
    static void start() throws Exception {
        environment = new CaCoreEnvironment();
        config = new HashMap<>(environment.start());
        config.put("ra.orders.max-orders-per-bundle", String.valueOf(MAX_ORDERS_PER_BUNDLE));
        // Both instances sign audit checkpoints of the one log, on their own schedules.
        config.put("ra.audit.checkpoint-every", "2s");
        // Both start at once (their Flyway migrations race on one database: Flyway's lock orders them).
        ExecutorService boot = Executors.newFixedThreadPool(2);
        try {
            Future<RaInstance> fa = boot.submit(() -> RaInstance.start("a", config, Duration.ofSeconds(120)));
            Future<RaInstance> fb = boot.submit(() -> RaInstance.start("b", config, Duration.ofSeconds(120)));
            try {
                a = fa.get(150, TimeUnit.SECONDS);
            } catch (Exception e) {
                // The other instance may have started: stop it too (@AfterAll sees only what was assigned).
                try {
                    fb.get(150, TimeUnit.SECONDS).close();
                } catch (Exception ignored) {
                    // it did not start either
                }
                throw e;
            }
            b = fb.get(150, TimeUnit.SECONDS);
        } finally {
            boot.shutdownNow();
        }
        applicant = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        officerTls = tls(config.get("test.tls.officer-keystore"));
        secondOfficerTls = tls(config.get("test.tls.second-officer-keystore"));
        caTls = tls(config.get("test.orders.ca-client-keystore"));
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (environment != null) {
            environment.stop();
        }
    }

    @Test
    void twoInstancesDecideEachApplicationOnceAndServeEachOrderOnce() throws Exception {
        KeyPair[] cardKeys = {SimulatedCard.rsaKey(), SimulatedCard.rsaKey()};
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            // Step 1: twelve applicants, each sent to one instance (alternately), all at once; four more, each sent
            // to both instances at the same moment (the same signed bytes): one application each, one id.
            List<byte[]> single = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                single.add(application(person(i), cardKeys[i % 2], false).cms());
            }
            List<byte[]> twins = new ArrayList<>();
            for (int i = 12; i < 16; i++) {
                twins.add(application(person(i), cardKeys[i % 2], false).cms());
            }
            List<Future<Submitted>> singles = new ArrayList<>();
            for (int i = 0; i < single.size(); i++) {
                RaInstance to = i % 2 == 0 ? a : b;
                byte[] cms = single.get(i);
                singles.add(pool.submit(() -> submit(to, "/applications", cms)));
            }
            List<Future<Submitted[]>> twinned = new ArrayList<>();
            for (byte[] cms : twins) {
                twinned.add(pool.submit(() -> both(pool, () -> submit(a, "/applications", cms),
                        () -> submit(b, "/applications", cms))));
            }
            Set<String> approved = new HashSet<>();
            for (Future<Submitted> f : singles) {
                Submitted s = f.get(60, TimeUnit.SECONDS);
                assertThat(s.status()).as(s.body()).isEqualTo(201);
                assertThat(s.json().path("status").asText()).as(s.body()).isEqualTo("APPROVED");
                approved.add(s.id());
            }
            for (Future<Submitted[]> f : twinned) {
                Submitted[] pair = f.get(60, TimeUnit.SECONDS);
                assertThat(pair[0].status()).as(pair[0].body()).isIn(200, 201);
                assertThat(pair[1].status()).as(pair[1].body()).isIn(200, 201);
                assertThat(pair[0].id()).as("the same signed application, sent to both instances at once, is one"
                        + " application").isEqualTo(pair[1].id());
                approved.add(pair[0].id());
            }
            assertThat(approved).hasSize(16);

            // Step 2: referred applications (the claimed name differs from the card's). Four eyes across instances:
            // the first approval on one instance, the second on the other.
            List<String> referred = new ArrayList<>();
            for (int i = 16; i < 19; i++) {
                Submitted s = submit(i % 2 == 0 ? a : b, "/applications",
                        application(person(i), cardKeys[i % 2], true).cms());
                assertThat(s.status()).as(s.body()).isEqualTo(201);
                assertThat(s.json().path("status").asText()).isEqualTo("REFERRED");
                referred.add(s.id());
            }
            for (int i = 0; i < 2; i++) {
                String id = referred.get(i);
                RaInstance first = i == 0 ? a : b;
                RaInstance second = i == 0 ? b : a;
                HttpResponse<String> pending = decide(first, officerTls, id, "APPROVED", "kana reading checked");
                assertThat(pending.statusCode()).as(pending.body()).isEqualTo(202);
                HttpResponse<String> done = decide(second, secondOfficerTls, id, "APPROVED", "second look: same");
                assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
                approved.add(id);
            }
            // Two officers reject the third on both instances at the same moment: one decides, the other is told.
            String raced = referred.get(2);
            Submitted[] rejections = both(pool,
                    () -> asSubmitted(decide(a, officerTls, raced, "REJECTED", "applicant withdrew")),
                    () -> asSubmitted(decide(b, secondOfficerTls, raced, "REJECTED", "not the applicant's name")));
            assertThat(List.of(rejections[0].status(), rejections[1].status())).containsExactlyInAnyOrder(200, 409);

            // Step 3: the CA asks both instances for the next bundle at once: the same bundle (one bundle is open
            // at a time), never two bundles with the same orders. It answers the bundle to both at once: applied
            // once.
            Path caYaml = Path.of(config.get("test.ca.config"));
            Set<String> bundlesSeen = new HashSet<>();
            try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(caYaml), CaEvents.NONE,
                    Clock.systemUTC())) {
                OrderBundleProcessor processor = ca.orderProcessor();
                Submitted[] next = both(pool, () -> caGet(a), () -> caGet(b));
                assertThat(next[0].status()).isEqualTo(200);
                assertThat(next[1].status()).isEqualTo(200);
                assertThat(next[0].bytes()).as("both instances serve the one open bundle").isEqualTo(next[1].bytes());
                OrderBundleProcessor.Result result = processor.process(next[0].bytes());
                assertThat(result.issued()).isEqualTo(MAX_ORDERS_PER_BUNDLE);
                bundlesSeen.add(result.bundleId());
                Submitted[] posted = both(pool, () -> caPost(a, result.resultBundle()),
                        () -> caPost(b, result.resultBundle()));
                assertThat(posted[0].status()).as(posted[0].body()).isEqualTo(204);
                assertThat(posted[1].status()).as(posted[1].body()).isEqualTo(204);
            }

            // Step 4: the real pull loop, one pass at a time, alternately from each instance, until nothing is left.
            Path dir = caYaml.getParent();
            Files.writeString(dir.resolve("ca-client.pw"), config.get("test.tls.password") + "\n");
            Path serverPin = dir.resolve("ra-server-pinned.pem");
            Files.writeString(serverPin, CaPullEndToEndTest.pem(serverCertificate()));
            Path pullA = pullConfig(caYaml, "ca-pull-a.yaml", a, serverPin);
            Path pullB = pullConfig(caYaml, "ca-pull-b.yaml", b, serverPin);
            // A pass takes bundles until the instance it asks has none; between passes more applications arrive, so
            // that each instance serves bundles of its own.
            int fromB = pass(pullB);
            assertThat(fromB).as("bundles pulled from instance b").isPositive();
            List<Future<Submitted>> more = new ArrayList<>();
            for (int i = 19; i < 23; i++) {
                RaInstance to = i % 2 == 0 ? a : b;
                byte[] cms = application(person(i), cardKeys[i % 2], false).cms();
                more.add(pool.submit(() -> submit(to, "/applications", cms)));
            }
            for (Future<Submitted> f : more) {
                Submitted s = f.get(60, TimeUnit.SECONDS);
                assertThat(s.status()).as(s.body()).isEqualTo(201);
                approved.add(s.id());
            }
            int fromA = pass(pullA);
            assertThat(fromA).as("bundles pulled from instance a").isPositive();
            // 18 approved in steps 1 and 2: the bundle of step 3 and three more of at most 4; then 4 more: one bundle.
            assertThat(fromB).isEqualTo(4);
            assertThat(fromA).isEqualTo(1);
            for (String id : approved) {
                assertThat(status((id.hashCode() & 1) == 0 ? a : b, id).path("status").asText()).as(id)
                        .isEqualTo("ISSUED");
            }

            // Step 5: a subscriber revokes one certificate, sending the same signed request to both at once.
            String revoked = approved.iterator().next();
            byte[] revocation = ApplicantClient.revocationRequest(cardOf(revoked, cardKeys), revoked, "keyCompromise");
            Submitted[] revs = both(pool, () -> submit(a, "/revocation-requests", revocation),
                    () -> submit(b, "/revocation-requests", revocation));
            assertThat(revs[0].status()).as(revs[0].body()).isIn(200, 201);
            assertThat(revs[1].status()).as(revs[1].body()).isIn(200, 201);
            assertThat(revs[0].json().path("revocationRequestId").asText())
                    .isEqualTo(revs[1].json().path("revocationRequestId").asText());
            assertThat(pass(pullB)).isEqualTo(1);
            assertThat(pass(pullA)).as("nothing left on either instance").isZero();
            assertThat(pass(pullB)).isZero();
            assertThat(status(a, revoked).path("certificate").path("status").asText()).isEqualTo("REVOKED");

            // Step 6: the books, the orders and the audit log, read from the one database.
            assertConsistent(approved, raced);
        } finally {
            pool.shutdownNow();
        }
    }

    private void assertConsistent(Set<String> approved, String rejected) throws Exception {
        try (Connection c = DriverManager.getConnection(config.get("test.database.url"),
                config.get("quarkus.flyway.username"), config.get("quarkus.flyway.password"))) {
            assertThat(longOf(c, "SELECT count(*) FROM application")).isEqualTo(23);
            // A referred application has the policy's REFERRED decision and then the officers' one: one final each.
            assertThat(rows(c, "SELECT subject_id::text FROM decision WHERE outcome <> 'REFERRED' GROUP BY subject_id"
                    + " HAVING count(*) > 1")).as("subjects decided more than once").isEmpty();
            assertThat(longOf(c, "SELECT count(*) FROM decision WHERE subject_kind = 'APPLICATION'"
                    + " AND outcome <> 'REFERRED'")).isEqualTo(23);
            assertThat(longOf(c, "SELECT count(*) FROM decision WHERE outcome = 'REFERRED'")).isEqualTo(3);
            assertThat(longOf(c, "SELECT count(*) FROM revocation_request")).isEqualTo(1);
            assertThat(rows(c, "SELECT status FROM application WHERE id = '" + rejected + "'"))
                    .containsExactly("REJECTED");

            // Each order in exactly one bundle, and each order executed once.
            Map<String, String> bundleOf = new HashMap<>();
            int bundles = 0;
            try (PreparedStatement ps = c.prepareStatement("SELECT id, cms FROM order_bundle");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    bundles++;
                    JsonNode content = JSON.readTree((byte[]) new CMSSignedData(rs.getBytes(2)).getSignedContent()
                            .getContent());
                    assertThat(content.path("bundleId").asText()).isEqualTo(rs.getString(1));
                    for (JsonNode o : content.path("orders")) {
                        String previous = bundleOf.put(o.path("orderId").asText(), rs.getString(1));
                        assertThat(previous).as("order " + o.path("orderId").asText() + " served in two bundles")
                                .isNull();
                    }
                }
            }
            assertThat(bundles).as("order bundles made").isEqualTo(7);
            List<String> orders = rows(c, "SELECT id FROM ca_order");
            assertThat(orders).hasSize(approved.size() + 1);
            assertThat(bundleOf.keySet()).containsExactlyInAnyOrderElementsOf(orders);
            assertThat(rows(c, "SELECT id FROM ca_order WHERE state <> 'DONE' OR result_status NOT IN"
                    + " ('issued', 'revoked') OR bundle_id IS NULL")).isEmpty();
            assertThat(rows(c, "SELECT id FROM order_bundle WHERE answered_at IS NULL")).isEmpty();

            // One book entry per event.
            // (A subject has several entries in a book: a referral and the officers' decision, a request and its
            // result, notices; the same entry twice, or two issuances of one application, would be a double.)
            assertThat(rows(c, "SELECT book || ' ' || subject_id FROM book_entry GROUP BY book, subject_id, entry"
                    + " HAVING count(*) > 1")).as("book entries recorded twice").isEmpty();
            assertThat(rows(c, "SELECT subject_id::text FROM book_entry WHERE book = 'ISSUANCE' GROUP BY subject_id"
                    + " HAVING count(*) > 1")).as("applications issued twice").isEmpty();
            assertThat(longOf(c, "SELECT count(*) FROM book_entry WHERE book = 'DECISION'"))
                    .isEqualTo(longOf(c, "SELECT count(*) FROM decision"));
            assertThat(longOf(c, "SELECT count(*) FROM book_entry WHERE book = 'ISSUANCE'"))
                    .isEqualTo(approved.size());
            assertThat(longOf(c, "SELECT count(*) FROM book_entry WHERE book = 'REVOCATION'"
                    + " AND entry LIKE '%\"status\":\"revoked\"%'")).isEqualTo(1);

            // The audit log: one chain that verifies, one event per action and subject.
            assertThat(rows(c, "SELECT action || ' ' || subject FROM audit_entry GROUP BY action, subject"
                    + " HAVING count(*) > 1")).as("audit events recorded twice").isEmpty();
            assertThat(longOf(c, "SELECT count(*) FROM audit_entry WHERE action = 'order.issued'"))
                    .isEqualTo(approved.size());
            assertThat(longOf(c, "SELECT count(*) FROM audit_entry WHERE action = 'order.revoked'")).isEqualTo(1);
            X509Certificate checkpointKey;
            try (InputStream in = Files.newInputStream(Path.of(config.get("test.audit.checkpoint-certificate")))) {
                checkpointKey = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            // The instances' schedules sign a checkpoint of the whole log within seconds of the last append.
            long entries = longOf(c, "SELECT count(*) FROM audit_entry");
            Instant deadline = Instant.now().plusSeconds(30);
            while (longOf(c, "SELECT coalesce(max(tree_size), 0) FROM audit_checkpoint") < entries) {
                assertThat(Instant.now()).as("a checkpoint covers all " + entries + " entries").isBefore(deadline);
                Thread.sleep(200); // polling another JVM's scheduled checkpoint, with the deadline above
            }
            VerificationReport report = new AuditVerifier(List.of(checkpointKey.getPublicKey())).verify(c);
            assertThat(report.ok()).as(report.render()).isTrue();
            assertThat(report.entriesChecked()).isEqualTo(longOf(c, "SELECT count(*) FROM audit_entry"));
        }
    }

    /** One pass of {@code ca orders pull --once}; the number of bundles it executed. */
    static int pass(Path pullConfig) {
        CaPullEndToEndTest.Run run = CaPullEndToEndTest.pullOnce(pullConfig);
        assertThat(run.exit()).as(run.output()).isZero();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("executed (\\d+) bundle").matcher(run.output());
        assertThat(m.find()).as(run.output()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    // ---- applicants ----

    record Application(byte[] cms, SimulatedCard card) {}

    static JpkiPerson person(int i) {
        return JpkiPerson.of("複製", "利用者" + i, String.valueOf(1 + i % 2), LocalDate.of(1960, 1, 1).plusDays(i * 11L),
                "大阪府大阪市北区中之島" + (i + 1) + "丁目1番");
    }

    static final Map<String, SimulatedCard> CARDS = Collections.synchronizedMap(new HashMap<>());

    static Application application(JpkiPerson p, KeyPair cardKey, boolean otherName) {
        SimulatedCard card = SimulatedCard.inSoftware(cardKey, p,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), p));
        Claim claim = otherName ? Claim.of(p).withName("複製 りようしゃ") : Claim.of(p);
        byte[] cms = ApplicantClient.application(card, claim, ApplicantClient.csr(ApplicantClient.ecKey()));
        CARDS.put(sha(cms), card);
        return new Application(cms, card);
    }

    /** The card an application was signed with (its id is looked up by the CMS it was made from). */
    static SimulatedCard cardOf(String applicationId, KeyPair[] keys) throws Exception {
        try (Connection c = DriverManager.getConnection(config.get("test.database.url"),
                config.get("quarkus.flyway.username"), config.get("quarkus.flyway.password"))) {
            String sha = rows(c, "SELECT cms_sha256 FROM application WHERE id = '" + applicationId + "'").get(0);
            return CARDS.get(sha.strip());
        }
    }

    static String sha(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- HTTP ----

    record Submitted(int status, String body, byte[] bytes) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        String id() {
            return json().path("applicationId").asText();
        }
    }

    static Submitted submit(RaInstance to, String path, byte[] cms) throws Exception {
        HttpResponse<String> r = applicant.send(HttpRequest.newBuilder(URI.create("http://localhost:" + to.httpPort
                + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/cms")
                .POST(HttpRequest.BodyPublishers.ofByteArray(cms)).build(), HttpResponse.BodyHandlers.ofString());
        return new Submitted(r.statusCode(), r.body(), null);
    }

    static JsonNode status(RaInstance at, String id) throws Exception {
        HttpResponse<String> r = applicant.send(HttpRequest.newBuilder(URI.create("http://localhost:" + at.httpPort
                + "/applications/" + id)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> decide(RaInstance at, SSLContext officer, String id, String outcome, String reason)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(officer).connectTimeout(Duration.ofSeconds(10)).build();
        String body = JSON.writeValueAsString(Map.of("outcome", outcome, "reason", reason));
        return http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + at.httpsPort
                + "/officer/applications/" + id + "/decision")).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static Submitted asSubmitted(HttpResponse<String> r) {
        return new Submitted(r.statusCode(), r.body(), null);
    }

    static Submitted caGet(RaInstance at) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(caTls).connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + at.httpsPort
                + "/ca/order-bundles/next")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Submitted(r.statusCode(), "", r.body());
    }

    static Submitted caPost(RaInstance at, byte[] result) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(caTls).connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + at.httpsPort
                + "/ca/result-bundles")).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/pkcs7-mime")
                .POST(HttpRequest.BodyPublishers.ofByteArray(result)).build(), HttpResponse.BodyHandlers.ofString());
        return new Submitted(r.statusCode(), r.body(), null);
    }

    /** Runs both calls released at the same moment (a barrier), and returns both answers. */
    static Submitted[] both(ExecutorService pool, Callable<Submitted> one, Callable<Submitted> two) throws Exception {
        CyclicBarrier go = new CyclicBarrier(2);
        ExecutorService own = Executors.newFixedThreadPool(2);
        try {
            Future<Submitted> f1 = own.submit(() -> {
                go.await(30, TimeUnit.SECONDS);
                return one.call();
            });
            Future<Submitted> f2 = own.submit(() -> {
                go.await(30, TimeUnit.SECONDS);
                return two.call();
            });
            return new Submitted[] {f1.get(60, TimeUnit.SECONDS), f2.get(60, TimeUnit.SECONDS)};
        } finally {
            own.shutdownNow();
        }
    }

    static SSLContext tls(String keyStore) throws Exception {
        char[] password = config.get("test.tls.password").toCharArray();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(Path.of(keyStore), password), password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(Path.of(config.get("test.tls.server-keystore")), password));
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return tls;
    }

    static KeyStore load(Path p, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p)) {
            ks.load(in, password);
        }
        return ks;
    }

    static X509Certificate serverCertificate() throws Exception {
        KeyStore ks = load(Path.of(config.get("test.tls.server-keystore")), config.get("test.tls.password").toCharArray());
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                return (X509Certificate) ks.getCertificate(alias);
            }
        }
        throw new IllegalStateException("no server key entry");
    }

    /** The end-to-end CA's ca.yaml with an orders.pull section for one instance's HTTPS port. */
    static Path pullConfig(Path caYaml, String name, RaInstance at, Path serverPin) throws Exception {
        return CaPullEndToEndTest.pullConfig(caYaml, name, at.httpsPort,
                Path.of(config.get("test.orders.ca-client-keystore")), serverPin.toString());
    }

    // ---- SQL ----

    static long longOf(Connection c, String sql) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static List<String> rows(Connection c, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
