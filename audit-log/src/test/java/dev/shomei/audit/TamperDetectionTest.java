package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.audit.VerificationReport.Kind;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Someone with more rights than the application (a superuser who disables the triggers) changes the
 * stored log; the verifier and `audit verify` must both notice and name where.
 *
 * <p>Every test starts from 20 entries with checkpoints at sizes 12 and 20.
 */
class TamperDetectionTest {

    @TempDir
    Path dir;

    LogFixture f;

    @BeforeEach
    void twentyEntriesTwoCheckpoints() throws Exception {
        f = LogFixture.create();
        f.appendAll(0, 12);
        f.checkpoint();
        f.appendAll(12, 20);
        f.checkpoint();
        VerificationReport clean = f.verify();
        assertThat(clean.ok()).as(clean.render()).isTrue();
        assertThat(clean.passed()).hasSize(5);
        assertCli(0, "RESULT: VERIFIED");
    }

    private LogFixture.CliResult assertCli(int exitCode, String... mustContain) throws Exception {
        LogFixture.CliResult r = LogFixture.cli(LogFixture.args("verify", f.dbArgs(dir), "--trusted-key",
                f.trustedKeyFile(dir)));
        assertThat(r.exitCode()).as(r.all()).isEqualTo(exitCode);
        assertThat(r.out()).contains(mustContain);
        return r;
    }

    private static List<Kind> kinds(VerificationReport r) {
        return r.problems().stream().map(VerificationReport.Problem::kind).toList();
    }

    private byte[] storedHash(long seq) throws Exception {
        try (Connection c = f.connect()) {
            return f.log.entry(c, seq).orElseThrow().entryHash();
        }
    }

    @Test
    void aChangedRowIsNamedWithItsExpectedAndFoundHash() throws Exception {
        byte[] original = storedHash(5);
        f.tamper("UPDATE audit_entry SET subject = 'serial:forged' WHERE seq = 5");

        VerificationReport r = f.verify();
        assertThat(r.ok()).isFalse();
        VerificationReport.Problem first = r.firstBadEntry().orElseThrow();
        assertThat(first.kind()).isEqualTo(Kind.ENTRY_CHANGED);
        assertThat(first.seq()).isEqualTo(5);
        assertThat(first.expected()).isEqualTo(HexFormat.of().formatHex(original));
        assertThat(first.found()).isNotEqualTo(first.expected());
        // Both signed roots now disagree with the entries.
        assertThat(kinds(r)).containsExactly(Kind.ENTRY_CHANGED, Kind.CHECKPOINT_ROOT_MISMATCH,
                Kind.CHECKPOINT_ROOT_MISMATCH);

        assertCli(1, "entry 5: its content does not match its stored hash", HexFormat.of().formatHex(original),
                "first bad entry: seq 5");
    }

    @Test
    void aChangedRowWithARecomputedHashBreaksTheChain() throws Exception {
        AuditEntry e;
        try (Connection c = f.connect()) {
            e = f.log.entry(c, 5).orElseThrow();
        }
        AuditEvent forged = new AuditEvent(e.event().actor(), e.event().action(), "serial:forged", e.event().detailSha256());
        AuditEntry rewritten = AuditEntry.create(5, e.time(), forged, e.prevHash());
        f.tamper("UPDATE audit_entry SET subject = 'serial:forged', entry_hash = '\\x"
                + HexFormat.of().formatHex(rewritten.entryHash()) + "' WHERE seq = 5");

        VerificationReport r = f.verify();
        VerificationReport.Problem first = r.firstBadEntry().orElseThrow();
        assertThat(first.kind()).isEqualTo(Kind.CHAIN_BROKEN);
        assertThat(first.seq()).isEqualTo(5);
        assertThat(first.message()).contains("entry 6 does not link to entry 5");
        assertThat(first.expected()).isEqualTo(HexFormat.of().formatHex(rewritten.entryHash()));
        assertThat(first.found()).isEqualTo(HexFormat.of().formatHex(e.entryHash()));

        assertCli(1, "entry 6 does not link to entry 5", "first bad entry: seq 5");
    }

    @Test
    void aDeletedRowIsNamed() throws Exception {
        f.tamper("DELETE FROM audit_entry WHERE seq = 7");

        VerificationReport r = f.verify();
        VerificationReport.Problem first = r.firstBadEntry().orElseThrow();
        assertThat(first.kind()).isEqualTo(Kind.ENTRY_MISSING);
        assertThat(first.seq()).isEqualTo(7);
        assertThat(kinds(r)).contains(Kind.CHECKPOINT_NOT_COVERED);

        assertCli(1, "entry 7 is missing: entry 6 is followed by entry 8", "first bad entry: seq 7");
    }

    @Test
    void swappedRowsAreNamed() throws Exception {
        f.tamper("UPDATE audit_entry SET seq = 1000000 WHERE seq = 3",
                "UPDATE audit_entry SET seq = 3 WHERE seq = 4",
                "UPDATE audit_entry SET seq = 4 WHERE seq = 1000000");

        VerificationReport r = f.verify();
        VerificationReport.Problem first = r.firstBadEntry().orElseThrow();
        assertThat(first.kind()).isEqualTo(Kind.ENTRY_CHANGED);
        assertThat(first.seq()).isEqualTo(3);
        assertThat(r.problems()).anyMatch(p -> p.seq() == 4 && p.kind() == Kind.ENTRY_CHANGED);

        assertCli(1, "entry 3: its content does not match its stored hash", "first bad entry: seq 3");
    }

    @Test
    void aTruncatedTailIsCaughtByTheCheckpointEvenIfTheHeadIsRewound() throws Exception {
        // Remove entries 15..19 and make the head point at entry 14, so the rows alone look like a clean log.
        f.tamper("DELETE FROM audit_entry WHERE seq >= 15",
                "UPDATE audit_head SET seq = 14, entry_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 14)");

        VerificationReport r = f.verify();
        assertThat(kinds(r)).containsExactly(Kind.CHECKPOINT_NOT_COVERED);
        VerificationReport.Problem first = r.firstBadEntry().orElseThrow();
        assertThat(first.seq()).isEqualTo(15);
        assertThat(first.message()).contains("(size 20)", "entries 15..19 were removed");

        assertCli(1, "the log ends at entry 14: entries 15..19 were removed", "first bad entry: seq 15");
    }

    @Test
    void aTailRemovedTogetherWithItsStoredCheckpointIsCaughtByThePublishedOne() throws Exception {
        Checkpoint published;
        try (Connection c = f.connect()) {
            published = f.log.latestCheckpoint(c).orElseThrow();
        }
        Path publishedFile = java.nio.file.Files.writeString(dir.resolve("published.checkpoint"), published.text());
        // Remove entries 15..19, rewind the head, and delete the stored checkpoint that covered them.
        f.tamper("DELETE FROM audit_entry WHERE seq >= 15",
                "UPDATE audit_head SET seq = 14, entry_hash = (SELECT entry_hash FROM audit_entry WHERE seq = 14)",
                "DELETE FROM audit_checkpoint WHERE tree_size = 20");
        assertThat(f.verify().ok()).as("the database alone now looks consistent").isTrue();

        VerificationReport r;
        try (Connection c = f.connect()) {
            r = new AuditVerifier(List.of(f.keys.getPublic())).verify(c, List.of(published));
        }
        assertThat(kinds(r)).containsExactly(Kind.CHECKPOINT_NOT_COVERED);
        assertThat(r.firstBadEntry().orElseThrow().seq()).isEqualTo(15);

        LogFixture.CliResult cli = LogFixture.cli(LogFixture.args("verify", f.dbArgs(dir), "--trusted-key",
                f.trustedKeyFile(dir), "--checkpoint", publishedFile));
        assertThat(cli.exitCode()).as(cli.all()).isEqualTo(1);
        assertThat(cli.out()).contains("published checkpoint of", "(size 20) covers entries 0..19",
                "entries 15..19 were removed", "first bad entry: seq 15");
    }

    @Test
    void aTruncatedTailWithoutRewindingTheHeadIsCaughtByTheHead() throws Exception {
        f.tamper("DELETE FROM audit_entry WHERE seq >= 18");
        VerificationReport r = f.verify();
        assertThat(kinds(r)).containsExactlyInAnyOrder(Kind.HEAD_MISMATCH, Kind.CHECKPOINT_NOT_COVERED);
        assertThat(r.firstBadEntry().orElseThrow().seq()).isEqualTo(18);
        assertCli(1, "the head row says the last entry is 19 but the last stored entry is 17");
    }

    @Test
    void aForkedHistoryIsDetected() throws Exception {
        // An insider rewrites entries 14..19 with recomputed hashes and signs that history too, with the real key.
        List<AuditEntry> entries;
        try (Connection c = f.connect()) {
            entries = f.log.entries(c, 0, 19);
        }
        List<String> sql = new ArrayList<>();
        LeafHashes leaves = new LeafHashes();
        MerkleFrontier frontier = MerkleFrontier.empty();
        byte[] prev = null;
        for (AuditEntry e : entries) {
            AuditEntry x = e;
            if (e.seq() >= 14) {
                AuditEvent forged = new AuditEvent(e.event().actor(), e.event().action(), "serial:forged-" + e.seq(),
                        e.event().detailSha256());
                x = AuditEntry.create(e.seq(), e.time(), forged, prev);
                sql.add("UPDATE audit_entry SET subject = '" + forged.subject() + "', prev_hash = '\\x" + hex(prev)
                        + "', entry_hash = '\\x" + hex(x.entryHash()) + "' WHERE seq = " + e.seq());
            }
            prev = x.entryHash();
            leaves.add(x.entryHash());
            frontier.append(x.entryHash());
        }
        sql.add("UPDATE audit_head SET entry_hash = '\\x" + hex(prev) + "'");
        Checkpoint forgedCp = Checkpoint.sign(LogFixture.ORIGIN, 20, new MerkleTree(leaves).rootHash(20), Instant.now(),
                f.signer);
        sql.add("INSERT INTO audit_checkpoint (origin, tree_size, root_hash, signed_at, key_name, checkpoint, frontier)"
                + " VALUES ('" + LogFixture.ORIGIN + "', 20, '\\x" + forgedCp.rootHex() + "', now(), 'test-audit-key', '"
                + forgedCp.text() + "', '\\x" + hex(frontier.encode()) + "')");
        f.tamper(sql.toArray(String[]::new));

        VerificationReport r = f.verify();
        assertThat(kinds(r)).containsExactlyInAnyOrder(Kind.CHECKPOINT_ROOT_MISMATCH, Kind.FORK);
        assertThat(r.problems()).anyMatch(p -> p.kind() == Kind.FORK && p.message().contains("checkpoint #2 (size 20)")
                && p.message().contains("checkpoint #3 (size 20)"));
        assertThat(r.problems()).anyMatch(p -> p.kind() == Kind.CHECKPOINT_ROOT_MISMATCH
                && p.message().contains("the change is in 12..19"));

        assertCli(1, "two different histories were signed", "checkpoint #2 (size 20)", "checkpoint #3 (size 20)",
                "the change is in 12..19");
    }

    @Test
    void aCheckpointSignedByAnUntrustedKeyIsReported() throws Exception {
        var kp = LogFixture.ecKeyPair();
        CheckpointSigner other = new PrivateKeyCheckpointSigner("rogue-key", "SHA256withECDSA", kp.getPrivate(), kp.getPublic());
        try (Connection c = f.connect()) {
            f.log.checkpoint(c, other);
        }
        VerificationReport r = f.verify();
        assertThat(kinds(r)).containsExactly(Kind.CHECKPOINT_SIGNATURE);
        assertCli(1, "checkpoint #3 (size 20) is not signed by any trusted key (it names key rogue-key");
    }

    @Test
    void anAlteredCheckpointRowIsReported() throws Exception {
        f.tamper("UPDATE audit_checkpoint SET tree_size = 19 WHERE id = 2");
        VerificationReport r = f.verify();
        assertThat(kinds(r)).containsExactly(Kind.CHECKPOINT_MALFORMED);
        assertCli(1, "checkpoint #2: its columns (size 19");
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }


    @Test
    void aRebuiltDatabaseDoesNotMatchTheCheckpointPublishedBeforeIt() throws Exception {
        // What was published while the log was honest.
        LogFixture real = LogFixture.create();
        real.appendAll(0, 6);
        Checkpoint published = real.checkpoint();
        // The same log rebuilt from scratch by someone holding the checkpoint key: internally consistent, and
        // checkpointed, so the database alone verifies.
        LogFixture rebuilt = LogFixture.create(real.keys);
        rebuilt.appendAll(0, 2);
        rebuilt.appendAll(9, 10);
        rebuilt.appendAll(3, 8);
        rebuilt.checkpoint();
        assertThat(rebuilt.verify().ok()).as("the database alone looks consistent").isTrue();
        try (Connection c = rebuilt.connect()) {
            VerificationReport r = new AuditVerifier(List.of(real.keys.getPublic())).verify(c, List.of(published));
            assertThat(r.ok()).as(r.render()).isFalse();
            assertThat(r.problems()).extracting(VerificationReport.Problem::kind)
                    .contains(VerificationReport.Kind.CHECKPOINT_ROOT_MISMATCH);
            assertThat(r.render()).contains("published checkpoint of", "(size 6): the signed root differs");
        }
    }
}
