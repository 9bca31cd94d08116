package dev.shomei.publisher;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A software PKI for tests only: root and issuing CA, an OCSP responder certificate (id-kp-OCSPSigning +
 * ocsp-nocheck) and a publication-signer certificate, all ECDSA P-256. Stands in for the secure zone's HSM
 * keys; the publisher under test only ever sees certificates and signed bytes.
 */
public final class TestPki {

    static {
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
    }

    public record Identity(KeyPair keys, X509Certificate certificate) { }

    /** The publication-signing EKU that ca-core's publication-signer profile puts in the certificate. */
    public static final KeyPurposeId PUBLICATION_SIGNING = KeyPurposeId.getInstance(
            new org.bouncycastle.asn1.ASN1ObjectIdentifier(dev.shomei.publisher.bundle.PublicationSigners.DEFAULT_EKU));

    private static final AtomicLong SERIALS = new AtomicLong(0x1000);

    public final Instant created = Instant.now().minus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    public final Identity root;
    public final Identity issuing;
    public final Identity ocspResponder;
    public final Identity publicationSigner;
    private final boolean twentyOctetSerials;

    public TestPki() {
        this("Shomei Test");
    }

    public TestPki(String name) {
        this(name, false);
    }

    /** With twentyOctetSerials, every certificate gets a 20-octet serial, the most RFC 5280 §4.1.2.2 allows. */
    public TestPki(String name, boolean twentyOctetSerials) {
        this.twentyOctetSerials = twentyOctetSerials;
        try {
            root = issue(null, "CN=" + name + " Root CA,O=Shomei,C=JP", true, null);
            issuing = issue(root, "CN=" + name + " Issuing CA 2026,O=Shomei,C=JP", true, null);
            ocspResponder = issue(issuing, "CN=" + name + " OCSP Responder,O=Shomei,C=JP", false, KeyPurposeId.id_kp_OCSPSigning);
            publicationSigner = issue(issuing, "CN=" + name + " Publication Signer,O=Shomei,C=JP", false, PUBLICATION_SIGNING);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The publisher's trust in this PKI's publication signer: its certificate pinned, the default EKU required. */
    public dev.shomei.publisher.bundle.PublicationSigners signers() {
        return dev.shomei.publisher.bundle.PublicationSigners.pinning(publicationSigner.certificate());
    }

    /** Writes publication-signer.pem into dir, for --publication-signer-cert. */
    public Path writePublicationSigner(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve("publication-signer.pem"), pem(publicationSigner.certificate()));
    }

    /** A PKCS#10 request for {@code subject} with a new P-256 key (DER), as an applicant sends it to the CA. */
    public static byte[] csr(String subject) throws Exception {
        KeyPair kp = newKey();
        return new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(new X500Name(subject),
                kp.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()))
                .getEncoded();
    }

    /** The certificate in a PEM (or DER) file. */
    public static X509Certificate readCertificate(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
        }
    }

    public static KeyPair newKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A certificate issued by {@code issuer} (self-signed when null); eku adds that extended key usage. */
    public Identity issue(Identity issuer, String subject, boolean ca, KeyPurposeId eku) throws Exception {
        return issue(issuer, subject, ca, eku, null, created, created.plus(Duration.ofDays(3650)));
    }

    public Identity issue(Identity issuer, String subject, boolean ca, KeyPurposeId eku, String ocspUrl,
                          Instant notBefore, Instant notAfter) throws Exception {
        KeyPair keys = newKey();
        // RFC 4514 strings name the most significant RDN last: "CN=…,O=…,C=JP" is encoded C, O, CN as CAs do.
        X500Name subjectName = X500Name.getInstance(new javax.security.auth.x500.X500Principal(subject).getEncoded());
        X500Name issuerName = issuer == null ? subjectName
                : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, serial(),
                Date.from(notBefore), Date.from(notAfter), subjectName, keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        if (issuer != null) {
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuer.certificate()));
        }
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
        if (eku != null) {
            // The publication signer, as ca-core's publication-signer profile makes it: its own EKU, and
            // emailProtection so that PDF readers (NSS, Adobe) accept its CP/CPS signatures.
            b.addExtension(Extension.extendedKeyUsage, false, eku.equals(PUBLICATION_SIGNING)
                    ? new ExtendedKeyUsage(new KeyPurposeId[] {PUBLICATION_SIGNING, KeyPurposeId.id_kp_emailProtection})
                    : new ExtendedKeyUsage(eku));
            if (eku.equals(KeyPurposeId.id_kp_OCSPSigning)) {
                // RFC 6960 §4.2.2.2.1: relying parties need not check the responder certificate's own status.
                b.addExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
            }
        }
        if (ocspUrl != null) {
            b.addExtension(Extension.authorityInfoAccess, false, new AuthorityInformationAccess(
                    new AccessDescription(AccessDescription.id_ad_ocsp, new GeneralName(GeneralName.uniformResourceIdentifier, ocspUrl))));
        }
        KeyPair signerKeys = issuer == null ? keys : issuer.keys();
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signerKeys.getPrivate())));
        return new Identity(keys, cert);
    }

    private BigInteger serial() {
        if (!twentyOctetSerials) {
            return BigInteger.valueOf(SERIALS.incrementAndGet());
        }
        // 159 random bits with the top one set: 40 hex digits, positive, 20 octets in DER.
        return new BigInteger(158, new java.security.SecureRandom()).setBit(158);
    }

    /** A subscriber (end-entity) certificate issued by the issuing CA, pointing at this OCSP URL. */
    public Identity subscriber(String cn, String ocspUrl) throws Exception {
        return issue(issuing, "CN=" + cn + ",O=Shomei,C=JP", false, KeyPurposeId.id_kp_clientAuth, ocspUrl,
                created, created.plus(Duration.ofDays(365)));
    }

    public static String pem(Object... objects) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                pw.writeObject(o);
            }
        }
        return w.toString();
    }

    /** Writes root.pem, issuing.pem and chain.pem (root + issuing) into dir. */
    public void writeCaFiles(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("root.pem"), pem(root.certificate()));
        Files.writeString(dir.resolve("issuing.pem"), pem(issuing.certificate()));
        Files.writeString(dir.resolve("chain.pem"), pem(root.certificate(), issuing.certificate()));
    }
}
