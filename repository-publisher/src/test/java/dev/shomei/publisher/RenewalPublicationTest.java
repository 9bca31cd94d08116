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
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.junit.jupiter.api.Test;

/**
 * Issuing-key renewal end to end, through the operators' own commands: certificates of generation 1, a renewal,
 * certificates of generation 2, one of each revoked; the presigner signs both generations' OCSP responses (each with
 * the responder its generation certified), the bundle carries both CRLs, every CA certificate and the hash values of
 * every generation; the publisher verifies and publishes; each certificate's own CRL distribution point, fetched
 * from the edge, verifies it with openssl (good or revoked), and so does openssl's OCSP request to the edge. Then
 * generation 1 is revoked onto the root's CRL (ARL): the presigner refuses to serve it, the next bundle carries the
 * ARL and no more of generation 1, and openssl's full CRL check rejects a certificate of generation 1.
 */
class RenewalPublicationTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void bothGenerationsArePublishedAndEachCertificateIsCheckedAgainstItsOwnGeneration() throws Exception {
        SoftHsmToken token = SoftHsmToken.create("renew-pub", "4321-renew");
        TestDatabase.Database db = TestDatabase.create("renewal_publication");
        Path dir = token.directory();
        Path pin = token.writePinFile();
        Files.writeString(dir.resolve("db.password"), db.password());
        Path ca = dir.resolve("ca.yaml");
        Files.writeString(ca, """
                hsm: { module: %s, token: %s, pin: "file:%s", parallelism: 2 }
                database: { url: "%s", user: %s, passwordFile: db.password }
                issuingKey: pkcs11:token=%s;object=issuing-1
                ceremony:
                  output: ceremony
                  root:    { label: root-r, algorithm: EC-P256, subject: "CN=Renewal Root,O=Shomei Test,C=JP", validityYears: 20 }
                  issuing: { label: issuing-1, algorithm: EC-P256, subject: "CN=Renewal Issuing 1,O=Shomei Test,C=JP", validityYears: 10 }
                repository:
                  crlUrl: "http://127.0.0.1/crl/{generation}.crl"
                  ocspUrl: "http://127.0.0.1/ocsp"
                  caIssuersUrl: "http://127.0.0.1/certs/{generation}.cer"
                profiles:
                  subscriber-signature: { validityDays: 365, keyUsage: [digitalSignature, nonRepudiation], crlDistributionPoint: true, ocsp: true, caIssuers: true }
                  ocsp-responder: { validityDays: 90, keyUsage: [digitalSignature], extendedKeyUsage: [ocspSigning], ocspNoCheck: true, allowedKeys: [EC-P256] }
                  publication-signer: { validityDays: 365, keyUsage: [digitalSignature], extendedKeyUsage: [publicationSigning, emailProtection], allowedKeys: [EC-P256] }
                """.formatted(token.module(), token.label(), pin, db.jdbcUrl(), db.user(), token.label()));
        String cfg = ca.toString();
        String op = "Renewal Operator";

        // Generation 1: ceremony, its responder and the publication signer, two certificates.
        assertThat(CaCli.run("--config", cfg, "ceremony", "--operator", op)).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "ocsp-1", "--profile", "ocsp-responder",
                "--subject", "CN=Renewal OCSP 1,O=Shomei Test,C=JP", "--operator", op)).isZero();
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "publication-1", "--profile", "publication-signer",
                "--subject", "CN=Renewal Publication,O=Shomei Test,C=JP", "--operator", op,
                "--out", dir.resolve("publication.pem").toString())).isZero();
        issue(dir, cfg, "a-good");
        issue(dir, cfg, "a-revoked");

        // The renewal, then issuance moves to generation 2 (the configuration change the renewal prints).
        assertThat(CaCli.run("--config", cfg, "renew-issuing", "--label", "issuing-2", "--subject",
                "CN=Renewal Issuing 2,O=Shomei Test,C=JP", "--validity-years", "5", "--out",
                dir.resolve("renewal").toString(), "--operator", op)).isZero();
        Files.writeString(ca, Files.readString(ca).replace(";object=issuing-1\n", ";object=issuing-2\n"));
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "ocsp-2", "--profile", "ocsp-responder",
                "--subject", "CN=Renewal OCSP 2,O=Shomei Test,C=JP", "--operator", op)).isZero();
        issue(dir, cfg, "b-good");
        issue(dir, cfg, "b-revoked");
        for (String who : List.of("a-revoked", "b-revoked")) {
            assertThat(CaCli.run("--config", cfg, "revoke", "--serial", TestPki.readCertificate(dir.resolve(who + ".pem")).getSerialNumber()
                    .toString(16), "--reason", "keyCompromise", "--operator", op)).isZero();
        }
        // Each certificate names its own generation's CRL and CA certificate.
        assertThat(cdpPath(TestPki.readCertificate(dir.resolve("a-good.pem")))).isEqualTo("/crl/issuing-1.crl");
        assertThat(cdpPath(TestPki.readCertificate(dir.resolve("b-good.pem")))).isEqualTo("/crl/issuing-2.crl");
        assertThat(TestPki.readCertificate(dir.resolve("b-good.pem")).getIssuerX500Principal().getName()).contains("Renewal Issuing 2");
        assertThat(CaCli.run("--config", cfg, "crl")).isZero();
        assertThat(CaCli.run("--config", cfg, "generation-crl", "--issuer", "issuing-1", "--out",
                dir.resolve("gen1.crl").toString())).isZero();

        // The presigner: generation 2 with responderKey, generation 1 with the responder it certified.
        Path presigner = dir.resolve("presigner.yaml");
        Files.writeString(presigner, """
                ca: ca.yaml
                responderKey: ocsp-2
                publicationSignerKey: publication-1
                validityHours: 24
                generationResponders: { issuing-1: ocsp-1 }
                """);
        assertThat(presigner(presigner, "presign")).contains("(issuer 'issuing-2')", "(issuer 'issuing-1')");
        Path bundle = dir.resolve("bundle");
        assertThat(PresignerCli.run("--config", presigner.toString(), "bundle", "--out", bundle.toString(), "--full")).isZero();
        assertThat(bundle.resolve("crl/issuing-1.crl")).exists();
        assertThat(bundle.resolve("crl/issuing-2.crl")).exists();

        Path root = dir.resolve("ceremony/root-ca.pem");
        Path gen1 = dir.resolve("ceremony/issuing-ca.pem");
        Path gen2 = dir.resolve("renewal/issuing-ca.pem");
        Path origin = dir.resolve("origin");
        publish(dir, bundle, origin, root, gen1, gen2);
        Files.writeString(dir.resolve("chain-1.pem"), Files.readString(gen1) + Files.readString(root));
        Files.writeString(dir.resolve("chain-2.pem"), Files.readString(gen2) + Files.readString(root));

        try (RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(origin), CaCertificates.load(List.of(gen1, gen2, root)),
                new InetSocketAddress("127.0.0.1", 0), Clock.systemUTC(), Duration.ofHours(1))) {
            // The published CA hash values list every generation (the 変更認定's new CA hash values).
            for (String page : List.of("/ca-hash-values/ca-hash-values.txt", "/ca-hash-values/index.html")) {
                assertThat(new String(get(edge, page), StandardCharsets.UTF_8)).as(page)
                        .contains("Renewal Root", "Renewal Issuing 1", "Renewal Issuing 2");
            }
            String ocsp = edge.uri().resolve("/ocsp").toString();
            for (String who : List.of("a-good", "a-revoked", "b-good", "b-revoked")) {
                boolean revoked = who.endsWith("revoked");
                Path issuer = who.startsWith("a") ? gen1 : gen2;
                String chain = who.startsWith("a") ? "chain-1.pem" : "chain-2.pem";
                // The CRL each certificate names, as a relying party fetches it.
                Path crl = fetchCrl(edge, dir, TestPki.readCertificate(dir.resolve(who + ".pem")), who);
                String verified = openssl(dir, "verify", "-crl_check", "-CAfile", root.toString(), "-untrusted",
                        issuer.toString(), "-CRLfile", crl.toString(), who + ".pem");
                assertThat(verified).as(who).contains(revoked ? "certificate revoked" : who + ".pem: OK");
                String answer = openssl(dir, "ocsp", "-issuer", issuer.toString(), "-CAfile", chain, "-cert", who + ".pem",
                        "-url", ocsp);
                assertThat(answer).as(who).contains("Response verify OK")
                        .contains(who + ".pem: " + (revoked ? "revoked" : "good"));
            }
            // A certificate of one generation checked against the other's CRL does not pass.
            Path gen2Crl = fetchCrl(edge, dir, TestPki.readCertificate(dir.resolve("b-good.pem")), "other");
            assertThat(openssl(dir, "verify", "-crl_check", "-CAfile", root.toString(), "-untrusted", gen1.toString(),
                    "-CRLfile", gen2Crl.toString(), "a-good.pem")).doesNotContain("a-good.pem: OK");

        // Generation 1 retired early: its CA certificate goes on the root's CRL (ARL).
        CaCommandOutput refused = ca("--config", cfg, "revoke-ca", "--label", "issuing-2", "--reason", "superseded",
                "--operator", op);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("issuing key in use");
        assertThat(CaCli.run("--config", cfg, "revoke-ca", "--label", "issuing-1", "--reason", "superseded",
                "--operator", op)).isZero();
        Path arl = dir.resolve("root.crl");
        assertThat(CaCli.run("--config", cfg, "root-crl", "--out", arl.toString())).isZero();
        String arlText = openssl(dir, "crl", "-inform", "DER", "-in", arl.toString(), "-noout", "-text");
        // openssl prints the serial's bytes, so an odd number of hex digits gets a leading 0.
        String gen1Serial = TestPki.readCertificate(gen1).getSerialNumber().toString(16).toUpperCase();
        gen1Serial = gen1Serial.length() % 2 == 1 ? "0" + gen1Serial : gen1Serial;
        assertThat(arlText).contains("Serial Number: " + gen1Serial)
                .contains("Superseded");
        // The presigner no longer signs for the revoked generation, and says why.
        assertThat(PresignerCli.run("--config", presigner.toString(), "presign")).isEqualTo(2);
        Files.writeString(presigner, Files.readString(presigner).replace("generationResponders: { issuing-1: ocsp-1 }\n", ""));
        assertThat(CaCli.run("--config", cfg, "delegate", "--label", "publication-2", "--profile", "publication-signer",
                "--subject", "CN=Renewal Publication 2,O=Shomei Test,C=JP", "--operator", op,
                "--out", dir.resolve("publication-2.pem").toString())).isZero();
        Files.writeString(presigner, Files.readString(presigner).replace("publication-1", "publication-2"));
        assertThat(PresignerCli.run("--config", presigner.toString(), "presign")).isZero();
        Path bundle2 = dir.resolve("bundle-2");
        assertThat(PresignerCli.run("--config", presigner.toString(), "bundle", "--out", bundle2.toString(), "--full")).isZero();
        assertThat(bundle2.resolve("crl/root-r.crl")).exists();
        assertThat(bundle2.resolve("crl/issuing-1.crl")).doesNotExist();
        String issuer1KeyHash = CaCertificates.load(List.of(gen1)).all().get(0).keyHashSha1Hex();
        assertThat(bundle2.resolve("ocsp/" + issuer1KeyHash)).doesNotExist();
        publish(dir, bundle2, origin, root, gen1, gen2, dir.resolve("publication-2.pem"));
        Files.write(dir.resolve("root-published.crl"), get(edge, "/crl/root-r.crl"));
        Path arlPem = pem(dir, dir.resolve("root-published.crl"));
        Path gen1Crl = fetchCrl(edge, dir, TestPki.readCertificate(dir.resolve("a-good.pem")), "a-good-after");
        Path gen2CrlPublished = fetchCrl(edge, dir, TestPki.readCertificate(dir.resolve("b-good.pem")), "b-good-after");
        // openssl's full CRL check (the CA certificate too) rejects generation 1, still passes generation 2.
        assertThat(openssl(dir, "verify", "-crl_check_all", "-CAfile", root.toString(), "-untrusted", gen1.toString(),
                "-CRLfile", arlPem.toString(), "-CRLfile", gen1Crl.toString(), "a-good.pem")).contains("certificate revoked")
                .doesNotContain("a-good.pem: OK");
        assertThat(openssl(dir, "verify", "-crl_check_all", "-CAfile", root.toString(), "-untrusted", gen2.toString(),
                "-CRLfile", arlPem.toString(), "-CRLfile", gen2CrlPublished.toString(), "b-good.pem")).contains("b-good.pem: OK");
        }
    }

    private static byte[] get(RepositoryEdge edge, String path) throws Exception {
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(edge.uri().resolve(path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    private record CaCommandOutput(int exit, String err) {}

    private static CaCommandOutput ca(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            return new CaCommandOutput(CaCli.run(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    private static String presigner(Path config, String command) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = PresignerCli.run("--config", config.toString(), command);
        } finally {
            System.setOut(oldOut);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(text).isZero();
        return text;
    }

    private static void publish(Path dir, Path bundle, Path origin, Path root, Path gen1, Path gen2, Path... signers) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("publish", "--bundle", bundle.toString(), "--ca-cert",
                gen1.toString(), "--ca-cert", gen2.toString(), "--ca-cert", root.toString(), "--publication-signer-cert",
                dir.resolve("publication.pem").toString(), "--origin-dir", origin.toString()));
        for (Path s : signers) {
            args.addAll(List.of("--publication-signer-cert", s.toString()));
        }
        int published = PublisherCli.run(Clock.systemUTC(), new PrintWriter(out, true), new PrintWriter(err, true),
                args.toArray(String[]::new));
        assertThat(published).as(out + "\n" + err).isZero();
    }

    /** The path of the certificate's one CRL distribution point URI (RFC 5280 §4.2.1.13). */
    private static String cdpPath(X509Certificate cert) throws Exception {
        CRLDistPoint cdp = CRLDistPoint.fromExtensions(new JcaX509CertificateHolder(cert).getExtensions());
        GeneralNames names = GeneralNames.getInstance(cdp.getDistributionPoints()[0].getDistributionPoint().getName());
        GeneralName uri = names.getNames()[0];
        assertThat(uri.getTagNo()).isEqualTo(GeneralName.uniformResourceIdentifier);
        return URI.create(uri.getName().toString()).getPath();
    }

    /** GETs the CRL the certificate names from the edge; returns it as PEM for openssl. */
    private static Path fetchCrl(RepositoryEdge edge, Path dir, X509Certificate cert, String name) throws Exception {
        assertThat(new JcaX509CertificateHolder(cert).getExtension(Extension.cRLDistributionPoints)).isNotNull();
        Path der = dir.resolve(name + "-fetched.crl");
        Files.write(der, get(edge, cdpPath(cert)));
        return pem(dir, der);
    }

    private static Path pem(Path dir, Path der) throws Exception {
        Path out = dir.resolve(der.getFileName() + "-" + System.nanoTime() + ".pem");
        openssl(dir, "crl", "-inform", "DER", "-in", der.toString(), "-out", out.toString());
        return out;
    }

    private static void issue(Path dir, String cfg, String who) throws Exception {
        Files.write(dir.resolve(who + ".csr"), TestPki.csr("CN=" + who + ",C=JP"));
        assertThat(CaCli.run("--config", cfg, "issue", "--csr", dir.resolve(who + ".csr").toString(),
                "--profile", "subscriber-signature", "--out", dir.resolve(who + ".pem").toString())).isZero();
    }

    private static String openssl(Path dir, String... args) throws Exception {
        return ExternalProcess.openssl(dir, args).output();
    }
}
