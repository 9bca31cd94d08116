package dev.shomei.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The report opens offline in a browser (headless Chromium, no network) and shows the figures of its JSON twin,
 * charts included. Needs Debian's chromium and chromium-driver (bin/install-browser); without them the test is
 * skipped and says so.
 */
class ReportBrowserTest {

    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path dir;

    @Test
    void theReportShowsItsFiguresInABrowserWithoutANetwork() throws Exception {
        boolean installed = Files.isExecutable(DRIVER) && Files.isExecutable(CHROMIUM);
        // CI installs them (bin/lib/env.sh): there, a missing browser is a failure, not a skip.
        org.assertj.core.api.Assertions.assertThat(installed || !"true".equals(System.getenv("CI")))
                .as("CI=true but headless Chromium is not installed (bin/install-browser)").isTrue();
        assumeTrue(installed, "headless Chromium is not installed: run bin/install-browser as root");
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("period", "2026-10-01T00:00:00Z/2027-01-01T00:00:00Z");
        report.put("generatedAt", "2027-01-02T00:00:00Z");
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("applications", Map.of("received", 312, "byFinalOutcome", Map.of("APPROVED", 280, "REJECTED", 30, "REFERRED", 2)));
        stats.put("decisions", Map.of("byDecider", Map.of("system p@1 APPROVED", 270, "officer Sato APPROVED", 10),
                "byFinding", Map.of("identity-name-mismatch REFERRED", 12), "perDay",
                Map.of("2026-10-01 APPROVED", 100, "2026-10-02 APPROVED", 180, "2026-10-02 REJECTED", 30)));
        stats.put("timeToDecision", Map.of("system", Map.of("count", 300, "medianSeconds", 0.4, "p90Seconds", 1.2, "maxSeconds", 7.0)));
        stats.put("certificates", Map.of("issued", 280, "revoked", 7, "expired", 0, "revokedByReason", Map.of("1", 7)));
        report.put("statistics", stats);
        report.put("reconciliation", Map.of("counts", Map.of("caCertificates", 280), "manualActs", List.of(),
                "discrepancies", List.of("ocsp-missing ocsp/ab/1f.der: no OCSP response for serial 1f")));
        report.put("packages", Map.of());
        report.put("controls", Controls.table(report));
        Report.write(report, dir);

        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--proxy-server=127.0.0.1:9", "--user-data-dir=" + dir.resolve("profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        WebDriver browser = new ChromeDriver(service, options);
        try {
            browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
            browser.get(dir.resolve("report.html").toUri().toString());
            assertThat(browser.findElement(By.id("applications-received")).getText()).isEqualTo("312");
            assertThat(browser.findElement(By.id("certificates-issued")).getText()).isEqualTo("280");
            assertThat(browser.findElement(By.id("certificates-revoked")).getText()).isEqualTo("7");
            assertThat(browser.findElement(By.id("discrepancies")).getText()).isEqualTo("1");
            assertThat(browser.findElement(By.cssSelector("#control-C3 .status")).getText()).isEqualTo("NOT_MET");
            assertThat(browser.findElements(By.cssSelector("svg .bar-value")).stream().map(e -> e.getText()).toList())
                    .contains("270", "10");
            assertThat(browser.findElements(By.cssSelector("svg rect")).size()).isGreaterThan(3);
        } finally {
            browser.quit();
        }
    }
}
