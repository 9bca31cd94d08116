package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.cli.CaCli;
import dev.shomei.ocsp.cli.PresignerCli;
import dev.shomei.publisher.cli.PublisherCli;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaCoreEnvironment;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Revocation to the edge, end to end, with the chain as separate processes on their production schedules: the RA
 * (this Quarkus app, over HTTP) accepts a subscriber's JPKI-signed revocation request; the CA's pull loop
 * ({@code ca orders pull}, its own JVM, every {@code bench.pullSeconds}) executes the revoke order, issues the CRL and
 * signals the publication cycle; {@code presigner loop} (its own JVM) wakes on the signal, re-signs and writes the
 * bundle into the publisher's inbox; {@code publisher watch} (its own JVM) publishes it on arrival; {@code publisher
 * edge} (its own JVM) serves it. The clock runs from the revocation request until the edge serves both the revoked
 * OCSP response and a CRL listing the serial, each signature-checked (Bouncy Castle: the responder's certificate
 * chains to the issuing CA and signed the response; the CRL verifies with the issuing CA's key).
 *
 * <p>Each run is printed beside the 60 s target, with where its time went (from the children's output, timestamped as
 * it arrives). Not in this run: the transfer out of the secure zone (the presigner writes straight into the inbox) and
 * a CDN in front of the edge (its max-age cap adds to the worst case: docs/operations.md).
 *
 * <p>Zone: tests only (benchmark; ca-core, the presigner and the publisher are test-scope dependencies). Run:
 * {@code bin/bench -o -pl ra-service -am -Dtest=RevocationToEdgeBenchTest} ({@code -Dbench.runs=3},
 * {@code -Dbench.pullSeconds=15}).
 */
@Tag("bench")
@QuarkusTest
@WithTestResource(CaCoreEnvironment.class)
class RevocationToEdgeBenchTest {

    private static final Duration TARGET = Duration.ofSeconds(60);
    private static final Pattern EDGE_URL = Pattern.compile(" at (http://\\S+/) ");
    /** The pull loop's line for an executed bundle that revoked: "order bundle ID: 0 issued, 1 revoked, 0 refused". */
    private static final Pattern REVOKED_BUNDLE = Pattern.compile("^order bundle \\S+: \\d+ issued, [1-9]\\d* revoked, ");

    @Test
    void revocationReachesTheEdgeThroughSeparateProcesses() throws Exception {
        int runs = Integer.getInteger("bench.runs", 3);
        int pullSeconds = Integer.getInteger("bench.pullSeconds", 15);
        Path caYaml = Path.of(Ra.config("test.ca.config"));
        Path dir = caYaml.getParent();
        // Step 0: the secure zone's delegated keys for OCSP and publication (as in bin/quickstart).
        String yaml = Files.readString(caYaml, StandardCharsets.UTF_8);
        assertThat(yaml).endsWith("\n");
        Files.writeString(caYaml, yaml + """
                  ocsp-responder: { validityDays: 90, keyUsage: [digitalSignature], extendedKeyUsage: [ocspSigning], ocspNoCheck: true, allowedKeys: [EC-P256] }
                  publication-signer: { validityDays: 365, keyUsage: [digitalSignature], extendedKeyUsage: [publicationSigning, emailProtection], allowedKeys: [EC-P256] }
                """, StandardCharsets.UTF_8);
        String cfg = caYaml.toString();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "ocsp-e2e", "--profile", "ocsp-responder",
                "--subject", "CN=E2E OCSP,O=Shomei Test,C=JP", "--operator", "Bench Operator")).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "publication-e2e", "--profile",
                "publication-signer", "--subject", "CN=E2E Publication,O=Shomei Test,C=JP", "--operator",
                "Bench Operator", "--out", dir.resolve("publication.pem").toString())).isZero();
        Path presigner = dir.resolve("presigner.yaml");
        Files.writeString(presigner, "ca: ca.yaml\nresponderKey: ocsp-e2e\npublicationSignerKey: publication-e2e\n"
                + "validityHours: 24\n");
        Files.writeString(dir.resolve("ca-client.pw"), Ra.config("test.tls.password") + "\n");
        Path raServer = dir.resolve("ra-server-pinned.pem");
        Files.writeString(raServer, CaPullEndToEndTest.pem(CaPullEndToEndTest.serverCertificate()));
        Path pull = CaPullEndToEndTest.pullConfig(caYaml, "ca-pull-bench.yaml", raServer.toString());
        Files.writeString(pull, Files.readString(pull).replace("intervalSeconds: 1\n", "intervalSeconds: " + pullSeconds
                + "\n"));
        assertThat(Files.readString(pull)).contains("intervalSeconds: " + pullSeconds + "\n");
        Path issuing = dir.resolve("ceremony/issuing-ca.pem");
        Path root = dir.resolve("ceremony/root-ca.pem");
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path origin = dir.resolve("origin");
        X509Certificate issuer = certificate(Files.readString(issuing));

        List<Child> children = new ArrayList<>();
        try (HttpClient relyingParty = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            // Step 1: the processes, each on its schedule.
            Child edge = Child.start(dir, "edge", PublisherCli.class, "edge", "--origin-dir", origin.toString(),
                    "--ca-cert", issuing.toString(), "--ca-cert", root.toString(), "--port", "0", "--max-age-cap", "PT10S");
            children.add(edge);
            Child watch = Child.start(dir, "watch", PublisherCli.class, "watch", "--inbox", inbox.toString(),
                    "--origin-dir", origin.toString(), "--ca-cert", issuing.toString(), "--ca-cert", root.toString(),
                    "--publication-signer-cert", dir.resolve("publication.pem").toString(), "--max-age-cap", "PT10S");
            children.add(watch);
            Child loop = Child.start(dir, "presigner-loop", PresignerCli.class, "--config", presigner.toString(), "loop",
                    "--outbox", inbox.toString(), "--interval", "PT1H");
            children.add(loop);
            Child ca = Child.start(dir, "ca-pull", CaCli.class, "--config", pull.toString(), "orders", "pull");
            children.add(ca);
            String edgeLine = edge.await(0, l -> EDGE_URL.matcher(l).find(), children, Duration.ofSeconds(120)).text();
            Matcher m = EDGE_URL.matcher(edgeLine);
            assertThat(m.find()).isTrue();
            URI edgeUri = URI.create(m.group(1));
            // The loop's first cycle (at its start, and on the pull loop's first signal) publishes the repository.
            watch.await(0, l -> l.startsWith("published "), children, Duration.ofSeconds(180));

            // Step 2: one subscriber certificate per run, issued through the RA and the CA's pull loop.
            List<Subscriber> subscribers = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                JpkiPerson p = JpkiPerson.of("試験", "失効" + i, String.valueOf(1 + i % 2),
                        LocalDate.of(1970, 1, 1).plusDays(i * 13L), "東京都千代田区霞が関" + (i + 1) + "丁目1番");
                java.security.KeyPair cardKey = SimulatedCard.rsaKey();
                SimulatedCard card = SimulatedCard.inSoftware(cardKey, p,
                        JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), p));
                Response submitted = Ra.submit(ApplicantClient.application(card, Claim.of(p),
                        ApplicantClient.csr(ApplicantClient.ecKey())));
                submitted.then().statusCode(201);
                subscribers.add(new Subscriber(submitted.jsonPath().getString("applicationId"), card));
            }
            for (Subscriber s : subscribers) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120L + pullSeconds);
                while (!"ISSUED".equals(Ra.status(s.app()).getString("status"))) {
                    assertThat(System.nanoTime()).as("application " + s.app() + " issued by the pull loop")
                            .isLessThan(deadline);
                    Child.checkAlive(children);
                    TimeUnit.MILLISECONDS.sleep(250);
                }
                s.cert = certificate(RestAssured.given().get("/applications/" + s.app() + "/certificate").then()
                        .statusCode(200).extract().asString());
            }

            // Step 3: the measured runs.
            List<long[]> results = new ArrayList<>();
            System.out.printf("%nBENCH revocation to edge, separate processes (%d CPUs; pull every %d s, presign on the"
                    + " CA's signal, publish on arrival, edge max-age cap 10 s)%n", Runtime.getRuntime().availableProcessors(),
                    pullSeconds);
            for (int r = 0; r < runs; r++) {
                Subscriber s = subscribers.get(r);
                // A random phase of the pull loop's interval, as a real request has.
                TimeUnit.MILLISECONDS.sleep(ThreadLocalRandom.current().nextLong(pullSeconds * 1000L));
                String load = loadAverage();
                int caMark = ca.lines.size();
                int loopMark = loop.lines.size();
                int watchMark = watch.lines.size();
                long t0 = System.nanoTime();
                Response revocation = Ra.revocationRequest(ApplicantClient.revocationRequest(s.card(), s.app(), "keyCompromise"));
                revocation.then().statusCode(201);
                assertThat(revocation.jsonPath().getString("status")).isEqualTo("APPROVED");
                long accepted = System.nanoTime();
                URI ocspGet = edgeUri.resolve(ocspGetPath(issuer, s.cert.getSerialNumber()));
                URI crlUri = edgeUri.resolve("crl/issuing-e2e.crl");
                long ocspSeen = 0;
                long crlSeen = 0;
                long deadline = t0 + TimeUnit.SECONDS.toNanos(180);
                while (ocspSeen == 0 || crlSeen == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("run " + (r + 1) + ": the edge did not serve the revocation within 180 s"
                                + Child.logs(children));
                    }
                    Child.checkAlive(children);
                    if (ocspSeen == 0 && ocspRevoked(relyingParty, ocspGet, issuer)) {
                        ocspSeen = System.nanoTime();
                    }
                    if (crlSeen == 0 && crlLists(relyingParty, crlUri, issuer, s.cert.getSerialNumber())) {
                        crlSeen = System.nanoTime();
                    }
                    if (ocspSeen == 0 || crlSeen == 0) {
                        TimeUnit.MILLISECONDS.sleep(100);
                    }
                }
                long served = Math.max(ocspSeen, crlSeen);
                // Where the time went, from the children's output.
                // A line may arrive a little after the edge already serves what it reports (the watch prints once
                // the origin has switched): wait for it, and let no stage end after the edge served.
                Duration late = Duration.ofSeconds(30);
                long executed = Math.min(served, ca.await(caMark, l -> REVOKED_BUNDLE.matcher(l).find(), children, late).nanos());
                long signalled = Math.min(served, ca.await(caMark, l -> l.startsWith("publication cycle signalled"), children,
                        late).nanos());
                long cycleStart = Math.min(served, loop.await(loopMark, l -> l.startsWith("cycle (signalled"), children,
                        late).nanos());
                long ready = Math.min(served, loop.await(loopMark, l -> l.startsWith("cycle done"), children, late).nanos());
                long published = Math.min(served, watch.await(watchMark, l -> l.startsWith("published "), children,
                        late).nanos());
                // The presigner may print its wake-up before the CA prints that it signalled: the signal was sent.
                signalled = Math.min(signalled, cycleStart);
                long[] row = {accepted - t0, executed - accepted, signalled - executed, cycleStart - signalled,
                        ready - cycleStart, published - ready, served - published, served - t0};
                results.add(row);
                System.out.printf("BENCH run %d (load average %s): %.1f s to the edge (target < %d s: %s)%n", r + 1, load,
                        row[7] / 1e9, TARGET.toSeconds(), row[7] < TARGET.toNanos() ? "met" : "NOT met");
            }
            String[] stages = {"RA accepts and decides the signed revocation request",
                    "until the CA's pull pass has executed the revoke order (interval wait + pass)",
                    "CA: CRL issued, publication cycle signalled",
                    "presigner loop wakes on the signal",
                    "presigner: presign + bundle into the inbox (marker last)",
                    "publisher watch: verify + publish to the origin",
                    "edge serves both (relying party polls every 100 ms)",
                    "total, revocation request to edge"};
            StringBuilder header = new StringBuilder(String.format("BENCH   %-78s", "stage"));
            for (int r = 0; r < runs; r++) {
                header.append(String.format(" %9s", "run " + (r + 1)));
            }
            System.out.println(header);
            for (int i = 0; i < stages.length; i++) {
                StringBuilder line = new StringBuilder(String.format("BENCH   %-78s", stages[i]));
                for (long[] row : results) {
                    line.append(String.format(" %7.0f ms", row[i] / 1e6));
                }
                System.out.println(line);
            }
            StringBuilder processing = new StringBuilder(String.format("BENCH   %-78s",
                    "processing (total minus the wait for the pull pass)"));
            for (long[] row : results) {
                processing.append(String.format(" %7.0f ms", (row[7] - row[1]) / 1e6));
            }
            System.out.println(processing);
            System.out.printf("BENCH   baseline: the target, %d ms; worst case with this configuration = pull interval"
                    + " %d s + the slowest processing above + CDN max-age cap 10 s + the site's transfer%n%n",
                    TARGET.toMillis(), pullSeconds);
            for (long[] row : results) {
                assertThat(row[7]).as("revocation to edge").isPositive();
            }
        } finally {
            for (Child c : children) {
                c.stop();
            }
        }
    }

    private record Line(long nanos, String text) {}

    /** A command's main class in a JVM of its own, its output lines timestamped as they arrive (and kept in a log). */
    private static final class Child {
        final String name;
        final Process process;
        final Path log;
        final List<Line> lines = new CopyOnWriteArrayList<>();

        private Child(String name, Process process, Path log) {
            this.name = name;
            this.process = process;
            this.log = log;
        }

        static Child start(Path dir, String name, Class<?> main, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                    "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED",
                    "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                    "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                    "-cp", System.getProperty("java.class.path"), main.getName()));
            cmd.addAll(List.of(args));
            // SoftHSM2 reads its token directory from SOFTHSM2_CONF: the CA's token, as the test resource made it.
            Path conf = dir.resolve("softhsm2-children.conf");
            Files.writeString(conf, "directories.tokendir = " + dir.resolve("tokens") + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\n", StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("SOFTHSM2_CONF", conf.toString());
            Process p = pb.start();
            Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
            Child c = new Child(name, p, dir.resolve(name + ".log"));
            Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                     PrintWriter out = new PrintWriter(Files.newBufferedWriter(c.log, StandardCharsets.UTF_8), true)) {
                    for (String l = in.readLine(); l != null; l = in.readLine()) {
                        c.lines.add(new Line(System.nanoTime(), l));
                        out.println(l);
                    }
                } catch (IOException e) {
                    // The process ended; its lines so far are kept.
                }
            });
            return c;
        }

        Line await(int from, Predicate<String> match, List<Child> all, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (int i = from; i < lines.size(); i++) {
                    if (match.test(lines.get(i).text())) {
                        return lines.get(i);
                    }
                }
                checkAlive(all);
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(name + ": the expected line did not come within " + timeout + logs(all));
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
        }

        static void checkAlive(List<Child> all) {
            for (Child c : all) {
                if (!c.process.isAlive()) {
                    throw new AssertionError(c.name + " ended with exit code " + c.process.exitValue() + logs(all));
                }
            }
        }

        static String logs(List<Child> all) {
            StringBuilder b = new StringBuilder();
            for (Child c : all) {
                b.append("\n--- ").append(c.name).append(":\n");
                c.lines.forEach(l -> b.append(l.text()).append('\n'));
            }
            return b.toString();
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static final class Subscriber {
        private final String app;
        private final SimulatedCard card;
        X509Certificate cert;

        Subscriber(String app, SimulatedCard card) {
            this.app = app;
            this.card = card;
        }

        String app() {
            return app;
        }

        SimulatedCard card() {
            return card;
        }
    }

    private static String ocspGetPath(X509Certificate issuer, BigInteger serial) throws Exception {
        var calc = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
        byte[] der = new OCSPReqBuilder().addRequest(new CertificateID(calc, new JcaX509CertificateHolder(issuer),
                serial)).build().getEncoded();
        return "ocsp/" + URLEncoder.encode(Base64.getEncoder().encodeToString(der), StandardCharsets.UTF_8);
    }

    /**
     * Whether the edge answers "revoked" for the serial, in a response whose signature checks: signed by the responder
     * certificate it carries, which the issuing CA signed (RFC 6960 4.2.2.2, a delegated responder).
     */
    private static boolean ocspRevoked(HttpClient client, URI get, X509Certificate issuer) throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(get).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            return false;
        }
        OCSPResp resp = new OCSPResp(r.body());
        if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
            return false;
        }
        BasicOCSPResp basic = (BasicOCSPResp) resp.getResponseObject();
        X509CertificateHolder responder = basic.getCerts()[0];
        assertThat(responder.isSignatureValid(new JcaContentVerifierProviderBuilder().build(issuer.getPublicKey())))
                .as("the responder certificate is the issuing CA's").isTrue();
        assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder)))
                .as("the OCSP response's signature").isTrue();
        SingleResp single = basic.getResponses()[0];
        return single.getCertStatus() instanceof RevokedStatus;
    }

    /** Whether the edge's CRL lists the serial, after checking its signature with the issuing CA's key. */
    private static boolean crlLists(HttpClient client, URI crlUri, X509Certificate issuer, BigInteger serial) throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(crlUri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            return false;
        }
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(r.body()));
        crl.verify(issuer.getPublicKey());
        return crl.getRevokedCertificate(serial) != null;
    }

    private static X509Certificate certificate(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }
}
