package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shomei.audit.AuditEntry;
import dev.shomei.audit.AuditLog;
import dev.shomei.pkcs11.HsmToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.sql.Connection;
import java.util.List;
import javax.crypto.Cipher;
import org.junit.jupiter.api.Test;

/**
 * The end of a CA key's life on SoftHSM2: destruction under a quorum, recorded with the approvers; the issuing key
 * in use is refused. And why a key generated non-extractable is backed up by the HSM's own mechanism, and why
 * ca backup-key (KeyBackupTest) calls C_WrapKey itself: through SunPKCS11 there is no way to wrap a CA key
 * (no AES key-wrap cipher is offered for SoftHSM2 2.6.1, and its RSA wrap takes secret keys only), besides the key
 * being generated non-extractable (docs/key-ceremony.md, backup).
 */
class KeyEndOfLifeTest {

    private static CaCommand.Result ca(String... args) {
        return CaCommand.run(args);
    }

    @Test
    void delegatedKeyDestroyedByQuorumAndRecorded() throws Exception {
        try (CaFixture f = CaFixture.create("destroy", "EC-P256", "EC-P256")) {
            String cfg = f.configFile.toString();
            assertThat(ca("--config", cfg, "ceremony", "--operator", "Op").exit()).isZero();
            assertThat(ca("--config", cfg, "delegate", "--label", "ocsp-old", "--profile", "ocsp-responder", "--subject",
                    "CN=Old Responder,C=JP", "--operator", "Op").exit()).isZero();
            Path[] alice = QuorumTestSupport.fileCredential(f.dir, "Alice Operator");
            Path[] bob = QuorumTestSupport.fileCredential(f.dir, "Bob Witness");
            Files.writeString(f.configFile, Files.readString(f.configFile) + """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                      quorum: { destruction: 2 }
                    """.formatted(alice[0], bob[0]));

            // The issuing key in use cannot be destroyed, even with a quorum.
            Path issuingAct = f.dir.resolve("issuing.json");
            assertThat(ca("--config", cfg, "approval", "request", "--out", issuingAct.toString(), "--", "destroy-key",
                    "--label", "issuing-test").exit()).isZero();
            QuorumTestSupport.sign(issuingAct, alice, f.dir.resolve("ai.sig"));
            QuorumTestSupport.sign(issuingAct, bob, f.dir.resolve("bi.sig"));
            CaCommand.Result inUse = ca("--config", cfg, "destroy-key", "--label", "issuing-test", "--approvals",
                    f.dir.resolve("ai.sig").toString(), f.dir.resolve("bi.sig").toString());
            assertThat(inUse.exit()).isEqualTo(1);
            assertThat(inUse.err()).contains("is the issuing key in use");

            // One approval is not enough; two destroy it.
            Path act = f.dir.resolve("destroy.json");
            assertThat(ca("--config", cfg, "approval", "request", "--out", act.toString(), "--", "destroy-key",
                    "--label", "ocsp-old").exit()).isZero();
            QuorumTestSupport.sign(act, alice, f.dir.resolve("a.sig"));
            QuorumTestSupport.sign(act, bob, f.dir.resolve("b.sig"));
            CaCommand.Result short1 = ca("--config", cfg, "destroy-key", "--label", "ocsp-old", "--approvals",
                    f.dir.resolve("a.sig").toString());
            assertThat(short1.exit()).isEqualTo(1);
            assertThat(short1.err()).contains("destruction needs 2 approvals");
            CaCommand.Result ok = ca("--config", cfg, "destroy-key", "--label", "ocsp-old", "--approvals",
                    f.dir.resolve("a.sig").toString(), f.dir.resolve("b.sig").toString());
            assertThat(ok.exit()).as(ok.err()).isZero();
            assertThat(ok.out()).contains("destroyed key 'ocsp-old'", "Alice Operator + Bob Witness");

            try (CertificateAuthority ca = f.open()) {
                assertThat(ca.token().labels()).contains("issuing-test").doesNotContain("ocsp-old");
            }
            assertThat(f.count("destroyed_ca_key")).isEqualTo(1);
            try (Connection c = f.db.connect()) {
                AuditLog log = f.auditLog();
                List<AuditEntry> entries = log.entries(c, 0, log.size(c) - 1);
                AuditEntry destroyed = entries.stream().filter(e -> e.event().action().equals("ca-key.destroyed"))
                        .findFirst().orElseThrow();
                assertThat(destroyed.event().actor().id()).isEqualTo("Alice Operator + Bob Witness");
                assertThat(destroyed.event().subject()).isEqualTo("ca-key:ocsp-old token:ca-destroy");
            }
        }
    }

    @Test
    void sunPkcs11OffersNoWayToWrapACaKey() throws Exception {
        try (CaFixture f = CaFixture.create("wrap", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            HsmToken token = ca.token();
            PrivateKey caKey = token.privateKey("issuing-test");
            // SunPKCS11 offers no AES key-wrap cipher for SoftHSM2 2.6.1, and its RSA wrap takes secret keys only.
            java.security.KeyPair kek = CaFixture.rsaKey(3072);
            Cipher wrap = Cipher.getInstance("RSA/ECB/PKCS1Padding", token.provider());
            wrap.init(Cipher.WRAP_MODE, kek.getPublic());
            Throwable refused = catchThrowable(() -> wrap.wrap(caKey));
            assertThat(refused).isInstanceOf(java.security.InvalidKeyException.class);
            assertThat(token.provider().getServices().stream().filter(sv -> sv.getType().equals("Cipher"))
                    .map(java.security.Provider.Service::getAlgorithm)).noneMatch(n -> n.startsWith("AES/KW"));
            assertThat(caKey.getEncoded()).isNull();
        }
    }
}
