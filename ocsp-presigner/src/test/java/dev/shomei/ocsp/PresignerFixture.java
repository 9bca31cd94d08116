package dev.shomei.ocsp;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.audit.SignerCheckpointSigner;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.config.PresignerConfig;
import dev.shomei.ocsp.presign.OcspPresigner;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.testsupport.SoftHsmToken;
import dev.shomei.testsupport.TestDatabase;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A CA on a private SoftHSM2 token and a fresh PostgreSQL database, after its ceremony, with a delegated OCSP
 * responder key and a publication signer key; plus a presigner.yaml, as an operator would set it up.
 */
final class PresignerFixture implements AutoCloseable {

    static final String RESPONDER = "ocsp-test";
    static final String PUBLISHER = "publication-test";
    static final String ISSUING = "issuing-test";
    /** hsm.parallelism: signing sessions (and presigner signer threads); 2 unless a benchmark sets -Dbench.parallelism. */
    static final int PARALLELISM = Integer.getInteger("bench.parallelism", 2);

    /** A clock the test moves by hand. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    final SoftHsmToken token;
    final TestDatabase.Database db;
    final Path dir;
    final Path caYaml;
    final Path presignerYaml;
    final MovableClock clock = new MovableClock(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    final CertificateAuthority ca;
    final PresignerConfig config;

    private PresignerFixture(SoftHsmToken token, TestDatabase.Database db, Path dir, Path caYaml, Path presignerYaml) {
        this.token = token;
        this.db = db;
        this.dir = dir;
        this.caYaml = caYaml;
        this.presignerYaml = presignerYaml;
        this.config = PresignerConfig.load(presignerYaml);
        CaConfig cfg = config.caConfig();
        this.ca = CertificateAuthority.open(cfg, new AuditedCaEvents(AuditedPresignerEvents.caLog(cfg),
                AuditedCaEvents.operator("Test Operator", cfg.hsmConfig().tokenLabel())), Clock.systemUTC());
    }

    static PresignerFixture create(String name) throws IOException {
        return create(name, "");
    }

    /** @param caYamlExtra further top-level settings of ca.yaml (e.g. {@code crl:} with {@code shards}) */
    static PresignerFixture create(String name, String caYamlExtra) throws IOException {
        SoftHsmToken token = SoftHsmToken.create("ocsp-" + name, "4321-test");
        TestDatabase.Database db = TestDatabase.create("ocsp_" + name);
        Path dir = token.directory();
        Path pin = token.writePinFile();
        Files.writeString(dir.resolve("db.password"), db.password());
        Path caYaml = dir.resolve("ca.yaml");
        Files.writeString(caYaml, """
                hsm:
                  module: %s
                  token: %s
                  pin: file:%s
                  parallelism: %d
                database:
                  url: %s
                  user: %s
                  passwordFile: db.password
                  ownerUser: %s
                  ownerPasswordFile: db.password
                issuingKey: pkcs11:token=%s;object=%s
                ceremony:
                  output: ceremony
                  root:    { label: root-test, algorithm: EC-P256, subject: "CN=Shomei Test Root CA,O=Shomei Test,C=JP", validityYears: 20 }
                  issuing: { label: %s, algorithm: EC-P256, subject: "CN=Shomei Test Issuing CA,O=Shomei Test,C=JP", validityYears: 10 }
                repository:
                  crlUrl: http://repo.test/crl/{generation}.crl
                  ocspUrl: http://repo.test/ocsp
                  caIssuersUrl: http://repo.test/certs/{generation}.cer
                profiles:
                  subscriber-signature:
                    validityDays: 1825
                    keyUsage: [digitalSignature, nonRepudiation]
                    crlDistributionPoint: true
                    ocsp: true
                    allowedKeys: [EC-P256]
                  ocsp-responder:
                    validityDays: 90
                    keyUsage: [digitalSignature]
                    extendedKeyUsage: [ocspSigning]
                    ocspNoCheck: true
                    allowedKeys: [EC-P256]
                  publication-signer:
                    validityDays: 365
                    keyUsage: [digitalSignature]
                    extendedKeyUsage: [publicationSigning, emailProtection]
                    allowedKeys: [EC-P256]
                """.formatted(token.module(), token.label(), pin, PARALLELISM, db.jdbcUrl(), db.serviceUser(), db.user(),
                token.label(), ISSUING, ISSUING) + caYamlExtra, StandardCharsets.UTF_8);
        Path presignerYaml = writePresignerYaml(dir, 96);
        PresignerFixture f = new PresignerFixture(token, db, dir, caYaml, presignerYaml);
        f.ca.ceremony("Test Operator", List.of("Test Witness"), s -> { });
        f.ca.delegate(RESPONDER, KeyAlgorithm.EC_P256, new X500Name("CN=Shomei Test OCSP Responder,O=Shomei Test,C=JP"),
                "ocsp-responder");
        f.ca.delegate(PUBLISHER, KeyAlgorithm.EC_P256, new X500Name("CN=Shomei Test Publication,O=Shomei Test,C=JP"),
                "publication-signer");
        return f;
    }

    static Path writePresignerYaml(Path dir, int validityHours) throws IOException {
        Path file = dir.resolve("presigner-" + validityHours + ".yaml");
        Files.writeString(file, """
                ca: ca.yaml
                responderKey: %s
                publicationSignerKey: %s
                validityHours: %d
                chunkSize: 2
                """.formatted(RESPONDER, PUBLISHER, validityHours));
        return file;
    }

    OcspPresigner presigner() {
        return OcspPresigner.forCa(ca, RESPONDER, new OcspPresigner.Settings(config.validity(), config.chunkSizeOrDefault(),
                config.progressPercentOrDefault(), new PrintStream(System.err, true)),
                new AuditedPresignerEvents(AuditedPresignerEvents.caLog(ca.config()), AuditedPresignerEvents.system()), clock);
    }

    /** Issues subscriber certificates from fresh EC keys. */
    List<X509Certificate> issue(int n) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        for (int i = 0; i < n; i++) {
            var keys = g.generateKeyPair();
            byte[] csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=Subscriber " + i + " " + System.nanoTime() + ",C=JP"),
                    keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())).getEncoded();
            out.add(ca.issuer().issue(null, csr, "subscriber-signature").certificate());
        }
        return out;
    }

    void revoke(X509Certificate cert, RevocationReason reason) {
        ca.issuer().revoke(cert.getSerialNumber().toString(16), reason, "Test Operator");
    }

    /** What {@code ca crl} does: the next CRL and a signed audit checkpoint. */
    void crlAndCheckpoint() throws SQLException {
        ca.crlIssuer().issue();
        try (Connection c = ca.database().dataSource().getConnection()) {
            AuditedPresignerEvents.caLog(ca.config()).checkpoint(c, new SignerCheckpointSigner(ca.issuingSigner()));
            c.commit();
        }
    }

    X509Certificate issuingCert() {
        return ca.token().certificateChain(ISSUING)[0];
    }

    X509Certificate rootCert() {
        X509Certificate[] chain = ca.token().certificateChain(ISSUING);
        return chain[chain.length - 1];
    }

    X509Certificate responderCert() {
        return ca.token().certificateChain(RESPONDER)[0];
    }

    byte[] storedResponse(BigInteger serial) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("SELECT der FROM ocsp_response WHERE serial = ?")) {
            ps.setString(1, serial.toString(16));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        }
    }

    long count(String sql) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static Path writePem(Path file, Object... objects) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                p.writeObject(o);
            }
        }
        Files.writeString(file, w.toString());
        return file;
    }

    record Run(int exit, String output) {}

    /**
     * Runs an outside program (openssl, pdfsig, certutil) with a deadline: output goes to a file so a full pipe
     * cannot block it, and a program still running after 60 s is killed and fails the test with what it printed.
     */
    static Run run(Path dir, String... command) throws Exception {
        Path log = Files.createTempFile(dir, "process-", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within 60 s:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Override
    public void close() {
        ca.close();
    }
}
