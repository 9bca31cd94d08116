package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.testsupport.SoftHsmToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * CA key backup and restore on SoftHSM2, under a 2-of-N quorum each: the issuing key, generated sensitive and
 * extractable only wrapped (hsm.keyBackup: wrap), is wrapped in the HSM under a key-encryption key split 2-of-3
 * among custodians; a fresh token gets it back from two shares and signs certificates that openssl verifies against
 * the original issuing CA certificate (the same public key). Too few shares, a share altered, a key generated
 * non-extractable: refused, with no approval spent on the share checks.
 */
class KeyBackupTest {

    private static CaCommand.Result ca(String... args) {
        return CaCommand.run(args);
    }

    @Test
    void issuingKeyBackedUpUnderSplitKekAndRestoredIntoFreshTokenSignsForTheSamePublicKey() throws Exception {
        try (CaFixture f = CaFixture.create("backup", "EC-P256", "EC-P256")) {
            String cfg = f.configFile.toString();
            Path[] alice = QuorumTestSupport.fileCredential(f.dir, "Alice Operator");
            Path[] bob = QuorumTestSupport.fileCredential(f.dir, "Bob Witness");
            String base = Files.readString(f.configFile);
            assertThat(base).contains("  parallelism: 2\n");
            Files.writeString(f.configFile, base.replaceFirst("  parallelism: 2\n", "  parallelism: 2\n  keyBackup: wrap\n")
                    + """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                      quorum: { backup: 2, restore: 2 }
                    """.formatted(alice[0], bob[0]));
            CaCommand.Result ceremony = ca("--config", cfg, "ceremony", "--operator", "Op");
            assertThat(ceremony.exit()).as(ceremony.err()).isZero();
            assertThat(Files.readString(f.dir.resolve("ceremony/ceremony-transcript.txt"))).contains("sensitive, EXTRACTABLE");

            // Backup under the quorum: the act names the key, the token, N and M.
            Path out = f.dir.resolve("backup");
            String[] backup = {"backup-key", "--label", "issuing-test", "--out", out.toString(), "--custodians", "3",
                    "--threshold", "2"};
            Path act = f.dir.resolve("backup-act.json");
            assertThat(ca(concat(new String[] {"--config", cfg, "approval", "request", "--out", act.toString(), "--"},
                    backup)).exit()).isZero();
            QuorumTestSupport.sign(act, alice, f.dir.resolve("ba.sig"));
            CaCommand.Result oneApproval = ca(concat(new String[] {"--config", cfg}, backup,
                    new String[] {"--approvals", f.dir.resolve("ba.sig").toString()}));
            assertThat(oneApproval.exit()).isEqualTo(1);
            QuorumTestSupport.sign(act, bob, f.dir.resolve("bb.sig"));
            CaCommand.Result backedUp = ca(concat(new String[] {"--config", cfg}, backup,
                    new String[] {"--approvals", f.dir.resolve("ba.sig").toString(), f.dir.resolve("bb.sig").toString()}));
            assertThat(backedUp.exit()).as(backedUp.out() + backedUp.err()).isZero();
            assertThat(out.resolve("share-1.txt")).exists();
            assertThat(out.resolve("share-3.txt")).exists();
            // The file holds the key only wrapped: not a PKCS#8 structure an EC private key would start with.
            String json = Files.readString(out.resolve("backup.json"));
            assertThat(json).contains("\"wrappedKey\"", "CKM_AES_KEY_WRAP_PAD");
            byte[] wrapped = Base64.getDecoder().decode(json.replaceAll("(?s).*\"wrappedKey\" : \"([^\"]+)\".*", "$1"));
            assertThat(wrapped.length % 8).isZero();
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(wrapped)).isInstanceOf(Exception.class);

            // The restore target: a fresh token in another HSM (its own module), initialised with the same label
            // as the one it replaces (the CA's audit log and key URIs name the token), and the same CA database.
            SoftHsmToken fresh = SoftHsmToken.create(f.token.label(), CaFixture.TOKEN_PIN);
            assertThat(fresh.module()).isNotEqualTo(f.token.module());
            Path restoredCfg = f.dir.resolve("restored.yaml");
            Files.writeString(restoredCfg, Files.readString(f.configFile)
                    .replace("module: " + f.token.module() + "\n", "module: " + fresh.module() + "\n"));
            assertThat(Files.readString(restoredCfg)).contains("module: " + fresh.module());
            String rcfg = restoredCfg.toString();
            String backupFile = out.resolve("backup.json").toString();
            String[] restore = {"restore-key", "--backup", backupFile};
            Path ract = f.dir.resolve("restore-act.json");
            CaCommand.Result requested = ca(concat(new String[] {"--config", rcfg, "approval", "request", "--out",
                    ract.toString(), "--"}, restore));
            assertThat(requested.exit()).as(requested.err()).isZero();
            assertThat(requested.out()).contains("backup.sha256 = ", "label = issuing-test");
            QuorumTestSupport.sign(ract, alice, f.dir.resolve("ra.sig"));
            QuorumTestSupport.sign(ract, bob, f.dir.resolve("rb.sig"));
            String[] approvals = {"--approvals", f.dir.resolve("ra.sig").toString(), f.dir.resolve("rb.sig").toString()};

            // One share is not enough; an altered share does not recover the KEK. Neither spends the approvals.
            CaCommand.Result oneShare = ca(concat(new String[] {"--config", rcfg}, restore,
                    new String[] {"--shares", out.resolve("share-2.txt").toString()}, approvals));
            assertThat(oneShare.exit()).isEqualTo(1);
            assertThat(oneShare.err()).contains("needs 2 custodians' shares; 1 given");
            Path altered = f.dir.resolve("share-3-altered.txt");
            String share3 = Files.readString(out.resolve("share-3.txt"));
            String hex = share3.replaceAll("(?s).*share=([0-9a-f]+).*", "$1");
            Files.writeString(altered, share3.replace(hex, (hex.charAt(0) == '0' ? "1" : "0") + hex.substring(1)));
            CaCommand.Result bad = ca(concat(new String[] {"--config", rcfg}, restore,
                    new String[] {"--shares", out.resolve("share-1.txt").toString(), altered.toString()}, approvals));
            assertThat(bad.exit()).isEqualTo(1);
            assertThat(bad.err()).contains("a share is wrong or altered");

            CaCommand.Result restored = ca(concat(new String[] {"--config", rcfg}, restore, new String[] {"--shares",
                    out.resolve("share-1.txt").toString(), out.resolve("share-3.txt").toString()}, approvals));
            assertThat(restored.exit()).as(restored.out() + restored.err()).isZero();
            assertThat(restored.out()).contains("signs for the backed-up public key");

            // The restored token issues; openssl verifies the certificate with the ORIGINAL issuing CA certificate.
            Path csr = f.dir.resolve("after.der");
            Files.write(csr, CaFixture.csr("CN=after restore,C=JP", CaFixture.ecKey("secp256r1")));
            CaCommand.Result issued = ca("--config", rcfg, "issue", "--csr", csr.toString(), "--profile",
                    "subscriber-signature", "--out", f.dir.resolve("after.pem").toString());
            assertThat(issued.exit()).as(issued.err()).isZero();
            assertThat(ExternalVerifiers.openssl(f.dir, "verify", "-CAfile", f.dir.resolve("ceremony/root-ca.pem").toString(),
                    "-untrusted", f.dir.resolve("ceremony/issuing-ca.pem").toString(), f.dir.resolve("after.pem").toString())
                    .output()).contains("after.pem: OK");
            X509Certificate issuing = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(f.dir.resolve("ceremony/issuing-ca.pem")));
            X509Certificate after = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(f.dir.resolve("after.pem")));
            after.verify(issuing.getPublicKey());
            // The restored key signs the CRL and the audit checkpoint (which anchors the backup and restore entries).
            CaCommand.Result crl = ca("--config", rcfg, "crl");
            assertThat(crl.exit()).as(crl.err()).isZero();
            CaCommand.Result audit = ca("--config", rcfg, "audit-verify");
            assertThat(audit.exit()).as(audit.out() + audit.err()).isZero();
        }
    }

    @Test
    void keyGeneratedNonExtractableIsNotBackedUp() throws Exception {
        try (CaFixture f = CaFixture.create("nobackup", "EC-P256", "EC-P256")) {
            String cfg = f.configFile.toString();
            assertThat(ca("--config", cfg, "ceremony", "--operator", "Op").exit()).isZero();
            CaCommand.Result r = ca("--config", cfg, "backup-key", "--label", "issuing-test", "--out",
                    f.dir.resolve("backup").toString(), "--custodians", "3", "--threshold", "2", "--operator", "Op");
            assertThat(r.exit()).isEqualTo(3);
            assertThat(r.err()).contains("generated non-extractable", "hsm.keyBackup: wrap");
            assertThat(f.dir.resolve("backup/backup.json")).doesNotExist();
        }
    }

    private static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
