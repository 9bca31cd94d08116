package dev.shomei.ra.status;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.ra.testkit.CaCoreEnvironment;
import dev.shomei.ra.testkit.CaEvents;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The end-to-end CA (CaCoreEnvironment) with an audit checkpoint key of its own (ca delegate --profile
 * audit-checkpoint) and a status signer of its own (ca delegate --profile status-signer, status.signingKey), whose
 * certificate the RA pins as the status signer. The audit checkpoint certificate is pinned too, as an RA configured
 * before status documents had a key of their own would have it: a document it verifies must still be refused. And
 * a staff CA of this test's own with an
 * operator (OU "CA Operator") and an officer, so that the status page's role check is exercised.
 *
 * <p>Zone: tests only.
 */
public class StatusEnvironment extends CaCoreEnvironment {

    static final String AUDIT_LABEL = "audit-e2e";
    static final String STATUS_LABEL = "status-e2e";
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public Map<String, String> start() {
        Map<String, String> props = new HashMap<>(super.start());
        try {
            Path caYaml = Path.of(props.get("test.ca.config"));
            String yaml = Files.readString(caYaml, StandardCharsets.UTF_8);
            yaml = yaml.replace("crl:\n  nextUpdateHours: 24\n", "crl:\n  nextUpdateHours: 24\n"
                    + "  auditCheckpointKey: pkcs11:object=" + AUDIT_LABEL + "\n"
                    + "status:\n  signingKey: pkcs11:object=" + STATUS_LABEL + "\n");
            yaml = yaml.replace("profiles:\n", """
                    profiles:
                      audit-checkpoint:
                        validityDays: 365
                        keyUsage: [digitalSignature]
                        allowedKeys: [EC-P256]
                      status-signer:
                        validityDays: 365
                        keyUsage: [digitalSignature]
                        extendedKeyUsage: [statusSigning]
                        allowedKeys: [EC-P256]
                    """);
            Files.writeString(caYaml, yaml, StandardCharsets.UTF_8);
            Path dir = caYaml.getParent();
            try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(caYaml), CaEvents.NONE,
                    Clock.systemUTC())) {
                X509Certificate audit = ca.delegate(AUDIT_LABEL, KeyAlgorithm.EC_P256,
                        new X500Name("CN=Shomei E2E Audit Checkpoints,O=Shomei Test,C=JP"), "audit-checkpoint");
                Path pem = dir.resolve("audit-e2e.pem");
                Files.writeString(pem, pem(audit));
                X509Certificate status = ca.delegate(STATUS_LABEL, KeyAlgorithm.EC_P256,
                        new X500Name("CN=Shomei E2E Status Signer,O=Shomei Test,C=JP"), "status-signer");
                Path statusPem = dir.resolve("status-e2e.pem");
                Files.writeString(statusPem, pem(status));
                props.put("ra.status.signer-certificates", statusPem + "," + pem);
            }
            staff(dir.resolve("staff"), props);
            return props;
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up the status test environment: " + e.getMessage(), e);
        }
    }

    /** A staff CA with an operator and an officer; the RA's officer CA, CRL and TLS trust point at it. */
    private static void staff(Path dir, Map<String, String> props) throws Exception {
        Files.createDirectories(dir);
        String password = props.get("test.tls.password");
        KeyPair caKey = ec();
        X500Name caName = new X500Name("CN=Shomei Status Test Staff CA,O=Shomei Test");
        X509Certificate ca = cert(caName, caKey, caName, caKey.getPrivate(), true);
        KeyPair opKey = ec();
        X509Certificate operator = cert(new X500Name("CN=Operator Kato,OU=CA Operator,O=Shomei Test"), opKey, caName,
                caKey.getPrivate(), false);
        KeyPair offKey = ec();
        X509Certificate officer = cert(new X500Name("CN=Officer Mori,OU=RA Officer,O=Shomei Test"), offKey, caName,
                caKey.getPrivate(), false);
        X509v2CRLBuilder crl = new X509v2CRLBuilder(caName, Date.from(Instant.now().minus(Duration.ofMinutes(1))));
        crl.setNextUpdate(Date.from(Instant.now().plus(Duration.ofDays(1))));
        Path crlFile = dir.resolve("staff-ca.crl");
        Files.write(crlFile, crl.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey.getPrivate()))
                .getEncoded());
        Path caPem = dir.resolve("staff-ca.pem");
        Files.writeString(caPem, pem(ca));
        props.put("ra.officer.ca-path", caPem.toAbsolutePath().toString());
        props.put("ra.officer.crl-path", crlFile.toAbsolutePath().toString());
        props.put("quarkus.tls.trust-store.pem.certs", caPem.toAbsolutePath() + ","
                + props.get("ra.orders.ca-client-certificates"));
        props.put("test.status.operator-keystore", store(dir.resolve("operator.p12"), opKey.getPrivate(), password,
                operator, ca).toString());
        props.put("test.status.officer-keystore", store(dir.resolve("officer.p12"), offKey.getPrivate(), password,
                officer, ca).toString());
    }

    static KeyPair ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static X509Certificate cert(X500Name subject, KeyPair key, X500Name issuer, PrivateKey issuerKey, boolean ca)
            throws Exception {
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))), subject,
                key.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    static Path store(Path file, PrivateKey key, String password, Certificate... chain) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("staff", key, password.toCharArray(), chain);
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
        return file.toAbsolutePath();
    }

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }
}
