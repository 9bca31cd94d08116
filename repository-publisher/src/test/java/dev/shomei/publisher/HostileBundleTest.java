package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.Manifest;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.PublicationSigners;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.origin.FileSystemOrigin;

/**
 * The publisher's gate from the failing side. Every bundle here is genuine except for one thing, and is signed
 * well enough to reach the check that must refuse it; each is published against a live filesystem origin, and
 * the origin must be byte for byte what it was before.
 */
class HostileBundleTest {

    static final TestPki PKI = new TestPki();
    /** Another CA, with its own publication signer and OCSP responder. */
    static final TestPki OTHER = new TestPki("Other");
    static final BigInteger SERIAL = BigInteger.valueOf(0x5001);

    @TempDir Path tmp;
    Path origin;
    CaCertificates cas;
    String ikh;

    @BeforeEach
    void liveOrigin() throws Exception {
        origin = tmp.resolve("origin");
        cas = CaCertificates.of(List.of(PKI.root.certificate(), PKI.issuing.certificate()));
        ikh = BundleBuilder.keyHashHex(PKI.issuing.certificate());
        Verification first = publish(new BundleBuilder(PKI).crlNumber(5).ocsp(SERIAL), "live", PKI.signers());
        assertThat(first.refusals()).isEmpty();
    }

    Verification publish(BundleBuilder b, String name, PublicationSigners signers) throws Exception {
        return publish(b.write(tmp.resolve(name)), signers);
    }

    Verification publish(Path bundle, PublicationSigners signers) throws Exception {
        return new Publisher(cas, signers, new FileSystemOrigin(origin), Clock.systemUTC(), Duration.ofHours(1))
                .publish(PublicationBundle.read(bundle));
    }

    BundleBuilder next() {
        return new BundleBuilder(PKI).crlNumber(6);
    }

    void assertRefusedAndUnchanged(BundleBuilder b, String path, String reason) throws Exception {
        assertRefusedAndUnchanged(b.write(tmp.resolve("refused-" + System.nanoTime())), PKI.signers(), path, reason);
    }

    void assertRefusedAndUnchanged(Path bundle, PublicationSigners signers, String path, String reason) throws Exception {
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        Verification v = publish(bundle, signers);
        assertThat(v.accepted()).as("refused").isFalse();
        assertThat(v.refusals()).as(v.refusals().toString())
                .anySatisfy(r -> {
                    assertThat(r.path()).isEqualTo(path);
                    assertThat(r.reason()).contains(reason);
                });
        assertThat(OriginSnapshot.of(origin)).as("the origin after the refusal").isEqualTo(before);
    }

    // ---- the manifest signer: one pinned publication signer, not any certificate of the CA ----

    @Test
    void aManifestSignedByASubscriberCertificateOfTheCaIsRefused() throws Exception {
        TestPki.Identity subscriber = PKI.subscriber("Yamada Taro", "http://127.0.0.1/ocsp");
        assertRefusedAndUnchanged(next().manifestSigner(subscriber), "manifest.p7s", "is not the pinned publication signer");
    }

    @Test
    void aSecondPublicationSignerCertificateThatIsNotPinnedIsRefused() throws Exception {
        // Issued by the right CA with the right EKU: a compromised RA that got one through an order would hold this.
        TestPki.Identity second = PKI.issue(PKI.issuing, "CN=Second Publication Signer,O=Shomei,C=JP", false, TestPki.PUBLICATION_SIGNING);
        assertRefusedAndUnchanged(next().manifestSigner(second), "manifest.p7s", "is not the pinned publication signer");
    }

    @Test
    void aPinnedCertificateWithoutThePublicationSigningEkuIsRefused() throws Exception {
        TestPki.Identity noEku = PKI.issue(PKI.issuing, "CN=Publication Signer Without EKU,O=Shomei,C=JP", false, null);
        Path bundle = next().manifestSigner(noEku).cpsSigner(noEku).write(tmp.resolve("b"));
        assertRefusedAndUnchanged(bundle, PublicationSigners.pinning(noEku.certificate()), "manifest.p7s",
                "lacks the publication-signing extended key usage " + PublicationSigners.DEFAULT_EKU);
    }

    @Test
    void aSignerPinnedByItsKeyIsAcceptedAndAnotherKeyIsNot() throws Exception {
        String keySha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(PKI.publicationSigner.certificate().getPublicKey().getEncoded()));
        PublicationSigners byKey = PublicationSigners.of(List.of(), List.of(keySha256.toUpperCase()), null, List.of());
        assertThat(publish(next(), "by-key", byKey).refusals()).isEmpty();

        TestPki.Identity other = PKI.issue(PKI.issuing, "CN=Other Key,O=Shomei,C=JP", false, TestPki.PUBLICATION_SIGNING);
        assertRefusedAndUnchanged(new BundleBuilder(PKI).crlNumber(7).manifestSigner(other).write(tmp.resolve("b")), byKey,
                "manifest.p7s", "is not the pinned publication signer");
    }

    @Test
    void nothingPinnedIsAConfigurationError() {
        assertThatThrownBy(() -> PublicationSigners.of(List.of(), List.of(), null, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--publication-signer-cert");
        assertThatThrownBy(() -> PublicationSigners.of(List.of(), List.of("abc"), null, List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--publication-signer-key-sha256 'abc'");
    }

    // ---- the CP/CPS: PAdES-signed by the publication signer ----

    @Test
    void aCpsWithoutASignatureIsRefused() throws Exception {
        assertRefusedAndUnchanged(next().cpsSigner(null), "cps/cps-v1.pdf", "has no PAdES signature");
    }

    @Test
    void aCpsSignedByAForeignKeyIsRefused() throws Exception {
        assertRefusedAndUnchanged(next().cpsSigner(OTHER.publicationSigner), "cps/cps-v1.pdf",
                "is not issued by any configured CA certificate");
    }

    @Test
    void aCpsSignedByASubscriberOfTheCaIsRefused() throws Exception {
        TestPki.Identity subscriber = PKI.subscriber("Suzuki Hanako", "http://127.0.0.1/ocsp");
        assertRefusedAndUnchanged(next().cpsSigner(subscriber), "cps/cps-v1.pdf", "is not the pinned publication signer");
    }

    @Test
    void aCpsChangedAfterSigningIsRefused() throws Exception {
        byte[] pdf = signedCps(PKI.publicationSigner);
        // The binary comment on the second line (ISO 32000-1 §7.5.2): inside the first signed range, and the PDF
        // still parses after the change, so only the signature can tell.
        int at = indexOf(pdf, "\n%".getBytes(StandardCharsets.US_ASCII)) + 2;
        assertThat(at).as("a header comment").isBetween(2, 64);
        byte[] changed = pdf.clone();
        changed[at] ^= 0x01;
        assertRefusedAndUnchanged(next().replace("cps/cps-v1.pdf", changed), "cps/cps-v1.pdf",
                "does not verify over its byte ranges");
    }

    @Test
    void aCpsWithBytesAppendedAfterTheSignatureIsRefused() throws Exception {
        byte[] pdf = signedCps(PKI.publicationSigner);
        byte[] appended = Arrays.copyOf(pdf, pdf.length + 14);
        System.arraycopy("\n% unsigned\n\n".getBytes(StandardCharsets.US_ASCII), 0, appended, pdf.length, 13);
        assertRefusedAndUnchanged(next().replace("cps/cps-v1.pdf", appended), "cps/cps-v1.pdf",
                "has no signature covering the whole file");
    }

    @Test
    void aCpsWhoseSignatureBytesAreBrokenIsRefused() throws Exception {
        byte[] pdf = signedCps(PKI.publicationSigner);
        // The last hex digits of the ECDSA signature value sit just before the zero padding of /Contents.
        String text = new String(pdf, StandardCharsets.ISO_8859_1);
        int contents = text.indexOf("/Contents <") + "/Contents <".length();
        int end = text.indexOf('>', contents);
        int lastNonZero = end - 1;
        while (text.charAt(lastNonZero) == '0') {
            lastNonZero--;
        }
        byte[] broken = pdf.clone();
        broken[lastNonZero] = (byte) (broken[lastNonZero] == 'A' ? 'B' : 'A');
        assertRefusedAndUnchanged(next().replace("cps/cps-v1.pdf", broken), "cps/cps-v1.pdf", "signature 1 of 1");
    }

    @Test
    void aCpsSignedByAConfiguredCpsSignerIsAccepted() throws Exception {
        PublicationSigners withCpsSigner = PublicationSigners.of(List.of(PKI.publicationSigner.certificate()), List.of(), null,
                List.of(OTHER.publicationSigner.certificate()));
        assertThat(publish(next().cpsSigner(OTHER.publicationSigner), "cps-signer", withCpsSigner).refusals()).isEmpty();
    }

    // ---- the CA hash values pages: exactly the bundled CA certificates ----

    @ParameterizedTest
    @ValueSource(strings = {"ca-hash-values/ca-hash-values.txt", "ca-hash-values/ca-hash-values.json", "ca-hash-values/index.html"})
    void aHashValuesPageListingAnotherFingerprintIsRefused(String path) throws Exception {
        // Rendered by the secure zone's own code, for the other CA's root in place of ours.
        List<X509Certificate> wrong = List.of(OTHER.root.certificate(), PKI.issuing.certificate());
        assertRefusedAndUnchanged(next().replace(path, render(path, wrong)), path,
                "which is not the SHA-256 of any CA certificate in the bundle");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ca-hash-values/ca-hash-values.txt", "ca-hash-values/ca-hash-values.json", "ca-hash-values/index.html"})
    void aHashValuesPageLeavingOutABundledCaCertificateIsRefused(String path) throws Exception {
        assertRefusedAndUnchanged(next().replace(path, render(path, List.of(PKI.issuing.certificate()))), path,
                "does not list the CA certificate");
    }

    @Test
    void aHashValuesPageWithAWrongSha1IsRefused() throws Exception {
        String sha1 = dev.shomei.ca.ceremony.CaHashValues.of(PKI.root.certificate()).sha1();
        String text = new String(render("ca-hash-values/ca-hash-values.txt", List.of(PKI.root.certificate(), PKI.issuing.certificate())),
                StandardCharsets.UTF_8).replace(sha1, sha1.substring(0, sha1.length() - 2) + (sha1.endsWith("00") ? "01" : "00"));
        assertRefusedAndUnchanged(next().replace("ca-hash-values/ca-hash-values.txt", text.getBytes(StandardCharsets.UTF_8)),
                "ca-hash-values/ca-hash-values.txt", "its SHA-1 is " + sha1);
    }

    @Test
    void aHashValuesHtmlPageWithAScriptIsRefused() throws Exception {
        String html = new String(render("ca-hash-values/index.html", List.of(PKI.root.certificate(), PKI.issuing.certificate())),
                StandardCharsets.UTF_8).replace("</body>", "<script>document.body.innerHTML='forged'</script></body>");
        assertRefusedAndUnchanged(next().replace("ca-hash-values/index.html", html.getBytes(StandardCharsets.UTF_8)),
                "ca-hash-values/index.html", "holds a <script> element");
    }

    // ---- OCSP responses: only the CA's responder, for this certificate, saying what the manifest says ----

    @Test
    void anOcspResponseSignedWithAStrangersKeyUnderTheGenuineResponderCertificateIsRefused() throws Exception {
        TestPki.Identity forged = new TestPki.Identity(TestPki.newKey(), PKI.ocspResponder.certificate());
        byte[] der = ocsp(forged, List.of(certId(PKI.issuing.certificate(), SERIAL)), CertificateStatus.GOOD);
        assertRefusedAndUnchanged(next().ocsp(SERIAL).replace(ocspPath(SERIAL), der), ocspPath(SERIAL),
                "signature does not verify with the responder certificate");
    }

    @Test
    void anOcspResponseSignedByAStrangersOwnResponderCertificateIsRefused() throws Exception {
        TestPki stranger = new TestPki("Stranger");
        assertRefusedAndUnchanged(next().ocspSigner(stranger.ocspResponder).ocsp(SERIAL), ocspPath(SERIAL),
                "is not issued by the CA");
    }

    @Test
    void anOcspResponseSignedByAnotherCasResponderIsRefused() throws Exception {
        // The other CA's responder is genuine, with id-kp-OCSPSigning, but not authorised for our CA (RFC 6960 §4.2.2.2).
        assertRefusedAndUnchanged(next().ocspSigner(OTHER.ocspResponder).ocsp(SERIAL), ocspPath(SERIAL),
                "is not issued by the CA");
    }

    @Test
    void anOcspResponseWhoseStatusContradictsTheManifestIsRefused() throws Exception {
        BundleBuilder b = next();
        b.revoke(SERIAL, b.now().minusSeconds(3600)).ocsp(SERIAL);
        // The response says revoked; the signed manifest claims good.
        b.editArtifacts(list -> list.stream().map(a -> a.kind().equals("ocsp")
                ? new Manifest.Artifact(a.path(), a.kind(), a.contentType(), a.sha256(), a.size(), a.crlNumber(), a.thisUpdate(),
                        a.nextUpdate(), a.serial(), a.issuerKeyHash(), "good") : a).toList());
        assertRefusedAndUnchanged(b, ocspPath(SERIAL), "certStatus is revoked, manifest says good");
    }

    @Test
    void anOcspResponseWithTheWrongIssuerNameHashIsRefused() throws Exception {
        CertificateID genuine = certId(PKI.issuing.certificate(), SERIAL);
        byte[] otherNameHash = MessageDigest.getInstance("SHA-1").digest(OTHER.issuing.certificate().getSubjectX500Principal().getEncoded());
        CertificateID wrongName = new CertificateID(new CertID(new AlgorithmIdentifier(OIWObjectIdentifiers.idSHA1, DERNull.INSTANCE),
                new DEROctetString(otherNameHash), new DEROctetString(genuine.getIssuerKeyHash()), new ASN1Integer(SERIAL)));
        byte[] der = ocsp(PKI.ocspResponder, List.of(wrongName), CertificateStatus.GOOD);
        assertRefusedAndUnchanged(next().ocsp(SERIAL).replace(ocspPath(SERIAL), der), ocspPath(SERIAL),
                "issuerNameHash does not match the configured CA");
    }

    @Test
    void anOcspResponseWithAnotherIssuersKeyHashIsRefused() throws Exception {
        byte[] der = ocsp(PKI.ocspResponder, List.of(certId(OTHER.issuing.certificate(), SERIAL)), CertificateStatus.GOOD);
        assertRefusedAndUnchanged(next().ocsp(SERIAL).replace(ocspPath(SERIAL), der), ocspPath(SERIAL),
                "CertID issuerKeyHash is " + BundleBuilder.keyHashHex(OTHER.issuing.certificate()) + ", but the path says " + ikh);
    }

    @Test
    void anOcspResponseWithASha256CertIdIsRefused() throws Exception {
        DigestCalculator sha256 = new JcaDigestCalculatorProviderBuilder().build().get(
                new AlgorithmIdentifier(org.bouncycastle.asn1.nist.NISTObjectIdentifiers.id_sha256));
        CertificateID id = new CertificateID(sha256, new JcaX509CertificateHolder(PKI.issuing.certificate()), SERIAL);
        byte[] der = ocsp(PKI.ocspResponder, List.of(id), CertificateStatus.GOOD);
        assertRefusedAndUnchanged(next().ocsp(SERIAL).replace(ocspPath(SERIAL), der), ocspPath(SERIAL), "CertID hash algorithm is");
    }

    @Test
    void anOcspResponseAnsweringTwoCertificatesIsRefused() throws Exception {
        byte[] der = ocsp(PKI.ocspResponder, List.of(certId(PKI.issuing.certificate(), SERIAL),
                certId(PKI.issuing.certificate(), BigInteger.valueOf(0x5002))), CertificateStatus.GOOD);
        assertRefusedAndUnchanged(next().ocsp(SERIAL).replace(ocspPath(SERIAL), der), ocspPath(SERIAL), "has 2 SingleResponses");
    }

    @Test
    void anOcspResponseThatIsNotSuccessfulIsRefused() throws Exception {
        byte[] tryLater = {0x30, 0x03, 0x0a, 0x01, 0x03};
        assertRefusedAndUnchanged(next().ocsp(SERIAL).replace(ocspPath(SERIAL), tryLater), ocspPath(SERIAL), "responseStatus is 3");
    }

    // ---- the manifest and the tar: duplicates, links, truncation, traversal ----

    @Test
    void aManifestListingOneFileTwiceIsRefused() throws Exception {
        BundleBuilder b = next().editArtifacts(list -> {
            List<Manifest.Artifact> twice = new ArrayList<>(list);
            int at = list.indexOf(list.stream().filter(a -> a.path().equals("audit/checkpoint.txt")).findFirst().orElseThrow());
            twice.add(at, list.get(at));
            return twice;
        });
        assertRefusedAndUnchanged(b, "audit/checkpoint.txt", "is listed more than once");
    }

    @Test
    void aManifestListingAFileAgainLaterIsRefused() throws Exception {
        // The listing is in path order, so a second listing further down is out of order: refused either way.
        BundleBuilder b = next().editArtifacts(list -> {
            List<Manifest.Artifact> twice = new ArrayList<>(list);
            twice.add(list.stream().filter(a -> a.path().equals("audit/checkpoint.txt")).findFirst().orElseThrow());
            return twice;
        });
        assertRefusedAndUnchanged(b, "audit/checkpoint.txt", "is listed out of path order in manifest.json");
    }

    @Test
    void aManifestNotInPathOrderIsRefused() throws Exception {
        // Streaming needs the listing and the files side by side in one order; a shuffled listing is not published.
        BundleBuilder b = next().editArtifacts(list -> {
            List<Manifest.Artifact> swapped = new ArrayList<>(list);
            java.util.Collections.swap(swapped, 0, swapped.size() - 1);
            return swapped;
        });
        assertRefusedAndUnchanged(b, "audit/checkpoint.txt", "is listed out of path order in manifest.json");
    }

    @Test
    void aTarWithASymbolicLinkIsRefused() throws Exception {
        Path dir = next().write(tmp.resolve("bundle"));
        Files.createSymbolicLink(dir.resolve("cps/policy.pdf"), Path.of("../../../../etc/passwd"));
        Path tar = tmp.resolve("symlink.tar");
        BundleVerifierTest.tar("-C", dir.toString(), "-cf", tar.toString(), ".");
        assertRefusedAndUnchanged(tar, PKI.signers(), "cps/policy.pdf", "is not a regular file");
    }

    @Test
    void aTarWithAHardLinkIsRefused() throws Exception {
        Path dir = next().write(tmp.resolve("bundle"));
        Files.createLink(dir.resolve("cps/copy.pdf"), dir.resolve("cps/cps-v1.pdf"));
        Path tar = tmp.resolve("hardlink.tar");
        BundleVerifierTest.tar("-C", dir.toString(), "-cf", tar.toString(), ".");
        // GNU tar stores the second name as a link (type '1') to the first.
        String linked = tarNames(tar).contains("./cps/copy.pdf:1") ? "cps/copy.pdf" : "cps/cps-v1.pdf";
        assertRefusedAndUnchanged(tar, PKI.signers(), linked, "is not a regular file");
    }

    @Test
    void aTruncatedTarIsNotReadAtAll() throws Exception {
        Path dir = next().write(tmp.resolve("bundle"));
        Path tar = tmp.resolve("whole.tar");
        BundleVerifierTest.tar("-C", dir.toString(), "-cf", tar.toString(), ".");
        byte[] whole = Files.readAllBytes(tar);
        SortedMap<String, String> before = OriginSnapshot.of(origin);
        // Cut inside a file's data, and cut at a block boundary before the end-of-archive marker.
        for (int cut : new int[] {whole.length / 2 + 7, 1024}) {
            Path cutTar = tmp.resolve("cut-" + cut + ".tar");
            Files.write(cutTar, Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> PublicationBundle.read(cutTar)).isInstanceOf(IOException.class).hasMessageContaining("truncated");
        }
        assertThat(OriginSnapshot.of(origin)).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../outside.txt", "/etc/cron.d/evil", "cps/../../outside.pdf", "./../outside.txt"})
    void aTarEntryLeavingTheBundleIsRefusedAndWrittenNowhere(String name) throws Exception {
        Path dir = next().write(tmp.resolve("bundle"));
        Path tar = tmp.resolve("traversal.tar");
        List<Path> files = new ArrayList<>();
        try (var walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Path f : files) {
            ustar(out, dir.relativize(f).toString(), Files.readAllBytes(f));
        }
        ustar(out, name, "escaped\n".getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[1024]);
        Files.write(tar, out.toByteArray());

        String listedAs = name.startsWith("./") ? name.substring(2) : name;
        assertRefusedAndUnchanged(tar, PKI.signers(), listedAs, "is in the bundle but not listed in manifest.json");
        assertThat(tmp.resolve("outside.txt")).doesNotExist();
        assertThat(tmp.getParent().resolve("outside.txt")).doesNotExist();
    }

    @Test
    void aTarGivingItsSizesInPaxHeadersIsReadByThem() throws Exception {
        // The manifest of a bundle of ~25M artifacts passes 8 GiB: its size is then in a pax header only.
        Path dir = next().write(tmp.resolve("bundle"));
        List<String> names = new ArrayList<>();
        try (var walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).map(f -> dir.relativize(f).toString()).sorted().forEach(names::add);
        }
        names.remove("manifest.json");
        names.remove("manifest.p7s");
        names.add("manifest.json");
        names.add("manifest.p7s");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String n : names) {
            paxSized(out, n, Files.readAllBytes(dir.resolve(n)));
        }
        out.write(new byte[1024]);
        Path tar = Files.write(tmp.resolve("pax-sizes.tar"), out.toByteArray());
        // GNU tar reads it as the same files (an independent reader of the same format).
        BundleVerifierTest.tar("-tf", tar.toString());
        PublicationBundle b = PublicationBundle.read(tar);
        assertThat(b.streamed()).isTrue();
        assertThat(b.manifestSize()).isEqualTo(Files.size(dir.resolve("manifest.json")));
        assertThat(publish(tar, PKI.signers()).refusals()).isEmpty();
    }

    // ---- helpers ----

    String ocspPath(BigInteger serial) {
        return OcspPath.of(ikh, serial.toString(16));
    }

    byte[] signedCps(TestPki.Identity signer) throws Exception {
        return TestPdfs.padesSign(TestPdfs.document("Shomei Test CA: Certification Practice Statement v1"), signer,
                PKI.issuing.certificate());
    }

    static byte[] render(String path, List<X509Certificate> certs) {
        String s = path.endsWith(".txt") ? dev.shomei.ca.ceremony.CaHashValues.text(certs)
                : path.endsWith(".json") ? dev.shomei.ca.ceremony.CaHashValues.json(certs)
                : dev.shomei.ocsp.bundle.CaHashValuesPage.html(certs);
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static CertificateID certId(X509Certificate issuer, BigInteger serial) throws Exception {
        return new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                new JcaX509CertificateHolder(issuer), serial);
    }

    /** A successful response with these CertIDs, the times BundleBuilder#ocsp(serial) lists, signed by signer. */
    byte[] ocsp(TestPki.Identity signer, List<CertificateID> ids, CertificateStatus status) throws Exception {
        Instant now = next().now();
        DigestCalculator sha1 = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
        BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(new RespID(
                SubjectPublicKeyInfo.getInstance(signer.certificate().getPublicKey().getEncoded()), sha1));
        for (CertificateID id : ids) {
            b.addResponse(id, status, Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(4))));
        }
        var basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.keys().getPrivate()),
                new X509CertificateHolder[] {new JcaX509CertificateHolder(signer.certificate())}, Date.from(now.minusSeconds(60)));
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Entry names with their type flag, "name:type", as the publisher's tar reader sees them. */
    static List<String> tarNames(Path tar) throws IOException {
        byte[] b = Files.readAllBytes(tar);
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (pos + 512 <= b.length && b[pos] != 0) {
            String name = new String(b, pos, 100, StandardCharsets.UTF_8).replace("\0", "");
            long size = Long.parseLong(new String(b, pos + 124, 12, StandardCharsets.US_ASCII).replace("\0", "").trim(), 8);
            out.add(name + ":" + (char) b[pos + 156]);
            pos += 512 + (int) ((size + 511) / 512 * 512);
        }
        return out;
    }

    /** One POSIX ustar entry (regular file), name as given: the tar an attacker writes by hand. */
    /**
     * An entry whose size is given only by a pax extended header (as POSIX tar writes an entry of 8 GiB or more,
     * whose size does not fit the ustar field): the ustar header says 0.
     */
    static void paxSized(ByteArrayOutputStream out, String name, byte[] data) {
        String body = " size=" + data.length + "\n";
        String record = (body.length() + String.valueOf(body.length()).length()) + body;
        if (record.length() != Integer.parseInt(record.substring(0, record.indexOf(' ')))) {
            record = (body.length() + String.valueOf(body.length()).length() + 1) + body;
        }
        header(out, "PaxHeaders/" + name, record.getBytes(StandardCharsets.US_ASCII), 'x', record.length());
        header(out, name, data, '0', 0);
    }

    static void ustar(ByteArrayOutputStream out, String name, byte[] data) {
        header(out, name, data, '0', data.length);
    }

    private static void header(ByteArrayOutputStream out, String name, byte[] data, char type, long sizeField) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, Math.min(n.length, 100));
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format("%011o\0", sizeField));
        put(h, 136, String.format("%011o\0", Instant.now().getEpochSecond()));
        put(h, 148, "        ");
        h[156] = (byte) type;
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        int sum = 0;
        for (byte x : h) {
            sum += x & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        out.writeBytes(h);
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }
}
