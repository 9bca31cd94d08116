package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.issuance.RevocationReason;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CA's records cannot be rewritten: the CA connects as the service role, which may append but not UPDATE,
 * DELETE, TRUNCATE, ALTER or switch off triggers; the triggers stop even the owner. Every CRL comes with an
 * audit checkpoint signed in its own transaction.
 */
class CaRecordsTest {

    @Test
    void theServiceRoleCannotRewriteOrRemoveRecords() throws Exception {
        try (CaFixture f = CaFixture.create("records", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            String kept = ca.issuer().issue("order-keep", CaFixture.csr("CN=Kept,C=JP", CaFixture.ecKey("secp256r1")),
                    "subscriber-signature").serialHex();
            String revoked = ca.issuer().issue("order-revoke", CaFixture.csr("CN=Revoked,C=JP",
                    CaFixture.ecKey("secp256r1")), "subscriber-signature").serialHex();
            ca.issuer().revoke(revoked, RevocationReason.KEY_COMPROMISE, "Test Operator");
            ca.crlIssuer().issue();
            long certificates = f.count("certificate");
            long revocations = f.count("revocation");

            try (Connection service = f.db.connectAsService(); Statement st = service.createStatement()) {
                for (String sql : List.of(
                        "UPDATE certificate SET not_after = now() + interval '100 years' WHERE serial = '" + kept + "'",
                        "UPDATE certificate SET serial = serial WHERE serial = '" + kept + "'",
                        "DELETE FROM certificate WHERE serial = '" + kept + "'",
                        "TRUNCATE certificate CASCADE",
                        // Un-revoking: removing or rewriting the revocation, or moving it off the CRL that listed it.
                        "DELETE FROM revocation WHERE serial = '" + revoked + "'",
                        "UPDATE revocation SET reason = 0 WHERE serial = '" + revoked + "'",
                        "UPDATE revocation SET first_crl_number = 99 WHERE serial = '" + revoked + "'",
                        "UPDATE crl SET entries = 0",
                        "DELETE FROM crl",
                        "TRUNCATE crl",
                        "UPDATE ca_key SET label = label",
                        "DELETE FROM ca_key WHERE role = 'ROOT'",
                        "UPDATE executed_order SET status = 'refused'",
                        "ALTER TABLE certificate DISABLE TRIGGER ALL",
                        "ALTER TABLE revocation DISABLE TRIGGER revocation_no_delete",
                        "DROP TRIGGER crl_append_only ON crl",
                        "ALTER TABLE crl OWNER TO " + f.db.serviceUser(),
                        "SET session_replication_role = replica",
                        "INSERT INTO audit_entry SELECT * FROM audit_entry LIMIT 1",
                        "UPDATE audit_head SET seq = seq + 1",
                        "DELETE FROM audit_checkpoint")) {
                    assertThatThrownBy(() -> st.execute(sql)).as(sql).isInstanceOf(SQLException.class)
                            .hasMessageFindingMatch("permission denied|must be owner|must be superuser|append-only"
                                    + "|is set once");
                }
            }
            // Even the owner, who runs the migrations, is stopped by the triggers.
            try (Connection owner = f.db.connect(); Statement st = owner.createStatement()) {
                assertThatThrownBy(() -> st.execute("DELETE FROM revocation WHERE serial = '" + revoked + "'"))
                        .hasMessageContaining("CA records: revocation rows are append-only: DELETE refused");
                assertThatThrownBy(() -> st.execute("UPDATE certificate SET subject = 'CN=Someone Else'"))
                        .hasMessageContaining("CA records: certificate rows are append-only: UPDATE refused");
                assertThatThrownBy(() -> st.execute("UPDATE revocation SET requested_by = 'nobody'"))
                        .hasMessageContaining("only {first_crl_number} may be updated");
            }
            assertThat(f.count("certificate")).isEqualTo(certificates);
            assertThat(f.count("revocation")).isEqualTo(revocations);
        }
    }

    @Test
    void everyCrlComesWithACheckpointCoveringIt() throws Exception {
        try (CaFixture f = CaFixture.create("anchored", "EC-P256", "EC-P256")) {
            AuditLog log = AuditedCaEvents.logFor(f.config());
            try (CertificateAuthority ca = CertificateAuthority.open(f.config(),
                    new AuditedCaEvents(log, AuditedCaEvents.system()), Clock.systemUTC())) {
                ca.ceremony("Test Operator", List.of(), s -> { });
                String serial = ca.issuer().issue("order-1", CaFixture.csr("CN=One,C=JP", CaFixture.ecKey("secp256r1")),
                        "subscriber-signature").serialHex();
                ca.issuer().revoke(serial, RevocationReason.KEY_COMPROMISE, "Test Operator");
                // What the pull loop's CRL-when-due runs (OrdersCommand.crlIfDue).
                assertThat(ca.crlIssuer().dueReason()).isNotNull();
                CrlIssuer.IssuedCrl crl = ca.crlIssuer().issue();
                Checkpoint cp = crl.checkpoint();
                try (Connection c = f.db.connectAsAuditor()) {
                    assertThat(cp.treeSize()).as("the checkpoint covers the crl.issued entry").isEqualTo(log.size(c));
                    assertThat(log.entry(c, cp.treeSize() - 1).orElseThrow().event().action()).isEqualTo("crl.issued");
                    VerificationReport r = new AuditVerifier(List.of(ca.issuingSigner().publicKey())).verify(c, List.of(cp));
                    assertThat(r.ok()).as(r.render()).isTrue();
                }
            }
        }
    }

    @Test
    void checkpointsAreSignedWithAnAuditKeyOfTheirOwnNotTheIssuingKey() throws Exception {
        try (CaFixture f = CaFixture.create("auditkey", "EC-P256", "EC-P256")) {
            java.security.cert.X509Certificate auditCert;
            try (CertificateAuthority ca = f.ceremony()) {
                auditCert = ca.delegate("audit-test", dev.shomei.pkcs11.KeyAlgorithm.parse("EC-P256"),
                        new org.bouncycastle.asn1.x500.X500Name("CN=Shomei Test Audit Checkpoints,C=JP"), "audit-checkpoint");
            }
            f.ca = null;
            String yaml = java.nio.file.Files.readString(f.configFile);
            java.nio.file.Files.writeString(f.configFile, yaml.replace("  nextUpdateHours: 24\n",
                    "  nextUpdateHours: 24\n  auditCheckpointKey: pkcs11:token=" + f.token.label() + ";object=audit-test\n"));
            AuditLog log = AuditedCaEvents.logFor(f.config());
            try (CertificateAuthority ca = CertificateAuthority.open(f.config(),
                    new AuditedCaEvents(log, AuditedCaEvents.system()), Clock.systemUTC())) {
                Checkpoint cp = ca.crlIssuer().issue().checkpoint();
                assertThat(cp.keyName()).endsWith("object=audit-test");
                assertThat(cp.verify(auditCert.getPublicKey())).isTrue();
                assertThat(cp.verify(ca.issuingSigner().publicKey())).as("not the issuing key").isFalse();
            }
            // The issuing key itself (or any CA key) is refused as the audit key.
            java.nio.file.Files.writeString(f.configFile, yaml.replace("  nextUpdateHours: 24\n",
                    "  nextUpdateHours: 24\n  auditCheckpointKey: pkcs11:token=" + f.token.label() + ";object=issuing-test\n"));
            try (CertificateAuthority ca = CertificateAuthority.open(f.config(),
                    new AuditedCaEvents(log, AuditedCaEvents.system()), Clock.systemUTC())) {
                assertThatThrownBy(ca::crlIssuer).hasMessageContaining("crl.auditCheckpointKey");
            }
        }
    }

    @Test
    void startUpRefusesADatabaseThatDoesNotCommitDurably() throws Exception {
        try (CaFixture f = CaFixture.create("durable", "EC-P256", "EC-P256")) {
            try (Connection owner = f.db.connect(); Statement st = owner.createStatement()) {
                // What a DBA might do for speed; the CA's sessions would then lose their last commits in a crash.
                st.execute("ALTER DATABASE " + f.db.jdbcUrl().substring(f.db.jdbcUrl().lastIndexOf('/') + 1)
                        + " SET synchronous_commit = off");
            }
            assertThatThrownBy(f::open).isInstanceOf(dev.shomei.ca.config.ConfigException.class)
                    .hasMessageContaining("refusing to use the database")
                    .hasMessageContaining("synchronous_commit is off")
                    .hasMessageContaining("set synchronous_commit = on");
        }
    }

    @Test
    void theEmbeddedDefaultIsDurableAndTheCaWorksAsTheServiceRole(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path yaml = java.nio.file.Files.writeString(dir.resolve("ca.yaml"), "database:\n  embedded: ca-db\n");
        try (dev.shomei.ca.store.CaDatabase db = dev.shomei.ca.store.CaDatabase.open(dev.shomei.ca.config.CaConfig.load(yaml));
             Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            assertThat(db.description()).contains("passwords in " + dir.resolve("ca-db.pgpass"));
            try (var rs = st.executeQuery("SELECT current_user, current_setting('fsync'), current_setting('synchronous_commit'),"
                    + " current_setting('full_page_writes'), (SELECT tableowner FROM pg_tables WHERE tablename = 'certificate')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ca_service");
                assertThat(List.of(rs.getString(2), rs.getString(3), rs.getString(4))).containsOnly("on");
                assertThat(rs.getString(5)).isEqualTo("ca_owner");
            }
            assertThatThrownBy(() -> st.execute("DELETE FROM certificate")).hasMessageContaining("permission denied");
            c.rollback();
        }
    }
}
