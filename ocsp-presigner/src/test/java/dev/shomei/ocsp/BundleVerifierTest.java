package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ocsp.bundle.BundleVerifier;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publication bundle verifier rule by rule, from the failing side, on bundles built here in memory with
 * software keys (no CA, token or database), so that each test is fast enough to rerun per mutant: every
 * refusal names the file and what is wrong with it (docs/publication-bundle.md, checks 1 and 2).
 * {@code BundleTest} proves the same verifier against bundles the presigner writes.
 */
class BundleVerifierTest {

    /**
     * Bouncy Castle checks the CMS signing-time attribute (the wall clock when {@link #sign} runs) against the
     * signer certificate's validity, so the certificates are valid around the wall clock.
     */
    private static final Instant NOW = Instant.now();
    private static final String FORMAT = "shomei-publication-bundle/v2";

    @TempDir
    Path dir;

    /** Where the tar forms of the bundle in {@link #dir} go. */
    @TempDir
    Path tars;

    KeyPair caKeys;
    X509Certificate ca;
    KeyPair signerKeys;
    X509Certificate signer;

    @BeforeEach
    void caAndPublicationSigner() throws Exception {
        caKeys = ec();
        ca = cert("CN=Test Issuing CA", "CN=Test Issuing CA", caKeys.getPublic(), caKeys.getPrivate(), NOW);
        signerKeys = ec();
        signer = cert("CN=Publication Signer", "CN=Test Issuing CA", signerKeys.getPublic(), caKeys.getPrivate(), NOW);
    }

    // ---- building bundles ----

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate cert(String subject, String issuer, java.security.PublicKey key, PrivateKey signWith,
                                        Instant around) throws Exception {
        return cert(subject, issuer, key, signWith, around, BigInteger.valueOf(System.nanoTime()));
    }

    private static X509Certificate cert(String subject, String issuer, java.security.PublicKey key, PrivateKey signWith,
                                        Instant around, BigInteger serial) throws Exception {
        var b = new JcaX509v3CertificateBuilder(new X500Name(issuer), serial,
                Date.from(around.minus(Duration.ofDays(1))), Date.from(around.plus(Duration.ofDays(1))),
                new X500Name(subject), key);
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signWith)));
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Writes {@code path} with {@code content} and returns its manifest entry. */
    private String file(String path, String content) throws Exception {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.write(p, b);
        return entry(path, b.length, sha256(b));
    }

    private static String entry(String path, long size, String sha256) {
        return "{\"path\":\"" + path + "\",\"kind\":\"cert\",\"size\":" + size + ",\"sha256\":\"" + sha256 + "\"}";
    }

    private static String manifest(String format, String... entries) {
        return "{\"format\":\"" + format + "\",\"created\":\"2026-12-03T12:00:00Z\",\"artifacts\":["
                + String.join(",", entries) + "]}";
    }

    private void writeManifest(String json) throws Exception {
        Files.writeString(dir.resolve("manifest.json"), json);
        sign(List.of(new Signer(signerKeys.getPrivate(), signer)), List.of(signer));
    }

    private record Signer(PrivateKey key, X509Certificate cert) {}

    /** Detached CMS SignedData over manifest.json, as the presigner makes it (RFC 5652 §5). */
    private void sign(List<Signer> signers, List<X509Certificate> included) throws Exception {
        byte[] manifest = Files.readAllBytes(dir.resolve("manifest.json"));
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        for (Signer s : signers) {
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(s.key()), s.cert()));
        }
        gen.addCertificates(new JcaCertStore(included));
        Files.write(dir.resolve("manifest.p7s"),
                gen.generate(new CMSProcessableByteArray(manifest), false).getEncoded());
    }

    private List<String> verify() {
        return new BundleVerifier(List.of(ca)).verify(dir, NOW);
    }

    private void goodBundle() throws Exception {
        writeManifest(manifest(FORMAT, file("certs/issuing.cer", "issuing"), file("crl/issuing.crl", "crl")));
    }

    // ---- the tests ----

    @Test
    void aBundleAsWrittenVerifies() throws Exception {
        goodBundle();
        assertThat(verify()).isEmpty();
    }

    @Test
    void aMissingManifestOrSignatureIsRefusedNamingTheDirectory() throws Exception {
        goodBundle();
        Files.delete(dir.resolve("manifest.p7s"));
        assertThat(verify()).containsExactly("manifest.json or manifest.p7s is missing from " + dir);

        goodBundle();
        Files.delete(dir.resolve("manifest.json"));
        assertThat(verify()).containsExactly("manifest.json or manifest.p7s is missing from " + dir);
    }

    @Test
    void aManifestOfAnotherFormatIsRefused() throws Exception {
        writeManifest(manifest("shomei-publication-bundle/v0", file("certs/issuing.cer", "issuing")));
        assertThat(verify()).containsExactly(
                "manifest.json: format 'shomei-publication-bundle/v0' is not " + FORMAT);
    }

    @Test
    void aManifestThatIsNotAnObjectOrNotJsonIsRefused() throws Exception {
        writeManifest("[]");
        assertThat(verify()).containsExactly("manifest.json is not a JSON object");

        writeManifest("{\"format\":");
        assertThat(verify()).singleElement().asString().startsWith("manifest.json cannot be read: ");
    }

    @Test
    void anArtifactPathThatIsEmptyOrLeavesTheBundleIsRefused() throws Exception {
        byte[] outside = "outside".getBytes(StandardCharsets.UTF_8);
        writeManifest(manifest(FORMAT, entry("", 0, sha256(new byte[0])),
                entry("../outside.cer", outside.length, sha256(outside)),
                entry(dir.resolveSibling("outside.cer").toString(), outside.length, sha256(outside))));
        assertThat(verify()).containsExactly(
                "manifest.json: artifact path '' is empty or leaves the bundle",
                "manifest.json: artifact path '../outside.cer' is empty or leaves the bundle",
                "manifest.json: artifact path '" + dir.resolveSibling("outside.cer") + "' is empty or leaves the bundle");
    }

    @Test
    void anAbsolutePathIntoTheBundleItselfIsRefused() throws Exception {
        // Resolves inside the bundle, but a manifest names files relative to it (docs/publication-bundle.md).
        String e = file("certs/issuing.cer", "issuing");
        writeManifest(manifest(FORMAT, e.replace("\"certs/issuing.cer\"", "\"" + dir.resolve("certs/issuing.cer") + "\"")));
        assertThat(verify()).contains(
                "manifest.json: artifact path '" + dir.resolve("certs/issuing.cer") + "' is empty or leaves the bundle");
    }

    @Test
    void anArtifactListedTwiceIsRefused() throws Exception {
        String e = file("certs/issuing.cer", "issuing");
        writeManifest(manifest(FORMAT, e, e));
        assertThat(verify()).containsExactly("certs/issuing.cer: listed more than once");
    }

    @Test
    void aListedFileThatIsMissingOrADirectoryIsRefused() throws Exception {
        String e = file("certs/issuing.cer", "issuing");
        Files.createDirectories(dir.resolve("crl/dir.crl"));
        writeManifest(manifest(FORMAT, e, entry("crl/dir.crl", 0, sha256(new byte[0]))));
        Files.delete(dir.resolve("certs/issuing.cer"));
        assertThat(verify()).containsExactly("certs/issuing.cer: listed in the manifest but missing",
                "crl/dir.crl: listed in the manifest but missing");
    }

    @Test
    void aFileOfAnotherSizeOrDigestIsRefusedWithBothValues() throws Exception {
        byte[] b = "issuing".getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("certs"));
        Files.write(dir.resolve("certs/issuing.cer"), b);
        String wrongSha = sha256("other".getBytes(StandardCharsets.UTF_8));
        writeManifest(manifest(FORMAT, entry("certs/issuing.cer", b.length + 1, sha256(b)),
                file("crl/issuing.crl", "crl").replace(sha256("crl".getBytes(StandardCharsets.UTF_8)), wrongSha)));
        assertThat(verify()).containsExactly(
                "certs/issuing.cer: size " + b.length + " but the manifest says " + (b.length + 1),
                "crl/issuing.crl: SHA-256 " + sha256("crl".getBytes(StandardCharsets.UTF_8))
                        + " but the manifest says " + wrongSha);
    }

    @Test
    void aFileChangedAfterSigningIsRefusedAndUnlistedFilesAreNamed() throws Exception {
        goodBundle();
        Files.writeString(dir.resolve("crl/issuing.crl"), "CRL");
        Files.writeString(dir.resolve("certs/extra.cer"), "extra");
        Files.createDirectories(dir.resolve("ocsp/deep"));
        Files.writeString(dir.resolve("ocsp/deep/a.der"), "a");
        assertThat(verify()).containsExactly(
                "crl/issuing.crl: SHA-256 " + sha256("CRL".getBytes(StandardCharsets.UTF_8)) + " but the manifest says "
                        + sha256("crl".getBytes(StandardCharsets.UTF_8)),
                "certs/extra.cer: not listed in the manifest",
                "ocsp/deep/a.der: not listed in the manifest");
    }

    @Test
    void anEditedManifestBreaksItsSignature() throws Exception {
        goodBundle();
        Path m = dir.resolve("manifest.json");
        Files.writeString(m, Files.readString(m).replace("2026-12-03", "2026-12-04"));
        assertThat(verify()).singleElement().asString()
                .startsWith("manifest.p7s: the signature does not verify over manifest.json");
    }

    @Test
    void aSignatureByAnotherKeyThanTheIncludedCertificatesIsRefused() throws Exception {
        // The included certificate has the signer's issuer and serial (so it is the one the SignerInfo names)
        // and chains to the CA, but certifies another key than the one that signed.
        goodBundle();
        KeyPair other = ec();
        X509Certificate sameSid = cert("CN=Publication Signer", "CN=Test Issuing CA", other.getPublic(),
                caKeys.getPrivate(), NOW, signer.getSerialNumber());
        sign(List.of(new Signer(signerKeys.getPrivate(), signer)), List.of(sameSid));
        assertThat(verify()).containsExactly("manifest.p7s: the signature does not verify over manifest.json");
    }

    @Test
    void aSignatureWithTwoSignersIsRefused() throws Exception {
        goodBundle();
        KeyPair other = ec();
        X509Certificate otherCert = cert("CN=Second Signer", "CN=Test Issuing CA", other.getPublic(), caKeys.getPrivate(), NOW);
        sign(List.of(new Signer(signerKeys.getPrivate(), signer), new Signer(other.getPrivate(), otherCert)),
                List.of(signer, otherCert));
        assertThat(verify()).containsExactly("manifest.p7s: 2 signers, expected exactly one");
    }

    @Test
    void aSignatureWithoutItsSignersCertificateIsRefused() throws Exception {
        goodBundle();
        sign(List.of(new Signer(signerKeys.getPrivate(), signer)), List.of(ca));
        assertThat(verify()).containsExactly("manifest.p7s: the signer's certificate is not included");
    }

    @Test
    void aSignerFromAnUntrustedCaIsRefusedNamingBoth() throws Exception {
        goodBundle();
        KeyPair strangerKeys = ec();
        X509Certificate strangerSigner = cert("CN=Publication Signer", "CN=Stranger CA", signerKeys.getPublic(),
                strangerKeys.getPrivate(), NOW);
        sign(List.of(new Signer(signerKeys.getPrivate(), strangerSigner)), List.of(strangerSigner));
        assertThat(verify()).containsExactly("manifest.p7s: signer CN=Publication Signer is issued by CN=Stranger CA,"
                + " which is not a trusted CA certificate");
    }

    @Test
    void aSignerCertificateInTheCasNameButNotSignedByTheCaIsRefused() throws Exception {
        goodBundle();
        KeyPair impostor = ec();
        X509Certificate forged = cert("CN=Publication Signer", "CN=Test Issuing CA", signerKeys.getPublic(),
                impostor.getPrivate(), NOW);
        sign(List.of(new Signer(signerKeys.getPrivate(), forged)), List.of(forged));
        assertThat(verify()).singleElement().asString()
                .startsWith("manifest.p7s: the signer certificate does not chain to a trusted CA or is not valid now: ");
    }

    @Test
    void aSignerCertificateOutsideItsValidityIsRefused() throws Exception {
        goodBundle();
        // The signer certificate is valid from a day before NOW to a day after it.
        assertThat(new BundleVerifier(List.of(ca)).verify(dir, NOW.plus(Duration.ofDays(2)))).singleElement().asString()
                .startsWith("manifest.p7s: the signer certificate does not chain to a trusted CA or is not valid now: ");
        assertThat(new BundleVerifier(List.of(ca)).verify(dir, NOW.minus(Duration.ofDays(2)))).singleElement().asString()
                .startsWith("manifest.p7s: the signer certificate does not chain to a trusted CA or is not valid now: ");
    }

    @Test
    void aSignatureFileThatIsNotCmsIsRefused() throws Exception {
        goodBundle();
        Files.write(dir.resolve("manifest.p7s"), new byte[] {0x30, 0x03, 0x02, 0x01});
        assertThat(verify()).singleElement().asString().startsWith("manifest.p7s");
    }

    // ---- path order (a bundle is checked as a stream: a merge-join of the manifest's list and the files) ----

    @Test
    void artifactsListedOutOfPathOrderAreRefusedNamingTheFirst() throws Exception {
        writeManifest(manifest(FORMAT, file("crl/issuing.crl", "crl"), file("certs/issuing.cer", "issuing"),
                file("audit/checkpoint.txt", "checkpoint")));
        assertThat(verify()).containsExactly("certs/issuing.cer: listed out of path order (after crl/issuing.crl)");
    }

    @Test
    void pathOrderIsStringOrderNotNumericOrder() throws Exception {
        // "10.der" < "9.der" and "ab.der" < "abc.der" ('.' sorts before every hex digit): in order.
        writeManifest(manifest(FORMAT, file("ocsp/00ff/10.der", "a"), file("ocsp/00ff/9.der", "b"),
                file("ocsp/00ff/ab.der", "c"), file("ocsp/00ff/abc.der", "d")));
        assertThat(verify()).isEmpty();
        writeManifest(manifest(FORMAT, file("ocsp/00ff/9.der", "b"), file("ocsp/00ff/10.der", "a")));
        assertThat(verify()).contains("ocsp/00ff/10.der: listed out of path order (after ocsp/00ff/9.der)");
    }

    @Test
    void aSymbolicOrHardLinkInABundleDirectoryIsRefused() throws Exception {
        goodBundle();
        Files.createDirectories(dir.resolve("audit"));
        Files.createSymbolicLink(dir.resolve("audit/link.txt"), Path.of("../certs/issuing.cer"));
        assertThat(verify()).containsExactly("audit/link.txt: a symbolic link, not a regular file");
        Files.delete(dir.resolve("audit/link.txt"));

        Files.createLink(dir.resolve("audit/other-name.txt"), dir.resolve("crl/issuing.crl"));
        assertThat(verify()).containsExactly("crl/issuing.crl: a hard link (2 names), not a file of its own",
                "audit/other-name.txt: not listed in the manifest");
        Files.delete(dir.resolve("audit/other-name.txt"));

        Files.delete(dir.resolve("crl/issuing.crl"));
        Files.createSymbolicLink(dir.resolve("crl/issuing.crl"), dir.resolve("certs/issuing.cer"));
        assertThat(verify()).containsExactly("crl/issuing.crl: a symbolic link, not a regular file");
    }

    // ---- the tar form ----

    /** The bundle directory as a tar (the presigner's layout: regular files, the artifacts, then the manifest). */
    private Path tar(List<String> names, Consumer<TarArchiveOutputStream> extra) throws Exception {
        Path tar = Files.createTempFile(tars, "bundle-", ".tar");
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(Files.newOutputStream(tar), "UTF-8")) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (String name : names) {
                byte[] b = Files.readAllBytes(dir.resolve(name));
                TarArchiveEntry e = new TarArchiveEntry(name);
                e.setSize(b.length);
                out.putArchiveEntry(e);
                out.write(b);
                out.closeArchiveEntry();
            }
            extra.accept(out);
        }
        return tar;
    }

    private Path tar(String... names) throws Exception {
        return tar(List.of(names), o -> { });
    }

    private List<String> verify(Path tar) {
        return new BundleVerifier(List.of(ca)).verify(tar, NOW);
    }

    private static Consumer<TarArchiveOutputStream> entry(String name, byte type, String linkTo) {
        return out -> {
            try {
                TarArchiveEntry e = new TarArchiveEntry(name, type);
                if (linkTo != null) {
                    e.setLinkName(linkTo);
                }
                out.putArchiveEntry(e);
                out.closeArchiveEntry();
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        };
    }

    @Test
    void aTarBundleVerifiesAndEveryDifferenceFromItsManifestIsNamed() throws Exception {
        goodBundle();
        assertThat(verify(tar("certs/issuing.cer", "crl/issuing.crl", "manifest.json", "manifest.p7s"))).isEmpty();
        // The manifest pair may stand anywhere; directory entries (as GNU tar writes them) are passed over.
        assertThat(verify(tar(List.of("manifest.p7s", "manifest.json", "certs/issuing.cer", "crl/issuing.crl"),
                entry("zzz/", TarConstants.LF_DIR, null)))).isEmpty();

        assertThat(verify(tar("certs/issuing.cer", "manifest.json", "manifest.p7s")))
                .containsExactly("crl/issuing.crl: listed in the manifest but missing");
        Files.writeString(dir.resolve("audit.txt"), "extra");
        Files.writeString(dir.resolve("zz.txt"), "extra");
        assertThat(verify(tar("audit.txt", "certs/issuing.cer", "crl/issuing.crl", "zz.txt", "manifest.json",
                "manifest.p7s"))).containsExactly("audit.txt: not listed in the manifest", "zz.txt: not listed in the manifest");
        Files.writeString(dir.resolve("crl/issuing.crl"), "CRL");
        assertThat(verify(tar("certs/issuing.cer", "crl/issuing.crl", "manifest.json", "manifest.p7s"))).containsExactly(
                "crl/issuing.crl: SHA-256 " + sha256("CRL".getBytes(StandardCharsets.UTF_8)) + " but the manifest says "
                        + sha256("crl".getBytes(StandardCharsets.UTF_8)));
        Path unsigned = tar("certs/issuing.cer", "crl/issuing.crl", "manifest.json");
        assertThat(verify(unsigned)).containsExactly("manifest.json or manifest.p7s is missing from " + unsigned);
    }

    @Test
    void aTarWhoseEntriesOrManifestAreOutOfPathOrderIsRefused() throws Exception {
        goodBundle();
        assertThat(verify(tar("crl/issuing.crl", "certs/issuing.cer", "manifest.json", "manifest.p7s")))
                .containsExactly("certs/issuing.cer: out of path order in the tar (after crl/issuing.crl)");
        assertThat(verify(tar("certs/issuing.cer", "certs/issuing.cer", "crl/issuing.crl", "manifest.json",
                "manifest.p7s"))).containsExactly("certs/issuing.cer: more than once in the tar");

        writeManifest(manifest(FORMAT, file("crl/issuing.crl", "crl"), file("certs/issuing.cer", "issuing")));
        assertThat(verify(tar("certs/issuing.cer", "crl/issuing.crl", "manifest.json", "manifest.p7s")))
                .containsExactly("certs/issuing.cer: listed out of path order (after crl/issuing.crl)");
        String e = file("certs/issuing.cer", "issuing");
        writeManifest(manifest(FORMAT, e, e, file("crl/issuing.crl", "crl")));
        assertThat(verify(tar("certs/issuing.cer", "crl/issuing.crl", "manifest.json", "manifest.p7s")))
                .containsExactly("certs/issuing.cer: listed more than once");
    }

    @Test
    void aTarWithALinkADeviceAnEscapingNameOrCutShortIsRefused() throws Exception {
        goodBundle();
        List<String> names = List.of("certs/issuing.cer", "crl/issuing.crl", "manifest.json", "manifest.p7s");
        assertThat(verify(tar(names, entry("crl/link.crl", TarConstants.LF_SYMLINK, "/etc/passwd"))))
                .contains("crl/link.crl: a symbolic link, not a regular file");
        assertThat(verify(tar(names, entry("crl/hard.crl", TarConstants.LF_LINK, "crl/issuing.crl"))))
                .contains("crl/hard.crl: a hard link, not a regular file");
        assertThat(verify(tar(names, entry("dev/null", TarConstants.LF_CHR, null))))
                .contains("dev/null: a device, not a regular file");
        Files.writeString(dir.resolve("x.txt"), "x");
        Path escaping = tar(names, out -> {
            try {
                TarArchiveEntry te = new TarArchiveEntry("../outside.txt", true);
                te.setSize(1);
                out.putArchiveEntry(te);
                out.write('x');
                out.closeArchiveEntry();
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        });
        assertThat(verify(escaping)).anyMatch(p -> p.contains("entry '../outside.txt' is empty or leaves the bundle"));

        // Cut short: at an entry boundary (no end-of-archive blocks), and inside an entry.
        Path whole = tar(names.toArray(String[]::new));
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(whole.resolveSibling("cut.tar"), java.util.Arrays.copyOf(bytes, 512 * 3));
        assertThat(verify(cut)).isNotEmpty();
        int last = bytes.length - 1;
        while (bytes[last] == 0) {
            last--;
        }
        int end = (last / 512 + 1) * 512;
        Path noEnd = Files.write(whole.resolveSibling("no-end.tar"), java.util.Arrays.copyOf(bytes, end));
        assertThat(verify(noEnd)).containsExactly("no-end.tar is truncated: it does not end with the tar end-of-archive"
                + " blocks");
    }
}
