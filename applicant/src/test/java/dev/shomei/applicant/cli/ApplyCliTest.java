package dev.shomei.applicant.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command's exit codes and messages for what can go wrong before a card or an RA is involved. The runs with a
 * card and the RA are in ra-service's ApplyCommandTest.
 */
class ApplyCliTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    static Run apply(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = ApplyCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    private Path consent() throws Exception {
        Path c = dir.resolve("consent-2026-04.txt");
        Files.writeString(c, "consent text\n");
        return c;
    }

    @Test
    void withoutAConsentDocumentNothingStarts() {
        Run r = apply("--ra", "http://localhost:1", "--yes");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--consent");
    }

    @Test
    void plainHttpToAnotherMachineIsRefusedBecauseTheApplicationCarriesPersonalData() throws Exception {
        Run r = apply("--ra", "http://ra.example.jp", "--consent", consent().toString(), "--yes");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("https://", "date of birth");
    }

    @Test
    void aMissingCardModuleIsACardErrorNamingTheModuleAndTheFix() throws Exception {
        Run r = apply("--ra", "http://localhost:1", "--consent", consent().toString(), "--yes",
                "--pkcs11-module", dir.resolve("opensc-pkcs11.so").toString(),
                "--key-out", dir.resolve("k.pem").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.CARD);
        assertThat(r.err()).contains("opensc-pkcs11.so", "does not exist", "apt-get install opensc");
        assertThat(dir.resolve("k.pem")).doesNotExist();
    }

    @Test
    void aReaderWithoutACardIsTold() throws Exception {
        // SoftHSM2 with an empty token directory offers one slot with no initialised token: a reader without a card.
        Path module = Path.of("/usr/lib/softhsm/libsofthsm2.so");
        String conf = System.getenv("SOFTHSM2_CONF");
        Assumptions.assumeTrue(Files.isRegularFile(module) && conf != null, "SoftHSM2 and SOFTHSM2_CONF (surefire)");
        Path tokens = Files.createDirectories(dir.resolve("tokens"));
        Files.createDirectories(Path.of(conf).toAbsolutePath().getParent());
        Files.writeString(Path.of(conf), "directories.tokendir = " + tokens + "\nobjectstore.backend = file\n");
        // A copy under a new path is a new module instance, which reads the file above at C_Initialize.
        Path copy = Files.copy(module, dir.resolve("libsofthsm2.so"));

        Run r = apply("--ra", "http://localhost:1", "--consent", consent().toString(), "--yes",
                "--pkcs11-module", copy.toString(), "--key-out", dir.resolve("k.pem").toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.CARD);
        assertThat(r.err()).contains("no card", "insert the My Number card");
        assertThat(dir.resolve("k.pem")).doesNotExist();
    }

    @Test
    void anUnreachableRaIsANetworkError() throws Exception {
        // The port is held by a socket that is bound but not listening: connections to it are refused, and no
        // other process can take it while the test runs (a port found by binding and releasing could be).
        try (java.net.Socket held = new java.net.Socket()) {
            held.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
            Run r = apply("status", "--ra", "http://127.0.0.1:" + held.getLocalPort(), "--timeout", "2s",
                    "3f1c2e9a-8d4b-4c7e-9a21-5b6f0d1e2c3a");
            assertThat(r.exit()).isEqualTo(ExitCodes.NETWORK);
            assertThat(r.err()).contains("cannot connect to the RA");
        }
    }

    @Test
    void revocationReasonsAreTheSubscribersOnly() {
        Run r = apply("revoke", "--ra", "http://localhost:1", "--application", "3f1c2e9a-8d4b-4c7e-9a21-5b6f0d1e2c3a",
                "--reason", "cACompromise", "--yes");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("keyCompromise");
    }

    @Test
    void revokeSignedWithTheCardAndTheCertificateAtOnceIsRefusedBeforeEitherIsOpened() throws Exception {
        Path pin = dir.resolve("pin");
        Files.writeString(pin, "123456\n");
        Run r = apply("revoke", "--ra", "http://localhost:1", "--application", "3f1c2e9a-8d4b-4c7e-9a21-5b6f0d1e2c3a",
                "--reason", "keyCompromise", "--yes", "--pin-file", pin.toString(),
                "--current-cert", dir.resolve("certificate.pem").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--pin-file", "--current-*", "not both");
        assertThat(r.out()).doesNotContain("Reading the My Number card");
    }

    @Test
    void revokeWithTheCurrentCertificateTakesThatRouteAndNamesTheMissingFile() {
        // The card's module does not exist here either: a card error would mean the card route was taken.
        Run r = apply("revoke", "--ra", "http://localhost:1", "--application", "3f1c2e9a-8d4b-4c7e-9a21-5b6f0d1e2c3a",
                "--reason", "superseded", "--yes", "--current-cert", dir.resolve("certificate.pem").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--current-cert", "certificate.pem", "does not exist");
    }

    @Test
    void anUnknownOptionPrintsUsage() {
        Run r = apply("--renew");
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("Unknown option", "Usage: apply");
    }

    @Test
    void renewWithoutTheCurrentCertificateSaysWhichFileAndGeneratesNothing() throws Exception {
        Run r = apply("renew", "--ra", "http://localhost:1", "--consent", consent().toString(), "--yes",
                "--current-cert", dir.resolve("certificate.pem").toString(),
                "--key-out", dir.resolve("new-key.pem").toString());
        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--current-cert", "certificate.pem", "does not exist");
        assertThat(dir.resolve("new-key.pem")).doesNotExist();
    }

    @Test
    void renewFromAKeyFileThatIsNotTheCertificatesIsRefusedBeforeAnythingIsGenerated() throws Exception {
        // A certificate and an unrelated key (as if the wrong key file were given).
        Path cert = dir.resolve("certificate.pem");
        Path key = dir.resolve("other-key.pem");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "correct horse battery staple\n");
        dev.shomei.applicant.key.SubscriberKey other = dev.shomei.applicant.key.SubscriberKey.generateInFile(key,
                dev.shomei.applicant.key.KeyAlgorithm.EC_P256, "correct horse battery staple".toCharArray());
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        java.security.KeyPair kp = g.generateKeyPair();
        org.bouncycastle.asn1.x500.X500Name n = new org.bouncycastle.asn1.x500.X500Name("CN=subscriber");
        java.security.cert.X509Certificate c = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
                .getCertificate(new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(n, java.math.BigInteger.TEN,
                        new java.util.Date(System.currentTimeMillis() - 60_000),
                        new java.util.Date(System.currentTimeMillis() + 86_400_000), n, kp.getPublic())
                        .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                                .build(kp.getPrivate())));
        Files.writeString(cert, "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder()
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n");
        assertThat(other.publicKey()).isNotEqualTo(kp.getPublic());

        Run r = apply("renew", "--ra", "http://localhost:1", "--consent", consent().toString(), "--yes",
                "--current-cert", cert.toString(), "--current-key", key.toString(), "--current-passphrase-file",
                pass.toString(), "--key-out", dir.resolve("new-key.pem").toString(), "--key-passphrase-file",
                pass.toString());

        assertThat(r.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("other-key.pem", "is not the key of the certificate");
        assertThat(dir.resolve("new-key.pem")).doesNotExist();
    }

    @Test
    void durationsAreReadAsPeopleWriteThem() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("0")).isEqualTo(Duration.ZERO);
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.convert("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.convert("PT2H")).isEqualTo(Duration.ofHours(2));
    }
}
