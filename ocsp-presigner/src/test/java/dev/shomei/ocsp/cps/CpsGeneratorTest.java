package dev.shomei.ocsp.cps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.ocsp.config.PresignerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CP/CPS generated from the configuration (docs/cp-cps.md): it states what ca.yaml, presigner.yaml and the
 * RA's own application.properties and approval policy say, changes when they change, and a template that leaves a
 * value out, names an unknown one or states one outside its RFC 3647 clause is refused.
 */
class CpsGeneratorTest {

    /** The repository root (tests run in ocsp-presigner/). */
    static final Path REPO = Path.of("").toAbsolutePath().getParent();
    static final Path RA_RESOURCES = REPO.resolve("ra-service/src/main/resources");
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T09:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private Path writeConfig(int subscriberDays, int crlHours, int ocspHours, String raOverride) throws IOException {
        Files.writeString(dir.resolve("ca.yaml"), """
                hsm: { module: /usr/lib/softhsm/libsofthsm2.so, token: shomei-ca, pin: env:SHOMEI_TEST_PIN }
                issuingKey: pkcs11:token=shomei-ca;object=issuing-2026
                ceremony:
                  root:    { label: root-2026, algorithm: EC-P384, subject: "CN=Test Root CA,O=Test,C=JP", validityYears: 20 }
                  issuing: { label: issuing-2026, algorithm: EC-P256, subject: "CN=Test Issuing CA,O=Test,C=JP", validityYears: 10 }
                repository:
                  crlUrl: http://repo.test/crl/issuing-2026.crl
                  ocspUrl: http://repo.test/ocsp
                  caIssuersUrl: http://repo.test/certs/issuing-2026.cer
                crl:
                  nextUpdateHours: %d
                orders:
                  trustedRaCertificates: [ra-orders.pem]
                  pull: { url: "https://ra.test:8443", intervalSeconds: 120 }
                profiles:
                  subscriber-signature:
                    validityDays: %d
                    keyUsage: [digitalSignature, nonRepudiation]
                    certificatePolicies: ["1.3.6.1.4.1.99999.1.1"]
                    crlDistributionPoint: true
                    ocsp: true
                    caIssuers: true
                    allowedKeys: [EC-P256, RSA-2048]
                  ocsp-responder:
                    validityDays: 90
                    keyUsage: [digitalSignature]
                    extendedKeyUsage: [ocspSigning]
                    ocspNoCheck: true
                    allowedKeys: [EC-P256]
                """.formatted(crlHours, subscriberDays));
        Files.writeString(dir.resolve("ra-override.properties"), raOverride);
        Path p = dir.resolve("presigner.yaml");
        Files.writeString(p, """
                ca: ca.yaml
                responderKey: ocsp-2026
                validityHours: %d
                cpsDocument:
                  raProperties: [%s, ra-override.properties]
                  raClasspath: %s
                """.formatted(ocspHours, RA_RESOURCES.resolve("application.properties"), RA_RESOURCES));
        return p;
    }

    private CpsGenerator.Generated generate(Path presigner) {
        return CpsGenerator.generate(PresignerConfig.load(presigner), presigner, CLOCK);
    }

    @Test
    void statesTheConfiguredValuesInMarkdownHtmlAndPdf() throws Exception {
        CpsGenerator.Generated g = generate(writeConfig(1825, 24, 96, ""));
        String md = oneLine(g.markdown());
        Properties ra = new Properties();
        try (var r = Files.newBufferedReader(RA_RESOURCES.resolve("application.properties"))) {
            ra.load(r);
        }
        String pin0 = ra.getProperty("ra.jpki.signing-cas[0].sha256").replace(":", "").toLowerCase();
        String pin1 = ra.getProperty("ra.jpki.signing-cas[1].sha256").replace(":", "").toLowerCase();
        String policySha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(RA_RESOURCES.resolve("policy/approval-policy-v2.json"))));
        List<String> expected = List.of(
                "| `subscriber-signature` | 1825 days |", "| `ocsp-responder` | 90 days |",   // 6.3.2
                "Root CA certificate: 20 years", "Issuing CA certificate: 10 years",
                "Root CA key: EC-P384", "Issuing CA key: EC-P256",                             // 6.1.5
                "| `subscriber-signature` | EC-P256, RSA-2048 |",
                "valid for 24 hours (`crl.nextUpdateHours`", "once 12 hours of the latest CRL", // 4.9.7
                "valid for 96 hours (`validityHours`", "once 48 hours have passed",             // 4.9.10
                "at most 2 minutes between two pulls",                                          // 4.9.5
                "kept for 10 years (`ra.books.retention`)",                                     // 5.5.2
                pin0, pin1, "`" + ra.getProperty("ra.jpki.signing-policies") + "`",             // 3.2.3
                policySha, "`shomei-ra-approval` version 2", "referred to an officer after 1 hour",
                "| `csr-key-too-weak` | REJECTED |", "RSA of at least 2048 bits", "secp256r1, secp384r1",
                "`consent-2026-04`", ra.getProperty("ra.consent-documents.\"consent-2026-04\""),
                "`1.3.6.1.4.1.99999.1.1`, in profile(s) subscriber-signature",                  // 1.2
                "id-pkix-ocsp-nocheck", "http://repo.test/ocsp", "CN=Test Issuing CA,O=Test,C=JP",
                "No quorum is configured",                                                      // 5.2.2
                "`keyCompromise` (1)", "Generated at 2026-12-01T09:00:00Z");
        assertThat(md).contains(expected);
        assertThat(md).doesNotContain("{{", "}}");

        String pdfText = squeeze(pdfText(g.pdf()));
        for (String e : expected) {
            assertThat(pdfText).as("PDF states " + e).contains(squeeze(e.replace("`", "").replace("|", "")));
        }
        assertThat(g.html()).contains("<td><code>subscriber-signature</code></td><td>1825 days</td>",
                "<h4>6.3.2 Certificate operational periods and key pair usage periods</h4>");
    }

    @Test
    void followsEveryChangeOfTheConfiguration() throws Exception {
        String before = oneLine(generate(writeConfig(1825, 24, 96, "")).markdown());
        assertThat(before).contains("| `subscriber-signature` | 1825 days |", "valid for 24 hours", "valid for 96 hours",
                "kept for 10 years");

        String after = oneLine(generate(writeConfig(730, 12, 48, "ra.books.retention=P7Y\n"
                + "%test.ra.books.retention=P1Y\n" // another profile's value: ra-service ignores it in production
                + "ra.jlis.ocsp-url=https://jlis.test/ocsp\n")).markdown());
        assertThat(after).contains("| `subscriber-signature` | 730 days |", "valid for 12 hours", "once 6 hours",
                "valid for 48 hours", "once 24 hours have passed", "kept for 7 years",
                "the J-LIS OCSP responder (`ra.jlis.ocsp-url`; no CRL is configured as a fallback)");
        assertThat(after).doesNotContain("1825 days", "24 hours (`crl", "96 hours", "10 years (`ra.books", "kept for 1 year");
        assertThat(squeeze(pdfText(generate(dir.resolve("presigner.yaml")).pdf()))).contains("730days", "keptfor7years");

        // A value the RA would take from its host's environment is not one the CP/CPS can state.
        Path expr = writeConfig(730, 12, 48, "ra.books.retention=${BOOKS_RETENTION}\n");
        assertThatThrownBy(() -> generate(expr)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'ra.books.retention' is the expression '${BOOKS_RETENTION}'");
    }

    @Test
    void aTemplateThatLeavesOutMisnamesOrMisplacesAValueIsRefused() throws IOException {
        Path presigner = writeConfig(1825, 24, 96, "");
        String template = CpsGenerator.builtInTemplate();
        Path custom = dir.resolve("custom.md");
        Files.writeString(presigner, Files.readString(presigner) + "  template: custom.md\n");

        // A configured value the CP/CPS would not state.
        Files.writeString(custom, template.replace("{{ca:crl.nextUpdateHours}}", "one day"));
        assertThatThrownBy(() -> generate(presigner)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("{{ca:crl.nextUpdateHours}} (CP/CPS 4.9.7) is configured but the template never states it");

        // A placeholder nothing fills.
        Files.writeString(custom, template.replace("{{ca:crl.nextUpdateHours}}", "{{ca:crl.nextUpdateHour}}"));
        assertThatThrownBy(() -> generate(presigner)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("{{ca:crl.nextUpdateHour}} is not a configuration field");

        // The OCSP validity moved out of 4.9.10 into 4.9.7.
        Files.writeString(custom, template.replace("Each OCSP response is valid for {{presigner:validityHours}}", "")
                .replace("(`crl.nextUpdateHours`: nextUpdate", "({{presigner:validityHours}}) (`crl.nextUpdateHours`: nextUpdate"));
        assertThatThrownBy(() -> generate(presigner)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("{{presigner:validityHours}} belongs in section 4.9.10");
    }

    @Test
    void theTemplateCoversRfc3647AndNamesOnlyKnownFields() throws Exception {
        String template = CpsGenerator.builtInTemplate();
        assertThat(template).isEqualTo(Files.readString(REPO.resolve("docs/cps/cp-cps.template.md")));
        for (int s = 1; s <= 9; s++) {
            assertThat(template).as("RFC 3647 section " + s).containsPattern("(?m)^## " + s + "\\. ");
        }
        Map<String, CpsFields.Field> fields = fields();
        assertThat(CpsTemplate.placeholders(template)).allMatch(fields::containsKey);
        assertThat(CpsTemplate.placeholders(template)).containsAll(fields.keySet());
    }

    /**
     * Every configuration field the CP/CPS states names its clause: docs/cp-cps.md lists each with its clause,
     * and docs/ca-configuration.md names the clause beside each ca.yaml setting.
     */
    @Test
    void everyStatedSettingNamesItsClauseInTheDocs() throws Exception {
        Map<String, CpsFields.Field> fields = fields();
        String cpsPage = Files.readString(REPO.resolve("docs/cp-cps.md"));
        Matcher rows = Pattern.compile("(?m)^\\| `\\{\\{([^}]+)}}` \\| [^|]* \\| ([0-9.]+) \\|").matcher(cpsPage);
        Map<String, String> listed = new java.util.TreeMap<>();
        while (rows.find()) {
            listed.put(rows.group(1), rows.group(2));
        }
        Map<String, String> actual = new java.util.TreeMap<>();
        fields.values().forEach(f -> actual.put(f.key(), f.clause()));
        assertThat(listed).as("the field table of docs/cp-cps.md").isEqualTo(actual);

        List<String> caConfigLines = Files.readAllLines(REPO.resolve("docs/ca-configuration.md"));
        for (CpsFields.Field f : fields.values()) {
            if (!f.key().startsWith("ca:") || f.key().endsWith(".half")) {
                continue;
            }
            String setting = f.key().substring(3);
            String last = setting.substring(setting.lastIndexOf('.') + 1);
            assertThat(caConfigLines).as("docs/ca-configuration.md names CP/CPS " + f.clause() + " beside " + setting)
                    .anyMatch(l -> l.contains(last + "`") && l.contains("CP/CPS " + f.clause()));
        }

        // And the configuration classes' comments name the clauses of the settings they hold.
        Map<String, String> classes = Map.of(
                "ca:", Files.readString(REPO.resolve("ca-core/src/main/java/dev/shomei/ca/config/CaConfig.java")),
                "presigner:", Files.readString(REPO.resolve(
                        "ocsp-presigner/src/main/java/dev/shomei/ocsp/config/PresignerConfig.java")),
                "ra:", Files.readString(REPO.resolve("ra-service/src/main/java/dev/shomei/ra/RaConfig.java")));
        for (CpsFields.Field f : fields.values()) {
            classes.forEach((prefix, source) -> {
                if (f.key().startsWith(prefix) && !f.key().endsWith(".half")) {
                    assertThat(source).as(prefix + " configuration class names CP/CPS " + f.clause() + " for " + f.key())
                            .contains("CP/CPS " + f.clause());
                }
            });
        }
    }

    /** A CA name in Japanese needs a font that has it: the error names the character and the setting. */
    @Test
    void aCharacterThePdfFontCannotShowIsNamed() throws Exception {
        Path p = writeConfig(1825, 24, 96, "");
        Path ca = dir.resolve("ca.yaml");
        Files.writeString(ca, Files.readString(ca).replace("CN=Test Issuing CA,O=Test,C=JP", "CN=Test Issuing CA,O=試験,C=JP"));
        assertThatThrownBy(() -> generate(p)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'試' (U+8A66)").hasMessageContaining("set cpsDocument.font");
    }

    /** An unset RA key states ra-service's own default: the defaults RaSettings assumes are RaConfig's. */
    @Test
    void raDefaultsAreThoseOfRaConfig() throws Exception {
        String source = Files.readString(REPO.resolve("ra-service/src/main/java/dev/shomei/ra/RaConfig.java"));
        Map<String, String> defaults = new java.util.HashMap<>();
        Matcher m = Pattern.compile("@WithDefault\\(\"([^\"]*)\"\\)\\s+\\w+\\s+(\\w+)\\(\\)").matcher(source);
        while (m.find()) {
            defaults.put(m.group(2), m.group(1));
        }
        Path empty = dir.resolve("empty.properties");
        Files.writeString(empty, "");
        RaSettings ra = RaSettings.load(List.of(empty), RA_RESOURCES, dir);
        assertThat(ra.booksRetention()).isEqualTo(java.time.Period.parse(defaults.get("retention")));
        assertThat(ra.jlisTimeout()).isEqualTo(java.time.Duration.parse(defaults.get("timeout")));
        assertThat(ra.jlisRetryInterval()).isEqualTo(java.time.Duration.parse(defaults.get("retryInterval")));
        assertThat(ra.applicationMaxBytes()).isEqualTo(Integer.parseInt(defaults.get("maxBytes")));
        assertThat(RaSettings.DEFAULT_POLICY_PATH).isEqualTo(defaults.get("path"));
        assertThat(ra.policy().id()).isEqualTo("shomei-ra-approval");
    }

    private Map<String, CpsFields.Field> fields() throws IOException {
        Path p = writeConfig(1825, 24, 96, "");
        PresignerConfig cfg = PresignerConfig.load(p);
        RaSettings ra = RaSettings.load(List.of(RA_RESOURCES.resolve("application.properties")), RA_RESOURCES, dir);
        return CpsFields.of(cfg.caConfig(), cfg, ra, List.of(), "now");
    }

    static String pdfText(byte[] pdf) throws IOException {
        try (PDDocument d = Loader.loadPDF(pdf)) {
            return new PDFTextStripper().getText(d);
        }
    }

    /** Markdown source lines joined, as a reader sees the paragraph. */
    static String oneLine(String s) {
        return s.replaceAll("[ \n]+", " ");
    }

    /** Whitespace removed: the PDF wraps lines and breaks long digests inside table cells. */
    static String squeeze(String s) {
        return s.replaceAll("\\s+", "");
    }
}
