package dev.shomei.ra.testkit;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * TLS material for the officer tests, written under target/: the RA's HTTPS server certificate, the officer CA
 * (its PEM is ra.officer.ca-path and the HTTPS trust store) and its CRL (ra.officer.crl-path), two officers'
 * client key stores (OU "RA Officer"), an auditor's (OU "RA Auditor"), a dismissed officer's whose certificate the
 * CRL lists, one certificate claiming both roles, and a stranger's client certificate from another CA.
 *
 * <p>Zone: tests only.
 */
public record OfficerPki(Path serverKeyStore, Path officerCaPem, Path officerKeyStore, Path strangerKeyStore,
                         String password, Path secondOfficerKeyStore, Path auditorKeyStore,
                         Path revokedOfficerKeyStore, Path bothRolesKeyStore, Path officerCrl) {

    public static final String OFFICER_NAME = "RA Officer Sato";
    public static final String SECOND_OFFICER_NAME = "RA Officer Tanaka";
    public static final String AUDITOR_NAME = "RA Auditor Ito";
    public static final String REVOKED_OFFICER_NAME = "RA Officer Dismissed";
    private static final SecureRandom RANDOM = new SecureRandom();

    public static OfficerPki create(Path dir) {
        try {
            Files.createDirectories(dir);
            String password = "test-" + Long.toHexString(RANDOM.nextLong());
            KeyPair serverKey = ec();
            X509Certificate server = cert(new X500Name("CN=localhost"), serverKey, new X500Name("CN=localhost"),
                    serverKey.getPrivate(), false, KeyPurposeId.id_kp_serverAuth);
            KeyPair caKey = ec();
            X500Name caName = new X500Name("CN=Shomei RA Officer CA,O=Shomei Test");
            X509Certificate ca = cert(caName, caKey, caName, caKey.getPrivate(), true, null);
            KeyPair officerKey = ec();
            X509Certificate officer = cert(new X500Name("CN=" + OFFICER_NAME + ",OU=RA Officer,O=Shomei Test"),
                    officerKey, caName, caKey.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);
            KeyPair secondKey = ec();
            X509Certificate second = cert(new X500Name("CN=" + SECOND_OFFICER_NAME + ",OU=RA Officer,O=Shomei Test"),
                    secondKey, caName, caKey.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);
            KeyPair auditorKey = ec();
            X509Certificate auditor = cert(new X500Name("CN=" + AUDITOR_NAME + ",OU=RA Auditor,O=Shomei Test"),
                    auditorKey, caName, caKey.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);
            KeyPair revokedKey = ec();
            X509Certificate revoked = cert(new X500Name("CN=" + REVOKED_OFFICER_NAME + ",OU=RA Officer,O=Shomei Test"),
                    revokedKey, caName, caKey.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);
            KeyPair bothKey = ec();
            X509Certificate both = cert(new X500Name("CN=RA Officer Greedy,OU=RA Officer,OU=RA Auditor,O=Shomei Test"),
                    bothKey, caName, caKey.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);
            // The officer CA's CRL lists the dismissed officer (RFC 5280 5.3.1 affiliationChanged).
            Instant now = Instant.now();
            org.bouncycastle.cert.X509v2CRLBuilder crl = new org.bouncycastle.cert.X509v2CRLBuilder(caName,
                    Date.from(now.minus(Duration.ofMinutes(1))));
            crl.setNextUpdate(Date.from(now.plus(Duration.ofDays(1))));
            crl.addCRLEntry(revoked.getSerialNumber(), Date.from(now.minus(Duration.ofMinutes(1))),
                    org.bouncycastle.asn1.x509.CRLReason.affiliationChanged);
            Path crlFile = dir.resolve("officer-ca.crl");
            Files.write(crlFile, crl.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()))
                    .getEncoded());
            KeyPair strangerCaKey = ec();
            X500Name strangerCaName = new X500Name("CN=Somebody Else CA");
            KeyPair strangerKey = ec();
            X509Certificate stranger = cert(new X500Name("CN=Mallory"), strangerKey, strangerCaName,
                    strangerCaKey.getPrivate(), false, KeyPurposeId.id_kp_clientAuth);

            Path serverStore = store(dir.resolve("server.p12"), "server", serverKey.getPrivate(), password, server);
            Path caPem = dir.resolve("officer-ca.pem");
            Files.writeString(caPem, "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(ca.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
            Path officerStore = store(dir.resolve("officer.p12"), "officer", officerKey.getPrivate(), password,
                    officer, ca);
            Path strangerStore = store(dir.resolve("stranger.p12"), "stranger", strangerKey.getPrivate(), password,
                    stranger);
            return new OfficerPki(serverStore, caPem, officerStore, strangerStore, password,
                    store(dir.resolve("officer2.p12"), "officer", secondKey.getPrivate(), password, second, ca),
                    store(dir.resolve("auditor.p12"), "auditor", auditorKey.getPrivate(), password, auditor, ca),
                    store(dir.resolve("revoked.p12"), "officer", revokedKey.getPrivate(), password, revoked, ca),
                    store(dir.resolve("both.p12"), "officer", bothKey.getPrivate(), password, both, ca),
                    crlFile.toAbsolutePath());
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the officer test PKI: " + e.getMessage(), e);
        }
    }

    /** A PKCS#12 file holding one key entry (also used by {@link OrdersPki}). */
    static Path store(Path file, String alias, PrivateKey key, String password, Certificate... chain)
            throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry(alias, key, password.toCharArray(), chain);
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
        return file.toAbsolutePath();
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate cert(X500Name subject, KeyPair subjectKey, X500Name issuer, PrivateKey issuerKey,
                                        boolean ca, KeyPurposeId purpose) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject,
                subjectKey.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        }
        if (purpose == KeyPurposeId.id_kp_serverAuth) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }
}
