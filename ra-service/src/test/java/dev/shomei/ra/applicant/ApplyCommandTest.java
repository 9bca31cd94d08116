package dev.shomei.ra.applicant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.applicant.cli.ApplyCli;
import dev.shomei.applicant.cli.ExitCodes;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.CaCoreEnvironment;
import dev.shomei.ra.testkit.CaEvents;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.testsupport.SoftHsmToken;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.AuthProvider;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The applicant's {@code apply} command end to end with real components: the "My Number card" is a SoftHSM2 token
 * holding an RSA-2048 key and a JPKI-shaped certificate from the simulated J-LIS CA, reached by the command through
 * SunPKCS11 exactly as it reaches OpenSC's module; the RA runs in this JVM; the CA is ca-core's real order
 * processing (SoftHSM2, its own PostgreSQL); openssl reads the key file from the outside.
 *
 * <p>Zone: tests only.
 */
@QuarkusTest
@WithTestResource(CaCoreEnvironment.class)
class ApplyCommandTest {

    static final Path CONSENT = Path.of("src/main/resources/consent/consent-2026-04.txt");
    static final String PASSPHRASE = "correct horse battery staple";

    @TempDir
    Path dir;

    /** A simulated card in its own SoftHSM2 token, with the certificate stored next to the key as on a card. */
    record Card(Path module, Path pinFile, X509Certificate certificate) {}

    static Card card(String label, Function<KeyPair, X509Certificate> issue, String certificateLabel) throws Exception {
        SoftHsmToken token = SoftHsmToken.create(label, "card-" + label + "-pin");
        Provider p = Security.getProvider("SunPKCS11").configure("--name=card-" + label + "\nlibrary="
                + token.module() + "\nslotListIndex=0\n"
                + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n  CKA_TOKEN = true\n  CKA_PRIVATE = true\n"
                + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n}\n"
                + "attributes(generate, CKO_PUBLIC_KEY, *) = {\n  CKA_TOKEN = true\n}\n");
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, token.userPin().toCharArray());
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p);
        g.initialize(2048);
        KeyPair kp = g.generateKeyPair();
        X509Certificate cert = issue.apply(kp);
        // OpenSC shows the JPKI card's objects under these labels ("Digital Signature Certificate", ...).
        ks.setKeyEntry(certificateLabel, kp.getPrivate(), null, new Certificate[] {cert});
        // Like a card just inserted: nobody is logged in, so the command's own login is what is tested.
        ((AuthProvider) p).logout();
        return new Card(token.module(), token.writePinFile(), cert);
    }

    static Card signingCard(String label, JpkiPerson person) throws Exception {
        return card(label, kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), person),
                "Digital Signature Certificate");
    }

    record Run(int exit, String out, String err) {}

    static Run apply(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = ApplyCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    static String ra() {
        return "http://localhost:" + RestAssured.port;
    }

    private List<String> applyArgs(Card card, String... more) throws Exception {
        Path pass = dir.resolve("passphrase");
        if (!Files.exists(pass)) {
            Files.writeString(pass, PASSPHRASE + "\n");
        }
        List<String> args = new ArrayList<>(List.of("--ra", ra(), "--pkcs11-module", card.module().toString(),
                "--pin-file", card.pinFile().toString(), "--key-out", dir.resolve("subscriber-key.pem").toString(),
                "--key-passphrase-file", pass.toString(), "--consent", CONSENT.toString(), "--yes",
                "--id-out", dir.resolve("application-id").toString(),
                "--cert-out", dir.resolve("applied-certificate.pem").toString()));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void applyIsApprovedAutomaticallyThenTheCaIssuesFetchReturnsTheCertificateAndTheCardRevokesIt() throws Exception {
        JpkiPerson hanako = JpkiPerson.hanako();
        Card card = signingCard("apply-hanako", hanako);

        Run applied = apply(applyArgs(card, "--wait", "0").toArray(String[]::new));

        assertThat(applied.exit()).as(applied.err()).isEqualTo(ExitCodes.OK);
        // The identity shown for confirmation is the card's own, as the RA will compare it.
        assertThat(applied.out()).contains("試験\u3000花子", "1985-04-12", "female", "東京都千代田区霞が関二丁目1番2号");
        assertThat(applied.out()).contains("decision: APPROVED by the RA's policy");
        String id = Files.readString(dir.resolve("application-id")).strip();
        assertThat(Ra.status(id).getString("status")).isEqualTo("APPROVED");
        assertThat(Ra.status(id).getString("jpkiCertificate.serial"))
                .isEqualTo(card.certificate().getSerialNumber().toString(16));
        // The tool states where the key lives and names itself: both are on record with the decision.
        assertThat(Ra.status(id).getString("decision.evidence.keyDevice.kind")).isEqualTo("software");
        assertThat(Ra.status(id).getString("decision.evidence.channel.client")).isEqualTo("shomei-apply");

        Run status = apply("status", "--ra", ra(), id);
        assertThat(status.exit()).isEqualTo(ExitCodes.OK);
        assertThat(status.out()).contains("application " + id + ": APPROVED");

        // The CA has not executed the order yet: fetch gives up at its deadline, saying what to do.
        Run early = apply("fetch", "--ra", ra(), "--wait", "1s", "--poll-interval", "200ms",
                "--out", dir.resolve("certificate.pem").toString(), id);
        assertThat(early.exit()).isEqualTo(ExitCodes.PENDING);
        assertThat(early.err()).contains("still APPROVED after 1 s", "apply fetch " + id);
        assertThat(dir.resolve("certificate.pem")).doesNotExist();

        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            OrderBundleProcessor processor = ca.orderProcessor();
            X509Certificate issuing = ca.issuingSigner().certificate();
            runOrders(processor);

            Run fetched = apply("fetch", "--ra", ra(), "--out", dir.resolve("certificate.pem").toString(), id);

            assertThat(fetched.exit()).as(fetched.err()).isEqualTo(ExitCodes.OK);
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                    Files.readAllBytes(dir.resolve("certificate.pem")))).forEach(c -> chain.add((X509Certificate) c));
            assertThat(chain.get(1)).isEqualTo(issuing);
            chain.get(0).verify(issuing.getPublicKey());
            // The certificate certifies the key in the passphrase-protected file, as openssl reads it.
            assertThat(chain.get(0).getPublicKey().getEncoded()).isEqualTo(publicKeyByOpenssl(
                    dir.resolve("subscriber-key.pem"), "pass:" + PASSPHRASE));

            Run revoked = apply("revoke", "--ra", ra(), "--pkcs11-module", card.module().toString(),
                    "--pin-file", card.pinFile().toString(), "--application", id, "--reason", "keyCompromise",
                    "--yes", "--wait", "0");

            assertThat(revoked.exit()).as(revoked.err()).isEqualTo(ExitCodes.OK);
            assertThat(revoked.out()).contains(": APPROVED");
            runOrders(processor);
            assertThat(Ra.status(id).getString("certificate.status")).isEqualTo("REVOKED");
        }
    }

    @Test
    void applyFollowsTheApplicationUntilTheCaIssuesAndSavesTheCertificateForTheEncryptedKeyFile() throws Exception {
        Card card = signingCard("apply-follow", JpkiPerson.taro());
        Path certificate = dir.resolve("applied-certificate.pem");
        ExecutorService applicant = Executors.newSingleThreadExecutor();
        try {
            // The applicant's command waits for the certificate while the CA, elsewhere, executes the RA's order.
            Future<Run> running = applicant.submit(() -> apply(applyArgs(card, "--wait", "2m", "--poll-interval",
                    "200ms", "--key-type", "EC-P384").toArray(String[]::new)));
            Path idFile = dir.resolve("application-id");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // Poll with a deadline: the command writes the id once the RA has recorded the application.
            while (!Files.exists(idFile) && !running.isDone() && System.nanoTime() < deadline) {
                try {
                    running.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillRunning) {
                    // Not submitted yet.
                }
            }
            assertThat(idFile).as("the application was submitted").exists();
            String id = Files.readString(idFile).strip();
            try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                    CaEvents.NONE, Clock.systemUTC())) {
                runOrders(ca.orderProcessor());
            }

            Run applied = running.get(2, TimeUnit.MINUTES);

            assertThat(applied.exit()).as(applied.err()).isEqualTo(ExitCodes.OK);
            assertThat(applied.out()).contains("status: ISSUED", "Certificate saved to " + certificate);
            assertThat(Ra.status(id).getString("status")).isEqualTo("ISSUED");
        } finally {
            applicant.shutdownNow();
        }
        X509Certificate issued = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certificate)));
        // The key file: encrypted PKCS#8 that openssl reads with the passphrase only, and the certificate's key.
        Path key = dir.resolve("subscriber-key.pem");
        assertThat(Files.readString(key)).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        Path pass = dir.resolve("passphrase");
        assertThat(issued.getPublicKey().getEncoded()).isEqualTo(publicKeyByOpenssl(key, "file:" + pass));
        assertThat(openssl("pkey", "-in", key.toString(), "-passin", "pass:not the passphrase", "-noout").exit())
                .isNotZero();
        // PBES2 with PBKDF2 (HMAC-SHA256) and AES-256-CBC, as the guide states.
        String asn1 = openssl("asn1parse", "-in", key.toString()).out();
        assertThat(asn1).contains("PBES2", "PBKDF2", "hmacWithSHA256", "aes-256-cbc");
        // A second run never overwrites the key file.
        Files.delete(certificate);
        Run again = apply(applyArgs(card, "--wait", "0").toArray(String[]::new));
        assertThat(again.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(again.err()).contains("never overwritten");
    }

    @Test
    void renewSignsWithTheCurrentCertificatesKeyFollowsAndSavesANewCertificateOfTheSameIdentityOnce() throws Exception {
        Card card = signingCard("apply-renew", JpkiPerson.hanako());
        Run applied = apply(applyArgs(card, "--wait", "0").toArray(String[]::new));
        assertThat(applied.exit()).as(applied.err()).isEqualTo(ExitCodes.OK);
        String id = Files.readString(dir.resolve("application-id")).strip();
        Path current = dir.resolve("certificate.pem");
        Path pass = dir.resolve("passphrase");
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            runOrders(ca.orderProcessor());
            assertThat(apply("fetch", "--ra", ra(), "--out", current.toString(), id).exit()).isEqualTo(ExitCodes.OK);
            X509Certificate old = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(current)));

            // A wrong passphrase for the current key is a usage error naming the file; nothing is generated or sent.
            Path wrong = dir.resolve("wrong-passphrase");
            Files.writeString(wrong, "not the passphrase at all\n");
            Run badPass = apply(renewArgs(current, wrong, "wrong-key.pem", "wrong-cert.pem", "--wait", "0"));
            assertThat(badPass.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(badPass.err()).contains("passphrase does not open", "subscriber-key.pem");
            assertThat(dir.resolve("wrong-key.pem")).doesNotExist();

            // The applicant's command follows the renewal while the CA, elsewhere, executes the RA's order.
            ExecutorService applicant = Executors.newSingleThreadExecutor();
            Run renewed;
            String renewalId;
            try {
                Future<Run> running = applicant.submit(() -> apply(renewArgs(current, pass, "renewed-key.pem",
                        "renewed-certificate.pem", "--wait", "2m", "--poll-interval", "200ms",
                        "--id-out", dir.resolve("renewal-id").toString())));
                Path idFile = dir.resolve("renewal-id");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(idFile) && !running.isDone() && System.nanoTime() < deadline) {
                    try {
                        running.get(100, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException stillRunning) {
                        // Not submitted yet.
                    }
                }
                assertThat(idFile).as("the renewal was submitted").exists();
                renewalId = Files.readString(idFile).strip();
                runOrders(ca.orderProcessor());
                renewed = running.get(2, TimeUnit.MINUTES);
            } finally {
                applicant.shutdownNow();
            }

            assertThat(renewed.exit()).as(renewed.err()).isEqualTo(ExitCodes.OK);
            assertThat(renewed.out()).contains("serial:      " + old.getSerialNumber().toString(16),
                    "renews application " + id, "status: ISSUED", "Certificate saved to");
            assertThat(Ra.status(renewalId).getString("renewsApplicationId")).isEqualTo(id);
            assertThat(Ra.status(renewalId).getString("route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
            X509Certificate fresh = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(Files.readAllBytes(dir.resolve("renewed-certificate.pem"))));
            // Same identity, new certificate, for the new key in the new passphrase-protected file.
            assertThat(fresh.getSubjectX500Principal().getEncoded()).isEqualTo(old.getSubjectX500Principal().getEncoded());
            assertThat(fresh.getSerialNumber()).isNotEqualTo(old.getSerialNumber());
            fresh.verify(ca.issuingSigner().certificate().getPublicKey());
            assertThat(fresh.getPublicKey().getEncoded())
                    .isEqualTo(publicKeyByOpenssl(dir.resolve("renewed-key.pem"), "file:" + pass))
                    .isNotEqualTo(old.getPublicKey().getEncoded());

            // A certificate is renewed once: the RA's refusal reaches the applicant with its code.
            Run again = apply(renewArgs(current, pass, "again-key.pem", "again-cert.pem", "--wait", "0"));
            assertThat(again.exit()).isEqualTo(ExitCodes.REFUSED);
            assertThat(again.out()).contains("HTTP 409", "already been renewed by application " + renewalId);
            assertThat(again.err()).contains("certificate-already-renewed");
        }
    }

    private String[] renewArgs(Path currentCert, Path currentPassphrase, String keyOut, String certOut,
                               String... more) {
        List<String> args = new ArrayList<>(List.of("renew", "--ra", ra(), "--current-cert", currentCert.toString(),
                "--current-key", dir.resolve("subscriber-key.pem").toString(),
                "--current-passphrase-file", currentPassphrase.toString(), "--consent", CONSENT.toString(),
                "--key-out", dir.resolve(keyOut).toString(),
                "--key-passphrase-file", dir.resolve("passphrase").toString(), "--yes",
                "--cert-out", dir.resolve(certOut).toString()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    /** A subscriber of this CA, as apply and apply fetch leave them: the application, the certificate, the key file. */
    record Subscriber(String applicationId, Path certificate, Path key, X509Certificate issued) {}

    /** Applies with {@code card} (the key into {@code name}-key.pem); the certificate is fetched by {@link #fetch}. */
    private String applyAs(Card card, String name) throws Exception {
        Path pass = dir.resolve("passphrase");
        if (!Files.exists(pass)) {
            Files.writeString(pass, PASSPHRASE + "\n");
        }
        Run applied = apply("--ra", ra(), "--pkcs11-module", card.module().toString(), "--pin-file",
                card.pinFile().toString(), "--key-out", dir.resolve(name + "-key.pem").toString(),
                "--key-passphrase-file", pass.toString(), "--consent", CONSENT.toString(), "--yes",
                "--id-out", dir.resolve(name + "-id").toString(), "--wait", "0");
        assertThat(applied.exit()).as(applied.err()).isEqualTo(ExitCodes.OK);
        return Files.readString(dir.resolve(name + "-id")).strip();
    }

    private Subscriber fetch(String applicationId, String name) throws Exception {
        Path certificate = dir.resolve(name + "-certificate.pem");
        Run fetched = apply("fetch", "--ra", ra(), "--out", certificate.toString(), applicationId);
        assertThat(fetched.exit()).as(fetched.err()).isEqualTo(ExitCodes.OK);
        X509Certificate issued = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certificate)));
        return new Subscriber(applicationId, certificate, dir.resolve(name + "-key.pem"), issued);
    }

    private String[] revokeWithCertificate(Subscriber signer, String applicationId, String... more) {
        List<String> args = new ArrayList<>(List.of("revoke", "--ra", ra(), "--application", applicationId,
                "--reason", "keyCompromise", "--current-cert", signer.certificate().toString(),
                "--current-key", signer.key().toString(),
                "--current-passphrase-file", dir.resolve("passphrase").toString(), "--yes"));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void revokeSignedWithTheCertificatesOwnKeyFollowsItToRevokedAndAnotherSubscribersCertificateCannot()
            throws Exception {
        String hanakoId = applyAs(signingCard("revoke-own-hanako", JpkiPerson.hanako()), "hanako");
        String taroId = applyAs(signingCard("revoke-own-taro", JpkiPerson.taro()), "taro");
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            OrderBundleProcessor processor = ca.orderProcessor();
            runOrders(processor);
            Subscriber hanako = fetch(hanakoId, "hanako");
            Subscriber taro = fetch(taroId, "taro");
            String hanakoSerial = hanako.issued().getSerialNumber().toString(16);

            // The attack: Taro's certificate signs a revocation of Hanako's. The RA refuses it, and says why.
            Run attack = apply(revokeWithCertificate(taro, hanakoId, "--wait", "0"));
            assertThat(attack.exit()).isEqualTo(ExitCodes.REFUSED);
            assertThat(attack.out()).contains("HTTP 403", "may revoke only that certificate");
            assertThat(attack.err()).contains("revocation-not-own-certificate");
            // The same, naming Hanako's serial, built outside the command (which signs its own serial only).
            byte[] forged = dev.shomei.applicant.key.CurrentCertificate.fromFiles(taro.certificate(), taro.key(),
                    PASSPHRASE.toCharArray()).sign(dev.shomei.applicant.application.ApplicationDocument
                    .revocationRequest(hanakoId, "keyCompromise", hanakoSerial));
            Ra.revocationRequest(forged).then().statusCode(403)
                    .body("type", org.hamcrest.Matchers.endsWith("revocation-not-own-certificate"));
            // And the command does not let a certificate name another serial.
            Run otherSerial = apply(revokeWithCertificate(taro, taroId, "--serial", hanakoSerial, "--wait", "0"));
            assertThat(otherSerial.exit()).isEqualTo(ExitCodes.USAGE);
            assertThat(otherSerial.err()).contains("--serial " + hanakoSerial, "is not the serial");
            runOrders(processor);
            assertThat(Ra.status(hanakoId).getString("certificate.status")).isEqualTo("ISSUED");

            // Hanako's certificate signs its own revocation; the command follows it while the CA, elsewhere,
            // executes the RA's order.
            ExecutorService applicant = Executors.newSingleThreadExecutor();
            Run revoked;
            try {
                Future<Run> running = applicant.submit(() -> apply(revokeWithCertificate(hanako, hanakoId,
                        "--wait", "2m", "--poll-interval", "200ms")));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                // Poll with a deadline: the RA's order exists once the request is approved.
                while (!running.isDone() && System.nanoTime() < deadline) {
                    runOrders(processor);
                    try {
                        running.get(200, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException notYet) {
                        // Not revoked yet.
                    }
                }
                revoked = running.get(10, TimeUnit.SECONDS);
            } finally {
                applicant.shutdownNow();
            }

            assertThat(revoked.exit()).as(revoked.out() + revoked.err()).isEqualTo(ExitCodes.OK);
            assertThat(revoked.out()).contains("serial:      " + hanakoSerial, "It signs its own revocation request",
                    "The CA has revoked the certificate.");
            assertThat(revoked.out()).doesNotContain("My Number card (");
            assertThat(Ra.status(hanakoId).getString("certificate.status")).isEqualTo("REVOKED");
            assertThat(Ra.status(taroId).getString("certificate.status")).isEqualTo("ISSUED");
            // The RA's books: decided by the system on the subscriber-certificate route, naming the signer.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("revocation request ([0-9a-f-]{36}): ")
                    .matcher(revoked.out());
            assertThat(m.find()).as(revoked.out()).isTrue();
            io.restassured.path.json.JsonPath request = RestAssured.given().get("/revocation-requests/" + m.group(1))
                    .then().statusCode(200).extract().jsonPath();
            assertThat(request.getString("status")).isEqualTo("REVOKED");
            assertThat(request.getString("applicationId")).isEqualTo(hanakoId);
            assertThat(request.getString("certificateSerial")).isEqualTo(hanakoSerial);
            assertThat(request.getString("decision.decider.kind")).isEqualTo("SYSTEM");
            assertThat(request.getString("decision.evidence.route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
            assertThat(request.getString("decision.evidence.subscriberCertificateSerial")).isEqualTo(hanakoSerial);

            // A revoked certificate signs nothing any more, its revocation included.
            Run again = apply(revokeWithCertificate(hanako, hanakoId, "--wait", "0"));
            assertThat(again.exit()).isEqualTo(ExitCodes.REFUSED);
            assertThat(again.err()).contains("subscriber-certificate-revoked");
        }
    }

    @Test
    void aKeyOnTheApplicantsOwnTokenStaysThereAndGetsItsCertificateStoredNextToIt() throws Exception {
        Card card = signingCard("apply-tokenkey", JpkiPerson.taro());
        // Created after the card: SoftHSM2 reads SOFTHSM2_CONF when the command first loads this token's module.
        SoftHsmToken mine = SoftHsmToken.create("my-keys", "my-keys-pin");
        Path minePin = mine.writePinFile();
        List<String> tokenArgs = List.of("--key-token", "my-keys", "--key-module", mine.module().toString(),
                "--key-label", "shomei-2026", "--key-pin-file", minePin.toString());
        List<String> args = applyArgs(card, "--wait", "0");
        args.addAll(tokenArgs);

        Run applied = apply(args.toArray(String[]::new));

        assertThat(applied.exit()).as(applied.err()).isEqualTo(ExitCodes.OK);
        assertThat(dir.resolve("subscriber-key.pem")).doesNotExist();
        String id = Files.readString(dir.resolve("application-id")).strip();
        // The token's CK_TOKEN_INFO, as the application stated it and the decision recorded it.
        assertThat(Ra.status(id).getString("decision.evidence.keyDevice.kind")).isEqualTo("pkcs11-token");
        assertThat(Ra.status(id).getString("decision.evidence.keyDevice.manufacturer")).isEqualTo("SoftHSM project");
        assertThat(Ra.status(id).getString("decision.evidence.keyDevice.model")).isEqualTo("SoftHSM v2");
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            runOrders(ca.orderProcessor());
        }
        List<String> fetchArgs = new ArrayList<>(List.of("fetch", "--ra", ra(), "--out",
                dir.resolve("certificate.pem").toString(), id));
        fetchArgs.addAll(tokenArgs);

        Run fetched = apply(fetchArgs.toArray(String[]::new));

        assertThat(fetched.exit()).as(fetched.err()).isEqualTo(ExitCodes.OK);
        X509Certificate issued = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("certificate.pem"))));
        Provider p = Security.getProvider("SunPKCS11").configure("--name=my-keys-check\nlibrary=" + mine.module()
                + "\nslotListIndex=0\n");
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, mine.userPin().toCharArray());
        // The issued certificate replaced the placeholder, next to a key that never left the token.
        assertThat(ks.getCertificate("shomei-2026")).isEqualTo(issued);
        assertThat(ks.getKey("shomei-2026", null).getEncoded()).isNull();
        ((AuthProvider) p).logout();
    }

    @Test
    void aWrongPinIsReportedAsSuchAndNothingIsGeneratedOrSent() throws Exception {
        Card card = signingCard("apply-wrongpin", JpkiPerson.hanako());
        Path wrong = dir.resolve("wrong.pin");
        Files.writeString(wrong, "not-the-pin\n");
        List<String> args = applyArgs(card, "--wait", "0");
        args.set(args.indexOf("--pin-file") + 1, wrong.toString());

        Run r = apply(args.toArray(String[]::new));

        assertThat(r.exit()).isEqualTo(ExitCodes.CARD);
        // SoftHSM2, like OpenSC for the JPKI card, raises CKF_USER_PIN_COUNT_LOW after a wrong PIN.
        assertThat(r.err()).contains("wrong PIN", "few tries left");
        assertThat(r.err() + r.out()).doesNotContain("not-the-pin");
        assertThat(dir.resolve("subscriber-key.pem")).doesNotExist();
        assertThat(dir.resolve("application-id")).doesNotExist();
    }

    @Test
    void aTokenHoldingTheAuthenticationCertificateIsRefusedBeforeSigning() throws Exception {
        Card card = card("apply-authcert", kp -> JpkiTestCa.authentication(kp.getPublic()),
                "User Authentication Certificate");

        Run r = apply(applyArgs(card, "--wait", "0").toArray(String[]::new));

        assertThat(r.exit()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.err()).contains("user-authentication certificate", "JPKI for user authentication",
                "Nothing was signed");
        assertThat(dir.resolve("subscriber-key.pem")).doesNotExist();
        assertThat(dir.resolve("application-id")).doesNotExist();
    }

    @Test
    void theRasRejectionIsShownWithItsTitleAndDetail() throws Exception {
        Card card = signingCard("apply-rejected", JpkiPerson.hanako());

        Run r = apply(applyArgs(card, "--wait", "0", "--claim-birth-date", "1990-01-01").toArray(String[]::new));

        assertThat(r.exit()).isEqualTo(ExitCodes.REFUSED);
        assertThat(r.out()).contains("The RA recorded the application", "Application rejected:");
        assertThat(r.err()).contains("identity-birth-date-mismatch");
        // The rejected application is on record at the RA, under the id the command wrote.
        String id = Files.readString(dir.resolve("application-id")).strip();
        assertThat(Ra.status(id).getString("status")).isEqualTo("REJECTED");
    }

    /** Other classes share this RA (same test resource): leave no order of these tests for them to find. */
    @AfterAll
    static void theCaExecutesWhatTheseTestsLeft() throws Exception {
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            runOrders(ca.orderProcessor());
        }
    }

    /** The CA executes every pending order bundle of the RA and posts its result bundles back. */
    private static void runOrders(OrderBundleProcessor processor) {
        while (true) {
            io.restassured.response.Response next = ca().get("/ca/order-bundles/next");
            if (next.statusCode() == 204) {
                return;
            }
            assertThat(next.statusCode()).isEqualTo(200);
            OrderBundleProcessor.Result result = processor.process(next.asByteArray());
            ca().contentType("application/pkcs7-mime").body(result.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(204);
        }
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }

    record Process(int exit, String out) {}

    private static Process openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        // Output to a file, so that the deadline holds even if openssl never closes its output.
        Path log = Files.createTempFile("openssl-", ".log");
        try {
            java.lang.Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within 30 s:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Process(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static byte[] publicKeyByOpenssl(Path key, String passin) throws Exception {
        Path der = key.resolveSibling("public.der");
        Process r = openssl("pkey", "-in", key.toString(), "-passin", passin, "-pubout", "-outform", "DER",
                "-out", der.toString());
        assertThat(r.exit()).as(r.out()).isZero();
        return Files.readAllBytes(der);
    }
}
