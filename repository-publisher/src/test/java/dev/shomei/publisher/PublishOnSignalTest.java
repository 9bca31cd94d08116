package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.cli.CaCli;
import dev.shomei.ca.orders.PublicationTrigger;
import dev.shomei.ocsp.cli.PresignerCli;
import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.cli.PublisherCli;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.testsupport.SoftHsmToken;
import dev.shomei.testsupport.TestDatabase;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The prompt path from a revocation to the edge, on a small scale, with the real long-running commands in their own
 * JVMs: {@code presigner loop} (woken by the CA's signal, {@link PublicationTrigger}, the call the pull loop makes
 * after a pass that revoked) writes each bundle into the publisher's inbox, and {@code publisher watch} publishes it
 * as it arrives; the edge then answers openssl's OCSP request "revoked" and serves a CRL listing the serial. On the
 * way, the watch leaves a bundle without its {@code .ready} marker alone (still arriving), and refuses a forged one,
 * recorded in {@code refused/} with its reason, without being held up by it.
 *
 * <p>Zone: tests only. The RA and the pull pass itself are in ra-service's {@code RevocationToEdgeBenchTest}.
 */
class PublishOnSignalTest {

    @Test
    void aSignalledRevocationReachesTheEdgeThroughTheLoopAndTheWatch() throws Exception {
        SoftHsmToken token = SoftHsmToken.create("signal-ca", "4321-signal");
        TestDatabase.Database db = TestDatabase.create("publish_on_signal");
        Path dir = token.directory();
        Path pin = token.writePinFile();
        Files.writeString(dir.resolve("db.password"), db.password());
        Path ca = dir.resolve("ca.yaml");
        Files.writeString(ca, """
                hsm: { module: %s, token: %s, pin: "file:%s", parallelism: 2 }
                database: { url: "%s", user: %s, passwordFile: db.password }
                issuingKey: pkcs11:token=%s;object=issuing-signal
                ceremony:
                  output: ceremony
                  root:    { label: root-signal, algorithm: EC-P256, subject: "CN=Signal Root,O=Shomei Test,C=JP", validityYears: 20 }
                  issuing: { label: issuing-signal, algorithm: EC-P256, subject: "CN=Signal Issuing,O=Shomei Test,C=JP", validityYears: 10 }
                repository: { crlUrl: "http://127.0.0.1/crl/issuing-signal.crl", ocspUrl: "http://127.0.0.1/ocsp" }
                profiles:
                  subscriber-signature: { validityDays: 365, keyUsage: [digitalSignature, nonRepudiation], crlDistributionPoint: true, ocsp: true }
                  ocsp-responder: { validityDays: 90, keyUsage: [digitalSignature], extendedKeyUsage: [ocspSigning], ocspNoCheck: true, allowedKeys: [EC-P256] }
                  publication-signer: { validityDays: 365, keyUsage: [digitalSignature], extendedKeyUsage: [publicationSigning, emailProtection], allowedKeys: [EC-P256] }
                """.formatted(token.module(), token.label(), pin, db.jdbcUrl(), db.user(), token.label()));
        String cfg = ca.toString();
        // The secure zone: ceremony, the delegated keys, one subscriber certificate, the first CRL.
        assertThat(CaCli.run("--config", cfg, "ceremony", "--operator", "Signal Operator")).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "ocsp-signal", "--profile", "ocsp-responder",
                "--subject", "CN=Signal OCSP,O=Shomei Test,C=JP", "--operator", "Signal Operator")).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "publication-signal", "--profile", "publication-signer",
                "--subject", "CN=Signal Publication,O=Shomei Test,C=JP", "--operator", "Signal Operator",
                "--out", dir.resolve("publication.pem").toString())).isZero();
        Files.write(dir.resolve("subscriber.csr"), TestPki.csr("CN=subscriber,C=JP"));
        assertThat(CaCli.run("--config", cfg, "issue", "--csr", dir.resolve("subscriber.csr").toString(),
                "--profile", "subscriber-signature", "--out", dir.resolve("subscriber.pem").toString())).isZero();
        X509Certificate subscriber = TestPki.readCertificate(dir.resolve("subscriber.pem"));
        assertThat(CaCli.run("--config", cfg, "crl")).isZero();
        Path presigner = dir.resolve("presigner.yaml");
        Files.writeString(presigner, "ca: ca.yaml\nresponderKey: ocsp-signal\npublicationSignerKey: publication-signal\n"
                + "validityHours: 24\n");
        Path issuing = dir.resolve("ceremony/issuing-ca.pem");
        Path root = dir.resolve("ceremony/root-ca.pem");
        Files.writeString(dir.resolve("chain.pem"), Files.readString(issuing) + Files.readString(root));
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path origin = dir.resolve("origin");

        List<Process> children = new ArrayList<>();
        try (RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(origin),
                CaCertificates.load(List.of(issuing, root)), new InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(),
                Duration.ofSeconds(10));
             HttpClient relyingParty = HttpClient.newHttpClient()) {
            // The online zone's watch, then the secure zone's loop (its first cycle at start publishes everything).
            Path watchLog = dir.resolve("watch.log");
            children.add(child(dir, watchLog, PublisherCli.class, "watch", "--inbox", inbox.toString(), "--origin-dir",
                    origin.toString(), "--ca-cert", issuing.toString(), "--ca-cert", root.toString(),
                    "--publication-signer-cert", dir.resolve("publication.pem").toString(), "--max-age-cap", "PT10S"));
            Path loopLog = dir.resolve("loop.log");
            children.add(child(dir, loopLog, PresignerCli.class, "--config", presigner.toString(), "loop", "--outbox",
                    inbox.toString(), "--interval", "PT1H"));
            String url = edge.uri().resolve("/ocsp").toString();
            await("the loop's first bundle is published and the edge answers 'good'", children, watchLog, loopLog,
                    () -> ocsp(dir, issuing, url).contains("subscriber.pem: good"));
            assertThat(ocsp(dir, issuing, url)).contains("Response verify OK");
            String firstBundle = onlyName(inbox.resolve("published"));

            // A bundle still arriving (no marker): never taken. A forged one (a byte of its CRL changed): refused,
            // recorded, and the watch goes on.
            Path published = inbox.resolve("published").resolve(firstBundle);
            copyTree(published, inbox.resolve("bundle-00000000T000000.000Z-arriving"));
            Path forged = inbox.resolve("bundle-00000000T000000.001Z-forged");
            copyTree(published, forged);
            Path crlFile;
            try (var walk = Files.walk(forged)) {
                crlFile = walk.filter(p -> p.toString().endsWith(".crl")).findFirst().orElseThrow();
            }
            byte[] crl = Files.readAllBytes(crlFile);
            crl[crl.length - 1] ^= 1;
            Files.write(crlFile, crl);
            Files.createFile(inbox.resolve(forged.getFileName() + ".ready"));
            // A marker naming the inbox's own published/ directory: refused, nothing of published/ moved.
            Files.createFile(inbox.resolve("published.ready"));

            // The CA revokes and issues the CRL (what a pull pass executing a revoke order does), then signals as
            // the pull loop does after such a pass.
            assertThat(CaCli.run("--config", cfg, "revoke", "--serial", subscriber.getSerialNumber().toString(16),
                    "--reason", "keyCompromise", "--operator", "Signal Operator")).isZero();
            assertThat(CaCli.run("--config", cfg, "crl", "--if-due")).isZero();
            PublicationTrigger.signal(db.dataSource(), "1 revoked, CRL issued");

            await("the edge answers 'revoked'", children, watchLog, loopLog,
                    () -> ocsp(dir, issuing, url).contains("subscriber.pem: revoked"));
            assertThat(ocsp(dir, issuing, url)).contains("Response verify OK").contains("Reason: keyCompromise");
            X509CRL served = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(
                    relyingParty.send(HttpRequest.newBuilder(edge.uri().resolve("crl/issuing-signal.crl")).build(),
                            HttpResponse.BodyHandlers.ofByteArray()).body()));
            served.verify(TestPki.readCertificate(issuing).getPublicKey());
            assertThat(served.getRevokedCertificate(subscriber.getSerialNumber())).as("the edge's CRL").isNotNull();
            assertThat(Files.readString(loopLog)).contains("cycle (signalled by the CA: 1 revoked, CRL issued)");

            assertThat(inbox.resolve("refused/" + forged.getFileName())).isDirectory();
            assertThat(Files.readString(inbox.resolve("refused/" + forged.getFileName() + ".refusal.txt")))
                    .contains("refused").contains(".crl");
            assertThat(Files.readString(watchLog)).contains("REFUSED " + forged.getFileName());
            assertThat(inbox.resolve("bundle-00000000T000000.000Z-arriving")).as("no marker: left alone").isDirectory();
            assertThat(Files.readString(inbox.resolve("refused/published.refusal.txt"))).contains("not a bundle");
            assertThat(inbox.resolve("published").resolve(firstBundle)).isDirectory();
            try (var left = Files.list(inbox)) {
                assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("bundle-2")))
                        .as("every bundle of the loop published").isEmpty();
            }
        } finally {
            for (Process p : children) {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** A command's main class in a JVM of its own, on this token (its own SOFTHSM2_CONF), output to {@code log}. */
    static Process child(Path dir, Path log, Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED",
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Path conf = dir.resolve("softhsm2-child.conf");
        Files.writeString(conf, "directories.tokendir = " + dir.resolve("tokens") + "\nobjectstore.backend = file\n"
                + "log.level = ERROR\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        return p;
    }

    /** Polls {@code done} until it holds, a child dies, or 90 s pass (the children's logs in the failure). */
    private static void await(String what, List<Process> children, Path watchLog, Path loopLog, BooleanSupplier done)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!done.getAsBoolean()) {
            boolean dead = children.stream().anyMatch(p -> !p.isAlive());
            if (dead || System.nanoTime() > deadline) {
                throw new AssertionError(what + ": " + (dead ? "a child process ended" : "not within 90 s")
                        + "\n--- publisher watch:\n" + Files.readString(watchLog) + "\n--- presigner loop:\n"
                        + Files.readString(loopLog));
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    private static String ocsp(Path dir, Path issuing, String url) {
        try {
            return ExternalProcess.openssl(dir, "ocsp", "-issuer", issuing.toString(), "-CAfile", "chain.pem", "-cert",
                    "subscriber.pem", "-url", url).output();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String onlyName(Path dir) throws Exception {
        try (var list = Files.list(dir)) {
            List<String> names = list.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".ready")).toList();
            assertThat(names).hasSize(1);
            return names.get(0);
        }
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }
}
