package dev.shomei.ra.testkit;

import dev.shomei.testsupport.SoftHsmToken;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Order-bundle material for tests: the RA's order-signing key in a SoftHSM2 token (EC P-256, self-signed
 * certificate stored in the token under {@link #KEY_LABEL}), the CA's TLS client certificate (key store for the
 * test client, PEM for ra.orders.ca-client-certificates) and a software issuing CA that signs result bundles.
 *
 * <p>Zone: tests only.
 */
public record OrdersPki(SoftHsmToken token, Path pinFile, X509Certificate raSigningCertificate,
                        Path caClientKeyStore, Path caClientPem, Path issuingCaPem, Path issuingCaKeyStore,
                        String password) {

    public static final String KEY_LABEL = "ra-order-signing";
    public static final String CHECKPOINT_LABEL = "ra-audit-checkpoint";
    /** The checkpoint key's certificate, as PEM, in the directory given to {@link #create}. */
    public static final String CHECKPOINT_CERTIFICATE_FILE = "audit-checkpoint.pem";
    private static final SecureRandom RANDOM = new SecureRandom();

    public static OrdersPki create(Path dir, String password) {
        try {
            Files.createDirectories(dir);
            SoftHsmToken token = SoftHsmToken.create("ra-orders", "ra-orders-pin");
            // Initialise the module now: SoftHSM2 reads SOFTHSM2_CONF (rewritten by every new token) at C_Initialize.
            Provider p = Security.getProvider("SunPKCS11").configure("--name=ra-orders-setup\nlibrary="
                    + token.module() + "\nslotListIndex=0\n");
            KeyStore ks = KeyStore.getInstance("PKCS11", p);
            ks.load(null, token.userPin().toCharArray());
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", p);
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            X500Name raName = new X500Name("CN=Shomei RA Order Signing,O=Shomei Test");
            X509Certificate raCert = cert(raName, kp, raName, kp.getPrivate(), p, false);
            ks.setKeyEntry(KEY_LABEL, kp.getPrivate(), null, new Certificate[] {raCert});
            // The RA's audit checkpoint key: a key of its own in the same token (one key, one purpose).
            KeyPair audit = g.generateKeyPair();
            X500Name auditName = new X500Name("CN=Shomei RA Audit Checkpoints,O=Shomei Test");
            X509Certificate auditCert = cert(auditName, audit, auditName, audit.getPrivate(), p, false);
            ks.setKeyEntry(CHECKPOINT_LABEL, audit.getPrivate(), null, new Certificate[] {auditCert});
            // For verifiers outside the RA's JVM (the audit log of RA instances in their own JVMs).
            pem(dir.resolve(CHECKPOINT_CERTIFICATE_FILE), auditCert);

            KeyPair clientKey = OfficerPki.ec();
            X500Name clientName = new X500Name("CN=Shomei CA Puller,O=Shomei Test");
            X509Certificate client = cert(clientName, clientKey, clientName, clientKey.getPrivate(), null, false);
            Path clientStore = OfficerPki.store(dir.resolve("ca-client.p12"), "ca", clientKey.getPrivate(), password, client);
            Path clientPem = pem(dir.resolve("ca-client.pem"), client);

            KeyPair caKey = OfficerPki.ec();
            X500Name caName = new X500Name("CN=Shomei Test Issuing CA,O=Shomei Test");
            X509Certificate ca = cert(caName, caKey, caName, caKey.getPrivate(), null, true);
            Path caPem = pem(dir.resolve("issuing-ca.pem"), ca);
            Path caStore = OfficerPki.store(dir.resolve("issuing-ca.p12"), "ca", caKey.getPrivate(), password, ca);
            return new OrdersPki(token, token.writePinFile(), raCert, clientStore, clientPem, caPem, caStore,
                    password);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the orders test PKI: " + e.getMessage(), e);
        }
    }

    private static Path pem(Path file, X509Certificate c) throws Exception {
        Files.writeString(file, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        return file.toAbsolutePath();
    }



    private static X509Certificate cert(X500Name subject, KeyPair key, X500Name issuer, PrivateKey issuerKey,
                                        Provider provider, boolean ca) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject,
                key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        JcaContentSignerBuilder s = new JcaContentSignerBuilder("SHA256withECDSA");
        if (provider != null) {
            s.setProvider(provider);
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(s.build(issuerKey)));
    }
}
