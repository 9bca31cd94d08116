package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.cli.CaCli;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaEvents;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RenewalCaEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Issuing-key renewal seen from the RA (docs/key-ceremony.md, renewal steps 5 and 9; docs/order-bundles.md, "A new
 * issuing generation"), with the real CA: applications issued under generation 1, {@code ca renew-issuing} under a
 * quorum of two approvers, issuance moved to generation 2, and the RA, which was configured with generation 1 and the
 * root only, takes generation 2 from the CA's result bundle without a restart. Applicants fetch certificates of either
 * generation with their own issuer's chain; the subscriber-certificate route renews and revokes certificates of both
 * generations; a generation-1 revocation lands on generation 1's CRL and a generation-2 one on generation 2's
 * ({@code openssl crl}, {@code openssl verify -crl_check}). A CA certificate the root did not certify is never
 * taken: a bundle signed by a result signer it certified is refused, and carried in a bundle the CA signed it is
 * ignored.
 */
@QuarkusTest
@WithTestResource(RenewalCaEnvironment.class)
class RenewalEndToEndTest {

    static final Path OUT = Path.of("target", "renewal-e2e");

    @Test
    void theRaTakesTheRenewedGenerationFromTheCaAndServesBothGenerations() throws Exception {
        Files.createDirectories(OUT);
        Path cfg = Path.of(Ra.config("test.ca.config"));
        Path dir = cfg.getParent();
        Path rootPem = dir.resolve("ceremony").resolve("root-ca.pem");
        Path gen1Pem = dir.resolve("issuing-e2e.pem");
        X509Certificate gen1 = read(gen1Pem);

        // Generation 1: Hanako and Taro apply with their My Number cards; the CA issues under issuing-e2e.
        KeyPair keyA = ApplicantClient.ecKey();
        KeyPair keyB = ApplicantClient.ecKey();
        String appA = apply(JpkiPerson.hanako(), keyA);
        String appB = apply(JpkiPerson.taro(), keyB);
        try (CertificateAuthority ca = open(cfg)) {
            assertThat(execute(ca.orderProcessor()).issued()).isEqualTo(2);
        }
        List<X509Certificate> chainA = chain(appA);
        assertThat(chainA.get(1)).isEqualTo(gen1);
        X509Certificate certA = chainA.get(0);
        X509Certificate certB = chain(appB).get(0);
        certB.verify(gen1.getPublicKey());

        // The renewal under the quorum: requested, signed by Alice and Bob with their own credentials, executed.
        Path renewalOut = dir.resolve("renewal-2");
        String[] renew = {"renew-issuing", "--label", "issuing-e2e-2", "--subject",
                "CN=Shomei E2E Issuing CA 2,O=Shomei Test,C=JP", "--validity-years", "5", "--out", renewalOut.toString()};
        Path act = OUT.resolve("renewal-act.json");
        assertThat(cli(concat(new String[] {"--config", cfg.toString(), "approval", "request", "--out", act.toString(),
                "--"}, renew))).isZero();
        Path aliceSig = OUT.resolve("alice.sig");
        Path bobSig = OUT.resolve("bob.sig");
        assertThat(cli("approval", "sign", "--act", act.toString(), "--cert", Ra.config("test.ca.approver.alice.certificate"),
                "--key", Ra.config("test.ca.approver.alice.key"), "--out", aliceSig.toString())).isZero();
        assertThat(cli("approval", "sign", "--act", act.toString(), "--cert", Ra.config("test.ca.approver.bob.certificate"),
                "--key", Ra.config("test.ca.approver.bob.key"), "--out", bobSig.toString())).isZero();
        assertThat(cli(concat(new String[] {"--config", cfg.toString()}, renew,
                new String[] {"--approvals", aliceSig.toString(), bobSig.toString()}))).isZero();
        Path gen2Pem = renewalOut.resolve("issuing-ca.pem");
        X509Certificate gen2 = read(gen2Pem);
        // Steps 5 and 6: issuance moves to the new generation, and results are signed by a result signer it certified
        // (ca refuses the old generation's signer beside the new issuing key). Nothing changes at the RA.
        Files.writeString(cfg, Files.readString(cfg).replace(";object=issuing-e2e\n", ";object=issuing-e2e-2\n"));
        assertThat(cli("--config", cfg.toString(), "delegate", "--label", "results-e2e-2", "--profile",
                "result-bundle-signer", "--subject", "CN=Shomei E2E Results 2,O=Shomei Test,C=JP", "--operator",
                "Test Operator")).isZero();
        Files.writeString(cfg, Files.readString(cfg).replace(";object=results-e2e\n", ";object=results-e2e-2\n"));

        // Generation 2: Jiro applies; the CA issues under issuing-e2e-2 and its result bundle carries that CA
        // certificate. Before the genuine answer arrives, two forgeries of it: the same results signed by a result
        // signer of a CA certificate with generation 2's name that the root did not certify (refused, nothing taken);
        // then signed by the CA's own result signer but carrying that stranger beside generation 2 (the results
        // apply, generation 2 is taken, the stranger is not).
        KeyPair keyC = ApplicantClient.ecKey();
        String appC = apply(JpkiPerson.of("試験", "次郎", "1", LocalDate.of(1990, 1, 2), "大阪府大阪市北区中之島一丁目3番20号"),
                keyC);
        X509Certificate stranger;
        try (CertificateAuthority ca = open(cfg)) {
            byte[] bundle = ca().get("/ca/order-bundles/next").then().statusCode(200).extract().asByteArray();
            OrderBundleProcessor.Result issued = ca.orderProcessor().process(bundle);
            assertThat(issued.issued()).isEqualTo(1);
            KeyPair strangerKey = ApplicantClient.ecKey();
            stranger = strangerCa(gen2, strangerKey);
            KeyPair rogueKey = ApplicantClient.ecKey();
            X509Certificate rogue = rogueResultSigner(stranger, strangerKey, rogueKey);
            byte[] content = (byte[]) new org.bouncycastle.cms.CMSSignedData(issued.resultBundle()).getSignedContent()
                    .getContent();
            ca().contentType("application/pkcs7-mime").body(sign(content,
                            new JcaContentSignerBuilder("SHA256withECDSA").build(rogueKey.getPrivate()), rogue,
                            List.of(rogue, stranger)))
                    .post("/ca/result-bundles").then().statusCode(422)
                    .body("type", org.hamcrest.Matchers.endsWith("result-signature-invalid"));
            assertThat(count("SELECT count(*) FROM ca_generation")).isZero();
            assertThat(Ra.status(appC).getString("status")).isEqualTo("APPROVED");
            var signer = ca.signer("results-e2e-2");
            ca().contentType("application/pkcs7-mime").body(sign(content,
                            new dev.shomei.pkcs11.SignerContentSigner(signer), signer.certificate(),
                            List.of(signer.certificate(), gen2, stranger)))
                    .post("/ca/result-bundles").then().statusCode(204);
            ca().contentType("application/pkcs7-mime").body(issued.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(204);
        }
        assertThat(count("SELECT count(*) FROM ca_generation")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM ca_generation WHERE sha256 = '" + sha256(gen2) + "'")).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM ca_generation WHERE sha256 = '" + sha256(stranger) + "'")).isZero();
        assertThat(count("SELECT count(*) FROM audit_entry WHERE action = 'ca-generation.adopted' AND subject = "
                + "'ca-certificate:" + sha256(gen2) + "'")).isEqualTo(1);

        // The applicant fetches the certificate with its own generation's chain; openssl verifies it to the root.
        List<X509Certificate> chainC = chain(appC);
        assertThat(chainC).hasSize(2);
        assertThat(chainC.get(1)).isEqualTo(gen2);
        X509Certificate certC = chainC.get(0);
        certC.verify(gen2.getPublicKey());
        assertThat(certC.getPublicKey()).isEqualTo(keyC.getPublic());
        assertThat(chain(appA).get(1)).isEqualTo(gen1);
        assertThat(openssl("verify", "-CAfile", rootPem.toString(), "-untrusted", gen2Pem.toString(),
                pem(certC, "c").toString())).contains(": OK");

        // The subscriber's own certificate renews, whichever generation issued it: Hanako's (generation 1) and
        // Jiro's (generation 2) become generation-2 certificates of the same subject.
        KeyPair keyA2 = ApplicantClient.ecKey();
        KeyPair keyC2 = ApplicantClient.ecKey();
        String appA2 = renew(keyA, certA, keyA2);
        String appC2 = renew(keyC, certC, keyC2);
        try (CertificateAuthority ca = open(cfg)) {
            assertThat(execute(ca.orderProcessor()).issued()).isEqualTo(2);
        }
        X509Certificate certA2 = chain(appA2).get(0);
        X509Certificate certC2 = chain(appC2).get(0);
        for (X509Certificate renewed : List.of(certA2, certC2)) {
            renewed.verify(gen2.getPublicKey());
        }
        assertThat(certA2.getSubjectX500Principal()).isEqualTo(certA.getSubjectX500Principal());
        assertThat(certA2.getPublicKey()).isEqualTo(keyA2.getPublic());

        // And revokes: Taro's generation-1 certificate and Jiro's renewed generation-2 one, each signed with it.
        revoke(keyB, certB, appB);
        revoke(keyC2, certC2, appC2);
        try (CertificateAuthority ca = open(cfg)) {
            assertThat(execute(ca.orderProcessor()).revoked()).isEqualTo(2);
        }
        assertThat(Ra.status(appB).getString("certificate.status")).isEqualTo("REVOKED");
        assertThat(Ra.status(appC2).getString("certificate.status")).isEqualTo("REVOKED");

        // Generation 1's CRL, signed by its own key (ca generation-crl), lists Taro's certificate and not Jiro's.
        Path gen1Crl = OUT.resolve("gen1.crl");
        assertThat(cli("--config", cfg.toString(), "generation-crl", "--issuer", "issuing-e2e", "--out",
                gen1Crl.toString())).isZero();
        Path gen2Crl = OUT.resolve("gen2.crl");
        assertThat(cli("--config", cfg.toString(), "crl", "--out", gen2Crl.toString())).isZero();
        crl(gen1Crl).verify(gen1.getPublicKey());
        crl(gen2Crl).verify(gen2.getPublicKey());
        assertThat(openssl("crl", "-inform", "DER", "-in", gen1Crl.toString(), "-noout", "-text"))
                .contains(serial(certB)).doesNotContain(serial(certC2));
        assertThat(openssl("crl", "-inform", "DER", "-in", gen2Crl.toString(), "-noout", "-text"))
                .contains(serial(certC2)).doesNotContain(serial(certB));
        Path gen1CrlPem = OUT.resolve("gen1.crl.pem");
        openssl("crl", "-inform", "DER", "-in", gen1Crl.toString(), "-out", gen1CrlPem.toString());
        Path gen2CrlPem = OUT.resolve("gen2.crl.pem");
        openssl("crl", "-inform", "DER", "-in", gen2Crl.toString(), "-out", gen2CrlPem.toString());
        assertThat(openssl("verify", "-crl_check", "-CAfile", rootPem.toString(), "-untrusted", gen1Pem.toString(),
                "-CRLfile", gen1CrlPem.toString(), pem(certB, "b").toString())).contains("certificate revoked");
        assertThat(openssl("verify", "-crl_check", "-CAfile", rootPem.toString(), "-untrusted", gen1Pem.toString(),
                "-CRLfile", gen1CrlPem.toString(), pem(certA, "a").toString())).contains(": OK");
        assertThat(openssl("verify", "-crl_check", "-CAfile", rootPem.toString(), "-untrusted", gen2Pem.toString(),
                "-CRLfile", gen2CrlPem.toString(), pem(certC2, "c2").toString())).contains("certificate revoked");
        assertThat(openssl("verify", "-crl_check", "-CAfile", rootPem.toString(), "-untrusted", gen2Pem.toString(),
                "-CRLfile", gen2CrlPem.toString(), pem(certA2, "a2").toString())).contains(": OK");
    }

    private static String apply(JpkiPerson person, KeyPair key) {
        KeyPair cardKey = SimulatedCard.rsaKey();
        SimulatedCard card = SimulatedCard.inSoftware(cardKey, person,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), person));
        Response submitted = Ra.submit(ApplicantClient.application(card, Claim.of(person), ApplicantClient.csr(key)));
        submitted.then().statusCode(201);
        assertThat(submitted.jsonPath().getString("status")).isEqualTo("APPROVED");
        return submitted.jsonPath().getString("applicationId");
    }

    private static String renew(KeyPair current, X509Certificate cert, KeyPair next) {
        Response r = cms().body(ApplicantClient.renewal(current, cert, ApplicantClient.csr(next))).post("/renewals");
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
        return r.jsonPath().getString("applicationId");
    }

    private static void revoke(KeyPair key, X509Certificate cert, String app) {
        Response r = cms().body(ApplicantClient.revocationRequest(key, cert, app, "keyCompromise"))
                .post("/revocation-requests");
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(r.jsonPath().getString("decision.evidence.route")).isEqualTo("SUBSCRIBER_CERTIFICATE");
    }

    private static CertificateAuthority open(Path cfg) {
        return CertificateAuthority.open(CaConfig.load(cfg), CaEvents.NONE, Clock.systemUTC());
    }

    private static OrderBundleProcessor.Result execute(OrderBundleProcessor processor) {
        byte[] bundle = ca().get("/ca/order-bundles/next").then().statusCode(200).extract().asByteArray();
        OrderBundleProcessor.Result result = processor.process(bundle);
        ca().contentType("application/pkcs7-mime").body(result.resultBundle()).post("/ca/result-bundles")
                .then().statusCode(204);
        return result;
    }

    private static List<X509Certificate> chain(String applicationId) throws Exception {
        String pem = RestAssured.given().get("/applications/" + applicationId + "/certificate").then().statusCode(200)
                .extract().asString();
        List<X509Certificate> chain = new ArrayList<>();
        CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                pem.getBytes(StandardCharsets.US_ASCII))).forEach(c -> chain.add((X509Certificate) c));
        return chain;
    }

    /** A self-made CA certificate with generation 2's name and key usage, signed by a key that is not the root's. */
    private static X509Certificate strangerCa(X509Certificate gen2, KeyPair k) throws Exception {
        X500Name name = X500Name.getInstance(gen2.getSubjectX500Principal().getEncoded());
        X500Name rootName = X500Name.getInstance(gen2.getIssuerX500Principal().getEncoded());
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(rootName,
                BigInteger.valueOf(System.nanoTime()), new Date(System.currentTimeMillis() - 60_000),
                new Date(System.currentTimeMillis() + 86_400_000L), name, k.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
    }

    /** A result signer certificate as the CA makes them (resultBundleSigning), issued by the stranger CA. */
    private static X509Certificate rogueResultSigner(X509Certificate strangerCa, KeyPair strangerKey, KeyPair k)
            throws Exception {
        return new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                X500Name.getInstance(strangerCa.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(System.nanoTime()), new Date(System.currentTimeMillis() - 60_000),
                new Date(System.currentTimeMillis() + 86_400_000L), new X500Name("CN=Shomei E2E Results 2,O=Shomei Test,C=JP"),
                k.getPublic())
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new org.bouncycastle.asn1.x509.ExtendedKeyUsage(
                        org.bouncycastle.asn1.x509.KeyPurposeId.getInstance(new org.bouncycastle.asn1.ASN1ObjectIdentifier(
                                ResultBundleSignature.RESULT_BUNDLE_SIGNING_OID))))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(strangerKey.getPrivate())));
    }

    /** Result bundle content signed by {@code signer}, carrying {@code certificates}. */
    private static byte[] sign(byte[] content, org.bouncycastle.operator.ContentSigner signer, X509Certificate signerCert,
                               List<X509Certificate> certificates) throws Exception {
        var g = new org.bouncycastle.cms.CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder(
                new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build())
                .build(signer, signerCert));
        g.addCertificates(new org.bouncycastle.cert.jcajce.JcaCertStore(certificates));
        return g.generate(new org.bouncycastle.cms.CMSProcessableByteArray(content), true).getEncoded();
    }

    private static int cli(String... args) {
        return CaCli.run(args);
    }

    private static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }

    private static long count(String sql) throws Exception {
        var config = ConfigProvider.getConfig();
        try (Connection c = DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
             PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static java.security.cert.X509CRL crl(Path der) throws Exception {
        try (var in = Files.newInputStream(der)) {
            return (java.security.cert.X509CRL) CertificateFactory.getInstance("X.509").generateCRL(in);
        }
    }

    private static Path pem(X509Certificate cert, String name) throws Exception {
        Path file = OUT.resolve(name + ".pem");
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        return file;
    }

    private static String sha256(X509Certificate c) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    }

    /** The serial as {@code openssl crl -text} prints it: upper-case hex of whole bytes. */
    private static String serial(X509Certificate c) {
        String hex = c.getSerialNumber().toString(16).toUpperCase();
        return "Serial Number: " + (hex.length() % 2 == 1 ? "0" + hex : hex);
    }

    /** Runs openssl with a timeout; returns what it printed (a failed verify prints why). */
    private static String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl " + args[0] + " did not finish in 30 s");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private static RequestSpecification cms() {
        return RestAssured.given().contentType("application/cms");
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }
}
