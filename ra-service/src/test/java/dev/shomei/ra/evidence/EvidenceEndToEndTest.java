package dev.shomei.ra.evidence;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.PrivateKeyCheckpointSigner;
import dev.shomei.audit.TrustedKeys;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.evidence.Check;
import dev.shomei.evidence.Digests;
import dev.shomei.evidence.EvidencePack;
import dev.shomei.evidence.PackageExporter;
import dev.shomei.evidence.PackageVerifier;
import dev.shomei.evidence.Reconciliation;
import dev.shomei.evidence.Sample;
import dev.shomei.evidence.cli.EvidenceCli;
import dev.shomei.pkcs11.SignerContentSigner;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaEvents;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.OfficerPki;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evidence pack on a history made by the real RA (JPKI-signed applications, J-LIS over OCSP, the policy,
 * officers with four eyes) and the real CA (SoftHSM2, order bundles, CRLs, its audit log): the figures, the sample's
 * reproducibility, the offline re-verifier on clean and tampered packages, and reconciliation with crafted
 * discrepancies (a certificate and a revocation made at the CA with no decision and no recorded act, a stale CRL and
 * OCSP response on the repository).
 */
@QuarkusTest
@WithTestResource(EvidenceEnvironment.class)
class EvidenceEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] FAMILY = {"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
            "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水"};
    private static final String[] GIVEN = {"一郎", "花子", "次郎", "恵子", "三郎", "明美"};
    // Hundreds of applications, so that the strata are large enough for the sample's statistics to mean something.
    private static final int APPROVED = 200;
    private static final int REJECTED = 50;
    private static final int REFERRED = 20;
    /** Referred applications an officer approves (under four eyes), and rejects; the rest stay waiting. */
    private static final int OFFICER_APPROVED = 8;
    private static final int OFFICER_REJECTED = 4;
    /** Subscribers who renew with their certificate (the second route). */
    private static final int RENEWED = 3;
    /** Card keys are shared by several simulated people: RSA key generation would dominate the test's time. */
    private static final KeyPair[] CARD_KEYS = new KeyPair[8];

    @TempDir
    Path tmp;

    private final Map<String, SimulatedCard> cards = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, KeyPair> subscriberKeys = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger people = new java.util.concurrent.atomic.AtomicInteger();

    @Test
    void theEvidencePackAddsUpReproducesAndCatchesTamperingAndDiscrepancies() throws Exception {
        Instant from = Instant.now().minusSeconds(2);

        // Step 1: the history. Clean approvals, rejections (gender differs), referrals (name differs) that
        // officers decide: some approved under four eyes, some rejected, the rest left waiting. Applicants submit
        // three at a time, as applicants do: the RA's intake runs concurrently.
        List<String> approved;
        List<String> referred;
        ExecutorService applicants = Executors.newFixedThreadPool(3);
        try {
            List<Future<String>> a = new ArrayList<>();
            List<Future<String>> r = new ArrayList<>();
            for (int i = 0; i < APPROVED + REJECTED + REFERRED; i++) {
                int k = i;
                Future<String> f = applicants.submit(() -> k < APPROVED ? submit(false, false, "APPROVED")
                        : k < APPROVED + REJECTED ? submit(true, false, "REJECTED") : submit(false, true, "REFERRED"));
                (k < APPROVED ? a : r).add(f);
            }
            approved = new ArrayList<>();
            for (Future<String> f : a) {
                approved.add(f.get(10, TimeUnit.MINUTES));
            }
            List<String> rest = new ArrayList<>();
            for (Future<String> f : r) {
                rest.add(f.get(10, TimeUnit.MINUTES));
            }
            referred = rest.subList(REJECTED, rest.size());
        } finally {
            applicants.shutdownNow();
        }
        for (String id : referred.subList(0, OFFICER_APPROVED)) {
            Ra.secondOfficer().contentType("application/json")
                    .body(Map.of("outcome", "APPROVED", "reason", "second look: the kana reading matches"))
                    .post("/officer/applications/" + id + "/decision").then().statusCode(202);
            Ra.officer().contentType("application/json")
                    .body(Map.of("outcome", "APPROVED", "reason", "name differs only in reading; checked by phone"))
                    .post("/officer/applications/" + id + "/decision").then().statusCode(200);
        }
        for (String id : referred.subList(OFFICER_APPROVED, OFFICER_APPROVED + OFFICER_REJECTED)) {
            Ra.officer().contentType("application/json").body(Map.of("outcome", "REJECTED", "reason", "could not be reached"))
                    .post("/officer/applications/" + id + "/decision").then().statusCode(200);
        }

        CaConfig caConfig = CaConfig.load(Path.of(Ra.config("test.ca.config")));
        Path repository = Files.createDirectories(tmp.resolve("repository"));
        Path firstRelease = Files.createDirectories(tmp.resolve("origin/releases/b-1"));
        Instant firstPublished;
        KeyPair raAuditKey = ecKey();
        Path raKeyPem = tmp.resolve("ra-audit.pem");
        Files.writeString(raKeyPem, TrustedKeys.toPem(raAuditKey.getPublic()));
        Path caKeyPem = tmp.resolve("ca-audit.pem");
        X509Certificate issuing;
        String issuingLabel = caConfig.issuingKeyLabel();
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig,
                new AuditedCaEvents(AuditedCaEvents.logFor(caConfig), AuditedCaEvents.system()), Clock.systemUTC())) {
            issuing = ca.issuingSigner().certificate();
            Files.writeString(caKeyPem, TrustedKeys.toPem(issuing.getPublicKey()));
            OrderBundleProcessor processor = ca.orderProcessor();
            // A CRL before any revocation, and OCSP saying good: the first release of the origin below.
            Files.createDirectories(firstRelease.resolve("crl"));
            Files.write(firstRelease.resolve("crl/" + issuingLabel + ".crl"), ca.crlIssuer().issue().der());
            runCa(processor);
            try (Connection c = ca.database().dataSource().getConnection()) {
                publishOcsp(ca, c, firstRelease, ca.issuingSigner().certificate(), Instant.now().plusSeconds(86_400));
            }
            firstPublished = Instant.now();
            // Subscribers renew with their certificate's key, for a new key (the second route).
            for (String app : approved.subList(10, 10 + RENEWED)) {
                Response r = given().contentType("application/cms").body(ApplicantClient.renewal(subscriberKeys.get(app),
                        certificateOf(app), ApplicantClient.csr(ApplicantClient.ecKey()))).post("/renewals");
                r.then().statusCode(201);
                assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
            }
            runCa(processor);
            // Two subscribers revoke with their cards (applicant-initiated, decided by the system).
            for (String app : approved.subList(0, 2)) {
                Response r = Ra.revocationRequest(ApplicantClient.revocationRequest(cards.get(app), app, "keyCompromise"));
                r.then().statusCode(201);
                assertThat(r.jsonPath().getString("status")).isEqualTo("APPROVED");
            }
            runCa(processor);
            // The CRL (and with it the CA's audit checkpoint) after everything, and OCSP for every certificate.
            Files.createDirectories(repository.resolve("crl"));
            Files.write(repository.resolve("crl/" + issuingLabel + ".crl"), ca.crlIssuer().issue().der());
            try (Connection c = ca.database().dataSource().getConnection()) {
                publishOcsp(ca, c, repository, issuing, Instant.now().plusSeconds(86_400));
            }
        }
        // The RA's checkpoint, as its operator publishes one (signed here with a software key).
        Checkpoint raCheckpoint;
        try (Connection c = raDb()) {
            raCheckpoint = new AuditLog("ra-service").checkpoint(c, new PrivateKeyCheckpointSigner("ra-audit-test",
                    "SHA256withECDSA", raAuditKey.getPrivate(), raAuditKey.getPublic()));
        }
        Instant to = Instant.now().plusSeconds(1);
        Path seedFile = tmp.resolve("seed-checkpoint.txt");
        Files.writeString(seedFile, raCheckpoint.text());

        // Step 2: the pack.
        byte[] policy = getClass().getResourceAsStream("/policy/approval-policy-test.json").readAllBytes();
        PackageExporter.Sources sources = new PackageExporter.Sources(List.of(JpkiTestCa.GEN_2024.certificate(),
                JpkiTestCa.GEN_2019.certificate()), List.of(policy), Files.readAllBytes(raKeyPem), Files.readAllBytes(caKeyPem));
        PackageVerifier.Trust trust = new PackageVerifier.Trust(List.of(raAuditKey.getPublic()),
                List.of(issuing.getPublicKey()), Set.of(Digests.sha256Hex(JpkiTestCa.GEN_2024.certificate().getEncoded())),
                Set.of(Digests.sha256Hex(issuing.getEncoded())), Set.of());
        Path out = tmp.resolve("pack");
        EvidencePack.Outcome pack;
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, CaEvents.NONE, Clock.systemUTC());
             Connection ra = raDb(); Connection caDb = ca.database().dataSource().getConnection()) {
            pack = EvidencePack.make(new EvidencePack.Inputs(ra, caDb, repository, from, to, raCheckpoint, 3, sources, trust),
                    out, Instant.now());
        }
        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertThat(report.path("reconciliation").path("discrepancies")).isEmpty();
        assertThat(report.path("packages").size()).isGreaterThan(0);
        report.path("packages").forEach(p -> assertThat(p.path("verdict").asText()).as(p.toString()).isEqualTo("VERIFIED"));
        assertThat(pack.ok()).as(report.toPrettyString()).isTrue();
        // Opens offline: nothing to fetch (the SVG namespace URI is a name, not a fetch), no script.
        assertThat(Files.readString(out.resolve("report.html"))).contains("<svg").doesNotContain("src=", "href=",
                "url(", "<script", "@import");

        // The same pack through the command the operator runs: exit 0, and it names the report.
        StringWriter made = new StringWriter();
        List<String> reportArgs = new ArrayList<>(List.of("report", "--from", from.toString(), "--to", to.toString(),
                "--seed-checkpoint", seedFile.toString(), "--per-stratum", "2", "--out", tmp.resolve("pack-cli").toString(),
                "--repository", repository.toString(), "--policy", write("policy.json", new String(policy, StandardCharsets.UTF_8)).toString(),
                "--jlis-ca", write("jlis-2024.pem", pem(JpkiTestCa.GEN_2024.certificate())).toString(),
                "--ra-audit-key", raKeyPem.toString(), "--ca-audit-key", caKeyPem.toString(),
                "--ra-audit-key-file", raKeyPem.toString(), "--ca-audit-key-file", caKeyPem.toString()));
        reportArgs.addAll(databaseArgs(caConfig));
        assertThat(EvidenceCli.execute(new PrintWriter(made), new PrintWriter(made), reportArgs.toArray(String[]::new)))
                .as(made.toString()).isZero();
        assertThat(made.toString()).contains("report.html", "all checks passed");

        // The repository as a publisher's origin: release b-1 (before the revocations) and b-2 (this repository),
        // published, in this simulated history, three hours after the RA accepted the revocations.
        Path origin = tmp.resolve("origin");
        Instant secondPublished = Instant.now().plus(Duration.ofHours(3));
        Files.writeString(firstRelease.resolve("live-manifest.json"), "{\"format\":\"shomei-live-manifest/v1\","
                + "\"bundleId\":\"b-1\",\"publishedAt\":\"" + firstPublished + "\",\"artifacts\":[]}");
        Path secondRelease = copy(repository, origin.resolve("releases/b-2"));
        Files.writeString(secondRelease.resolve("live-manifest.json"), "{\"format\":\"shomei-live-manifest/v1\","
                + "\"bundleId\":\"b-2\",\"publishedAt\":\"" + secondPublished + "\",\"artifacts\":[]}");
        Files.createSymbolicLink(origin.resolve("current"), Path.of("releases/b-2"));
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, CaEvents.NONE, Clock.systemUTC());
             Connection ra = raDb(); Connection caDb = ca.database().dataSource().getConnection()) {
            Instant at = secondPublished.plusSeconds(60);
            Reconciliation.Result inTime = new Reconciliation(ra, caDb, origin, Duration.ofHours(4)).run(at);
            assertThat(inTime.discrepancies()).as(inTime.discrepancies().toString()).isEmpty();
            assertThat(inTime.publicationHistory()).startsWith("2 releases kept");
            assertThat(inTime.publicationDelays()).hasSize(2).allSatisfy(d -> {
                assertThat(d.acceptedBy()).startsWith("RA decision ");
                assertThat(d.crlAt()).isEqualTo(secondPublished);
                assertThat(d.ocspAt()).isEqualTo(secondPublished);
                assertThat(d.upperBound()).isFalse();
                assertThat(d.crlDelaySeconds()).isEqualTo(Duration.between(d.acceptedAt(), secondPublished).toSeconds())
                        .isBetween(3 * 3600L, 3 * 3600L + 1800);
            });
            Reconciliation.Result late = new Reconciliation(ra, caDb, origin, Duration.ofHours(1)).run(at);
            assertThat(late.discrepancies()).extracting(Reconciliation.Discrepancy::kind)
                    .containsExactly("publication-delay-exceeded", "publication-delay-exceeded",
                            "publication-delay-exceeded", "publication-delay-exceeded");
            assertThat(late.discrepancies().get(0).detail()).contains("CRL", "beyond the bound of PT1H");
        }

        // Step 3: the figures.
        JsonNode s = report.path("statistics");
        int total = APPROVED + REJECTED + REFERRED;
        int issued = APPROVED + OFFICER_APPROVED + RENEWED;
        assertThat(s.path("applications").path("received").asInt()).isEqualTo(total + RENEWED);
        assertThat(s.path("applications").path("byFinalOutcome").path("APPROVED").asInt()).isEqualTo(issued);
        assertThat(s.path("applications").path("byFinalOutcome").path("REJECTED").asInt())
                .isEqualTo(REJECTED + OFFICER_REJECTED);
        assertThat(s.path("applications").path("byFinalOutcome").path("REFERRED").asInt())
                .isEqualTo(REFERRED - OFFICER_APPROVED - OFFICER_REJECTED);
        assertThat(s.path("applications").path("byStatus").path("ISSUED").asInt()).isEqualTo(issued);
        JsonNode byDecider = s.path("decisions").path("byDecider");
        String system = "system shomei-ra-approval-test@1";
        assertThat(byDecider.path(system + " APPROVED").asInt()).isEqualTo(APPROVED + RENEWED + 2);  // + 2 revocations
        assertThat(byDecider.path(system + " REJECTED").asInt()).isEqualTo(REJECTED);
        assertThat(byDecider.path(system + " REFERRED").asInt()).isEqualTo(REFERRED);
        assertThat(byDecider.path("officer " + OfficerPki.OFFICER_NAME + " APPROVED").asInt()).isEqualTo(OFFICER_APPROVED);
        assertThat(byDecider.path("officer " + OfficerPki.OFFICER_NAME + " REJECTED").asInt()).isEqualTo(OFFICER_REJECTED);
        assertThat(s.path("decisions").path("byFinding").path("identity-gender-mismatch REJECTED").asInt()).isEqualTo(REJECTED);
        assertThat(s.path("decisions").path("byFinding").path("identity-name-mismatch REFERRED").asInt()).isEqualTo(REFERRED);
        assertThat(s.path("timeToDecision").path("officer").path("count").asInt())
                .isEqualTo(OFFICER_APPROVED + OFFICER_REJECTED);
        assertThat(s.path("jlisAnswers").path("application OCSP GOOD").asInt()).isEqualTo(total);
        assertThat(s.path("revocationRequests").path("APPLICANT keyCompromise REVOKED").asInt()).isEqualTo(2);
        assertThat(s.path("certificates").path("issued").asInt()).isEqualTo(issued);
        assertThat(s.path("certificates").path("revoked").asInt()).isEqualTo(2);
        assertThat(s.path("certificates").path("revokedByReason").path("1").asInt()).isEqualTo(2);
        assertThat(s.path("crlFreshness").path("revocationsOnNoCrlYet").asInt()).isZero();
        assertThat(s.path("repository").path("ocspResponses").path("revoked").asInt()).isEqualTo(2);
        assertThat(s.path("repository").path("ocspPastNextUpdate").asInt()).isZero();
        assertThat(report.path("reconciliation").path("counts").path("caCertificatesViaRaOrders").asInt()).isEqualTo(issued);
        // The HTML shows the same figures as its JSON twin.
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("<b id=\"applications-received\">" + (total + RENEWED) + "</b>",
                "<b id=\"certificates-issued\">" + issued + "</b>", "<b id=\"certificates-revoked\">2</b>",
                "<b id=\"discrepancies\">0</b>", "<tr id=\"control-C1\">");

        // Step 4: the sample: stratified, and re-derived by anyone from the published checkpoint and the candidates.
        JsonNode sample = report.path("sample");
        assertThat(sample.path("seedHex").asText()).isEqualTo(raCheckpoint.rootHex());
        assertThat(sample.path("chosen").has("APPLICATION / APPROVED / officer " + OfficerPki.OFFICER_NAME)).isTrue();
        assertThat(sample.path("chosen").has("APPLICATION / REJECTED / system shomei-ra-approval-test@1")).isTrue();
        assertThat(sample.path("chosen").has("REVOCATION_REQUEST / APPROVED / system shomei-ra-approval-test@1")).isTrue();
        assertThat(sample.path("chosen").path("APPLICATION / APPROVED / system shomei-ra-approval-test@1").size()).isEqualTo(3);
        StringWriter sampled = new StringWriter();
        assertThat(EvidenceCli.execute(new PrintWriter(sampled), new PrintWriter(new StringWriter()), "sample",
                "--candidates", out.resolve("sample/candidates.json").toString(), "--seed-checkpoint", seedFile.toString(),
                "--per-stratum", "3")).isZero();
        assertThat(JSON.readTree(sampled.toString()).path("chosen")).isEqualTo(sample.path("chosen"));
        List<Sample.Candidate> candidates = List.of(JSON.readValue(out.resolve("sample/candidates.json").toFile(),
                Sample.Candidate[].class));
        int decisions = total + RENEWED + OFFICER_APPROVED + OFFICER_REJECTED + 2;
        assertThat(candidates).hasSize(decisions);
        // The strata are the history's own figures, and each gives min(perStratum, its size) to the sample.
        JsonNode sizes = sample.path("stratumSizes");
        assertThat(sizes.path("APPLICATION / APPROVED / system shomei-ra-approval-test@1").asInt()).isEqualTo(APPROVED + RENEWED);
        assertThat(sizes.path("APPLICATION / REJECTED / system shomei-ra-approval-test@1").asInt()).isEqualTo(REJECTED);
        assertThat(sizes.path("APPLICATION / REFERRED / system shomei-ra-approval-test@1").asInt()).isEqualTo(REFERRED);
        assertThat(sizes.path("APPLICATION / APPROVED / officer " + OfficerPki.OFFICER_NAME).asInt()).isEqualTo(OFFICER_APPROVED);
        int sum = 0;
        for (var it = sizes.fields(); it.hasNext(); ) {
            var e = it.next();
            sum += e.getValue().asInt();
            assertThat(sample.path("chosen").path(e.getKey()).size()).as(e.getKey()).isEqualTo(Math.min(3, e.getValue().asInt()));
        }
        assertThat(sum).isEqualTo(decisions);
        // Across many published seeds, every approval is drawn about equally often: the HMAC order is not biased
        // towards early, late or any particular decisions (chi-square over the stratum, fixed seeds: no flakiness).
        String big = "APPLICATION / APPROVED / system shomei-ra-approval-test@1";
        Map<String, Integer> drawn = new java.util.HashMap<>();
        int seeds = 2000;
        for (int i = 0; i < seeds; i++) {
            Sample.draw(Digests.sha256(("published checkpoint " + i).getBytes(StandardCharsets.UTF_8)), candidates, 3)
                    .chosen().get(big).forEach(id -> drawn.merge(id, 1, Integer::sum));
        }
        int stratum = APPROVED + RENEWED;
        double expected = seeds * 3.0 / stratum;
        assertThat(drawn).as("every decision of the stratum is drawn by some seed").hasSize(stratum);
        double chiSquare = drawn.values().stream().mapToDouble(n -> (n - expected) * (n - expected) / expected).sum();
        // Below the 99.99th percentile of chi-square with stratum - 1 degrees of freedom (Wilson-Hilferty).
        double dof = stratum - 1;
        double critical = dof * Math.pow(1 - 2 / (9 * dof) + 3.719 * Math.sqrt(2 / (9 * dof)), 3);
        assertThat(chiSquare).as("chi-square of the draw counts").isLessThan(critical);
        // Early and late halves of the stratum (by decision time) are drawn alike.
        List<String> ordered = candidates.stream().filter(c -> big.equals(c.stratum())).map(Sample.Candidate::decisionId).toList();
        int early = ordered.subList(0, stratum / 2).stream().mapToInt(id -> drawn.getOrDefault(id, 0)).sum();
        assertThat((double) early / (seeds * 3)).isBetween(0.45, 0.55);
        Sample.Drawn other = Sample.draw(Digests.sha256("another checkpoint".getBytes(StandardCharsets.UTF_8)), candidates, 3);
        assertThat(other.chosen().get("APPLICATION / APPROVED / system shomei-ra-approval-test@1"))
                .isNotEqualTo(sample.path("chosen").path("APPLICATION / APPROVED / system shomei-ra-approval-test@1").findValuesAsText(""));

        // Step 5: the offline re-verifier, through the command an auditor runs, on clean and tampered packages.
        Path approvedPkg = cardSignedPackageOf(out, report, "APPLICATION / APPROVED / system shomei-ra-approval-test@1");
        Path officerPkg = packageOf(out, report, "APPLICATION / APPROVED / officer " + OfficerPki.OFFICER_NAME);
        Path rejectedPkg = packageOf(out, report, "APPLICATION / REJECTED / system shomei-ra-approval-test@1");
        String[] trustArgs = {"--ra-audit-key", raKeyPem.toString(), "--ca-audit-key", caKeyPem.toString(),
                "--jlis-pin", Digests.sha256Hex(JpkiTestCa.GEN_2024.certificate().getEncoded()),
                "--ca-pin", Digests.sha256Hex(issuing.getEncoded())};
        assertThat(verifyCli(trustArgs, out.resolve("packages"))).startsWith("0");
        PackageVerifier verifier = new PackageVerifier(trust);
        PackageVerifier.Verdict clean = verifier.verify(approvedPkg);
        assertThat(clean.checks()).extracting(Check::name).contains("policy-replay", "ocsp-signature", "jlis-status",
                "order-names-decision", "subscriber-key", "ca-logged-certificate", "inclusion-proof");

        assertTampered(verifier, approvedPkg, "application.cms", flipLast(), "application.cms");
        assertTampered(verifier, approvedPkg, "jlis-response.der", flipLast(), "jlis-response.der");
        assertTampered(verifier, approvedPkg, "order-bundle.cms", flipLast(), "order-bundle.cms");
        assertTampered(verifier, approvedPkg, "result-bundle.cms", flipLast(), "result-bundle.cms");
        assertTampered(verifier, approvedPkg, "certificate.der", flipLast(), "certificate.der");
        assertTampered(verifier, approvedPkg, "jpki-certificate.der", flipLast(), "jpki-certificate.der");
        assertTampered(verifier, approvedPkg, "audit/ra-entry.jsonl", replace("application.decided", "application.withdrawn"), "audit/ra-entry.jsonl");
        assertTampered(verifier, approvedPkg, "audit/ca-checkpoint.txt", flipBeforeLastLine(), "audit/ca-checkpoint.txt");
        // A rejection rewritten as a referral: the decision no longer matches the audit log.
        assertTampered(verifier, rejectedPkg, "decision.json", replace("\"outcome\":\"REJECTED\"", "\"outcome\":\"REFERRED\""),
                "decision.json");
        // A more lenient policy substituted: its digest is not the one the decision names.
        assertTampered(verifier, rejectedPkg, "policy.json",
                replace("\"identity-gender-mismatch\": \"REJECTED\"", "\"identity-gender-mismatch\": \"REFERRED\""),
                "policy.json");
        assertThat(verifier.verify(officerPkg).checks()).anySatisfy(c -> assertThat(c.detail())
                .contains("officer " + OfficerPki.OFFICER_NAME));
        Path broken = copy(approvedPkg, tmp.resolve("broken-cli"));
        flipLast().apply(broken.resolve("certificate.der"));
        assertThat(verifyCli(trustArgs, broken)).startsWith("1").contains("certificate.der");

        // Renewals: the signer is a subscriber certificate of this CA; its chain, validity and status at signing
        // are re-checked offline from the package.
        List<String> renewalDecisions = new ArrayList<>();
        try (Connection ra = raDb(); Statement st = ra.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT decision_id FROM application WHERE route = 'SUBSCRIBER_CERTIFICATE' ORDER BY received_at")) {
            while (rs.next()) {
                renewalDecisions.add(rs.getString(1));
            }
        }
        assertThat(renewalDecisions).hasSize(RENEWED);
        Path renewalPkg;
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, CaEvents.NONE, Clock.systemUTC());
             Connection ra = raDb(); Connection caDb = ca.database().dataSource().getConnection()) {
            renewalPkg = new PackageExporter(ra, caDb, sources).export(UUID.fromString(renewalDecisions.get(0)),
                    tmp.resolve("renewal-packages"));
        }
        PackageVerifier.Verdict renewal = verifier.verify(renewalPkg);
        assertThat(renewal.ok()).as(renewal.render()).isTrue();
        assertThat(renewal.checks()).filteredOn(c -> c.file().equals("subscriber-certificate.der"))
                .extracting(Check::name).contains("issued-by", "valid-at-signing", "decision-names-subscriberCertificateSha256");
        assertThat(renewal.checks()).anySatisfy(c -> {
            assertThat(c.name()).isEqualTo("not-revoked-at-signing");
            assertThat(c.status()).isEqualTo(Check.Status.PASS);
        });
        assertTampered(verifier, renewalPkg, "subscriber-certificate.der", flipLast(), "subscriber-certificate.der");
        assertTampered(verifier, renewalPkg, "subscriber-issuing-ca.der", flipLast(), "subscriber-issuing-ca.der");
        assertTampered(verifier, renewalPkg, "subscriber-crl.der", flipLast(), "subscriber-crl.der");

        // Step 6: crafted discrepancies. At the CA, with nothing recorded: a certificate issued outside any order
        // and a revocation no one requested; on the repository, the old CRL and OCSP response stay.
        String manualSerial;
        String silentRevocation = serialOf(approved.get(5));
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, CaEvents.NONE, Clock.systemUTC())) {
            manualSerial = ca.issuer().issueForHsmKey("manual-1", new X500Name("C=JP,CN=Shadow"), ecKey().getPublic(),
                    "subscriber-signature").certificate().getSerialNumber().toString(16);
            ca.issuer().revoke(silentRevocation, RevocationReason.of(0), "nobody");
        }
        // The RA, not told of that revocation, accepts a renewal signed with the revoked certificate; the package's
        // CRL from the CA shows the signer was revoked before it signed.
        Response lateRenewal = given().contentType("application/cms").body(ApplicantClient.renewal(
                subscriberKeys.get(approved.get(5)), certificateOf(approved.get(5)),
                ApplicantClient.csr(ApplicantClient.ecKey()))).post("/renewals");
        lateRenewal.then().statusCode(201);
        String lateDecision = decisionOf(lateRenewal.jsonPath().getString("applicationId"));
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, CaEvents.NONE, Clock.systemUTC());
             Connection ra = raDb(); Connection caDb = ca.database().dataSource().getConnection()) {
            ca.crlIssuer().issue();
            new AuditLog("ra-service").checkpoint(ra, new PrivateKeyCheckpointSigner("ra-audit-test",
                    "SHA256withECDSA", raAuditKey.getPrivate(), raAuditKey.getPublic()));
            Path pkg = new PackageExporter(ra, caDb, sources).export(UUID.fromString(lateDecision), tmp.resolve("late"));
            PackageVerifier.Verdict v = verifier.verify(pkg);
            assertThat(v.ok()).as(v.render()).isFalse();
            // The signature and chain hold; only the status at signing fails (and the order, not yet bundled).
            assertThat(v.failures()).noneMatch(c -> List.of("application.cms", "subscriber-certificate.der",
                    "subscriber-issuing-ca.der").contains(c.file()));
            assertThat(v.failures()).filteredOn(c -> c.file().equals("subscriber-crl.der")).singleElement().satisfies(c -> {
                assertThat(c.name()).isEqualTo("not-revoked-at-signing");
                assertThat(c.detail()).contains("revoked at", "a revoked certificate signed the request");
            });
        }
        // And a manual act that is recorded with its operator: listed, not a discrepancy.
        String recordedSerial;
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, new AuditedCaEvents(AuditedCaEvents.logFor(caConfig),
                AuditedCaEvents.operator("CA Operator Kato", caConfig.hsmConfig().tokenLabel())), Clock.systemUTC())) {
            recordedSerial = ca.issuer().issueForHsmKey("manual-2", new X500Name("C=JP,CN=Recorded"), ecKey().getPublic(),
                    "subscriber-signature").certificate().getSerialNumber().toString(16);
            try (Connection c = ca.database().dataSource().getConnection(); Connection ra = raDb()) {
                publishOcspFor(ca, c, repository, issuing, recordedSerial, Instant.now().plusSeconds(86_400));
                // One certificate's OCSP response copied over another's: a file for every serial, but not its answer.
                String swapped = serialOf(approved.get(21));
                Files.copy(ocspFile(repository, issuing, serialOf(approved.get(20))), ocspFile(repository, issuing, swapped),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Reconciliation.Result r = new Reconciliation(ra, c, repository).run(Instant.now());
                assertThat(r.discrepancies()).filteredOn(d -> d.kind().equals("ocsp-wrong-certificate"))
                        .singleElement().satisfies(d -> assertThat(d.subject()).endsWith(
                                new BigInteger(swapped, 16).toString(16) + ".der"));
                assertThat(r.discrepancies()).extracting(Reconciliation.Discrepancy::kind).contains(
                        "certificate-without-decision", "revocation-without-decision", "crl-missing-revocation",
                        "ocsp-missing", "ocsp-status-differs");
                assertThat(r.discrepancies()).filteredOn(d -> d.kind().equals("certificate-without-decision"))
                        .singleElement().satisfies(d -> assertThat(d.subject()).contains(manualSerial));
                assertThat(r.discrepancies()).filteredOn(d -> d.kind().equals("revocation-without-decision"))
                        .singleElement().satisfies(d -> assertThat(d.subject()).contains(silentRevocation));
                assertThat(r.discrepancies()).noneMatch(d -> d.subject().contains(recordedSerial));
                assertThat(r.manualActs()).anySatisfy(m -> assertThat(m).contains(recordedSerial, "CA Operator Kato"));
            }
        }
        // The repository's CRL lapses: reconciliation at a time past its nextUpdate says so, and the command fails.
        try (CertificateAuthority ca = CertificateAuthority.open(caConfig, CaEvents.NONE, Clock.systemUTC());
             Connection c = ca.database().dataSource().getConnection(); Connection ra = raDb()) {
            Reconciliation.Result later = new Reconciliation(ra, c, repository).run(Instant.now().plusSeconds(3 * 86_400));
            assertThat(later.discrepancies()).extracting(Reconciliation.Discrepancy::kind)
                    .contains("crl-past-next-update", "ocsp-past-next-update");
        }
        StringWriter rec = new StringWriter();
        List<String> reconcileArgs = new ArrayList<>(List.of("reconcile", "--repository", repository.toString()));
        reconcileArgs.addAll(databaseArgs(caConfig));
        int code = EvidenceCli.execute(new PrintWriter(rec), new PrintWriter(new StringWriter()),
                reconcileArgs.toArray(String[]::new));
        assertThat(code).as(rec.toString()).isEqualTo(1);
        assertThat(rec.toString()).contains("certificate-without-decision", manualSerial);
    }

    // ---- the history ----

    private String submit(boolean wrongGender, boolean wrongName, String expected) {
        int n = people.getAndIncrement();
        JpkiPerson p = JpkiPerson.of(FAMILY[n % FAMILY.length], GIVEN[(n / FAMILY.length) % GIVEN.length],
                n % 2 == 0 ? "1" : "2", LocalDate.of(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                "東京都千代田区霞が関二丁目" + (n + 1) + "番1号");
        KeyPair k;
        synchronized (CARD_KEYS) {
            if (CARD_KEYS[n % CARD_KEYS.length] == null) {
                CARD_KEYS[n % CARD_KEYS.length] = SimulatedCard.rsaKey();
            }
            k = CARD_KEYS[n % CARD_KEYS.length];
        }
        SimulatedCard card = SimulatedCard.inSoftware(k, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), p));
        Claim claim = Claim.of(p);
        if (wrongGender) {
            claim = new Claim(claim.name(), claim.birthDate(), "1".equals(p.gender()) ? "female" : "male", claim.address());
        }
        if (wrongName) {
            claim = claim.withName("試験 はなこ");
        }
        KeyPair subscriberKey = ApplicantClient.ecKey();
        Response r = Ra.submit(ApplicantClient.application(card, claim, ApplicantClient.csr(subscriberKey)));
        // A rejection is answered 422 (a problem naming the reasons and the application), the others 201.
        assertThat(r.statusCode()).as(r.asString()).isEqualTo("REJECTED".equals(expected) ? 422 : 201);
        String id = r.jsonPath().getString("applicationId");
        assertThat(Ra.status(id).getString("status")).as(r.asString()).isEqualTo(expected);
        cards.put(id, card);
        subscriberKeys.put(id, subscriberKey);
        return id;
    }

    private static void runCa(OrderBundleProcessor processor) {
        for (int i = 0; i < 200; i++) {
            Response next = ca().get("/ca/order-bundles/next");
            if (next.statusCode() == 204) {
                return;
            }
            assertThat(next.statusCode()).isEqualTo(200);
            OrderBundleProcessor.Result r = processor.process(next.asByteArray());
            ca().contentType("application/pkcs7-mime").body(r.resultBundle()).post("/ca/result-bundles")
                    .then().statusCode(204);
        }
        throw new AssertionError("the RA kept serving order bundles");
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }

    private static Connection raDb() throws Exception {
        return DriverManager.getConnection(Ra.config("quarkus.datasource.jdbc.url"), Ra.config("quarkus.datasource.username"),
                ConfigProvider.getConfig().getValue("quarkus.datasource.password", String.class));
    }

    private static String decisionOf(String applicationId) throws Exception {
        try (Connection c = raDb(); var st = c.prepareStatement("SELECT decision_id FROM application WHERE id = ?")) {
            st.setObject(1, UUID.fromString(applicationId));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private static X509Certificate certificateOf(String applicationId) throws Exception {
        try (Connection c = raDb(); var st = c.prepareStatement("SELECT certificate FROM application WHERE id = ?")) {
            st.setObject(1, UUID.fromString(applicationId));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return Digests.certificate(rs.getBytes(1));
            }
        }
    }

    private static String serialOf(String applicationId) throws Exception {
        try (Connection c = raDb(); var st = c.prepareStatement("SELECT certificate_serial FROM application WHERE id = ?")) {
            st.setObject(1, UUID.fromString(applicationId));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** An OCSP response for every certificate the CA knows, signed by the issuing CA itself (RFC 6960 §4.2.2.2). */
    private static void publishOcsp(CertificateAuthority ca, Connection c, Path repository, X509Certificate issuing,
                                    Instant nextUpdate) throws Exception {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT serial FROM certificate")) {
            while (rs.next()) {
                publishOcspFor(ca, c, repository, issuing, rs.getString(1), nextUpdate);
            }
        }
    }

    private static void publishOcspFor(CertificateAuthority ca, Connection c, Path repository, X509Certificate issuing,
                                       String serial, Instant nextUpdate) throws Exception {
        Date revokedAt = null;
        try (var st = c.prepareStatement("SELECT revoked_at FROM revocation WHERE serial = ?")) {
            st.setString(1, serial);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    revokedAt = Date.from(rs.getTimestamp(1).toInstant());
                }
            }
        }
        X509CertificateHolder issuer = new JcaX509CertificateHolder(issuing);
        CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                issuer, new BigInteger(serial, 16));
        BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(new RespID(issuer.getSubject()));
        b.addResponse(id, revokedAt == null ? CertificateStatus.GOOD : new RevokedStatus(revokedAt, 1), new Date(),
                Date.from(nextUpdate));
        OCSPResp resp = new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL,
                b.build(new SignerContentSigner(ca.issuingSigner()), new X509CertificateHolder[] {issuer}, new Date()));
        Path p = ocspFile(repository, issuing, serial);
        Files.createDirectories(p.getParent());
        Files.write(p, resp.getEncoded());
    }

    private static Path ocspFile(Path repository, X509Certificate issuing, String serial) throws Exception {
        String keyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(
                SubjectPublicKeyInfo.getInstance(issuing.getPublicKey().getEncoded()).getPublicKeyData().getBytes()));
        String hex = new BigInteger(serial, 16).toString(16);
        return repository.resolve("ocsp/" + keyHash + "/" + hex.substring(0, Math.min(2, hex.length())) + "/" + hex + ".der");
    }

    // ---- packages and tampering ----

    private static Path packageOf(Path out, JsonNode report, String stratum) {
        return out.resolve("packages").resolve(report.path("sample").path("chosen").path(stratum).get(0).asText());
    }

    /**
     * The first package drawn from the stratum whose application was signed with a JPKI card: the system's approvals
     * include the renewals, signed with a subscriber certificate, which carry no J-LIS answer to check.
     */
    private static Path cardSignedPackageOf(Path out, JsonNode report, String stratum) throws Exception {
        for (JsonNode chosen : report.path("sample").path("chosen").path(stratum)) {
            Path pkg = out.resolve("packages").resolve(chosen.asText());
            JsonNode decision = JSON.readTree(pkg.resolve(dev.shomei.evidence.EvidencePackage.DECISION).toFile());
            if ("JPKI".equals(decision.path("evidence").path("route").asText("JPKI"))) {
                return pkg;
            }
        }
        throw new AssertionError("the sample drew only renewals from " + stratum + " (a chance of about one in a"
                + " million): run again");
    }

    private String verifyCli(String[] trustArgs, Path dir) {
        StringWriter o = new StringWriter();
        List<String> args = new ArrayList<>(List.of("verify"));
        args.addAll(List.of(trustArgs));
        args.add(dir.toString());
        int code = EvidenceCli.execute(new PrintWriter(o), new PrintWriter(o), args.toArray(String[]::new));
        return code + "\n" + o;
    }

    interface Tamper {
        void apply(Path file) throws Exception;
    }

    private static Tamper flipLast() {
        return f -> {
            byte[] b = Files.readAllBytes(f);
            b[b.length - 1] ^= 0x01;
            Files.write(f, b);
        };
    }

    /** Changes the checkpoint's signed body (the root hash line), leaving its format intact. */
    private static Tamper flipBeforeLastLine() {
        return f -> {
            List<String> lines = new ArrayList<>(Files.readAllLines(f));
            int i = 2;
            String l = lines.get(i);
            lines.set(i, (l.charAt(0) == 'A' ? 'B' : 'A') + l.substring(1));
            Files.writeString(f, String.join("\n", lines) + "\n");
        };
    }

    private static Tamper replace(String from, String to) {
        return f -> {
            String s = Files.readString(f);
            assertThat(s).as("tamper target in " + f).contains(from);
            Files.writeString(f, s.replace(from, to));
        };
    }

    /**
     * Tampers with a copy of the package, then rewrites its manifest to match (so the manifest is no help): the
     * re-verifier must still fail, and fail on the file that was changed.
     */
    private void assertTampered(PackageVerifier verifier, Path pkg, String file, Tamper tamper, String expectedFile)
            throws Exception {
        Path copy = copy(pkg, tmp.resolve("tampered-" + file.replace('/', '-') + "-" + pkg.getFileName()));
        tamper.apply(copy.resolve(file));
        JsonNode manifest = JSON.readTree(copy.resolve("manifest.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) manifest.path("files")).put(file,
                Digests.sha256Hex(Files.readAllBytes(copy.resolve(file))));
        Files.write(copy.resolve("manifest.json"), JSON.writeValueAsBytes(manifest));
        PackageVerifier.Verdict v = verifier.verify(copy);
        assertThat(v.ok()).as("tampered " + file + ":\n" + v.render()).isFalse();
        assertThat(v.failures()).as(v.render()).anySatisfy(c -> assertThat(c.file()).isEqualTo(expectedFile));
        assertThat(v.failures()).noneMatch(c -> c.name().equals("manifest-digest"));
    }

    private static Path copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
        return to;
    }

    private Path write(String name, String content) throws Exception {
        return Files.writeString(tmp.resolve(name), content);
    }

    private List<String> databaseArgs(CaConfig caConfig) throws Exception {
        return List.of("--ra-db-url", Ra.config("quarkus.datasource.jdbc.url"), "--ra-db-user",
                Ra.config("quarkus.datasource.username"),
                "--ra-db-password-file", write("ra.pw", Ra.config("quarkus.datasource.password")).toString(),
                "--ca-db-url", caConfig.database().url(), "--ca-db-user", caConfig.database().user(),
                "--ca-db-password-file", caPasswordFile(caConfig).toString());
    }

    private static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    private static Path caPasswordFile(CaConfig config) {
        return Path.of(Ra.config("test.ca.config")).getParent().resolve("db.password");
    }

    private static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }
}
