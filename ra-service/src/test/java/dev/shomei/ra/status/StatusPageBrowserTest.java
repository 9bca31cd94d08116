package dev.shomei.ra.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.CaEvents;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The operator's status page in a real headless Chromium (Debian chromium + chromium-driver, bin/install-browser):
 * a CRL whose nextUpdate is a day away shows OK; after the CA's real CRL of that generation comes within
 * ra.status.crl-warning-before (8 h) of its nextUpdate, the next pushed status turns the line, and the page, to
 * WARNING. Screenshots go to target/screenshots.
 *
 * <p>The operator's client certificate is presented by a forwarder in this test (plain HTTP from the browser on
 * the loopback, mutual TLS to the RA with the operator's key store), as a TLS-terminating operator proxy would:
 * headless Chromium cannot pick a client certificate without a machine-wide policy.
 *
 * <p>Zone: tests only.
 */
@QuarkusTest
@WithTestResource(StatusEnvironment.class)
class StatusPageBrowserTest {

    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void theStatusPageTurnsToWarningWhenACrlNextUpdateIsNear() throws Exception {
        boolean installed = Files.isExecutable(DRIVER) && Files.isExecutable(CHROMIUM);
        assertThat(installed || !"true".equals(System.getenv("CI")))
                .as("CI=true but headless Chromium is not installed (bin/install-browser)").isTrue();
        assumeTrue(installed, "headless Chromium is not installed: run bin/install-browser as root");
        Path caYaml = Path.of(Ra.config("test.ca.config"));
        Path shots = Files.createDirectories(Path.of("target", "screenshots"));

        // Step 1: a fresh CRL (nextUpdate in 24 h), reported by the CA.
        try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(caYaml), CaEvents.NONE,
                Clock.systemUTC())) {
            ca.crlIssuer("issuing-e2e").issue();
        }
        push(Instant.now());

        try (Forwarder forwarder = new Forwarder(); Browser browser = new Browser(shots.resolve("profile"))) {
            String url = "http://127.0.0.1:" + forwarder.port() + "/status";
            browser.driver.get(url);
            assertThat(level(browser.driver)).isEqualTo("OK");
            screenshot(browser.driver, shots.resolve("status-crl-fresh.png"));

            // Step 2: the CA's next CRL of that generation was signed 21 h ago (a CA that stopped issuing): its
            // nextUpdate is 3 h away. The next status the CA pushes says so.
            try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(caYaml), CaEvents.NONE,
                    Clock.offset(Clock.systemUTC(), Duration.ofHours(-21)))) {
                ca.crlIssuer("issuing-e2e").issue();
            }
            push(Instant.now().plusSeconds(1));
            browser.driver.navigate().refresh();
            assertThat(level(browser.driver)).isEqualTo("WARNING");
            assertThat(browser.driver.findElement(By.cssSelector("#item-crl-issuing-e2e td.detail")).getText())
                    .contains("ra.status.crl-warning-before");
            assertThat(browser.driver.findElement(By.id("overall")).getText()).isEqualTo("WARNING");
            assertThat(browser.driver.getTitle()).startsWith("WARNING");
            screenshot(browser.driver, shots.resolve("status-crl-near-next-update.png"));
        }
    }

    private static String level(WebDriver driver) {
        return driver.findElement(By.cssSelector("#item-crl-issuing-e2e td.level")).getText();
    }

    private static void push(Instant at) throws Exception {
        byte[] doc = SecureZoneStatusTest.signedByTheCa(at);
        SecureZoneStatusTest.asCa().contentType("application/pkcs7-mime").body(doc).post("/ca/status").then()
                .statusCode(200);
    }

    private static void screenshot(WebDriver driver, Path file) throws IOException {
        Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    /** Headless Chromium with no network but the loopback. */
    private static final class Browser implements AutoCloseable {
        final WebDriver driver;

        Browser(Path profile) {
            ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                    .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=1280,1400", "--user-data-dir=" + profile.toAbsolutePath());
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                    .usingAnyFreePort().build();
            driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
        }

        @Override
        public void close() {
            driver.quit();
        }
    }

    /** Loopback HTTP in, mutual TLS out to the RA's HTTPS port with the operator's certificate. */
    private static final class Forwarder implements AutoCloseable {
        private final ServerSocket server;
        private final SSLContext tls;
        private final Thread acceptor;

        Forwarder() throws Exception {
            String password = Ra.config("test.tls.password");
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(Path.of(Ra.config("test.status.operator-keystore")))) {
                keys.load(in, password.toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password.toCharArray());
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ra", SecureZoneStatusTest.serverCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    SSLSocket out = (SSLSocket) tls.getSocketFactory().createSocket("localhost", Ra.sslPort());
                    Thread.ofVirtual().start(() -> pipe(in, out));
                    Thread.ofVirtual().start(() -> pipe(out, in));
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private static void pipe(Socket from, Socket to) {
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                i.transferTo(o);
            } catch (IOException e) {
                // the other side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(Duration.ofSeconds(5));
        }
    }
}
