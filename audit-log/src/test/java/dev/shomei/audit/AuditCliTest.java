package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The `audit` command in-process: verify, prove, export and offline verification, and its exit codes. */
class AuditCliTest {

    @TempDir
    Path dir;

    LogFixture f;
    Checkpoint latest;

    @BeforeEach
    void logWithThirteenEntries() throws Exception {
        f = LogFixture.create();
        f.appendAll(0, 9);
        f.checkpoint();
        f.appendAll(9, 13);
        latest = f.checkpoint();
        f.appendAll(13, 15); // not yet covered by a checkpoint
    }

    private LogFixture.CliResult run(Object... args) {
        return LogFixture.cli(LogFixture.args(args));
    }

    @Test
    void verifyPrintsEachCheckAndExitsZero() throws Exception {
        LogFixture.CliResult r = run("verify", f.dbArgs(dir), "--trusted-key", f.trustedKeyFile(dir));
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("Audit log " + LogFixture.ORIGIN, "checked 15 entries and 2 checkpoints",
                "OK    hash chain: entries 0..14", "OK    head row", "signed by a trusted key: test-audit-key sha256:",
                "OK    Merkle tree", "OK    consistency: 1 successive checkpoint pairs", "RESULT: VERIFIED");
        assertThat(r.all()).doesNotContain(f.db.password().isEmpty() ? "\u0000" : "password=" + f.db.password());
    }

    @Test
    void verifyWithTheWrongKeyFails() throws Exception {
        Path other = Files.writeString(dir.resolve("other.pem"), TrustedKeys.toPem(LogFixture.ecKeyPair().getPublic()));
        LogFixture.CliResult r = run("verify", f.dbArgs(dir), "--trusted-key", other);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("checkpoint #1 (size 9) is not signed by any trusted key", "RESULT: FAILED, 2 problems");
    }

    @Test
    void proveprintsAnInclusionProofThatChecks() throws Exception {
        LogFixture.CliResult r = run("prove", f.dbArgs(dir), "--seq", 6, "--trusted-key", f.trustedKeyFile(dir));
        assertThat(r.exitCode()).as(r.all()).isZero();
        InclusionProof expected;
        AuditEntry e;
        try (Connection c = f.connect()) {
            expected = f.log.proveInclusion(c, 6, 13);
            e = f.log.entry(c, 6).orElseThrow();
        }
        assertThat(r.out()).contains("Inclusion proof for entry 6 of log " + LogFixture.ORIGIN,
                "entry hash     " + HexFormat.of().formatHex(e.entryHash()),
                latest.text().lines().findFirst().orElseThrow(), "  " + latest.text().lines().toList().get(6),
                "leaf index 6, tree size 13, " + expected.hashes().size() + " hashes",
                "check: OK", "signature: OK, signed by trusted key test-audit-key");
        for (byte[] h : expected.hashes()) {
            assertThat(r.out()).contains(HexFormat.of().formatHex(h));
        }
        // Against an older checkpoint on request.
        LogFixture.CliResult old = run("prove", f.dbArgs(dir), "--seq", 2, "--tree-size", 9);
        assertThat(old.exitCode()).as(old.all()).isZero();
        assertThat(old.out()).contains("tree size 9", "signature: not checked");
    }

    @Test
    void proveRefusesAnEntryNoCheckpointCoversYet() throws Exception {
        LogFixture.CliResult r = run("prove", f.dbArgs(dir), "--seq", 14);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("entry 14 is not covered by the checkpoint of size 13",
                "it will be by a later checkpoint");
    }

    @Test
    void proveFailsWhenTheEntryWasChanged() throws Exception {
        f.tamper("UPDATE audit_entry SET action = 'certificate.revoked' WHERE seq = 4");
        LogFixture.CliResult r = run("prove", f.dbArgs(dir), "--seq", 4);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("WARNING: the entry's content does not match its stored hash", "check: FAILED");
    }

    @Test
    void jsonlExportVerifiesOfflineAndATamperedLineIsNamed() throws Exception {
        Path out = dir.resolve("audit-2026.jsonl");
        LogFixture.CliResult r = run("export", f.dbArgs(dir), "--from", 3, "--to", 10, "--format", "jsonl", "--out", out);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("wrote 8 entries (3..10)", "tree size 13");
        Path cp = dir.resolve("audit-2026.jsonl.checkpoint");
        assertThat(Files.readString(cp)).isEqualTo(latest.text());
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).hasSize(9);
        assertThat(lines.getFirst()).contains("\"format\":\"shomei-audit-export/v1\"", "\"treeSize\":13");

        LogFixture.CliResult ok = run("verify", "--export", out, "--checkpoint", cp, "--trusted-key", f.trustedKeyFile(dir));
        assertThat(ok.exitCode()).as(ok.all()).isZero();
        assertThat(ok.out()).contains("OK    hash chain: entries 3..10", "inclusion: all 8 entries proven included",
                "RESULT: VERIFIED");

        // An auditor's copy altered after export: entry 7's subject.
        String line = lines.get(5);
        assertThat(line).contains("\"seq\":7");
        lines.set(5, line.replaceFirst("\"subject\":\"[^\"]*\"", "\"subject\":\"serial:forged\""));
        Files.write(out, lines, StandardCharsets.UTF_8);
        LogFixture.CliResult bad = run("verify", "--export", out, "--checkpoint", cp, "--trusted-key", f.trustedKeyFile(dir));
        assertThat(bad.exitCode()).as(bad.all()).isEqualTo(1);
        assertThat(bad.out()).contains("entry 7: its content does not match its stored hash",
                "entry 7: its inclusion proof does not lead to the checkpoint's root", "first bad entry: seq 7");
    }

    @Test
    void csvExportOfTheWholeTreeVerifiesOffline() throws Exception {
        Path out = dir.resolve("audit.csv");
        LogFixture.CliResult r = run("export", f.dbArgs(dir), "--format", "csv", "--out", out);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("wrote 13 entries (0..12)");
        List<String> lines = Files.readAllLines(out);
        assertThat(lines.getFirst()).startsWith("seq,time,actor_kind,actor_id");
        assertThat(lines).hasSize(14);

        Path cp = dir.resolve("audit.csv.checkpoint");
        LogFixture.CliResult ok = run("verify", "--export", out, "--checkpoint", cp, "--trusted-key", f.trustedKeyFile(dir));
        assertThat(ok.exitCode()).as(ok.all()).isZero();
        assertThat(ok.out()).contains("the complete export gives the checkpoint's root", "RESULT: VERIFIED");

        // Against a checkpoint of another size, the export's proofs do not apply: say so.
        Path older = Files.writeString(dir.resolve("older.checkpoint"), f.log.checkpoints(f.connect()).getFirst().text());
        LogFixture.CliResult wrong = run("verify", "--export", out, "--checkpoint", older, "--trusted-key",
                f.trustedKeyFile(dir));
        assertThat(wrong.exitCode()).isEqualTo(1);
        assertThat(wrong.out()).contains("the export's proofs are for tree size 13 but the checkpoint has size 9",
                "--tree-size 9");
    }

    @Test
    void exportRefusesEntriesNotYetCheckpointed() throws Exception {
        LogFixture.CliResult r = run("export", f.dbArgs(dir), "--from", 0, "--to", 14, "--format", "jsonl", "--out",
                dir.resolve("x.jsonl"));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("entries up to 14 are not all covered by the checkpoint of size 13");
    }

    @Test
    void usageAndConfigurationErrorsExitTwo() throws Exception {
        Path key = f.trustedKeyFile(dir);
        record Case(String why, List<String> args, String message) {}
        List<Case> cases = List.of(
                new Case("no command", List.of(), "name a command"),
                new Case("no trusted key", LogFixture.args("verify", f.dbArgs(dir)), "--trusted-key"),
                new Case("no database", LogFixture.args("verify", "--trusted-key", key), "--db-url and --db-user are required"),
                new Case("unreadable password file", LogFixture.args("verify", "--db-url", f.db.jdbcUrl(), "--db-user",
                        f.db.user(), "--db-password-file", dir.resolve("missing"), "--trusted-key", key),
                        "cannot read --db-password-file"),
                new Case("wrong password", LogFixture.args("verify", "--db-url", f.db.jdbcUrl(), "--db-user", "nobody",
                        "--db-password-file", Files.writeString(dir.resolve("pw"), "wrong-secret"), "--trusted-key", key),
                        "cannot connect to"),
                new Case("not a PostgreSQL URL", LogFixture.args("verify", "--db-url", "jdbc:h2:mem:x", "--db-user", "a",
                        "--trusted-key", key), "must be a PostgreSQL JDBC URL"),
                new Case("key file is not a key", LogFixture.args("verify", f.dbArgs(dir), "--trusted-key",
                        Files.writeString(dir.resolve("junk.pem"), "hello")), "holds no PEM public key"),
                new Case("export without checkpoint", LogFixture.args("verify", "--export", key, "--trusted-key", key),
                        "needs both --export and one --checkpoint"),
                new Case("unknown format", LogFixture.args("export", f.dbArgs(dir), "--format", "xml", "--out",
                        dir.resolve("x")), "export format must be jsonl or csv"));
        for (Case c : cases) {
            LogFixture.CliResult r = LogFixture.cli(c.args());
            assertThat(r.exitCode()).as(c.why() + ": " + r.all()).isEqualTo(2);
            assertThat(r.all()).as(c.why()).contains(c.message());
            assertThat(r.all()).as("never prints the password").doesNotContain("wrong-secret");
        }
    }
}
