package dev.shomei.ra.console;

import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian chromium + chromium-driver) holding one staff member's client certificate, as an
 * officer's browser would:
 * <ul>
 * <li>the certificate and key are imported from the PKCS#12 file into an NSS database at {@code $HOME/.pki/nssdb}
 * (where Chromium on Linux keeps client certificates) with {@code pk12util}, under a HOME of this browser's own;</li>
 * <li>the RA's server certificate is trusted in that database ({@code certutil -t P,,}), so TLS is verified;</li>
 * <li>the profile holds the content setting that the AutoSelectCertificateForUrls policy sets: for the console's
 * origin, the certificate issued by the officer CA is chosen without a dialog (a headless browser has none).</li>
 * </ul>
 * Nothing is faked on the server's side: the RA asks for a client certificate in the TLS handshake and checks it with
 * the code that serves the REST API.
 *
 * <p>Zone: tests only.
 */
final class ConsoleBrowser implements AutoCloseable {

    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");

    final WebDriver driver;
    private final String base;

    private ConsoleBrowser(WebDriver driver, String base) {
        this.driver = driver;
        this.base = base;
    }

    static boolean installed() {
        return Files.isExecutable(DRIVER) && Files.isExecutable(CHROMIUM);
    }

    /**
     * @param keyStore the staff member's PKCS#12 (certificate, key, officer CA)
     * @param serverKeyStore the RA's TLS key store, whose certificate the browser is told to trust
     */
    static ConsoleBrowser open(String who, Path keyStore, Path serverKeyStore, String password, int port,
                               String issuerCn) throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "console-browser-" + ProcessHandle.current().pid(), who))
                .toAbsolutePath();
        Path nss = Files.createDirectories(dir.resolve("home/.pki/nssdb"));
        Path pw = dir.resolve("p12-password");
        Files.writeString(pw, password);
        Path serverPem = dir.resolve("server.pem");
        Files.writeString(serverPem, pem(serverKeyStore, password));
        if (!Files.exists(nss.resolve("cert9.db"))) {
            run(List.of("certutil", "-N", "-d", "sql:" + nss, "--empty-password"));
            run(List.of("pk12util", "-i", keyStore.toString(), "-d", "sql:" + nss, "-w", pw.toString()));
            run(List.of("certutil", "-A", "-d", "sql:" + nss, "-n", "ra-server", "-t", "P,,", "-i",
                    serverPem.toString()));
        }
        // AutoSelectCertificateForUrls, as the profile content setting the policy would create.
        Path profile = Files.createDirectories(dir.resolve("profile/Default"));
        Files.writeString(profile.resolve("Preferences"), "{\"profile\":{\"content_settings\":{\"exceptions\":"
                + "{\"auto_select_certificate\":{\"https://localhost:" + port + ",*\":{\"setting\":{\"filters\":"
                + "[{\"ISSUER\":{\"CN\":\"" + issuerCn + "\"}}]}}}}}},\"intl\":{\"accept_languages\":\"en-US,en\"}}");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--window-size=1400,1100", "--lang=en-US", "--user-data-dir=" + dir.resolve("profile"),
                        // Nothing outside this machine is reached: every other host goes to a closed port.
                        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=localhost");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().withEnvironment(Map.of("HOME", dir.resolve("home").toString())).build();
        WebDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return new ConsoleBrowser(driver, "https://localhost:" + port);
    }

    void get(String path) {
        driver.get(base + path);
    }

    WebElement waitFor(By by) {
        return new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.presenceOfElementLocated(by));
    }

    String text(By by) {
        return waitFor(by).getText();
    }

    /** Kept with the test output, for the docs page and for a person reviewing the run. */
    void screenshot(String name) throws Exception {
        screenshot(name, null);
    }

    /** A screenshot with {@code at} scrolled into view (a WebDriver wheel action: the page itself runs no script). */
    void screenshot(String name, By at) throws Exception {
        if (at != null) {
            new org.openqa.selenium.interactions.Actions(driver).scrollToElement(waitFor(at)).perform();
        }
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        driver.quit();
    }

    private static String pem(Path serverKeyStore, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(serverKeyStore.toFile())) {
            ks.load(in, password.toCharArray());
        }
        Certificate c = ks.getCertificate(ks.aliases().nextElement());
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + out);
        }
    }
}
