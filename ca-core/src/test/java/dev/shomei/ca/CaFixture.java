package dev.shomei.ca;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.audit.AuditEntry;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.testsupport.SoftHsmToken;
import dev.shomei.testsupport.TestDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** A CA on a private SoftHSM2 token and a fresh PostgreSQL database, configured as an operator would. */
final class CaFixture implements AutoCloseable {

    static final String TOKEN_PIN = "4321-test";
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    final SoftHsmToken token;
    final TestDatabase.Database db;
    final Path dir;
    final Path configFile;
    /** The simulated RA's order-signing key and certificate (software; the CA trusts the certificate). */
    final KeyPair raKeys;
    final X509Certificate raCert;
    CertificateAuthority ca;

    private CaFixture(SoftHsmToken token, TestDatabase.Database db, Path dir, Path configFile, KeyPair raKeys,
                      X509Certificate raCert) {
        this.raKeys = raKeys;
        this.raCert = raCert;
        this.token = token;
        this.db = db;
        this.dir = dir;
        this.configFile = configFile;
    }

    static CaFixture create(String name, String rootAlg, String issuingAlg) throws Exception {
        return create(name, rootAlg, issuingAlg, TestDatabase.create("ca_" + name));
    }

    /** A CA on a database given by the test (the fault suite's restartable PostgreSQL). */
    static CaFixture create(String name, String rootAlg, String issuingAlg, TestDatabase.Database db) throws Exception {
        SoftHsmToken token = SoftHsmToken.create("ca-" + name, TOKEN_PIN);
        Path dir = token.directory();
        Path pin = token.writePinFile();
        Files.writeString(dir.resolve("db.password"), db.password());
        Files.writeString(dir.resolve("db-service.password"), db.servicePassword());
        KeyPair raKeys = ecKey("secp256r1");
        X509Certificate raCert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
                new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(new X500Name("CN=Test RA Order Signer,C=JP"),
                        java.math.BigInteger.valueOf(System.nanoTime()), new java.util.Date(System.currentTimeMillis() - 60_000),
                        new java.util.Date(System.currentTimeMillis() + 86_400_000L), new X500Name("CN=Test RA Order Signer,C=JP"),
                        raKeys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(raKeys.getPrivate())));
        ExternalVerifiers.writePem(dir.resolve("ra-orders.pem"), raCert);
        Path config = dir.resolve("ca.yaml");
        Files.writeString(config, """
                hsm:
                  module: %s
                  token: %s
                  pin: file:%s
                  parallelism: 2
                database:
                  url: %s
                  user: %s
                  passwordFile: db-service.password
                  ownerUser: %s
                  ownerPasswordFile: db.password
                issuingKey: pkcs11:token=%s;object=issuing-test
                ceremony:
                  output: ceremony
                  root:    { label: root-test, algorithm: %s, subject: "CN=Shomei Test Root CA,O=Shomei Test,C=JP", validityYears: 20 }
                  issuing: { label: issuing-test, algorithm: %s, subject: "CN=Shomei Test Issuing CA,O=Shomei Test,C=JP", validityYears: 10 }
                repository:
                  crlUrl: http://repo.test/crl/{generation}.crl
                  ocspUrl: http://repo.test/ocsp
                  caIssuersUrl: http://repo.test/certs/{generation}.cer
                crl:
                  nextUpdateHours: 24
                orders:
                  trustedRaCertificates: [ra-orders.pem]
                profiles:
                  subscriber-signature:
                    description: e-signature (電子署名法) subscriber certificate
                    validityDays: 1825
                    keyUsage: [digitalSignature, nonRepudiation]
                    certificatePolicies: ["1.3.6.1.4.1.99999.1.1"]
                    crlDistributionPoint: true
                    ocsp: true
                    caIssuers: true
                    allowedKeys: [EC-P256, EC-P384, RSA-2048, RSA-3072]
                  audit-checkpoint:
                    validityDays: 365
                    keyUsage: [digitalSignature]
                    allowedKeys: [EC-P256]
                  ocsp-responder:
                    validityDays: 90
                    keyUsage: [digitalSignature]
                    extendedKeyUsage: [ocspSigning]
                    ocspNoCheck: true
                    allowedKeys: [EC-P256, RSA-2048]
                """.formatted(token.module(), token.label(), pin, db.jdbcUrl(), db.serviceUser(), db.user(), token.label(),
                rootAlg, issuingAlg), StandardCharsets.UTF_8);
        return new CaFixture(token, db, dir, config, raKeys, raCert);
    }

    CaConfig config() {
        return CaConfig.load(configFile);
    }

    CertificateAuthority open() {
        ca = CertificateAuthority.open(config(), recordingEvents(), Clock.systemUTC());
        return ca;
    }

    CertificateAuthority ceremony() {
        open().ceremony("Test Operator", List.of("Test Witness"), s -> { });
        return ca;
    }

    /** The real audit writer, as the ca command uses it: every act is appended to the audit table in its transaction. */
    CaEventLog recordingEvents() {
        return new AuditedCaEvents(auditLog(), AuditedCaEvents.system());
    }

    AuditLog auditLog() {
        return new AuditLog("shomei/ca/" + token.label());
    }

    /**
     * What the audit table holds, oldest first, in short form: {@code ca-key LABEL}, {@code issued SERIAL},
     * {@code revoked SERIAL}, {@code order ID STATUS}, {@code bundle refused ID}, {@code crl NUMBER}.
     */
    List<String> events() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect()) {
            AuditLog log = auditLog();
            for (AuditEntry e : log.entries(c, 0, log.size(c) - 1)) {
                String subject = e.event().subject();
                String first = subject.split(" ")[0];
                String value = first.substring(first.indexOf(':') + 1);
                String action = e.event().action();
                out.add(switch (action) {
                    case "ca-key.certified" -> "ca-key " + value;
                    case "certificate.issued" -> "issued " + value;
                    case "certificate.revoked" -> "revoked " + value;
                    case "order-bundle.refused" -> "bundle refused " + value;
                    case "crl.issued" -> "crl " + value.substring(value.lastIndexOf('/') + 1);
                    default -> action.startsWith("order.") ? "order " + value + " " + action.substring(6)
                            : action + " " + subject;
                });
            }
        }
        return out;
    }

    /** The audit table's hash chain verifies end to end (AuditVerifier, as an auditor runs it). */
    /**
     * Anchors the log as the CA's next CRL would (a signed checkpoint of every entry so far), then verifies the chain,
     * the tree and every checkpoint: a log with entries and no checkpoint fails verification by design.
     */
    VerificationReport verifyAudit() throws SQLException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            ca.auditCheckpoints().sign(c);
            c.commit();
            return new AuditVerifier(List.of(ca.issuingSigner().publicKey())).verify(c);
        }
    }

    long count(String table) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static KeyPair ecKey(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    static KeyPair rsaKey(int bits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits);
        return g.generateKeyPair();
    }

    static byte[] csr(String subject, KeyPair keys) throws Exception {
        return csr(subject, keys.getPublic(), keys.getPrivate());
    }

    /** A CSR carrying {@code publicKey} but signed with {@code signingKey}. */
    static byte[] csr(String subject, PublicKey publicKey, PrivateKey signingKey) throws Exception {
        String alg = signingKey.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaPKCS10CertificationRequestBuilder(new X500Name(subject), publicKey)
                .build(new JcaContentSignerBuilder(alg).setProvider(BC).build(signingKey))
                .getEncoded();
    }

    @Override
    public void close() {
        if (ca != null) {
            ca.close();
        }
    }
}
