package dev.shomei.ra.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shomei.ra.Ra;
import dev.shomei.ra.books.AuditCheckpointSchedule;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.OfficerPki;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The console in a real headless Chromium that signs in with client certificates (ConsoleBrowser): an officer
 * approves a referred application whose card flags a substitute character, a second officer completes the four-eyes
 * approval, an officer rejects another application whose applicant typed a script as their name (shown as text), the
 * decisions are in the books with their deciders, and the auditor sees the statistics and the reconciliation and draws
 * a sample whose evidence package downloads. Screenshots go to target/screenshots.
 *
 * <p>Needs Debian's chromium and chromium-driver (bin/install-browser); without them the test is skipped, except
 * under CI=true, where it fails.
 */
@QuarkusTest
@WithTestResource(ConsoleTestEnvironment.class)
class ConsoleBrowserTest {

    static final String OFFICER_CA_CN = "Shomei RA Officer CA";
    static final String SCRIPT_NAME = "<script>document.title='pwned'</script>";

    @Inject
    AuditCheckpointSchedule checkpoints;

    @Test
    void officersDecideInTheBrowserAndTheAuditorDrawsASample() throws Exception {
        boolean installed = ConsoleBrowser.installed();
        assertThat(installed || !"true".equals(System.getenv("CI")))
                .as("CI=true but headless Chromium is not installed (bin/install-browser)").isTrue();
        assumeTrue(installed, "headless Chromium is not installed: run bin/install-browser as root");
        Instant from = Instant.now().minusSeconds(5);

        // Step 1: two applications an officer must decide. The first card flags the 1st character of the name as a
        // substitute (代替文字); the second applicant typed a script as their name.
        JpkiPerson takahashi = JpkiPerson.of("髙橋", "一郎", "1", LocalDate.of(1975, 6, 1),
                "福岡県福岡市中央区天神一丁目8番1号").withNameSubstitutesAt(0);
        String substituted = referred(takahashi, Claim.of(takahashi));
        JpkiPerson suzuki = JpkiPerson.of("鈴木", "花子", "2", LocalDate.of(1985, 4, 12),
                "東京都千代田区霞が関二丁目1番2号");
        String scripted = referred(suzuki, Claim.of(suzuki).withName(SCRIPT_NAME));

        try (ConsoleBrowser officer = browser("officer", "test.tls.officer-keystore");
             ConsoleBrowser second = browser("officer2", "test.tls.second-officer-keystore")) {
            // Step 2: the queue, signed in by certificate.
            officer.get("/console");
            assertThat(officer.text(By.id("signed-in"))).contains(OfficerPki.OFFICER_NAME);
            List<String> queued = officer.driver.findElements(By.cssSelector("#queue tr.row")).stream()
                    .map(r -> r.getAttribute("data-id")).toList();
            assertThat(queued).contains(substituted, scripted);
            assertThat(officer.driver.findElement(By.cssSelector("tr.row[data-id='" + substituted + "']")).getText())
                    .contains("identity-name-substitute-characters");
            officer.screenshot("console-01-queue");

            // Step 3: the application: the flagged character is highlighted; the officer approves with the name
            // as checked; it waits for a second officer.
            officer.get("/console/applications/" + substituted);
            List<WebElement> marked = officer.driver.findElements(By.cssSelector("#card-name mark.substitute"));
            assertThat(marked).extracting(WebElement::getText).containsExactly("髙");
            assertThat(marked.get(0).getAttribute("title")).isEqualTo("1");
            assertThat(officer.text(By.id("substitutes"))).contains("1");
            assertThat(officer.text(By.id("jlis"))).contains("GOOD").contains("certStatus").contains("good");
            assertThat(officer.text(By.id("policy"))).contains("SHA-256");
            assertThat(officer.text(By.id("csr"))).contains("EC");
            officer.screenshot("console-02-application-substitutes");
            officer.waitFor(By.id("reason")).sendKeys("resident record shows 髙 (hashigo-daka)");
            officer.waitFor(By.id("certifiedName")).sendKeys("髙橋\u3000一郎");
            officer.waitFor(By.id("approve")).click();
            assertThat(officer.text(By.id("notice"))).contains("second officer");
            assertThat(officer.text(By.id("pending"))).contains(OfficerPki.OFFICER_NAME);
            assertThat(officer.text(By.id("application-status"))).isEqualTo("REFERRED");

            // The same officer cannot give the second approval (four eyes); the form says why.
            officer.waitFor(By.id("reason")).sendKeys("again");
            officer.waitFor(By.id("certifiedName")).sendKeys("髙橋\u3000一郎");
            officer.waitFor(By.id("approve")).click();
            assertThat(officer.text(By.id("error-detail"))).contains("second-officer-required");
            officer.screenshot("console-03-four-eyes-refused", By.id("decide"));

            // Step 4: the second officer completes the approval.
            second.get("/console/applications/" + substituted);
            assertThat(second.text(By.id("pending"))).contains(OfficerPki.OFFICER_NAME);
            second.waitFor(By.id("reason")).sendKeys("residence record seen too");
            second.waitFor(By.id("certifiedName")).sendKeys("髙橋\u3000一郎");
            second.waitFor(By.id("approve")).click();
            assertThat(second.text(By.id("notice"))).contains("decision is recorded");
            assertThat(second.text(By.id("application-status"))).isEqualTo("APPROVED");
            assertThat(second.text(By.id("certified-name"))).isEqualTo("髙橋\u3000一郎");
            assertThat(second.text(By.id("decisions"))).contains(OfficerPki.SECOND_OFFICER_NAME)
                    .contains(OfficerPki.OFFICER_NAME + ": resident record shows 髙");
            second.screenshot("console-04-approved-by-two", By.id("decisions"));

            // Step 5: the applicant who typed a script: shown as text, never run; the officer rejects.
            officer.get("/console/applications/" + scripted);
            assertThat(officer.driver.getTitle()).doesNotContain("pwned");
            assertThat(officer.driver.findElements(By.tagName("script"))).isEmpty();
            assertThat(officer.text(By.id("claimed"))).contains(SCRIPT_NAME);
            officer.waitFor(By.id("reason")).sendKeys("the name given is not a name");
            officer.waitFor(By.id("reject")).click();
            assertThat(officer.text(By.id("application-status"))).isEqualTo("REJECTED");
            officer.screenshot("console-05-rejected");

            // Step 6: search by certificate status, and in Japanese (the switch on every page).
            officer.get("/console?status=REJECTED");
            assertThat(officer.driver.findElements(By.cssSelector("#queue tr.row")).stream()
                    .map(r -> r.getAttribute("data-id")).toList()).contains(scripted).doesNotContain(substituted);
            officer.get("/console?q=" + substituted);
            assertThat(officer.driver.findElements(By.cssSelector("#queue tr.row")).stream()
                    .map(r -> r.getAttribute("data-id")).toList()).containsExactly(substituted);
            officer.get("/console/applications/" + substituted);
            officer.waitFor(By.id("lang-switch")).click();
            assertThat(officer.text(By.tagName("h1"))).isEqualTo("証明書発行申請");
            assertThat(officer.waitFor(By.tagName("html")).getAttribute("lang")).isEqualTo("ja");
            officer.screenshot("console-06-application-ja");
            officer.get("/console");
            assertThat(officer.text(By.tagName("h1"))).as("the switch is remembered").contains("審査に回された");
        }

        // Step 7: the books name the deciders: both officers for the approval, one for the rejection.
        List<Map<String, Object>> books = Ra.auditor().get("/books/export?format=json&book=DECISION&limit=1000&from="
                + from).then().statusCode(200).extract().jsonPath().getList("$");
        assertThat(decider(books, substituted, "APPROVED")).containsEntry("kind", "PERSON")
                .containsEntry("id", OfficerPki.SECOND_OFFICER_NAME);
        assertThat(approvers(books, substituted)).containsExactly(OfficerPki.OFFICER_NAME,
                OfficerPki.SECOND_OFFICER_NAME);
        assertThat(decider(books, scripted, "REJECTED")).containsEntry("kind", "PERSON")
                .containsEntry("id", OfficerPki.OFFICER_NAME);

        // Step 8: the auditor. A checkpoint is signed after the decisions (its root hash seeds the sample).
        assertThat(checkpoints.signIfGrown()).isPresent();
        try (ConsoleBrowser auditor = browser("auditor", "test.tls.auditor-keystore")) {
            auditor.get("/console/auditor?from=" + from + "&to=" + Instant.now().plusSeconds(3600));
            assertThat(Long.parseLong(auditor.text(By.id("applications-received")))).isGreaterThanOrEqualTo(2);
            assertThat(auditor.text(By.id("by-decider"))).contains("officer " + OfficerPki.SECOND_OFFICER_NAME
                    + " APPROVED").contains("officer " + OfficerPki.OFFICER_NAME + " REJECTED");
            assertThat(auditor.driver.findElements(By.cssSelector("svg rect")).size()).isGreaterThan(1);
            assertThat(auditor.text(By.id("discrepancies"))).isEqualTo("1");
            assertThat(auditor.text(By.id("reconciliation"))).contains(ConsoleTestEnvironment.DISCREPANCY);
            auditor.screenshot("console-07-auditor-statistics");

            auditor.waitFor(By.id("perStratum")).clear();
            auditor.waitFor(By.id("perStratum")).sendKeys("2");
            auditor.waitFor(By.id("draw-button")).click();
            String seed = auditor.text(By.id("sample-seed"));
            assertThat(seed).hasSize(64);
            assertThat(auditor.text(By.id("strata"))).contains("APPLICATION / APPROVED / officer "
                    + OfficerPki.SECOND_OFFICER_NAME).contains("APPLICATION / REJECTED / officer "
                    + OfficerPki.OFFICER_NAME);
            List<String> links = new ArrayList<>();
            auditor.driver.findElements(By.cssSelector("#strata a.package"))
                    .forEach(a -> links.add(a.getAttribute("href")));
            assertThat(links).isNotEmpty();
            auditor.screenshot("console-08-auditor-sample", By.id("reconciliation"));

            // The package of a sampled decision downloads, with the decision as the books hold it.
            String path = java.net.URI.create(links.get(0)).getPath();
            Response zip = Ra.auditor().get(path);
            zip.then().statusCode(200).contentType("application/zip");
            String decisionId = path.substring(path.lastIndexOf('/') + 1);
            assertThat(zipEntries(zip.asByteArray())).contains(decisionId + "/manifest.json",
                    decisionId + "/decision.json", decisionId + "/audit/ra-checkpoint.txt");
        }
    }

    private static ConsoleBrowser browser(String who, String keyStoreKey) throws Exception {
        return ConsoleBrowser.open(who, Path.of(Ra.config(keyStoreKey)), Path.of(Ra.config("test.tls.server-keystore")),
                Ra.config("test.tls.password"), Ra.sslPort(), OFFICER_CA_CN);
    }

    static String referred(JpkiPerson person, Claim claim) {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard card = SimulatedCard.inSoftware(k, person, JpkiTestCa.signing(JpkiTestCa.GEN_2024,
                k.getPublic(), person));
        Response r = Ra.submit(ApplicantClient.application(card, claim, ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        return r.jsonPath().getString("applicationId");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> decider(List<Map<String, Object>> books, String subject, String outcome) {
        return books.stream().filter(e -> subject.equals(e.get("subjectId")))
                .map(e -> (Map<String, Object>) e.get("entry")).filter(e -> outcome.equals(e.get("outcome")))
                .map(e -> (Map<String, Object>) e.get("decider")).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    static List<Object> approvers(List<Map<String, Object>> books, String subject) {
        return books.stream().filter(e -> subject.equals(e.get("subjectId")))
                .map(e -> (Map<String, Object>) e.get("entry")).filter(e -> "APPROVED".equals(e.get("outcome")))
                .map(e -> (List<Map<String, Object>>) ((Map<String, Object>) e.get("evidence")).get("approvals"))
                .findFirst().orElseThrow().stream().map(a -> a.get("officer")).toList();
    }

    static List<String> zipEntries(byte[] zip) throws Exception {
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                names.add(e.getName());
            }
        }
        return names;
    }
}
