package dev.shomei.ra.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.cli.CaCli;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.CaEvents;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

/**
 * The secure zone reports without an inbound port: the real {@code ca status --push} (ca-core's command line, in
 * this JVM) signs the CA's status with its status signer (a key of its own) and posts it over the CA's mutual-TLS connection;
 * the RA verifies it against the pinned certificate and the operator sees it. Forged, unsigned and replayed
 * documents are refused with problem+json 4xx and recorded (a row, an audit-log event, the page, a metric).
 *
 * <p>Zone: tests only (ca-core is a test-scope dependency).
 */
@QuarkusTest
@WithTestResource(StatusEnvironment.class)
class SecureZoneStatusTest {

    /** Set once the presigner's report is pushed: from then on the board shows it. */
    private static volatile boolean presignerReported;

    @Test
    void theCaPushesItsSignedStatusAndTheOperatorSeesIt() throws Exception {
        Path caYaml = Path.of(Ra.config("test.ca.config"));
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(caYaml), CaEvents.NONE,
                Clock.systemUTC())) {
            ca.crlIssuer().issue(); // with a checkpoint signed by the audit key
        }
        Run pushed = ca(pushConfig(caYaml), "status", "--push");
        assertThat(pushed.exit()).as(pushed.output()).isZero();
        assertThat(pushed.output()).contains("\"format\" : \"shomei-secure-zone-status/v1\"").contains("status pushed");

        JsonPath board = operator().accept("application/json").get("/status").then().statusCode(200).extract().jsonPath();
        Map<String, Object> crl = item(board, "crl-issuing-e2e");
        assertThat(crl.get("level")).isEqualTo("OK");
        assertThat((String) crl.get("value")).startsWith("number ");
        assertThat(item(board, "hsm-ca").get("level")).isEqualTo("OK");
        assertThat(item(board, "report-ca").get("level")).isEqualTo("OK");
        assertThat(board.getList("items.id", String.class)).anyMatch(id -> id.startsWith("checkpoints-shomei/ca/"));
        // Until the presigner reports (thePresignersReportShowsOcspFreshness, in whichever order the methods run), its
        // part is unknown, said so, not shown as fine.
        if (!presignerReported) {
            assertThat(item(board, "report-ocsp-presigner").get("level")).isEqualTo("UNKNOWN");
        }

        String html = operator().accept("text/html").get("/status").then().statusCode(200)
                .contentType(org.hamcrest.Matchers.startsWith("text/html")).extract().asString();
        assertThat(html).contains("id=\"item-crl-issuing-e2e\"").contains("CRL of issuing-e2e");

        // The pull loop pushes after every pass: the last pull is then known.
        Run pulled = ca(pushConfig(caYaml), "orders", "pull", "--once");
        assertThat(pulled.exit()).as(pulled.output()).isZero();
        assertThat(pulled.output()).doesNotContain("status:");
        board = operator().accept("application/json").get("/status").then().statusCode(200).extract().jsonPath();
        assertThat(item(board, "order-pull").get("level")).isEqualTo("OK");
        assertThat((String) item(board, "order-pull").get("value")).contains("executed 0, delivered");

        // An outside verifier reads the same document: openssl's CMS verification to the issuing CA.
        Path der = Files.createTempFile(caYaml.getParent(), "status-", ".p7m");
        Files.write(der, signedByTheCa(Instant.now()));
        Path content = caYaml.getParent().resolve(der.getFileName() + ".json");
        Process openssl = new ProcessBuilder("openssl", "cms", "-verify", "-inform", "DER", "-in", der.toString(),
                "-CAfile", Ra.config("ra.orders.ca-certificates"), "-partial_chain", "-purpose", "any",
                "-out", content.toString()).redirectErrorStream(true).start();
        if (!openssl.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            openssl.destroyForcibly();
            throw new AssertionError("openssl cms -verify did not finish in 60 s");
        }
        String said = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(openssl.exitValue()).as(said).isZero();
        assertThat(said).contains("Verification successful");
        assertThat(Files.readString(content)).contains("\"format\":\"shomei-secure-zone-status/v1\"");

        // Metrics on the management interface carry the same lines.
        String metrics = Ra.management().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("shomei_status_item_timestamp_seconds\\{[^}]*item=\"crl-issuing-e2e\"");
        assertThat(metrics).contains("shomei_status_overall_level");
    }

    @Test
    void forgedUnsignedAndReplayedDocumentsAreRefusedAndRecorded() throws Exception {
        Instant now = Instant.now();
        String content = """
                {"format":"shomei-secure-zone-status/v1","component":"ca","documentId":"forged-1",
                 "producedAt":"%s","generations":[],"hsm":{"ok":true,"detail":"all fine"}}""".formatted(now);

        // Step 1: signed by a key that is not a pinned status signer (embedded certificate and all).
        Response forged = asCa().contentType("application/pkcs7-mime").body(signedBySomeoneElse(content))
                .post("/ca/status");
        forged.then().statusCode(422).contentType("application/problem+json")
                .body("code", org.hamcrest.Matchers.equalTo("status-signature-invalid"));

        // Step 2: the same JSON, unsigned (a CMS without a signer), and bare JSON.
        CMSSignedDataGenerator none = new CMSSignedDataGenerator();
        byte[] unsigned = none.generate(new CMSProcessableByteArray(content.getBytes(StandardCharsets.UTF_8)), true)
                .getEncoded();
        asCa().contentType("application/pkcs7-mime").body(unsigned).post("/ca/status").then().statusCode(400)
                .contentType("application/problem+json").body("code", org.hamcrest.Matchers.equalTo("status-document-unsigned"));
        asCa().contentType("application/octet-stream").body(content.getBytes(StandardCharsets.UTF_8))
                .post("/ca/status").then().statusCode(400).contentType("application/problem+json")
                .body("code", org.hamcrest.Matchers.equalTo("status-document-malformed"));

        // Step 3: a genuine document, then the same bytes again: the replay is refused.
        byte[] genuine = signedByTheCa(now.plusSeconds(1));
        asCa().contentType("application/pkcs7-mime").body(genuine).post("/ca/status").then().statusCode(200);
        asCa().contentType("application/pkcs7-mime").body(genuine).post("/ca/status").then().statusCode(409)
                .contentType("application/problem+json")
                .body("code", org.hamcrest.Matchers.equalTo("status-document-replayed"));

        // Step 4: the genuine document from someone without the CA's client certificate: refused at the door.
        operator().contentType("application/pkcs7-mime").body(signedByTheCa(now.plusSeconds(2))).post("/ca/status")
                .then().statusCode(403).body("code", org.hamcrest.Matchers.equalTo("ca-certificate-not-allowed"));

        // Recorded: rows, audit-log events, the page's warning and a metric.
        try (Connection c = DriverManager.getConnection(Ra.config("test.database.url"),
                Ra.config("quarkus.flyway.username"), Ra.config("quarkus.flyway.password"));
             PreparedStatement ps = c.prepareStatement("select code from secure_zone_report_refusal order by id");
             ResultSet rs = ps.executeQuery()) {
            List<String> codes = new java.util.ArrayList<>();
            while (rs.next()) {
                codes.add(rs.getString(1));
            }
            assertThat(codes).contains("status-signature-invalid", "status-document-unsigned",
                    "status-document-malformed", "status-document-replayed");
            try (PreparedStatement a = c.prepareStatement("select count(*) from audit_entry where action = 'status.refused'");
                 ResultSet r = a.executeQuery()) {
                r.next();
                assertThat(r.getLong(1)).isGreaterThanOrEqualTo(4);
            }
        }
        JsonPath board = operator().accept("application/json").get("/status").then().statusCode(200).extract().jsonPath();
        assertThat(item(board, "refused-documents").get("level")).isEqualTo("WARNING");
        String metrics = Ra.management().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).containsPattern("shomei_status_documents_refused_total\\{[^}]*code=\"status-signature-invalid\"");

        // The page is the operator's: an officer is refused.
        officer().accept("application/json").get("/status").then().statusCode(403)
                .body("code", org.hamcrest.Matchers.equalTo("operator-role-required"));
    }

    @Test
    void thePresignersReportShowsOcspFreshness() throws Exception {
        presignerReported = true;
        Instant now = Instant.now();
        // The presigner's document (ocsp-presigner's OcspStatus has this shape), signed with the status signer.
        var doc = dev.shomei.ca.status.StatusDocument.start("ocsp-presigner", now);
        doc.putArray("issuers").addObject().put("issuer", "issuing-e2e").put("responses", 40)
                .put("oldestThisUpdate", now.minus(java.time.Duration.ofHours(60)).toString())
                .put("earliestNextUpdate", now.plus(java.time.Duration.ofHours(36)).toString())
                .put("pastHalfValidity", 3).put("lapsed", 0).put("missing", 0);
        byte[] signed;
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            signed = dev.shomei.ca.status.StatusDocument.sign(doc, dev.shomei.ca.status.StatusDocument.signer(ca));
        }
        asCa().contentType("application/pkcs7-mime").body(signed).post("/ca/status").then().statusCode(200);

        JsonPath board = operator().accept("application/json").get("/status").then().statusCode(200).extract().jsonPath();
        Map<String, Object> ocsp = item(board, "ocsp-issuing-e2e");
        assertThat(ocsp.get("level")).isEqualTo("WARNING");
        assertThat((String) ocsp.get("value")).contains("40 response(s)").contains("3 past half validity");
        assertThat((String) ocsp.get("detail")).contains("past half their validity");
        assertThat(item(board, "report-ocsp-presigner").get("level")).isEqualTo("OK");
    }

    /**
     * One key, one purpose: a status document signed with the audit checkpoint key is refused, although that key is
     * the CA's own and its certificate is pinned (as an RA configured before status documents had a key of their own
     * has it), because its certificate does not say statusSigning. And the CA refuses to sign status with it.
     */
    @Test
    void aDocumentSignedWithTheAuditCheckpointKeyIsRefused() throws Exception {
        Path caYaml = Path.of(Ra.config("test.ca.config"));
        byte[] byCheckpointKey;
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(caYaml), CaEvents.NONE,
                Clock.systemUTC())) {
            var doc = dev.shomei.ca.status.CaStatus.collect(ca, Clock.systemUTC(), null);
            byCheckpointKey = dev.shomei.ca.status.StatusDocument.sign(doc, ca.signer(StatusEnvironment.AUDIT_LABEL));
        }
        asCa().contentType("application/pkcs7-mime").body(byCheckpointKey).post("/ca/status").then().statusCode(422)
                .contentType("application/problem+json")
                .body("code", org.hamcrest.Matchers.equalTo("status-signer-wrong-purpose"))
                .body("detail", org.hamcrest.Matchers.containsString("ca delegate --profile status-signer"));

        // The CA side: status.signingKey naming the audit checkpoint key is refused before anything is signed.
        Path misconfigured = caYaml.getParent().resolve("ca-status-audit-key.yaml");
        Files.writeString(misconfigured, Files.readString(pushConfig(caYaml), StandardCharsets.UTF_8).replace(
                "signingKey: pkcs11:object=" + StatusEnvironment.STATUS_LABEL,
                "signingKey: pkcs11:object=" + StatusEnvironment.AUDIT_LABEL), StandardCharsets.UTF_8);
        Run refused = ca(misconfigured, "status", "--push");
        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("status.signingKey").contains("another purpose")
                .doesNotContain("status pushed");
    }

    /** A status document of the CA, collected and signed by ca-core with the status signer. */
    static byte[] signedByTheCa(Instant producedAt) throws Exception {
        return signedByTheCa(producedAt, doc -> { });
    }

    static byte[] signedByTheCa(Instant producedAt,
                                java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit)
            throws Exception {
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(Path.of(Ra.config("test.ca.config"))),
                CaEvents.NONE, Clock.systemUTC())) {
            var doc = dev.shomei.ca.status.CaStatus.collect(ca, Clock.fixed(producedAt, java.time.ZoneOffset.UTC), null);
            edit.accept(doc);
            return dev.shomei.ca.status.StatusDocument.sign(doc, dev.shomei.ca.status.StatusDocument.signer(ca));
        }
    }

    private static byte[] signedBySomeoneElse(String content) throws Exception {
        KeyPair k = StatusEnvironment.ec();
        X500Name name = new X500Name("CN=Shomei E2E Audit Checkpoints,O=Shomei Test,C=JP"); // the same name, another key
        var cert = StatusEnvironment.cert(name, k, name, k.getPrivate(), false);
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate()), cert));
        g.addCertificates(new JcaCertStore(List.of(cert)));
        return g.generate(new CMSProcessableByteArray(content.getBytes(StandardCharsets.UTF_8)), true).getEncoded();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> item(JsonPath board, String id) {
        List<Map<String, Object>> items = board.getList("items");
        return items.stream().filter(i -> id.equals(i.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no status line " + id + " in " + items));
    }

    static RequestSpecification operator() {
        return Ra.tls().keyStore(new File(Ra.config("test.status.operator-keystore")), Ra.config("test.tls.password"));
    }

    static RequestSpecification officer() {
        return Ra.tls().keyStore(new File(Ra.config("test.status.officer-keystore")), Ra.config("test.tls.password"));
    }

    static RequestSpecification asCa() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }

    /** The test CA's ca.yaml with orders.pull pointing at this RA over mutual TLS (as the pull loop uses it). */
    static Path pushConfig(Path caYaml) throws Exception {
        Path dir = caYaml.getParent();
        Path raServer = dir.resolve("ra-server-status.pem");
        Files.writeString(raServer, StatusEnvironment.pem(serverCertificate()));
        Files.writeString(dir.resolve("ca-client-status.pw"), Ra.config("test.tls.password") + "\n");
        String yaml = Files.readString(caYaml, StandardCharsets.UTF_8);
        String orders = "orders:\n  trustedRaCertificates: [ra-orders.pem]\n";
        assertThat(yaml).contains(orders);
        Path out = dir.resolve("ca-status-push.yaml");
        Files.writeString(out, yaml.replace(orders, orders + """
                  pull:
                    url: https://localhost:%d
                    clientKeystore: %s
                    clientKeystorePasswordFile: ca-client-status.pw
                    trustedServerCertificates: %s
                """.formatted(Ra.sslPort(), Path.of(Ra.config("test.orders.ca-client-keystore")).toAbsolutePath(),
                raServer)), StandardCharsets.UTF_8);
        return out;
    }

    static java.security.cert.X509Certificate serverCertificate() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(Path.of(Ra.config("test.tls.server-keystore")))) {
            ks.load(in, Ra.config("test.tls.password").toCharArray());
        }
        for (String alias : java.util.Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                return (java.security.cert.X509Certificate) ks.getCertificate(alias);
            }
        }
        throw new IllegalStateException("no server key in the test key store");
    }

    record Run(int exit, String output) {}

    static synchronized Run ca(Path config, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            String[] all = new String[args.length + 2];
            all[0] = "--config";
            all[1] = config.toString();
            System.arraycopy(args, 0, all, 2, args.length);
            return new Run(CaCli.run(all), buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
