package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.cli.CaCli;
import dev.shomei.ocsp.cli.PresignerCli;
import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.cli.PublisherCli;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.testsupport.SoftHsmToken;
import dev.shomei.testsupport.TestDatabase;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The whole publication path on real components, through the operators' own commands: a CA on SoftHSM2
 * issues and revokes, the presigner signs OCSP responses and a bundle, the publisher verifies and publishes
 * it to a filesystem origin, and the keyless edge answers openssl's OCSP requests: good and revoked.
 */
class EndToEndPublicationTest {

    @Test
    void caToPresignerToPublisherToEdge() throws Exception {
        SoftHsmToken token = SoftHsmToken.create("e2e-ca", "4321-e2e");
        TestDatabase.Database db = TestDatabase.create("e2e_publication");
        Path dir = token.directory();
        Path pin = token.writePinFile();
        Files.writeString(dir.resolve("db.password"), db.password());
        Path ca = dir.resolve("ca.yaml");
        Files.writeString(ca, """
                hsm: { module: %s, token: %s, pin: "file:%s", parallelism: 2 }
                database: { url: "%s", user: %s, passwordFile: db.password }
                issuingKey: pkcs11:token=%s;object=issuing-e2e
                ceremony:
                  output: ceremony
                  root:    { label: root-e2e, algorithm: EC-P256, subject: "CN=E2E Root,O=Shomei Test,C=JP", validityYears: 20 }
                  issuing: { label: issuing-e2e, algorithm: EC-P256, subject: "CN=E2E Issuing,O=Shomei Test,C=JP", validityYears: 10 }
                repository: { crlUrl: "http://127.0.0.1/crl/issuing-e2e.crl", ocspUrl: "http://127.0.0.1/ocsp" }
                profiles:
                  subscriber-signature: { validityDays: 365, keyUsage: [digitalSignature, nonRepudiation], crlDistributionPoint: true, ocsp: true }
                  ocsp-responder: { validityDays: 90, keyUsage: [digitalSignature], extendedKeyUsage: [ocspSigning], ocspNoCheck: true, allowedKeys: [EC-P256] }
                  publication-signer: { validityDays: 365, keyUsage: [digitalSignature], extendedKeyUsage: [publicationSigning, emailProtection], allowedKeys: [EC-P256] }
                """.formatted(token.module(), token.label(), pin, db.jdbcUrl(), db.user(), token.label()));
        String cfg = ca.toString();

        // The secure zone: ceremony, delegated keys, two certificates, one revoked, a CRL.
        assertThat(CaCli.run("--config", cfg, "ceremony", "--operator", "E2E Operator")).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "ocsp-e2e", "--profile", "ocsp-responder",
                "--subject", "CN=E2E OCSP,O=Shomei Test,C=JP", "--operator", "E2E Operator")).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "publication-e2e", "--profile", "publication-signer",
                "--subject", "CN=E2E Publication,O=Shomei Test,C=JP", "--operator", "E2E Operator",
                "--out", dir.resolve("publication.pem").toString())).isZero();
        for (String who : List.of("good", "revoked")) {
            Files.write(dir.resolve(who + ".csr"), TestPki.csr("CN=" + who + ",C=JP"));
            assertThat(CaCli.run("--config", cfg, "issue", "--csr", dir.resolve(who + ".csr").toString(),
                    "--profile", "subscriber-signature", "--out", dir.resolve(who + ".pem").toString())).isZero();
        }
        X509Certificate revoked = TestPki.readCertificate(dir.resolve("revoked.pem"));
        assertThat(CaCli.run("--config", cfg, "revoke", "--serial", revoked.getSerialNumber().toString(16),
                "--reason", "keyCompromise", "--operator", "E2E Operator")).isZero();
        assertThat(CaCli.run("--config", cfg, "crl")).isZero();

        Path presigner = dir.resolve("presigner.yaml");
        Files.writeString(presigner, "ca: ca.yaml\nresponderKey: ocsp-e2e\npublicationSignerKey: publication-e2e\nvalidityHours: 24\n");
        assertThat(PresignerCli.run("--config", presigner.toString(), "presign")).isZero();
        Path bundle = dir.resolve("bundle");
        assertThat(PresignerCli.run("--config", presigner.toString(), "bundle", "--out", bundle.toString(), "--full")).isZero();

        // The online zone: verify and publish with no key, then serve.
        Path issuing = dir.resolve("ceremony/issuing-ca.pem");
        Path root = dir.resolve("ceremony/root-ca.pem");
        Path origin = dir.resolve("origin");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int published = PublisherCli.run(Clock.systemUTC(), new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                "publish", "--bundle", bundle.toString(), "--ca-cert", issuing.toString(), "--ca-cert", root.toString(),
                "--publication-signer-cert", dir.resolve("publication.pem").toString(), "--origin-dir", origin.toString());
        assertThat(published).as(out + "\n" + err).isZero();
        Files.writeString(dir.resolve("chain.pem"), Files.readString(issuing) + Files.readString(root));

        try (RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(origin), CaCertificates.load(List.of(issuing, root)),
                new InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(), Duration.ofHours(1))) {
            String url = edge.uri().resolve("/ocsp").toString();
            assertThat(openssl(dir, "ocsp", "-issuer", issuing.toString(), "-CAfile", "chain.pem", "-cert", "good.pem", "-url", url))
                    .contains("Response verify OK").contains("good.pem: good");
            assertThat(openssl(dir, "ocsp", "-issuer", issuing.toString(), "-CAfile", "chain.pem", "-cert", "revoked.pem", "-url", url))
                    .contains("Response verify OK").contains("revoked.pem: revoked").contains("Reason: keyCompromise");
        }
    }

    private static String openssl(Path dir, String... args) throws Exception {
        return ExternalProcess.openssl(dir, args).output();
    }

}
