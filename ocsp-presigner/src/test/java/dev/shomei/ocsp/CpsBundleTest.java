package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ocsp.cli.PresignerCli;
import dev.shomei.ocsp.cps.CpsGenerator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.text.PDFTextStripper;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.Test;

/**
 * {@code presigner bundle} with {@code cpsDocument}: the PDF it PAdES-signs in the HSM and publishes is the CP/CPS
 * generated from this CA's configuration; a configuration the template does not match stops the bundle before
 * anything is signed or recorded.
 */
class CpsBundleTest {

    static final Path RA = Path.of("").toAbsolutePath().getParent().resolve("ra-service/src/main/resources");

    record Result(int exit, String out, String err) {}

    private static Result presigner(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Result(PresignerCli.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static Path presignerYaml(Path dir, String name, int validityHours, String extra) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, """
                ca: ca.yaml
                responderKey: %s
                publicationSignerKey: %s
                validityHours: %d
                cpsDocument:
                  raProperties: [%s]
                  raClasspath: %s
                %s""".formatted(PresignerFixture.RESPONDER, PresignerFixture.PUBLISHER, validityHours,
                RA.resolve("application.properties"), RA, extra));
        return file;
    }

    @Test
    void theBundleSignsAndPublishesTheCpsGeneratedFromTheConfiguration() throws Exception {
        try (PresignerFixture f = PresignerFixture.create("cps")) {
            f.issue(1);
            f.presigner().run();
            f.crlAndCheckpoint();
            Path cfg = presignerYaml(f.dir, "presigner-cps.yaml", 72, "");

            Path out = f.dir.resolve("bundle-cps");
            Result r = presigner("--config", cfg.toString(), "bundle", "--out", out.toString(), "--full");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(Files.readString(out.resolve("manifest.json"))).contains("\"path\" : \"cps/cp-cps.pdf\"");

            byte[] pdf = Files.readAllBytes(out.resolve("cps/cp-cps.pdf"));
            try (PDDocument doc = Loader.loadPDF(pdf)) {
                String text = new PDFTextStripper().getText(doc).replaceAll("\\s+", " ");
                // presigner.yaml's OCSP validity, ca.yaml's profile and (default) CRL validity, the RA's retention.
                assertThat(text).contains("Certificate Policy and Certification Practice Statement",
                        "valid for 72 hours", "subscriber-signature 1825 days", "valid for 24 hours", "kept for 10 years",
                        "CN=Shomei Test Issuing CA,O=Shomei Test,C=JP");
                List<PDSignature> sigs = doc.getSignatureDictionaries();
                assertThat(sigs).hasSize(1);
                assertThat(sigs.get(0).getSubFilter()).isEqualTo("ETSI.CAdES.detached");
                CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(sigs.get(0).getSignedContent(pdf)),
                        sigs.get(0).getContents(pdf));
                SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
                X509Certificate signer = f.ca.token().certificateChain(PresignerFixture.PUBLISHER)[0];
                assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer))).isTrue();
            }
            Path issuing = PresignerFixture.writePem(f.dir.resolve("issuing-ca.pem"), f.issuingCert());
            Result verify = presigner("verify", "--dir", out.toString(), "--ca", issuing.toString());
            assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();

            // The same command writes the reviewable renderings, unsigned.
            Path review = f.dir.resolve("cps-review");
            Result cps = presigner("--config", cfg.toString(), "cps", "--out", review.toString());
            assertThat(cps.exit()).as(cps.err()).isZero();
            assertThat(Files.readString(review.resolve("cp-cps.md"))).contains("| `subscriber-signature` | 1825 days |");
            assertThat(review.resolve("cp-cps.html")).exists();
            assertThat(review.resolve("cp-cps.pdf")).exists();

            // A template that leaves a configured value out: configuration error, nothing signed, nothing recorded.
            long bundles = f.count("SELECT count(*) FROM publication_bundle");
            Files.writeString(f.dir.resolve("bad.template.md"),
                    CpsGenerator.builtInTemplate().replace("{{presigner:validityHours}}", "four days"));
            Path bad = presignerYaml(f.dir, "presigner-bad.yaml", 72, "  template: bad.template.md\n");
            Path out2 = f.dir.resolve("bundle-bad");
            Result refused = presigner("--config", bad.toString(), "bundle", "--out", out2.toString());
            assertThat(refused.exit()).isEqualTo(2);
            assertThat(refused.err()).contains("{{presigner:validityHours}} (CP/CPS 4.9.10) is configured but the"
                    + " template never states it");
            assertThat(out2).doesNotExist();
            assertThat(f.count("SELECT count(*) FROM publication_bundle")).isEqualTo(bundles);
        }
    }
}
