package dev.shomei.audit;

import dev.shomei.testsupport.TestDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A migrated log in a fresh PostgreSQL database, with a software EC checkpoint key. Tests only. */
final class LogFixture {

    static final String ORIGIN = "shomei.example/test-log";

    final TestDatabase.Database db;
    final AuditLog log;
    final KeyPair keys;
    final CheckpointSigner signer;

    private LogFixture(TestDatabase.Database db, KeyPair keys) {
        this.db = db;
        this.log = new AuditLog(ORIGIN);
        this.keys = keys;
        this.signer = new PrivateKeyCheckpointSigner("test-audit-key", "SHA256withECDSA", keys.getPrivate(), keys.getPublic());
    }

    static LogFixture create() {
        return create(ecKeyPair());
    }

    /** A fresh log signed with the given key (two of them with one key make two histories of one log). */
    static LogFixture create(KeyPair keys) {
        TestDatabase.Database db = TestDatabase.create("audit");
        AuditSchema.migrate(db.dataSource());
        return new LogFixture(db, keys);
    }

    static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static AuditEvent event(int i) {
        Actor actor = switch (i % 3) {
            case 0 -> Actor.person("officer-" + i, "mTLS client cert SHA-256 ab12cd" + i);
            case 1 -> Actor.system("ra-service", "1.4." + i);
            default -> Actor.policy("ra-service", "1.4.0", "approval-policy-v3", "0a1b2c3d" + (i % 10) + "f");
        };
        return AuditEvent.of(actor, "certificate.issued", "serial:" + Integer.toHexString(1000 + i),
                ("detail record " + i).getBytes(StandardCharsets.UTF_8));
    }

    Connection connect() throws SQLException {
        return db.connect();
    }

    /** Appends events {@code from..to-1}, each in its own committed transaction. */
    List<Long> appendAll(int from, int to) throws SQLException {
        List<Long> seqs = new ArrayList<>();
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            for (int i = from; i < to; i++) {
                seqs.add(log.append(c, event(i)));
                c.commit();
            }
        }
        return seqs;
    }

    Checkpoint checkpoint() throws SQLException {
        try (Connection c = connect()) {
            return log.checkpoint(c, signer);
        }
    }

    VerificationReport verify() throws SQLException {
        try (Connection c = connect()) {
            return new AuditVerifier(List.of(keys.getPublic())).verify(c);
        }
    }

    /** Runs statements as the superuser with the append-only triggers disabled, as an attacker with full rights would. */
    void tamper(String... sql) throws SQLException {
        try (Connection c = TestDatabase.connectAsSuperuser(db); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("SET LOCAL session_replication_role = replica");
            for (String s : sql) {
                st.execute(s);
            }
            c.commit();
        }
    }

    Path trustedKeyFile(Path dir) throws IOException {
        return Files.writeString(dir.resolve("audit-key.pem"), TrustedKeys.toPem(keys.getPublic()));
    }

    Path passwordFile(Path dir) throws IOException {
        return Files.writeString(dir.resolve("db.password"), db.password() + "\n");
    }

    /** The CLI's database arguments for this log. */
    List<String> dbArgs(Path dir) throws IOException {
        return List.of("--db-url", db.jdbcUrl(), "--db-user", db.user(), "--db-password-file", passwordFile(dir).toString());
    }

    record CliResult(int exitCode, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static CliResult cli(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = dev.shomei.audit.cli.AuditCli.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        return new CliResult(code, out.toString(), err.toString());
    }

    static List<String> args(Object... parts) {
        List<String> l = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof List<?> list) {
                list.forEach(x -> l.add(x.toString()));
            } else {
                l.add(p.toString());
            }
        }
        return l;
    }
}
