package dev.shomei.publisher.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.origin.LiveManifest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.jcajce.JcaRespID;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe against a filesystem CDN origin laid out as the publisher leaves it (ROOT/current → a release with
 * live-manifest.json, crl/, ocsp/): exit 0 and success metrics when everything is fresh; 4 (warning) when a CRL is
 * about to lapse or an OCSP response is past half its validity; 1 (critical) when one has lapsed or is signed by a
 * key that is not the CA's.
 */
class ProbeTest {

    @TempDir
    Path dir;

    private KeyPair caKey;
    private X509Certificate ca;
    private KeyPair responderKey;
    private X509Certificate responder;
    private Path caPem;
    private final Instant now = Instant.now();

    @BeforeEach
    void pki() throws Exception {
        caKey = ec();
        X500Name caName = new X500Name("CN=Probe Test Issuing CA,O=Shomei Test,C=JP");
        ca = cert(caName, caKey, caName, caKey, true, null);
        responderKey = ec();
        responder = cert(new X500Name("CN=Probe Test OCSP,O=Shomei Test,C=JP"), responderKey, caName, caKey, false,
                KeyPurposeId.id_kp_OCSPSigning);
        caPem = dir.resolve("issuing.pem");
        Files.writeString(caPem, "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder().encodeToString(ca.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    }

    @Test
    void freshArtifactsExitZeroWithMetrics() throws Exception {
        Path origin = origin(crl(caKey, hoursAgo(1), hoursFromNow(23)), ocsp(responderKey, hoursAgo(2), hoursFromNow(94)));
        Run r = probe(origin);
        assertThat(r.exit()).as(r.output()).isEqualTo(ProbeCli.OK);
        assertThat(r.output()).contains("probe: OK").contains("crl/issuing.crl: CRL 7 fresh");
        String metrics = Files.readString(dir.resolve("probe.prom"));
        assertThat(metrics).contains("shomei_probe_success 1").contains("shomei_probe_crl_number{path=\"crl/issuing.crl\"} 7")
                .contains("shomei_probe_ocsp_checked{issuer=\"C=JP,O=Shomei Test,CN=Probe Test Issuing CA\"} 1")
                .containsPattern("shomei_probe_crl_next_update_timestamp_seconds\\{path=\"crl/issuing.crl\",[^}]*} "
                        + hoursFromNow(23).getEpochSecond());
    }

    @Test
    void aCrlAboutToLapseIsAWarning() throws Exception {
        Path origin = origin(crl(caKey, hoursAgo(22), hoursFromNow(2)), ocsp(responderKey, hoursAgo(2), hoursFromNow(94)));
        Run r = probe(origin);
        assertThat(r.exit()).as(r.output()).isEqualTo(ProbeCli.WARNING);
        assertThat(r.output()).contains("probe: WARNING crl/issuing.crl: CRL 7 is about to lapse")
                .contains("--crl-warn-before PT8H");
        assertThat(Files.readString(dir.resolve("probe.prom"))).contains("shomei_probe_success 0")
                .contains("shomei_probe_problems{severity=\"warning\"} 1");
    }

    @Test
    void aLapsedCrlIsCritical() throws Exception {
        Path origin = origin(crl(caKey, hoursAgo(25), hoursAgo(1)), ocsp(responderKey, hoursAgo(2), hoursFromNow(94)));
        Run r = probe(origin);
        assertThat(r.exit()).as(r.output()).isEqualTo(ProbeCli.CRITICAL);
        assertThat(r.output()).contains("probe: CRITICAL crl/issuing.crl: CRL 7 lapsed");
    }

    @Test
    void anOcspResponsePastHalfItsValidityIsStaleAndALapsedOneCritical() throws Exception {
        Run stale = probe(origin(crl(caKey, hoursAgo(1), hoursFromNow(23)), ocsp(responderKey, hoursAgo(60), hoursFromNow(36))));
        assertThat(stale.exit()).as(stale.output()).isEqualTo(ProbeCli.WARNING);
        assertThat(stale.output()).contains("is stale: past half its validity");
        assertThat(Files.readString(dir.resolve("probe.prom")))
                .contains("shomei_probe_ocsp_past_half_validity{issuer=\"C=JP,O=Shomei Test,CN=Probe Test Issuing CA\"} 1");

        Run lapsed = probe(origin(crl(caKey, hoursAgo(1), hoursFromNow(23)), ocsp(responderKey, hoursAgo(97), hoursAgo(1))));
        assertThat(lapsed.exit()).as(lapsed.output()).isEqualTo(ProbeCli.CRITICAL);
        assertThat(lapsed.output()).contains("lapsed: nextUpdate");
    }

    @Test
    void aCrlOrResponseNotSignedByTheCaIsCritical() throws Exception {
        KeyPair mallory = ec();
        Run forgedCrl = probe(origin(crl(mallory, hoursAgo(1), hoursFromNow(23)), ocsp(responderKey, hoursAgo(2), hoursFromNow(94))));
        assertThat(forgedCrl.exit()).as(forgedCrl.output()).isEqualTo(ProbeCli.CRITICAL);
        assertThat(forgedCrl.output()).contains("signature does not verify");

        Run forgedOcsp = probe(origin(crl(caKey, hoursAgo(1), hoursFromNow(23)), ocsp(mallory, hoursAgo(2), hoursFromNow(94))));
        assertThat(forgedOcsp.exit()).as(forgedOcsp.output()).isEqualTo(ProbeCli.CRITICAL);
        assertThat(forgedOcsp.output()).contains("signature verifies neither");
    }

    @Test
    void anOriginWithoutALiveManifestCannotBeRead() throws Exception {
        Files.createDirectories(dir.resolve("empty/current"));
        Run r = probe(dir.resolve("empty"));
        assertThat(r.exit()).as(r.output()).isEqualTo(ProbeCli.IO);
        assertThat(Files.readString(dir.resolve("probe.prom"))).contains("shomei_probe_success 0")
                .contains("shomei_probe_origin_up{");
    }

    @Test
    void theEdgeManagementInterfaceAnswersHealthAndMetrics() throws Exception {
        Path origin = origin(crl(caKey, hoursAgo(1), hoursFromNow(23)), ocsp(responderKey, hoursAgo(2), hoursFromNow(94)));
        var fs = new dev.shomei.publisher.origin.FileSystemOrigin(origin);
        var cas = dev.shomei.publisher.bundle.CaCertificates.of(List.of(ca));
        var loopback = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0);
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(fs, cas, loopback, java.time.Clock.systemUTC(),
                Duration.ofHours(1));
             var management = dev.shomei.publisher.edge.EdgeManagement.start(edge, fs, loopback)) {
            var http = java.net.http.HttpClient.newHttpClient();
            http.send(java.net.http.HttpRequest.newBuilder(edge.uri().resolve("crl/none.crl")).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            var ready = http.send(java.net.http.HttpRequest.newBuilder(management.uri().resolve("q/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"status\":\"UP\"");
            var metrics = http.send(java.net.http.HttpRequest.newBuilder(management.uri().resolve("q/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("shomei_edge_live_release_up 1")
                    .contains("shomei_edge_requests_total{kind=\"static\",status=\"404\"} 1")
                    .contains("shomei_edge_ocsp_responses 1")
                    .contains("shomei_edge_crl_next_update_timestamp_seconds{path=\"crl/issuing.crl\"");
        }
        // An origin with nothing published is not ready.
        Path empty = Files.createDirectories(dir.resolve("nothing"));
        var fs2 = new dev.shomei.publisher.origin.FileSystemOrigin(empty);
        try (var edge = dev.shomei.publisher.edge.RepositoryEdge.start(fs2, dev.shomei.publisher.bundle.CaCertificates
                .of(List.of(ca)), new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0),
                java.time.Clock.systemUTC(), Duration.ofHours(1));
             var management = dev.shomei.publisher.edge.EdgeManagement.start(edge, fs2,
                     new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))) {
            var ready = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    management.uri().resolve("q/health/ready")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("DOWN").contains("no live release");
        }
    }

    // --- an origin as the publisher lays it out ---

    private Path origin(byte[] crl, byte[] ocsp) throws Exception {
        Path root = Files.createDirectories(dir.resolve("origin-" + System.nanoTime()));
        Path release = Files.createDirectories(root.resolve("releases/r1"));
        String keyHash = org.bouncycastle.util.encoders.Hex.toHexString(java.security.MessageDigest.getInstance("SHA-1")
                .digest(org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(ca.getPublicKey().getEncoded())
                        .getPublicKeyData().getBytes()));
        String ocspPath = OcspPath.of(keyHash, "2a");
        Files.createDirectories(release.resolve("crl"));
        Files.createDirectories(release.resolve(ocspPath).getParent());
        Files.write(release.resolve("crl/issuing.crl"), crl);
        Files.write(release.resolve(ocspPath), ocsp);
        // As the publisher records them (copied from the verified artifacts); the probe reads the artifacts again.
        var x509 = (java.security.cert.X509CRL) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCRL(new java.io.ByteArrayInputStream(crl));
        var single = ((org.bouncycastle.cert.ocsp.BasicOCSPResp) new OCSPResp(ocsp).getResponseObject()).getResponses()[0];
        List<LiveManifest.Entry> entries = new ArrayList<>();
        entries.add(new LiveManifest.Entry("crl/issuing.crl", "crl", "application/pkix-crl", "x", crl.length, 7L,
                ca.getSubjectX500Principal().getName(), null, x509.getThisUpdate().toInstant().toString(),
                x509.getNextUpdate().toInstant().toString(), "b1"));
        // The live OCSP index: one shard, one line, as the publisher writes it.
        String shard = dev.shomei.publisher.origin.LiveOcspIndex.shardPath(keyHash, "2a");
        byte[] line = ("2a\t" + single.getThisUpdate().toInstant() + "\t" + single.getNextUpdate().toInstant() + "\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.createDirectories(release.resolve(shard).getParent());
        Files.write(release.resolve(shard), line);
        entries.add(new LiveManifest.Entry(shard, dev.shomei.publisher.origin.LiveOcspIndex.KIND,
                dev.shomei.publisher.origin.LiveOcspIndex.CONTENT_TYPE, "x", line.length, null, null,
                "2a", single.getThisUpdate().toInstant().toString(), single.getNextUpdate().toInstant().toString(), "b1", 1L));
        Files.write(release.resolve(LiveManifest.PATH),
                new LiveManifest(LiveManifest.FORMAT, "b1", now.toString(), entries).toJson());
        Files.createSymbolicLink(root.resolve("current"), Path.of("releases/r1"));
        return root;
    }

    private byte[] crl(KeyPair signer, Instant thisUpdate, Instant nextUpdate) throws Exception {
        X509v2CRLBuilder b = new X509v2CRLBuilder(new X509CertificateHolder(ca.getEncoded()).getSubject(),
                Date.from(thisUpdate));
        b.setNextUpdate(Date.from(nextUpdate));
        b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(7)));
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())).getEncoded();
    }

    private byte[] ocsp(KeyPair signer, Instant thisUpdate, Instant nextUpdate) throws Exception {
        CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1),
                new JcaX509CertificateHolder(ca), BigInteger.valueOf(0x2a));
        BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(new JcaRespID(responder.getSubjectX500Principal()));
        b.addResponse(id, CertificateStatus.GOOD, Date.from(thisUpdate), Date.from(nextUpdate));
        var basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate()),
                new X509CertificateHolder[] {new JcaX509CertificateHolder(responder)}, Date.from(thisUpdate));
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    private Instant hoursAgo(int h) {
        return now.minus(Duration.ofHours(h)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    private Instant hoursFromNow(int h) {
        return now.plus(Duration.ofHours(h)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    record Run(int exit, String output) {}

    private Run probe(Path origin) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            int exit = ProbeCli.run("--origin-dir", origin.toString(), "--ca-cert", caPem.toString(),
                    "--metrics-out", dir.resolve("probe.prom").toString());
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate cert(X500Name subject, KeyPair key, X500Name issuer, KeyPair issuerKey, boolean isCa,
                                        KeyPurposeId purpose) throws Exception {
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject, key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                : KeyUsage.digitalSignature));
        if (purpose != null) {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    }
}
