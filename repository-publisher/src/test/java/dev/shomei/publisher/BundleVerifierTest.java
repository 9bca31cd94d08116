package dev.shomei.publisher;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.shomei.publisher.bundle.BundleVerifier;
import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.Manifest;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Refusal;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.origin.LiveManifest;

/**
 * Checks that need a correctly signed manifest around wrong content: the signature alone must not be enough.
 * Each test edits a bundle, re-signs its manifest with the genuine publication signer, and expects one refusal.
 */
class BundleVerifierTest {

    static final TestPki PKI = new TestPki();
    static final TestPki OTHER = new TestPki("Other");

    @TempDir Path tmp;

    final BundleBuilder builder = new BundleBuilder(PKI).crlNumber(2).ocsp(BigInteger.valueOf(0x4001)).ocsp(BigInteger.valueOf(0x4002));

    Verification verify(Path bundle) throws Exception {
        return new BundleVerifier(CaCertificates.of(List.of(PKI.root.certificate(), PKI.issuing.certificate())), PKI.signers(), Clock.systemUTC())
                .verify(PublicationBundle.read(bundle), LiveManifest.empty());
    }

    /** Replaces one file and its manifest entry (size, SHA-256, or anything else), then re-signs the manifest. */
    void rewrite(Path dir, String path, byte[] content, UnaryOperator<Manifest.Artifact> edit) throws Exception {
        if (content != null) {
            Files.createDirectories(dir.resolve(path).getParent());
            Files.write(dir.resolve(path), content);
        }
        Manifest m = Manifest.parse(Files.readAllBytes(dir.resolve("manifest.json")));
        List<Manifest.Artifact> artifacts = new ArrayList<>();
        for (Manifest.Artifact a : m.artifacts()) {
            if (a.path().equals(path) && content != null) {
                a = new Manifest.Artifact(a.path(), a.kind(), a.contentType(),
                        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)), (long) content.length,
                        a.crlNumber(), a.thisUpdate(), a.nextUpdate(), a.serial(), a.issuerKeyHash(), a.status());
            }
            artifacts.add(a.path().equals(path) ? edit.apply(a) : a);
        }
        Files.write(dir.resolve("manifest.json"), new Manifest(m.format(), m.bundleId(), m.createdAt(), m.issuer(), artifacts).toJson());
        builder.resign(dir);
    }

    static void assertRefused(Verification v, String path, String reason) {
        assertThat(v.accepted()).isFalse();
        assertThat(v.refusals()).as(v.refusals().toString())
                .anySatisfy(r -> {
                    assertThat(r.path()).isEqualTo(path);
                    assertThat(r.reason()).contains(reason);
                });
    }

    @Test
    void theUntouchedBundleIsAccepted() throws Exception {
        Verification v = verify(builder.write(tmp.resolve("b")));
        assertThat(v.refusals()).isEmpty();
        assertThat(v.artifactCount()).isEqualTo(10);
    }

    @Test
    void aBundleWithThePartitionedCrlsShardsIsAccepted() throws Exception {
        builder.crlShards(3);
        for (int i = 0; i < 7; i++) {
            builder.revoke(BigInteger.valueOf(0x5000 + i), java.time.Instant.now().minusSeconds(600));
        }
        Verification v = verify(builder.write(tmp.resolve("b")));
        assertThat(v.refusals()).isEmpty();
        assertThat(v.artifactCount()).isEqualTo(13);
        assertThat(v.artifacts()).filteredOn(a -> a.path().startsWith("crl/issuing-2026/"))
                .extracting(dev.shomei.publisher.bundle.VerifiedArtifact::path)
                .containsExactlyInAnyOrder("crl/issuing-2026/0.crl", "crl/issuing-2026/1.crl", "crl/issuing-2026/2.crl");
    }

    @Test
    void aCaWithTwentyOctetSerialsPublishesHashValuesPagesThatVerify() throws Exception {
        // A serial of 40 hex digits on the hash values pages is as long as a SHA-1 fingerprint: it must not be
        // taken for one (RFC 5280 §4.1.2.2 allows 20 octets; CAs made elsewhere use them).
        TestPki longSerials = new TestPki("Long Serials", true);
        assertThat(longSerials.root.certificate().getSerialNumber().toString(16)).hasSize(40);
        Path dir = new BundleBuilder(longSerials).crlNumber(1).write(tmp.resolve("b"));
        Verification v = new BundleVerifier(CaCertificates.of(List.of(longSerials.root.certificate(), longSerials.issuing.certificate())),
                longSerials.signers(), Clock.systemUTC()).verify(PublicationBundle.read(dir), LiveManifest.empty());
        assertThat(v.refusals()).isEmpty();
    }

    @Test
    void aCaCertificateThatIsNotConfiguredIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        rewrite(dir, "certs/root.cer", OTHER.root.certificate().getEncoded(), a -> a);
        assertRefused(verify(dir), "certs/root.cer", "is not byte for byte one of the configured CA certificates");
    }

    /** Found by mutation testing: no test showed that a CRL past its nextUpdate is refused. */
    @Test
    void aCrlPastItsNextUpdateIsRefused() throws Exception {
        BundleBuilder stale = new BundleBuilder(PKI).crlNumber(2);
        stale.crlTimes(stale.now().minus(java.time.Duration.ofDays(2)), stale.now().minus(java.time.Duration.ofDays(1)));
        assertRefused(verify(stale.write(tmp.resolve("b"))), "crl/issuing-2026.crl", "is not in the future");
    }

    /**
     * Found by mutation testing: the foreign CRL of {@link #aCrlSignedByAnotherKeyIsRefused} names another issuer, so
     * it was refused by name and the signature check itself was never exercised. This one names the genuine CA and
     * carries its authorityKeyIdentifier, and only its signature is a stranger's.
     */
    @Test
    void aCrlInTheCasNameSignedByAStrangersKeyIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        java.security.cert.X509Certificate ca = PKI.issuing.certificate();
        java.time.Instant now = builder.now();
        org.bouncycastle.cert.X509v2CRLBuilder b = new org.bouncycastle.cert.X509v2CRLBuilder(
                org.bouncycastle.asn1.x500.X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                java.util.Date.from(now.minusSeconds(60)));
        b.setNextUpdate(java.util.Date.from(now.plus(java.time.Duration.ofDays(1))));
        b.addExtension(org.bouncycastle.asn1.x509.Extension.cRLNumber, false, new org.bouncycastle.asn1.ASN1Integer(2));
        b.addExtension(org.bouncycastle.asn1.x509.Extension.authorityKeyIdentifier, false,
                new org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
        byte[] forged = b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                .build(OTHER.issuing.keys().getPrivate())).getEncoded();
        rewrite(dir, "crl/issuing-2026.crl", forged, a -> a);
        assertRefused(verify(dir), "crl/issuing-2026.crl", "does not verify");
    }

    @Test
    void aCrlSignedByAnotherKeyIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        byte[] foreign = Files.readAllBytes(new BundleBuilder(OTHER).crlNumber(2).write(tmp.resolve("other")).resolve("crl/issuing-2026.crl"));
        rewrite(dir, "crl/issuing-2026.crl", foreign, a -> a);
        assertRefused(verify(dir), "crl/issuing-2026.crl", "does not verify with any configured CA certificate");
    }

    @Test
    void anOcspResponseUnderAnotherSerialsPathIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        String ikh = BundleBuilder.keyHashHex(PKI.issuing.certificate());
        rewrite(dir, OcspPath.of(ikh, "4002"), Files.readAllBytes(dir.resolve(OcspPath.of(ikh, "4001"))), a -> a);
        assertRefused(verify(dir), OcspPath.of(ikh, "4002"), "CertID serial is 4001, but the path says 4002");
    }

    @Test
    void anOcspResponseInAnotherSerialsFanOutDirectoryIsRefused() throws Exception {
        // The right bytes at ocsp/<ikh>/ff/4001.der: the edge would never find them there (it looks in 40/).
        Path dir = builder.write(tmp.resolve("b"));
        String ikh = BundleBuilder.keyHashHex(PKI.issuing.certificate());
        String wrong = "ocsp/" + ikh + "/ff/4001.der";
        Files.createDirectories(dir.resolve(wrong).getParent());
        Files.move(dir.resolve(OcspPath.of(ikh, "4001")), dir.resolve(wrong));
        rewrite(dir, OcspPath.of(ikh, "4001"), null, a -> new Manifest.Artifact(wrong, a.kind(), a.contentType(), a.sha256(),
                a.size(), a.crlNumber(), a.thisUpdate(), a.nextUpdate(), a.serial(), a.issuerKeyHash(), a.status()));
        assertRefused(verify(dir), wrong, "is not " + OcspPath.FORM);
    }

    @Test
    void aBundleOfTheFormatBeforeTheFanOutIsRefusedSayingWhy() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        Manifest m = Manifest.parse(Files.readAllBytes(dir.resolve("manifest.json")));
        Files.write(dir.resolve("manifest.json"), new Manifest("shomei-publication-bundle/v1", m.bundleId(), m.createdAt(),
                m.issuer(), m.artifacts()).toJson());
        builder.resign(dir);
        assertRefused(verify(dir), "manifest.json", "make the bundle again with this release's presigner");
    }

    @Test
    void aPathLeavingTheBundleIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        Files.createDirectories(dir.resolve("cps"));
        rewrite(dir, "cps/cps-v1.pdf", null, a -> new Manifest.Artifact("cps/../../etc/passwd", a.kind(), a.contentType(),
                a.sha256(), a.size(), null, null, null, null, null, null));
        Verification v = verify(dir);
        assertRefused(v, "cps/../../etc/passwd", "is not a safe relative path");
        assertRefused(v, "cps/cps-v1.pdf", "not listed in manifest.json");
    }

    @Test
    void aWrongContentTypeIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        rewrite(dir, "cps/cps-v1.pdf", null, a -> new Manifest.Artifact(a.path(), a.kind(), "text/html", a.sha256(), a.size(),
                null, null, null, null, null, null));
        assertRefused(verify(dir), "cps/cps-v1.pdf", "contentType is 'text/html'; a cps at this path is served as 'application/pdf'");
    }

    @Test
    void aManifestSignerThatHasExpiredIsRefused() throws Exception {
        Instant past = Instant.now().minus(Duration.ofDays(30));
        TestPki.Identity expired = PKI.issue(PKI.issuing, "CN=Expired Publication Signer,O=Shomei,C=JP", false,
                KeyPurposeId.anyExtendedKeyUsage, null, past.minus(Duration.ofDays(365)), past);
        Path dir = new BundleBuilder(PKI).crlNumber(2).manifestSigner(expired).write(tmp.resolve("b"));
        assertRefused(verify(dir), "manifest.p7s", "is not valid now");
    }

    @Test
    void aMismatchBetweenManifestAndCrlNumberIsRefused() throws Exception {
        Path dir = builder.write(tmp.resolve("b"));
        rewrite(dir, "crl/issuing-2026.crl", null, a -> new Manifest.Artifact(a.path(), a.kind(), a.contentType(), a.sha256(),
                a.size(), 99L, a.thisUpdate(), a.nextUpdate(), null, null, null));
        assertRefused(verify(dir), "crl/issuing-2026.crl", "cRLNumber is 2, manifest says 99");
    }

    @Test
    void aTarOfTheBundleDirectoryIsReadLikeTheDirectory() throws Exception {
        Path dir = builder.write(tmp.resolve("bundle"));
        Path flat = tmp.resolve("flat.tar");
        Path nested = tmp.resolve("nested.tar");
        tar("-C", dir.toString(), "-cf", flat.toString(), ".");
        tar("-C", tmp.toString(), "-cf", nested.toString(), "bundle");
        assertThat(verify(flat).refusals()).isEmpty();
        assertThat(verify(nested).refusals()).isEmpty();
        assertThat(verify(flat).artifactCount()).isEqualTo(10);

        Files.writeString(dir.resolve("audit/checkpoint.txt"), "changed");
        Path tampered = tmp.resolve("tampered.tar");
        tar("-C", dir.toString(), "-cf", tampered.toString(), ".");
        assertRefused(verify(tampered), "audit/checkpoint.txt", "SHA-256 is");
    }

    static void tar(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(args));
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(30), null, cmd);
        assertThat(r.exit()).as(r.output()).isZero();
    }

}
