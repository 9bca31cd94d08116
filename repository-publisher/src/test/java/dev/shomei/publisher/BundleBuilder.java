package dev.shomei.publisher;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

import dev.shomei.publisher.bundle.Manifest;
import dev.shomei.publisher.bundle.OcspPath;

/**
 * Writes a publication bundle exactly as docs/publication-bundle.md describes, signed with TestPki's software
 * keys (test scope only: in production the secure zone's ocsp-presigner and ca-core write bundles with HSM keys).
 * Defaults give an acceptable bundle; each setter changes one thing a test needs to differ.
 */
public final class BundleBuilder {

    public record OcspEntry(BigInteger serial, Instant revokedAt, Instant thisUpdate, Instant nextUpdate) { }

    private final TestPki pki;
    private final Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    private long crlNumber = 1;
    private Instant crlThisUpdate = now.minusSeconds(60);
    private Instant crlNextUpdate = now.plus(Duration.ofDays(1));
    private final Map<BigInteger, Instant> revoked = new LinkedHashMap<>();
    private final List<OcspEntry> ocsp = new ArrayList<>();
    private TestPki.Identity ocspSigner;
    private TestPki.Identity manifestSigner;
    private boolean includeCrl = true;
    private String bundleId = UUID.randomUUID().toString();
    private String cpsName = "cps-v1.pdf";
    private TestPki.Identity cpsSigner;
    private final Map<String, byte[]> replaced = new LinkedHashMap<>();
    private UnaryOperator<List<Manifest.Artifact>> manifestEdit = UnaryOperator.identity();

    public BundleBuilder(TestPki pki) {
        this.pki = pki;
        this.ocspSigner = pki.ocspResponder;
        this.manifestSigner = pki.publicationSigner;
        this.cpsSigner = pki.publicationSigner;
    }

    public BundleBuilder crlNumber(long n) {
        this.crlNumber = n;
        return this;
    }

    public BundleBuilder crlTimes(Instant thisUpdate, Instant nextUpdate) {
        this.crlThisUpdate = thisUpdate;
        this.crlNextUpdate = nextUpdate;
        return this;
    }

    private int crlShards;

    /** Partitioned CRLs as ca-core signs them (docs/crl.md): shard i at crl/issuing-2026/i.crl, same number. */
    public BundleBuilder crlShards(int n) {
        this.crlShards = n;
        return this;
    }

    public BundleBuilder withoutCrl() {
        this.includeCrl = false;
        return this;
    }

    /** Listed as revoked in the CRL (and, via {@link #ocsp}, in its OCSP response). */
    public BundleBuilder revoke(BigInteger serial, Instant at) {
        revoked.put(serial, at);
        return this;
    }

    /** One pre-signed OCSP response; revoked when {@link #revoke} named the serial first. */
    public BundleBuilder ocsp(BigInteger serial, Instant thisUpdate, Instant nextUpdate) {
        ocsp.add(new OcspEntry(serial, revoked.get(serial), thisUpdate, nextUpdate));
        return this;
    }

    public BundleBuilder ocsp(BigInteger serial) {
        return ocsp(serial, now.minusSeconds(60), now.plus(Duration.ofDays(4)));
    }

    public BundleBuilder ocspSigner(TestPki.Identity signer) {
        this.ocspSigner = signer;
        return this;
    }

    public BundleBuilder manifestSigner(TestPki.Identity signer) {
        this.manifestSigner = signer;
        return this;
    }

    /** Who PAdES-signs the CP/CPS (the publication signer by default); null leaves the PDF unsigned. */
    public BundleBuilder cpsSigner(TestPki.Identity signer) {
        this.cpsSigner = signer;
        return this;
    }

    /** Writes these bytes at this path instead of what the secure zone would write (listed in the manifest as such). */
    public BundleBuilder replace(String path, byte[] content) {
        replaced.put(path, content);
        return this;
    }

    /** Changes the manifest's artifact list before it is signed (the signature is then genuine over the edit). */
    public BundleBuilder editArtifacts(UnaryOperator<List<Manifest.Artifact>> edit) {
        this.manifestEdit = edit;
        return this;
    }

    public BundleBuilder cpsName(String name) {
        this.cpsName = name;
        return this;
    }

    public BundleBuilder bundleId(String id) {
        this.bundleId = id;
        return this;
    }

    public String bundleId() {
        return bundleId;
    }

    public static String keyHashHex(X509Certificate ca) throws Exception {
        byte[] key = SubjectPublicKeyInfo.getInstance(ca.getPublicKey().getEncoded()).getPublicKeyData().getBytes();
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(key));
    }

    /** Writes the bundle into dir (created) and returns dir. */
    public Path write(Path dir) throws Exception {
        Files.createDirectories(dir);
        List<Manifest.Artifact> artifacts = new ArrayList<>();
        X509Certificate issuingCert = pki.issuing.certificate();
        if (includeCrl) {
            byte[] crl = crl();
            artifacts.add(put(dir, "crl/issuing-2026.crl", "crl", "application/pkix-crl", crl, crlNumber,
                    crlThisUpdate, crlNextUpdate, null, null, null));
            for (int i = 0; i < crlShards; i++) {
                artifacts.add(put(dir, "crl/issuing-2026/" + i + ".crl", "crl", "application/pkix-crl", crl(i),
                        crlNumber, crlThisUpdate, crlNextUpdate, null, null, null));
            }
        }
        String ikh = keyHashHex(issuingCert);
        for (OcspEntry e : ocsp) {
            byte[] der = ocspResponse(e);
            artifacts.add(put(dir, OcspPath.of(ikh, e.serial().toString(16)), "ocsp", "application/ocsp-response",
                    der, null, e.thisUpdate(), e.nextUpdate(), e.serial().toString(16), ikh, e.revokedAt() == null ? "good" : "revoked"));
        }
        artifacts.add(put(dir, "certs/root.cer", "ca-certificate", "application/pkix-cert", pki.root.certificate().getEncoded()));
        artifacts.add(put(dir, "certs/issuing-2026.cer", "ca-certificate", "application/pkix-cert", issuingCert.getEncoded()));
        // The CA hash values pages exactly as the secure zone renders them (ca-core, ocsp-presigner).
        List<X509Certificate> cas = List.of(pki.root.certificate(), issuingCert);
        artifacts.add(put(dir, "ca-hash-values/ca-hash-values.txt", "ca-hash-values", "text/plain; charset=utf-8",
                (dev.shomei.ca.ceremony.CaHashValues.text(cas).getBytes(StandardCharsets.UTF_8))));
        artifacts.add(put(dir, "ca-hash-values/ca-hash-values.json", "ca-hash-values", "application/json",
                (dev.shomei.ca.ceremony.CaHashValues.json(cas).getBytes(StandardCharsets.UTF_8))));
        artifacts.add(put(dir, "ca-hash-values/index.html", "ca-hash-values", "text/html; charset=utf-8",
                (dev.shomei.ocsp.bundle.CaHashValuesPage.html(cas).getBytes(StandardCharsets.UTF_8))));
        byte[] pdf = TestPdfs.document("Shomei Test CA: Certification Practice Statement v1");
        artifacts.add(put(dir, "cps/" + cpsName, "cps", "application/pdf",
                (cpsSigner == null ? pdf : TestPdfs.padesSign(pdf, cpsSigner, pki.issuing.certificate()))));
        artifacts.add(put(dir, "audit/checkpoint.txt", "audit-checkpoint", "text/plain; charset=utf-8", "shomei-audit-log/v1\n42\nabc\n".getBytes(StandardCharsets.UTF_8)));

        // docs/publication-bundle.md: the artifacts are listed in path order (edits below may break it on purpose).
        artifacts.sort(java.util.Comparator.comparing(Manifest.Artifact::path));
        Manifest manifest = new Manifest(Manifest.FORMAT, bundleId, now.toString(),
                issuingCert.getSubjectX500Principal().getName(), manifestEdit.apply(artifacts));
        byte[] json = manifest.toJson();
        Files.write(dir.resolve("manifest.json"), json);
        Files.write(dir.resolve("manifest.p7s"), sign(json, manifestSigner));
        return dir;
    }

    /** Detached CMS SignedData over the exact manifest bytes, with the signer and issuing CA certificates. */
    public byte[] sign(byte[] manifestJson, TestPki.Identity signer) throws Exception {
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(new JcaSimpleSignerInfoGeneratorBuilder().setProvider("BC")
                .build("SHA256withECDSA", signer.keys().getPrivate(), signer.certificate()));
        gen.addCertificates(new JcaCertStore(List.of(signer.certificate(), pki.issuing.certificate())));
        return gen.generate(new CMSProcessableByteArray(manifestJson), false).getEncoded();
    }

    private byte[] crl() throws Exception {
        return crl(-1);
    }

    /** The full CRL (shard -1), or shard {@code shard}: its serials, and an issuingDistributionPoint (RFC 5280 §5.2.5). */
    private byte[] crl(int shard) throws Exception {
        X509Certificate ca = pki.issuing.certificate();
        X509v2CRLBuilder b = new X509v2CRLBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()), Date.from(crlThisUpdate));
        b.setNextUpdate(Date.from(crlNextUpdate));
        b.addExtension(Extension.cRLNumber, false, new ASN1Integer(crlNumber));
        b.addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
        revoked.forEach((serial, at) -> {
            if (shard < 0 || serial.mod(BigInteger.valueOf(crlShards)).intValue() == shard) {
                b.addCRLEntry(serial, Date.from(at), CRLReason.keyCompromise);
            }
        });
        if (shard >= 0) {
            b.addExtension(Extension.issuingDistributionPoint, true, new org.bouncycastle.asn1.x509.IssuingDistributionPoint(
                    new org.bouncycastle.asn1.x509.DistributionPointName(new org.bouncycastle.asn1.x509.GeneralNames(
                            new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier,
                                    "http://repo.test/crl/issuing-2026/" + shard + ".crl"))), false, false, null, false, false));
        }
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pki.issuing.keys().getPrivate())).getEncoded();
    }

    private byte[] ocspResponse(OcspEntry e) throws Exception {
        DigestCalculator sha1 = new JcaDigestCalculatorProviderBuilder().build().get(CertificateID.HASH_SHA1);
        CertificateID id = new CertificateID(sha1, new JcaX509CertificateHolder(pki.issuing.certificate()), e.serial());
        // RFC 5019 §2.2.3: ResponderID byKey.
        BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(new RespID(
                SubjectPublicKeyInfo.getInstance(ocspSigner.certificate().getPublicKey().getEncoded()), sha1));
        CertificateStatus status = e.revokedAt() == null ? CertificateStatus.GOOD
                : new RevokedStatus(Date.from(e.revokedAt()), CRLReason.keyCompromise);
        b.addResponse(id, status, Date.from(e.thisUpdate()), Date.from(e.nextUpdate()));
        boolean delegated = !ocspSigner.certificate().equals(pki.issuing.certificate());
        X509CertificateHolder[] chain = delegated
                ? new X509CertificateHolder[] {new JcaX509CertificateHolder(ocspSigner.certificate())} : null;
        BasicOCSPResp basic = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ocspSigner.keys().getPrivate()),
                chain, Date.from(e.thisUpdate()));
        return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL, basic).getEncoded();
    }

    private Manifest.Artifact put(Path dir, String path, String kind, String contentType, byte[] content) throws Exception {
        return put(dir, path, kind, contentType, content, null, null, null, null, null, null);
    }

    private Manifest.Artifact put(Path dir, String path, String kind, String contentType, byte[] genuine, Long crlNumber,
                                  Instant thisUpdate, Instant nextUpdate, String serial, String ikh, String status) throws Exception {
        byte[] content = replaced.getOrDefault(path, genuine);
        Path f = dir.resolve(path);
        Files.createDirectories(f.getParent());
        Files.write(f, content);
        return new Manifest.Artifact(path, kind, contentType, hex(MessageDigest.getInstance("SHA-256").digest(content)),
                (long) content.length, crlNumber, thisUpdate == null ? null : thisUpdate.toString(),
                nextUpdate == null ? null : nextUpdate.toString(), serial, ikh, status);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    public Instant now() {
        return now;
    }

    /** Re-signs an edited manifest.json in place (for tests that change the manifest and need a valid signature). */
    public void resign(Path dir) throws Exception {
        Files.write(dir.resolve("manifest.p7s"), sign(Files.readAllBytes(dir.resolve("manifest.json")), manifestSigner));
    }

}
