package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ca.ceremony.CaHashValues;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.bundle.BundleVerifier;
import dev.shomei.ocsp.bundle.PublicationBundle;
import dev.shomei.ocsp.presign.OcspPresigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The publication bundle (docs/publication-bundle.md) as the publisher will receive and check it.
 *
 * <p>One CA (SoftHSM2 token, database, ceremony, first CRL and checkpoint) serves the class; each test issues,
 * revokes and pre-signs the certificates it looks at and writes its bundles into its own directory, so the tests
 * pass in any order (CI runs them with {@code -Dsurefire.runOrder=random}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundleTest {

    PresignerFixture f;
    Path cps;

    @BeforeAll
    void setUp() throws Exception {
        f = PresignerFixture.create("bundle");
        // Responses for the certificates the CA already has (the delegated keys'), a CRL and a signed audit
        // checkpoint: what any bundle needs. Every test then adds its own certificates and pre-signs them.
        f.presigner().run();
        f.crlAndCheckpoint();
        cps = f.dir.resolve("cps-v1.pdf");
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                s.newLineAtOffset(72, 700);
                s.showText("Shomei Test CA: Certification Practice Statement v1");
                s.endText();
            }
            doc.save(cps.toFile());
        }
    }

    @AfterAll
    void tearDown() {
        f.close();
    }

    /** A fresh output directory for one bundle of one test. */
    Path out(String name) {
        return f.dir.resolve(name + "-" + java.util.UUID.randomUUID());
    }

    /** Three new certificates, the third revoked, with their OCSP responses pre-signed. */
    List<X509Certificate> threeCertificatesOneRevoked() throws Exception {
        List<X509Certificate> certs = f.issue(3);
        f.revoke(certs.get(2), RevocationReason.KEY_COMPROMISE);
        f.presigner().run();
        return certs;
    }

    PublicationBundle bundle() {
        return PublicationBundle.forCa(f.ca, PresignerFixture.PUBLISHER, AuditedPresignerEvents.caLog(f.ca.config()),
                new AuditedPresignerEvents(AuditedPresignerEvents.caLog(f.ca.config()), AuditedPresignerEvents.system()),
                Clock.systemUTC());
    }

    @Test
    void manifestListsEveryFileWithDigestAndTypeAndIsSignedByThePublicationSigner() throws Exception {
        List<X509Certificate> certs = threeCertificatesOneRevoked();
        Path out = out("bundle-full");
        PublicationBundle.Written w = bundle().write(out, List.of(cps), true);

        byte[] manifestBytes = Files.readAllBytes(out.resolve("manifest.json"));
        JsonNode manifest = new ObjectMapper().readTree(manifestBytes);
        assertThat(manifest.path("format").asText()).isEqualTo("shomei-publication-bundle/v2");
        assertThat(manifest.path("bundleId").asText()).isEqualTo(w.bundleId());
        assertThat(manifest.path("issuer").asText()).isEqualTo(f.issuingCert().getSubjectX500Principal().getName());

        // Every file but the manifest and its signature is listed once, with its true size and SHA-256.
        Map<String, JsonNode> listed = new HashMap<>();
        for (JsonNode a : manifest.path("artifacts")) {
            assertThat(listed.put(a.path("path").asText(), a)).as("listed once: " + a.path("path")).isNull();
            byte[] content = Files.readAllBytes(out.resolve(a.path("path").asText()));
            assertThat(a.path("sha256").asText()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)));
            assertThat(a.path("size").asLong()).isEqualTo(content.length);
        }
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(out)) {
            s.filter(Files::isRegularFile).forEach(p -> files.add(out.relativize(p).toString()));
        }
        files.removeAll(List.of("manifest.json", "manifest.p7s"));
        assertThat(listed.keySet()).containsExactlyInAnyOrderElementsOf(files);

        String keyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(
                org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(f.issuingCert().getPublicKey().getEncoded())
                        .getPublicKeyData().getBytes()));
        assertThat(listed.keySet()).contains("crl/issuing-test.crl", "certs/root-test.cer", "certs/issuing-test.cer",
                "ca-hash-values/ca-hash-values.txt", "ca-hash-values/ca-hash-values.json", "ca-hash-values/index.html",
                "cps/cps-v1.pdf", "audit/checkpoint.txt");
        for (X509Certificate c : certs) {
            String serial = c.getSerialNumber().toString(16);
            String path = "ocsp/" + keyHash + "/" + serial.substring(0, 2) + "/" + serial + ".der";
            assertThat(listed).containsKey(path);
            assertThat(listed.get(path).path("status").asText()).isEqualTo(c == certs.get(2) ? "revoked" : "good");
            assertThat(Files.readAllBytes(out.resolve(path))).isEqualTo(f.storedResponse(c.getSerialNumber()));
        }
        Map<String, String> types = Map.of("crl", "application/pkix-crl", "ca-certificate", "application/pkix-cert",
                "ocsp", "application/ocsp-response", "cps", "application/pdf", "audit-checkpoint", "text/plain; charset=utf-8");
        for (JsonNode a : listed.values()) {
            if (types.containsKey(a.path("kind").asText())) {
                assertThat(a.path("contentType").asText()).as(a.path("path").asText()).isEqualTo(types.get(a.path("kind").asText()));
            }
        }
        assertThat(listed.get("ca-hash-values/index.html").path("contentType").asText()).isEqualTo("text/html; charset=utf-8");
        assertThat(listed.get("crl/issuing-test.crl").path("crlNumber").asLong()).isEqualTo(f.count("SELECT max(crl_number) FROM crl"));
        assertThat(Files.readAllBytes(out.resolve("certs/root-test.cer"))).isEqualTo(f.rootCert().getEncoded());
        assertThat(Files.readString(out.resolve("ca-hash-values/index.html")))
                .contains(CaHashValues.of(f.rootCert()).sha256()).contains(CaHashValues.of(f.issuingCert()).sha256());
        assertThat(Files.readString(out.resolve("audit/checkpoint.txt"))).startsWith("shomei-audit-checkpoint/v1");

        // manifest.p7s: detached CMS over the exact bytes, by the publication signer, chaining to the issuing CA.
        CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(manifestBytes), Files.readAllBytes(out.resolve("manifest.p7s")));
        SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
        @SuppressWarnings("unchecked")
        X509CertificateHolder signerHolder = (X509CertificateHolder) signed.getCertificates().getMatches(si.getSID()).iterator().next();
        X509Certificate signer = new JcaX509CertificateConverter().getCertificate(signerHolder);
        assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer))).isTrue();
        assertThat(signer).isEqualTo(f.ca.token().certificateChain(PresignerFixture.PUBLISHER)[0]);
        signer.verify(f.issuingCert().getPublicKey());
        assertThat(signed.getCertificates().getMatches(null)).hasSize(2);

        assertThat(new BundleVerifier(List.of(f.issuingCert())).verify(out, Clock.systemUTC().instant())).isEmpty();
        // A bundle verified against another CA is refused.
        assertThat(new BundleVerifier(List.of(f.rootCert())).verify(out, Clock.systemUTC().instant()))
                .anyMatch(p -> p.contains("not a trusted CA certificate"));
    }

    @Test
    void tamperingWithAnyFileAfterBundlingIsDetected() throws Exception {
        Path out = out("bundle-tamper");
        bundle().write(out, List.of(), true);
        BundleVerifier verifier = new BundleVerifier(List.of(f.issuingCert()));
        assertThat(verifier.verify(out, Clock.systemUTC().instant())).isEmpty();

        Path crl = out.resolve("crl/issuing-test.crl");
        byte[] bytes = Files.readAllBytes(crl);
        bytes[bytes.length - 1] ^= 1;
        Files.write(crl, bytes);
        Files.writeString(out.resolve("certs/extra.cer"), "not listed");
        Files.delete(out.resolve("audit/checkpoint.txt"));
        assertThat(verifier.verify(out, Clock.systemUTC().instant())).containsExactlyInAnyOrder(
                "crl/issuing-test.crl: SHA-256 " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
                        + " but the manifest says " + listedSha(out, "crl/issuing-test.crl"),
                "audit/checkpoint.txt: listed in the manifest but missing",
                "certs/extra.cer: not listed in the manifest");

        // Editing the manifest itself breaks its signature.
        Path manifest = out.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("\"crlNumber\" : \\d+", "\"crlNumber\" : 999"));
        assertThat(verifier.verify(out, Clock.systemUTC().instant()))
                .anyMatch(p -> p.startsWith("manifest.p7s: the signature does not verify"));
    }

    @Test
    void incrementalBundlesHoldOnlyResponsesSignedSinceTheLastOne() throws Exception {
        // Whatever other tests pre-signed goes into a base bundle first.
        bundle().write(out("bundle-base"), List.of(), false);
        assertThat(bundle().write(out("bundle-empty"), List.of(), false).ocspResponses())
                .as("nothing signed since the last bundle").isZero();

        X509Certificate cert = f.issue(1).get(0);
        f.revoke(cert, RevocationReason.AFFILIATION_CHANGED);
        OcspPresigner.Result r = f.presigner().run();
        assertThat(r.signed()).isEqualTo(1);
        Path out = out("bundle-incremental");
        PublicationBundle.Written w = bundle().write(out, List.of(), false);
        assertThat(w.ocspResponses()).isEqualTo(1);
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        List<String> ocsp = new ArrayList<>();
        for (JsonNode a : manifest.path("artifacts")) {
            if (a.path("kind").asText().equals("ocsp")) {
                ocsp.add(a.path("serial").asText() + " " + a.path("status").asText());
            }
        }
        assertThat(ocsp).containsExactly(cert.getSerialNumber().toString(16) + " revoked");
        // CRLs and CA files are complete in every bundle.
        assertThat(out.resolve("crl/issuing-test.crl")).exists();
        assertThat(out.resolve("certs/issuing-test.cer")).exists();

        assertThatThrownBy(() -> bundle().write(out, List.of(), false)).isInstanceOf(CaOperationException.class)
                .hasMessageContaining("is not empty");
        assertThat(f.count("SELECT count(*) FROM audit_entry WHERE action = 'publication.bundle-written'"))
                .isEqualTo(f.count("SELECT count(*) FROM publication_bundle"));
    }

    @Test
    void cpsIsPadesSignedInTheHsmAndVerifiesOverItsByteRange() throws Exception {
        Path out = out("bundle-cps");
        bundle().write(out, List.of(cps), false);
        byte[] pdf = Files.readAllBytes(out.resolve("cps/cps-v1.pdf"));
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            List<PDSignature> sigs = doc.getSignatureDictionaries();
            assertThat(sigs).hasSize(1);
            PDSignature sig = sigs.get(0);
            assertThat(sig.getSubFilter()).isEqualTo("ETSI.CAdES.detached");
            int[] range = sig.getByteRange();
            assertThat(range[0]).isZero();
            assertThat((long) range[2] + range[3]).as("the byte range covers the whole file but /Contents").isEqualTo(pdf.length);

            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(sig.getSignedContent(pdf)), sig.getContents(pdf));
            SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
            X509Certificate signer = f.ca.token().certificateChain(PresignerFixture.PUBLISHER)[0];
            assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer))).isTrue();
            // CAdES: signing-certificate-v2 binds the signer certificate; PAdES forbids signing-time in the CMS.
            SigningCertificateV2 scv2 = SigningCertificateV2.getInstance(si.getSignedAttributes()
                    .get(PKCSObjectIdentifiers.id_aa_signingCertificateV2).getAttrValues().getObjectAt(0));
            assertThat(scv2.getCerts()[0].getCertHash())
                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(signer.getEncoded()));
            assertThat(si.getSignedAttributes().get(CMSAttributes.signingTime)).isNull();
        }
        // The original text is still there: the signature is an incremental update.
        assertThat(new String(pdf, StandardCharsets.ISO_8859_1)).startsWith(
                new String(Files.readAllBytes(cps), StandardCharsets.ISO_8859_1));

    }

    /**
     * poppler's pdfsig (Debian poppler-utils), an outside verifier, with the chain checked: an NSS database that
     * trusts the test root only (certutil, Debian libnss3-tools). Without the tools the check is skipped, except
     * under CI ({@code CI=true}), where a skipped outside check would hide a regression: there it fails.
     */
    @Test
    void pdfsigValidatesTheCpsSignatureAndItsChainToTheRoot() throws Exception {
        boolean tools = Files.isExecutable(Path.of("/usr/bin/pdfsig")) && Files.isExecutable(Path.of("/usr/bin/certutil"));
        if (!tools) {
            assertThat("true".equalsIgnoreCase(System.getenv("CI")))
                    .as("CI=true: pdfsig and certutil must be installed (apt-get install poppler-utils libnss3-tools)").isFalse();
            org.junit.jupiter.api.Assumptions.abort("pdfsig or certutil is not installed; the outside PAdES check is skipped");
        }
        Path out = out("bundle-pdfsig");
        bundle().write(out, List.of(cps), false);
        Path nss = Files.createDirectories(out("nssdb"));
        Path root = PresignerFixture.writePem(f.dir.resolve("root-" + nss.getFileName() + ".pem"), f.rootCert());
        assertThat(PresignerFixture.run(f.dir, "certutil", "-N", "-d", "sql:" + nss, "--empty-password").exit()).isZero();
        assertThat(PresignerFixture.run(f.dir, "certutil", "-A", "-d", "sql:" + nss, "-n", "shomei-test-root", "-t", "C,C,C",
                "-a", "-i", root.toString()).exit()).isZero();

        // No -no-ocsp: poppler 22.12 then reports "Unknown issue" for any chain; the signer certificate names no OCSP
        // responder, so nothing is fetched.
        PresignerFixture.Run run = PresignerFixture.run(f.dir, "pdfsig", "-nssdir", "sql:" + nss, out.resolve("cps/cps-v1.pdf").toString());
        assertThat(run.output()).contains("Signature Validation: Signature is Valid.")
                .contains("Certificate Validation: Certificate is Trusted.")
                .contains("ETSI.CAdES.detached").contains("Total document signed");

        // The same check refuses the PDF once a signed byte changes.
        byte[] pdf = Files.readAllBytes(out.resolve("cps/cps-v1.pdf"));
        int at = new String(pdf, StandardCharsets.ISO_8859_1).indexOf("\n%") + 2;
        pdf[at] ^= 1;
        Path changed = Files.write(out.resolve("changed.pdf"), pdf);
        assertThat(PresignerFixture.run(f.dir, "pdfsig", "-nssdir", "sql:" + nss, changed.toString()).output())
                .doesNotContain("Signature Validation: Signature is Valid.");
    }

    /** openssl cms, an outside verifier, checks manifest.p7s over manifest.json up to the root; and refuses an edit. */
    @Test
    void opensslVerifiesTheManifestSignatureToTheRoot() throws Exception {
        Path out = out("bundle-openssl");
        bundle().write(out, List.of(), false);
        Path roots = PresignerFixture.writePem(out.resolve("root.pem"), f.rootCert());
        // openssl's default purpose for cms -verify (smimesign) holds: the signer has emailProtection beside its own EKU.
        PresignerFixture.Run ok = PresignerFixture.run(out, "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                "-in", "manifest.p7s", "-content", "manifest.json", "-CAfile", roots.toString(), "-out", "/dev/null");
        assertThat(ok.exit()).as(ok.output()).isZero();
        assertThat(ok.output()).contains("Verification successful");

        Path manifest = out.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"format\"", "\"format\" "));
        PresignerFixture.Run edited = PresignerFixture.run(out, "openssl", "cms", "-verify", "-binary", "-inform", "DER",
                "-in", "manifest.p7s", "-content", "manifest.json", "-CAfile", roots.toString(), "-out", "/dev/null");
        assertThat(edited.exit()).isNotZero();
        assertThat(edited.output()).contains("Verification failure");
    }

    static String listedSha(Path out, String path) throws Exception {
        for (JsonNode a : new ObjectMapper().readTree(out.resolve("manifest.json").toFile()).path("artifacts")) {
            if (a.path("path").asText().equals(path)) {
                return a.path("sha256").asText();
            }
        }
        return null;
    }

    @Test
    void theCasCheckpointTravelsWithItsProofAndTheRasIsCarriedWhenGiven() throws Exception {
        // The RA's publish directory, as its scheduled checkpoint signer writes it (its own key, not the CA's).
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair raKey = g.generateKeyPair();
        dev.shomei.audit.Checkpoint raCp = dev.shomei.audit.Checkpoint.sign("ra-service", 3, new byte[32],
                java.time.Instant.now(), new dev.shomei.audit.PrivateKeyCheckpointSigner("ra-audit", "SHA256withECDSA",
                        raKey.getPrivate(), raKey.getPublic()));
        Path ra = Files.createDirectories(f.dir.resolve("ra-publish"));
        Files.writeString(ra.resolve("checkpoint.txt"), raCp.text());
        Files.writeString(ra.resolve("consistency.txt"), new dev.shomei.audit.PublishedProof("ra-service",
                new dev.shomei.audit.ConsistencyProof(0, 3, List.of())).text());

        Path out = f.dir.resolve("bundle-ra-audit");
        bundle().carryingRaAudit(ra).write(out, List.of(), false);
        assertThat(dev.shomei.audit.PublishedProof.parse(Files.readString(out.resolve("audit/consistency.txt"))).proof()
                .secondSize()).isEqualTo(dev.shomei.audit.Checkpoint.parse(Files.readString(out.resolve("audit/checkpoint.txt")))
                .treeSize());
        assertThat(Files.readString(out.resolve("audit/ra/checkpoint.txt"))).isEqualTo(raCp.text());
        assertThat(out.resolve("audit/ra/consistency.txt")).exists();

        // A proof that belongs to another checkpoint is not carried.
        Files.writeString(ra.resolve("consistency.txt"), new dev.shomei.audit.PublishedProof("ra-service",
                new dev.shomei.audit.ConsistencyProof(0, 2, List.of())).text());
        assertThatThrownBy(() -> bundle().carryingRaAudit(ra).write(f.dir.resolve("bundle-ra-bad"), List.of(), false))
                .isInstanceOf(CaOperationException.class).hasMessageContaining("not for its checkpoint.txt");
    }
}
