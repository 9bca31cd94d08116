package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.shomei.publisher.cli.PublisherCli;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;

/** The publisher command: what it prints and its exit codes (0 ok, 1 refused, 2 configuration, 3 I/O). */
class PublisherCliTest {

    static final TestPki PKI = new TestPki();

    @TempDir Path tmp;
    Path ca;
    StringWriter out;
    StringWriter err;

    @BeforeEach
    void setUp() throws Exception {
        ca = tmp.resolve("ca");
        PKI.writeCaFiles(ca);
        PKI.writePublicationSigner(ca);
        out = new StringWriter();
        err = new StringWriter();
    }

    int run(String... args) {
        return PublisherCli.run(Clock.systemUTC(), new PrintWriter(out), new PrintWriter(err), args);
    }

    Path bundle(String name, long crlNumber) throws Exception {
        return new BundleBuilder(PKI).crlNumber(crlNumber).ocsp(BigInteger.valueOf(0x3001)).write(tmp.resolve(name));
    }

    String[] cas() {
        return new String[] {"--ca-cert", ca.resolve("issuing.pem").toString(), "--ca-cert", ca.resolve("root.pem").toString()};
    }

    String[] args(String... first) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(cas()));
        all.addAll(List.of("--publication-signer-cert", ca.resolve("publication-signer.pem").toString()));
        return all.toArray(String[]::new);
    }

    @Test
    void watchOnceTakesMarkedBundlesInOrderSetsAsideRefusedOnesAndLeavesUnmarkedOnes() throws Exception {
        Path inbox = Files.createDirectories(tmp.resolve("inbox"));
        bundle("inbox/b-1", 1);
        bundle("inbox/b-2", 1); // the same CRL number again: refused, not greater than the live one
        bundle("inbox/b-3", 2);
        bundle("inbox/b-4", 3); // still arriving: no marker
        for (String ready : List.of("b-1", "b-2", "b-3", "b-5")) { // b-5: a marker without its bundle
            Files.createFile(inbox.resolve(ready + ".ready"));
        }
        int exit = run(args("watch", "--once", "--inbox", inbox.toString(), "--origin-dir", tmp.resolve("origin").toString()));
        assertThat(exit).as(out + "\n" + err).isEqualTo(PublisherCli.REFUSED);
        assertThat(out.toString()).contains("published b-1 ").contains("published b-3 ").doesNotContain("b-4");
        assertThat(err.toString()).contains("REFUSED b-2: 1 reason(s)").contains("REFUSED b-5: 1 reason(s)");
        assertThat(inbox.resolve("published/b-1")).isDirectory();
        assertThat(inbox.resolve("published/b-3.ready")).isRegularFile();
        assertThat(inbox.resolve("refused/b-2")).isDirectory();
        assertThat(Files.readString(inbox.resolve("refused/b-2.refusal.txt"))).contains("crl/issuing-2026.crl")
                .contains("not greater");
        assertThat(Files.readString(inbox.resolve("refused/b-5.refusal.txt"))).contains("no bundle b-5");
        assertThat(inbox.resolve("b-4")).isDirectory();
        assertThat(inbox.resolve("b-4.ready")).doesNotExist();
        // What is live is b-3's CRL: b-1's is older now.
        assertThat(run(args("verify", "--bundle", tmp.resolve("inbox/published/b-1").toString(), "--origin-dir",
                tmp.resolve("origin").toString()))).isEqualTo(PublisherCli.REFUSED);
        assertThat(err.toString()).contains("not greater than the live CRL number 2");
    }

    @Test
    void verifyAcceptsAGoodBundle() throws Exception {
        assertThat(run(args("verify", "--bundle", bundle("b", 1).toString()))).isEqualTo(0);
        assertThat(out.toString()).contains("9 artifacts verified (1 OCSP responses)").contains("crl/issuing-2026.crl: CRL number 1");
    }

    @Test
    void verifyRefusesATamperedBundleNamingEachArtifact() throws Exception {
        Path b = bundle("b", 1);
        Files.writeString(b.resolve("cps/cps-v1.pdf"), "%PDF changed");
        Files.writeString(b.resolve("extra.txt"), "x");
        assertThat(run(args("verify", "--bundle", b.toString()))).isEqualTo(PublisherCli.REFUSED);
        assertThat(err.toString()).contains("REFUSED").contains("  cps/cps-v1.pdf: size is 12 bytes")
                .contains("  cps/cps-v1.pdf: SHA-256 is").contains("  extra.txt: is in the bundle but not listed in manifest.json");
    }

    @Test
    void publishToADirectoryThenRefuseTheSameCrlNumber() throws Exception {
        Path origin = tmp.resolve("origin");
        assertThat(run(args("publish", "--bundle", bundle("b1", 4).toString(), "--origin-dir", origin.toString()))).isEqualTo(0);
        assertThat(out.toString()).contains("published to " + origin);
        assertThat(origin.resolve("current/crl/issuing-2026.crl")).exists();

        assertThat(run(args("publish", "--bundle", bundle("b2", 4).toString(), "--origin-dir", origin.toString()))).isEqualTo(1);
        assertThat(err.toString()).contains("crl/issuing-2026.crl: cRLNumber 4 is not greater than the live CRL number 4");
        // verify against the live origin says the same without writing.
        assertThat(run(args("verify", "--bundle", tmp.resolve("b2").toString(), "--origin-dir", origin.toString()))).isEqualTo(1);
    }

    @Test
    void publishToS3() throws Exception {
        try (S3ProxyServer s3 = new S3ProxyServer(); var client = s3.client()) {
            client.createBucket(CreateBucketRequest.builder().bucket("cli").build());
            int code = run(args("publish", "--bundle", bundle("b", 1).toString(), "--s3-endpoint", s3.endpoint.toString(),
                    "--s3-bucket", "cli", "--s3-prefix", "pub", "--s3-region", "ap-northeast-1"));
            assertThat(code).as(err.toString()).isEqualTo(0);
            assertThat(client.headObject(HeadObjectRequest.builder().bucket("cli").key("pub/crl/issuing-2026.crl").build())
                    .contentType()).isEqualTo("application/pkix-crl");
        }
    }

    @Test
    void configurationErrorsExitWith2() throws Exception {
        Path b = bundle("b", 1);
        assertThat(run("verify", "--bundle", b.toString())).isEqualTo(PublisherCli.CONFIG);
        assertThat(err.toString()).contains("--ca-cert");
        assertThat(run("verify", "--bundle", b.toString(), "--ca-cert", tmp.resolve("missing.pem").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("missing.pem does not exist");
        assertThat(run(args("publish", "--bundle", b.toString(), "--origin-dir", tmp.toString(), "--s3-bucket", "x"))).isEqualTo(2);
        assertThat(run(args("publish", "--bundle", b.toString(), "--s3-bucket", "x"))).isEqualTo(2);
        assertThat(err.toString()).contains("needs both --s3-endpoint and --s3-bucket");
        assertThat(run("frobnicate")).isEqualTo(2);
    }

    @Test
    void withoutAPinnedPublicationSignerNothingIsVerifiedAndAKeyPinWorksLikeACertificatePin() throws Exception {
        Path b = bundle("b", 1);
        List<String> noPin = new ArrayList<>(List.of("verify", "--bundle", b.toString()));
        noPin.addAll(List.of(cas()));
        assertThat(run(noPin.toArray(String[]::new))).isEqualTo(PublisherCli.CONFIG);
        assertThat(err.toString()).contains("no publication signer is pinned").contains("--publication-signer-cert");

        String keySha256 = java.util.HexFormat.ofDelimiter(":").formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(PKI.publicationSigner.certificate().getPublicKey().getEncoded()));
        List<String> byKey = new ArrayList<>(noPin);
        byKey.addAll(List.of("--publication-signer-key-sha256", keySha256));
        assertThat(run(byKey.toArray(String[]::new))).as(err.toString()).isZero();

        // Pinned to another CA's signer: the genuine bundle is refused, naming the signer.
        Path otherPin = Files.writeString(tmp.resolve("other.pem"), TestPki.pem(new TestPki("Other").publicationSigner.certificate()));
        List<String> wrong = new ArrayList<>(noPin);
        wrong.addAll(List.of("--publication-signer-cert", otherPin.toString()));
        assertThat(run(wrong.toArray(String[]::new))).isEqualTo(PublisherCli.REFUSED);
        assertThat(err.toString()).contains("manifest.p7s: signer certificate 'CN=Shomei Test Publication Signer")
                .contains("is not the pinned publication signer");
    }

    @Test
    void ioFailuresExitWith3() throws Exception {
        assertThat(run(args("verify", "--bundle", tmp.resolve("no-such-bundle").toString()))).isEqualTo(PublisherCli.IO_FAILURE);
        // Nothing listens on port 9 of loopback: the S3 origin cannot be read.
        assertThat(run(args("publish", "--bundle", bundle("b", 1).toString(), "--s3-endpoint", "http://127.0.0.1:9",
                "--s3-bucket", "x"))).isEqualTo(PublisherCli.IO_FAILURE);
    }

    @Test
    void edgePrintsItsUrlAndServesTheOrigin() throws Exception {
        Path origin = tmp.resolve("origin");
        assertThat(run(args("publish", "--bundle", bundle("b1", 1).toString(), "--origin-dir", origin.toString()))).isEqualTo(0);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PublisherCli.class.getName(),
                "edge", "--origin-dir", origin.toString(), "--port", "0"));
        cmd.addAll(List.of(cas()));
        Process edge = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String first = ExternalProcess.firstLine(edge, Duration.ofSeconds(60));
            assertThat(first).startsWith("edge serving ").contains("(OCSP: http://127.0.0.1:");
            URI base = URI.create(first.replaceAll(".* at (http://\\S+/) .*", "$1"));
            HttpResponse<byte[]> crl = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("crl/issuing-2026.crl")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(crl.body()).isEqualTo(Files.readAllBytes(origin.resolve("current/crl/issuing-2026.crl")));
        } finally {
            edge.destroy();
            assertThat(edge.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
