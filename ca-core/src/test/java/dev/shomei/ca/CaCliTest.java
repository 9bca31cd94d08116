package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ca.cli.CaCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code ca} command as an operator runs it: ceremony, issue, revoke, crl, show, with exit codes
 * and readable messages; every act lands in the audit log, which verifies against the HSM key's checkpoint.
 */
class CaCliTest {

    record Result(int exit, String out, String err) {}

    private static Result ca(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            int code = CaCli.run(args);
            return new Result(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void operatorLifecycleThroughTheCommandLine() throws Exception {
        try (CaFixture f = CaFixture.create("cli", "EC-P384", "EC-P256")) {
            String cfg = f.configFile.toString();
            Result ceremony = ca("--config", cfg, "ceremony", "--operator", "Sato Hanako", "--witness", "Kato Jun");
            assertThat(ceremony.exit()).as(ceremony.err()).isZero();
            assertThat(ceremony.out()).contains("Step 1", "Step 6", "SHA-256: ", "SHA-1:   ");

            // A second ceremony with the same labels is refused: keys are never overwritten.
            Result again = ca("--config", cfg, "ceremony", "--operator", "Sato Hanako");
            assertThat(again.exit()).isEqualTo(2);
            assertThat(again.err()).contains("not empty");

            Path csr = f.dir.resolve("req.der");
            Files.write(csr, CaFixture.csr("CN=Tanaka Kenji,C=JP", CaFixture.ecKey("secp256r1")));
            Path pem = f.dir.resolve("cert.pem");
            Result issue = ca("--config", cfg, "issue", "--csr", csr.toString(), "--profile", "subscriber-signature",
                    "--out", pem.toString());
            assertThat(issue.exit()).as(issue.err()).isZero();
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(pem));
            String serial = cert.getSerialNumber().toString(16);
            assertThat(issue.out()).contains("issued: serial " + serial);
            assertThat(ca("--config", cfg, "issue", "--csr", csr.toString(), "--profile", "subscriber-signature").out())
                    .contains("already issued for this request: serial " + serial);

            Result revoke = ca("--config", cfg, "revoke", "--serial", serial, "--reason", "keyCompromise",
                    "--operator", "Sato Hanako");
            assertThat(revoke.exit()).as(revoke.err()).isZero();
            Result twice = ca("--config", cfg, "revoke", "--serial", serial, "--reason", "keyCompromise",
                    "--operator", "Sato Hanako");
            assertThat(twice.exit()).isEqualTo(1);
            assertThat(twice.err()).contains("already revoked");

            Path crl = f.dir.resolve("issuing.crl");
            Path checkpoint = f.dir.resolve("audit-checkpoint.txt");
            Result crlRun = ca("--config", cfg, "crl", "--out", crl.toString(), "--checkpoint-out", checkpoint.toString());
            assertThat(crlRun.exit()).as(crlRun.err()).isZero();
            assertThat(crlRun.out()).contains("CRL 1: 1 revoked certificate(s)");
            assertThat(ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", crl.toString(), "-noout", "-text")
                    .output()).containsPattern("Serial Number: 0*" + serial.toUpperCase());
            assertThat(Files.readString(checkpoint)).startsWith("shomei-audit-checkpoint/v1");

            // Scheduled CRLs: nothing is due right after one; a revocation makes the next one due at once.
            assertThat(ca("--config", cfg, "crl", "--if-due").out()).contains("no CRL due");
            Path csr2 = f.dir.resolve("req2.der");
            Files.write(csr2, CaFixture.csr("CN=Tanaka Yuki,C=JP", CaFixture.ecKey("secp256r1")));
            Path pem2 = f.dir.resolve("cert2.pem");
            assertThat(ca("--config", cfg, "issue", "--csr", csr2.toString(), "--profile", "subscriber-signature",
                    "--out", pem2.toString()).exit()).isZero();
            String serial2 = ((X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(pem2))).getSerialNumber().toString(16);
            assertThat(ca("--config", cfg, "revoke", "--serial", serial2, "--reason", "superseded", "--operator", "Sato Hanako")
                    .exit()).isZero();
            assertThat(ca("--config", cfg, "crl", "--if-due").out()).contains("CRL due: 1 revocation(s) not yet on a CRL (latest: CRL 1)", "CRL 2: 2 revoked");

            Result show = ca("--config", cfg, "show");
            assertThat(show.out()).contains("ROOT root-test", "ISSUING issuing-test", "certificates issued: 2, revoked: 2",
                    "latest CRL: number 2");
            assertThat(ca("--config", cfg, "show", "--serial", serial).out()).contains("revoked at", "keyCompromise",
                    "Sato Hanako");
            assertThat(ca("--config", cfg, "health").out()).contains("ok: pkcs11:token=ca-cli;object=issuing-test");

            // The audit log holds every act (2 CA keys, 1 issuance, 1 revocation, 1 CRL) and verifies
            // against the checkpoint signed by the issuing key in the HSM.
            X509Certificate issuing = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(f.dir.resolve("ceremony/issuing-ca.cer")));
            try (Connection c = f.db.connect()) {
                // the token on record, 2 CA keys, 2 issuances, 2 revocations, 2 CRLs
                assertThat(new AuditLog("shomei/ca/ca-cli").size(c)).isEqualTo(9);
                VerificationReport report = new AuditVerifier(List.of(issuing.getPublicKey())).verify(c);
                assertThat(report.ok()).as(report.render()).isTrue();
                assertThat(report.checkpointsChecked()).isEqualTo(2);
            }
        }
    }

    @Test
    void badInvocationsExitWithTheirCodesAndSayWhy() throws Exception {
        Result noConfig = ca("--config", "/nonexistent/ca.yaml", "show");
        assertThat(noConfig.exit()).isEqualTo(2);
        assertThat(noConfig.err()).contains("/nonexistent/ca.yaml not found");
        Result usage = ca("revoke", "--serial", "01");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("Missing required option");
        try (CaFixture f = CaFixture.create("clibad", "EC-P256", "EC-P256")) {
            String cfg = f.configFile.toString();
            assertThat(ca("--config", cfg, "ceremony", "--operator", "Op").exit()).isZero();
            Path garbage = f.dir.resolve("garbage.csr");
            Files.writeString(garbage, "-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n");
            Result bad = ca("--config", cfg, "issue", "--csr", garbage.toString(), "--profile", "subscriber-signature");
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("ca issue: refused:");
            Result badReason = ca("--config", cfg, "revoke", "--serial", "01", "--reason", "certificateHold", "--operator", "Op");
            assertThat(badReason.exit()).isEqualTo(2);
            assertThat(badReason.err()).contains("certificateHold is not offered");
            // A wrong PIN is an HSM failure, exit 3, and the PIN is not printed.
            Files.writeString(f.token.directory().resolve("user.pin"), "9999-wrong\n");
            Result wrongPin = ca("--config", cfg, "show");
            assertThat(wrongPin.exit()).isEqualTo(3);
            assertThat(wrongPin.err()).contains("wrong PIN").doesNotContain("9999-wrong");
        }
    }
}
