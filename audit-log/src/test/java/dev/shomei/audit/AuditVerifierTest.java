package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.audit.VerificationReport.Kind;
import dev.shomei.audit.VerificationReport.Problem;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The audit verifier's every problem kind, each from a log tampered in exactly that way, without a database:
 * the rows {@link AuditVerifier#verify(java.sql.Connection, List)} reads from one snapshot are built here in
 * memory and changed as someone who bypassed the append-only triggers would change them, then handed to the
 * same checks. {@link TamperDetectionTest} runs the main cases against PostgreSQL and through {@code audit
 * verify}; this class covers every branch quickly enough to rerun per mutant (docs/testing.md, mutation
 * testing).
 *
 * <p>Each test starts from a clean log, asserts exactly the problems (kind, entry and the words an auditor reads)
 * and, where the verifier states hashes, the expected and found hash.
 */
class AuditVerifierTest {

    private static final String ORIGIN = LogFixture.ORIGIN;
    private static final Instant T0 = Instant.parse("2026-04-01T09:00:00Z");
    private static final KeyPair KEYS = LogFixture.ecKeyPair();
    private static final CheckpointSigner SIGNER = new PrivateKeyCheckpointSigner("test-audit-key", "SHA256withECDSA",
            KEYS.getPrivate(), KEYS.getPublic());
    private static final AuditVerifier VERIFIER = new AuditVerifier(List.of(KEYS.getPublic()));
    private static final HexFormat HEX = HexFormat.of();

    /** The rows of one log as the verifier reads them: entries, checkpoint rows in stored order, the head row. */
    private static final class Rows {
        final List<AuditEntry> entries = new ArrayList<>();
        final List<AuditRows.CheckpointRow> checkpoints = new ArrayList<>();
        AuditRows.Head head = new AuditRows.Head(null, -1, AuditEntry.GENESIS_PREV_HASH, T0);
        /** A row that cannot be read as an entry, met after the entries above. */
        Long malformedAt;

        Rows append(int n) {
            for (int i = 0; i < n; i++) {
                long seq = entries.size();
                byte[] prev = seq == 0 ? AuditEntry.GENESIS_PREV_HASH : entries.getLast().entryHash();
                AuditEntry e = AuditEntry.create(seq, T0.plusSeconds(seq), LogFixture.event((int) seq), prev);
                entries.add(e);
                head = new AuditRows.Head(ORIGIN, seq, e.entryHash(), T0);
            }
            return this;
        }

        Checkpoint checkpoint() {
            return checkpoint(SIGNER);
        }

        Checkpoint checkpoint(CheckpointSigner signer) {
            Checkpoint cp = sign(ORIGIN, entries.size(), root(entries, entries.size()), signer);
            store(cp);
            return cp;
        }

        void store(Checkpoint cp) {
            checkpoints.add(new AuditRows.CheckpointRow(checkpoints.size() + 1, cp.text(), cp.origin(), cp.treeSize(),
                    cp.rootHash(), new byte[0]));
        }

        /** Replaces entry {@code seq} with other content, keeping its stored hash (a plain UPDATE of a column). */
        void change(long seq, String subject) {
            AuditEntry e = entries.get(index(seq));
            entries.set(index(seq), new AuditEntry(seq, e.time(), withSubject(e, subject), e.prevHash(), e.entryHash()));
        }

        /** Rewrites entry {@code seq} with other content and a recomputed hash over its stored prev_hash. */
        AuditEntry rewrite(long seq, String subject) {
            AuditEntry e = entries.get(index(seq));
            AuditEntry x = AuditEntry.create(seq, e.time(), withSubject(e, subject), e.prevHash());
            entries.set(index(seq), x);
            return x;
        }

        void delete(long seq) {
            entries.remove(index(seq));
        }

        int index(long seq) {
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).seq() == seq) {
                    return i;
                }
            }
            throw new IllegalArgumentException("no entry " + seq);
        }

        VerificationReport verify(Checkpoint... published) throws Exception {
            return verify(VERIFIER, published);
        }

        VerificationReport verify(AuditVerifier verifier, Checkpoint... published) throws Exception {
            return verifier.verify("memory", head, checkpoints, sink -> {
                entries.forEach(sink);
                if (malformedAt != null) {
                    throw new AuditRows.MalformedEntryException(malformedAt, "actor_kind 'ROBOT' is not a kind of actor");
                }
            }, List.of(published));
        }
    }

    private static AuditEvent withSubject(AuditEntry e, String subject) {
        return new AuditEvent(e.event().actor(), e.event().action(), subject, e.event().detailSha256());
    }

    private static byte[] root(List<AuditEntry> entries, long size) {
        List<byte[]> hashes = entries.stream().map(AuditEntry::computeHash).toList();
        return new MerkleTree(LeafHashes.of(hashes)).rootHash(size);
    }

    private static Checkpoint sign(String origin, long size, byte[] root, CheckpointSigner signer) {
        return Checkpoint.sign(origin, size, root, T0.plusSeconds(3600 + size), signer);
    }

    /** 20 entries, checkpoints at 12 and 20 (as TamperDetectionTest). */
    private static Rows twentyEntriesTwoCheckpoints() {
        Rows r = new Rows().append(12);
        r.checkpoint();
        r.append(8);
        r.checkpoint();
        return r;
    }

    private static List<Kind> kinds(VerificationReport r) {
        return r.problems().stream().map(Problem::kind).toList();
    }

    private static Problem only(VerificationReport r, Kind kind) {
        List<Problem> p = r.problems().stream().filter(x -> x.kind() == kind).toList();
        assertThat(p).as(r.render()).hasSize(1);
        return p.getFirst();
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    // ---- clean logs ----

    @Test
    void aCleanLogPassesEveryCheckAndSaysWhich() throws Exception {
        VerificationReport r = twentyEntriesTwoCheckpoints().verify();
        assertThat(r.ok()).as(r.render()).isTrue();
        assertThat(r.problems()).isEmpty();
        assertThat(r.moreProblems()).isFalse();
        assertThat(r.origin()).isEqualTo(ORIGIN);
        assertThat(r.source()).isEqualTo("memory");
        assertThat(r.entriesChecked()).isEqualTo(20);
        assertThat(r.checkpointsChecked()).isEqualTo(2);
        assertThat(r.passed()).containsExactly(
                "hash chain: entries 0..19 each match their hash and link to the previous entry",
                "head row: points at the last entry (19)",
                "signatures: all 2 checkpoints signed by a trusted key: test-audit-key " + AuditVerifier.fingerprint(KEYS.getPublic()),
                "Merkle tree: every checkpoint's root matches the entries (RFC 9162 §2.1.1)",
                "consistency: 1 successive checkpoint pairs proven consistent (RFC 9162 §2.1.4), no forks");
        assertThat(r.firstBadEntry()).isEmpty();
        assertThat(r.render()).endsWith("RESULT: VERIFIED\n").contains("checked 20 entries and 2 checkpoints",
                "  OK    head row: points at the last entry (19)\n").doesNotContain("FAIL");
    }

    @Test
    void aCleanLogWithAPublishedCheckpointCountsItInEveryCheck() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        Checkpoint published = Checkpoint.parse(r.checkpoints.getFirst().text());
        VerificationReport v = r.verify(published);
        assertThat(v.ok()).as(v.render()).isTrue();
        assertThat(v.checkpointsChecked()).isEqualTo(3);
        assertThat(v.passed()).contains(
                "signatures: all 3 checkpoints signed by a trusted key: test-audit-key " + AuditVerifier.fingerprint(KEYS.getPublic()),
                "Merkle tree: every checkpoint's root matches the entries (RFC 9162 §2.1.1), including 1 published");
    }

    @Test
    void anEmptyLogVerifiesAndSaysSo() throws Exception {
        VerificationReport r = new Rows().verify();
        assertThat(r.ok()).as(r.render()).isTrue();
        assertThat(r.origin()).isNull();
        assertThat(r.passed()).containsExactly("head row: points at the last entry (log is empty)",
                "checkpoints: none stored yet (nothing signed to check the entries against)");
        assertThat(r.render()).contains("Audit log (origin unknown) — memory", "checked 0 entries and 0 checkpoints");
    }

    @Test
    void oneEntryAndOneCheckpointAreCountedInTheSingular() throws Exception {
        Rows r = new Rows().append(1);
        r.checkpoint();
        VerificationReport v = r.verify();
        assertThat(v.ok()).as(v.render()).isTrue();
        assertThat(v.passed()).contains("hash chain: entries 0 each match their hash and link to the previous entry");
        // One checkpoint: no pair to prove consistent, so no consistency line.
        assertThat(v.passed()).noneMatch(p -> p.startsWith("consistency"));
        assertThat(v.render()).contains("checked 1 entry and 1 checkpoint\n");
    }

    @Test
    void checkpointsOfOneSizeStoredTwiceAreNeitherAForkNorInconsistent() throws Exception {
        Rows r = new Rows().append(5);
        r.checkpoint();
        r.checkpoint();
        r.append(3);
        r.checkpoint();
        VerificationReport v = r.verify();
        assertThat(v.ok()).as(v.render()).isTrue();
        assertThat(v.passed()).contains(
                "consistency: 1 successive checkpoint pairs proven consistent (RFC 9162 §2.1.4), no forks");
    }

    @Test
    void aVerifierNeedsATrustedKey() {
        assertThatThrownBy(() -> new AuditVerifier(List.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one trusted checkpoint key");
        assertThatThrownBy(() -> new AuditVerifier(null)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- entries ----

    @Test
    void aChangedEntryIsNamedWithTheHashTheLogCommittedToAndBothRootsDisagree() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        byte[] committed = r.entries.get(5).entryHash();
        r.change(5, "serial:forged");
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_CHANGED, Kind.CHECKPOINT_ROOT_MISMATCH,
                Kind.CHECKPOINT_ROOT_MISMATCH);
        Problem p = v.problems().getFirst();
        assertThat(p.seq()).isEqualTo(5);
        assertThat(p.expected()).isEqualTo(hex(committed));
        assertThat(p.found()).isEqualTo(hex(r.entries.get(5).computeHash()));
        assertThat(p.message()).isEqualTo("entry 5: its content does not match its stored hash; it was changed after"
                + " it was written (or rows were swapped)");
        // The root mismatches point back at the entry instead of guessing.
        assertThat(v.problems().subList(1, 3)).allMatch(x -> x.message().endsWith("(entry 5 is bad, above)")
                && !x.aboutEntry());
        assertThat(v.passed()).noneMatch(x -> x.startsWith("hash chain") || x.startsWith("Merkle tree"));
        assertThat(v.firstBadEntry()).contains(p);
        assertThat(v.render()).contains("  FAIL  entry 5: its content", "          expected: " + hex(committed) + "\n",
                "          found:    " + p.found() + "\n").endsWith("RESULT: FAILED, 3 problems; first bad entry: seq 5\n");
    }

    @Test
    void anEntryRewrittenWithARecomputedHashIsBlamedThroughTheNextEntrysLink() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        byte[] original = r.entries.get(5).entryHash();
        AuditEntry rewritten = r.rewrite(5, "serial:forged");
        r.checkpoints.clear(); // only the chain speaks
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.CHAIN_BROKEN);
        assertThat(p.seq()).isEqualTo(5);
        assertThat(p.message()).isEqualTo("entry 6 does not link to entry 5: entry 5 was rewritten with a recomputed"
                + " hash, or entry 6 was rewritten with its prev_hash");
        assertThat(p.expected()).isEqualTo(hex(rewritten.entryHash()));
        assertThat(p.found()).isEqualTo(hex(original));
        assertThat(kinds(v)).containsExactly(Kind.CHAIN_BROKEN, Kind.NOT_ANCHORED);
    }

    @Test
    void theFirstEntryWithAnotherPredecessorThanGenesisIsBlamedItself() throws Exception {
        Rows r = new Rows().append(3);
        AuditEntry e = r.entries.getFirst();
        byte[] notGenesis = MerkleTree.leafHash(new byte[] {1});
        r.entries.set(0, AuditEntry.create(0, e.time(), e.event(), notGenesis));
        r.head = new AuditRows.Head(ORIGIN, 2, r.entries.get(2).entryHash(), T0);
        VerificationReport v = r.verify();
        List<Problem> broken = v.problems().stream().filter(x -> x.kind() == Kind.CHAIN_BROKEN).toList();
        assertThat(broken).extracting(Problem::seq).containsExactly(0L, 0L);
        assertThat(broken.getFirst().message()).startsWith("entry 0 does not link to entry -1");
        assertThat(broken.getFirst().expected()).isEqualTo(hex(AuditEntry.GENESIS_PREV_HASH));
        assertThat(broken.getFirst().found()).isEqualTo(hex(notGenesis));
        assertThat(broken.get(1).message()).startsWith("entry 1 does not link to entry 0");
    }

    @Test
    void swappedEntriesAreEachChangedAndNotLinkedAsReplacedContent() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        AuditEntry three = r.entries.get(3);
        AuditEntry four = r.entries.get(4);
        // Swapping seq numbers: each row keeps its content and hashes but sits at the other's place.
        r.entries.set(3, new AuditEntry(3, four.time(), four.event(), four.prevHash(), four.entryHash()));
        r.entries.set(4, new AuditEntry(4, three.time(), three.event(), three.prevHash(), three.entryHash()));
        VerificationReport v = r.verify();
        List<Problem> about3and4 = v.problems().stream().filter(x -> x.seq() == 3 || x.seq() == 4).toList();
        assertThat(about3and4).extracting(Problem::kind).containsExactly(Kind.ENTRY_CHANGED, Kind.CHAIN_BROKEN,
                Kind.ENTRY_CHANGED, Kind.CHAIN_BROKEN, Kind.CHAIN_BROKEN);
        assertThat(about3and4.get(1).message()).isEqualTo("entry 3 does not link to entry 2: it was replaced by"
                + " another row's content");
        assertThat(about3and4.get(1).expected()).isEqualTo(hex(r.entries.get(2).entryHash()));
        assertThat(about3and4.get(1).found()).isEqualTo(hex(four.prevHash()));
        // Entry 5 links to the row stored at 4 (entry 3's content): blamed on 4.
        assertThat(v.problems()).anyMatch(x -> x.kind() == Kind.CHAIN_BROKEN && x.seq() == 4
                && x.message().startsWith("entry 5 does not link to entry 4: entry 4 was rewritten"));
        assertThat(v.firstBadEntry().orElseThrow().seq()).isEqualTo(3);
    }

    @Test
    void aDeletedEntryIsNamedAndTheNextLinkIsNotBlamedOnIt() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        r.delete(7);
        VerificationReport v = r.verify();
        // Entry 8's link cannot be checked (its predecessor is gone): one problem for the gap, not two.
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_MISSING, Kind.CHECKPOINT_NOT_COVERED,
                Kind.CHECKPOINT_NOT_COVERED);
        Problem missing = v.problems().getFirst();
        assertThat(missing.seq()).isEqualTo(7);
        assertThat(missing.message()).isEqualTo("entry 7 is missing: entry 6 is followed by entry 8");
        // The tree is built only up to the gap, so both checkpoints are reported as not covered at entry 7.
        assertThat(v.problems().subList(1, 3)).allMatch(p -> p.seq() == 7
                && p.message().endsWith("but entry 7 is missing"));
        assertThat(v.problems().get(1).message()).isEqualTo("checkpoint #1 (size 12) covers entries 0..11 but entry 7"
                + " is missing");
    }

    @Test
    void deletedRangesAreNamedAsRangesAndTheFirstGapBoundsTheTree() throws Exception {
        Rows r = new Rows().append(10);
        r.checkpoint(); // size 10
        r.delete(2);
        r.delete(3);
        r.delete(4);
        r.delete(8);
        Checkpoint early = sign(ORIGIN, 2, root(r.entries, 2), SIGNER);
        r.store(early);
        VerificationReport v = r.verify();
        List<Problem> missing = v.problems().stream().filter(p -> p.kind() == Kind.ENTRY_MISSING).toList();
        assertThat(missing).extracting(Problem::seq).containsExactly(2L, 8L);
        assertThat(missing.getFirst().message()).isEqualTo("entries 2..4 are missing: entry 1 is followed by entry 5");
        assertThat(missing.get(1).message()).isEqualTo("entry 8 is missing: entry 7 is followed by entry 9");
        // The tree stops at the first gap (2): the size-10 checkpoint is not covered there; the size-2 one still is.
        assertThat(only(v, Kind.CHECKPOINT_NOT_COVERED).message())
                .isEqualTo("checkpoint #1 (size 10) covers entries 0..9 but entry 2 is missing");
        assertThat(v.problems()).noneMatch(p -> p.kind() == Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.entriesChecked()).isEqualTo(6);
    }

    @Test
    void anEntryMetTwiceIsMalformed() throws Exception {
        Rows r = new Rows().append(4);
        r.entries.add(r.entries.get(1));
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.ENTRY_MALFORMED);
        assertThat(p.seq()).isEqualTo(1);
        assertThat(p.message()).isEqualTo("entry 1 appears again after entry 3");
        assertThat(v.entriesChecked()).isEqualTo(5);
    }

    @Test
    void anUnreadableRowStopsTheChainAndIsNamed() throws Exception {
        Rows r = new Rows().append(6);
        r.checkpoint();
        r.malformedAt = 6L;
        r.head = new AuditRows.Head(ORIGIN, 6, r.entries.get(5).entryHash(), T0);
        VerificationReport v = r.verify();
        Problem p = v.problems().getFirst();
        assertThat(p.kind()).isEqualTo(Kind.ENTRY_MALFORMED);
        assertThat(p.seq()).isEqualTo(6);
        assertThat(p.message()).isEqualTo("entry 6 is malformed: actor_kind 'ROBOT' is not a kind of actor; entries"
                + " after it were not checked");
        assertThat(v.passed()).noneMatch(x -> x.startsWith("hash chain"));
    }

    // ---- the head row ----

    @Test
    void aHeadAheadOfTheEntriesSaysWhichWereRemoved() throws Exception {
        Rows r = new Rows().append(20);
        r.checkpoints.clear();
        r.entries.subList(18, 20).clear();
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.HEAD_MISMATCH);
        assertThat(p.seq()).isEqualTo(18);
        assertThat(p.message()).isEqualTo("the head row says the last entry is 19 but the last stored entry is 17:"
                + " entries 18..19 were removed");
        assertThat(v.passed()).noneMatch(x -> x.startsWith("head row"));
    }

    @Test
    void aHeadOneAheadNamesTheOneEntry() throws Exception {
        Rows r = new Rows().append(5);
        r.entries.removeLast();
        VerificationReport v = r.verify();
        assertThat(only(v, Kind.HEAD_MISMATCH).message()).endsWith("entries 4 were removed");
    }

    @Test
    void entriesBeyondTheHeadWereAddedWithoutAdvancingIt() throws Exception {
        Rows r = new Rows().append(5);
        AuditRows.Head before = r.head;
        r.append(2);
        r.head = before;
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.HEAD_MISMATCH);
        assertThat(p.seq()).isEqualTo(5);
        assertThat(p.message()).isEqualTo("the head row says the last entry is 4 but entries up to 6 are stored:"
                + " entries were added without advancing the head");
    }

    @Test
    void aHeadWithAnotherHashThanTheLastEntryIsNamedWithBoth() throws Exception {
        Rows r = new Rows().append(5);
        byte[] other = MerkleTree.leafHash(new byte[] {9});
        r.head = new AuditRows.Head(ORIGIN, 4, other, T0);
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.HEAD_MISMATCH);
        assertThat(p.seq()).isEqualTo(4);
        assertThat(p.message()).isEqualTo("the head row's hash does not match entry 4");
        assertThat(p.expected()).isEqualTo(hex(other));
        assertThat(p.found()).isEqualTo(hex(r.entries.get(4).entryHash()));
    }

    @Test
    void anEmptyLogWhoseHeadClaimsAnEntryIsReported() throws Exception {
        Rows r = new Rows();
        r.head = new AuditRows.Head(ORIGIN, 0, MerkleTree.leafHash(new byte[] {9}), T0);
        VerificationReport v = r.verify();
        assertThat(only(v, Kind.HEAD_MISMATCH).message()).isEqualTo("the head row says the last entry is 0 but the last"
                + " stored entry is -1: entries 0 were removed");
    }

    // ---- checkpoints ----

    @Test
    void anUnreadableCheckpointRowIsNamed() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        AuditRows.CheckpointRow row = r.checkpoints.get(1);
        r.checkpoints.set(1, new AuditRows.CheckpointRow(row.id(), row.text().replace("checkpoint/v1", "checkpoint/v9"),
                row.origin(), row.treeSize(), row.rootHash(), row.frontier()));
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.CHECKPOINT_MALFORMED);
        assertThat(p.aboutEntry()).isFalse();
        assertThat(p.message()).startsWith("checkpoint #2 cannot be read: checkpoint line 1 must be");
        // The other checkpoint is still checked, and only it.
        assertThat(v.passed()).contains("signatures: all 1 checkpoints signed by a trusted key: test-audit-key "
                + AuditVerifier.fingerprint(KEYS.getPublic()));
        assertThat(v.checkpointsChecked()).isEqualTo(2);
    }

    @Test
    void checkpointColumnsThatDisagreeWithTheSignedTextAreEachReported() throws Exception {
        for (String column : List.of("tree_size", "root_hash", "origin")) {
            Rows r = twentyEntriesTwoCheckpoints();
            AuditRows.CheckpointRow row = r.checkpoints.getFirst();
            r.checkpoints.set(0, switch (column) {
                case "tree_size" -> new AuditRows.CheckpointRow(1, row.text(), row.origin(), 13, row.rootHash(),
                        row.frontier());
                case "root_hash" -> new AuditRows.CheckpointRow(1, row.text(), row.origin(), row.treeSize(),
                        MerkleTree.leafHash(new byte[] {9}), row.frontier());
                default -> new AuditRows.CheckpointRow(1, row.text(), "shomei.example/other", row.treeSize(),
                        row.rootHash(), row.frontier());
            });
            VerificationReport v = r.verify();
            assertThat(kinds(v)).as(column).containsExactly(Kind.CHECKPOINT_MALFORMED);
            assertThat(v.problems().getFirst().message()).as(column).startsWith("checkpoint #1: its columns (size "
                    + r.checkpoints.getFirst().treeSize() + ", root ").contains("disagree with its signed text (size 12,")
                    .endsWith("the row was altered");
        }
    }

    @Test
    void aCheckpointByAnUntrustedKeyIsNamedWithTheKeyItClaims() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        KeyPair rogue = LogFixture.ecKeyPair();
        r.checkpoint(new PrivateKeyCheckpointSigner("rogue-key", "SHA256withECDSA", rogue.getPrivate(), rogue.getPublic()));
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_SIGNATURE);
        assertThat(v.problems().getFirst().message()).isEqualTo("checkpoint #3 (size 20) is not signed by any trusted key"
                + " (it names key rogue-key, SHA256withECDSA)");
        assertThat(v.passed()).noneMatch(x -> x.startsWith("signatures"));
        // The same log verifies for an auditor who trusts both keys.
        assertThat(r.verify(new AuditVerifier(List.of(rogue.getPublic(), KEYS.getPublic()))).ok()).isTrue();
    }

    @Test
    void aCheckpointOfAnotherLogIsReported() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        Checkpoint foreign = sign("shomei.example/ca-secure", 20, root(r.entries, 20), SIGNER);
        VerificationReport v = r.verify(foreign);
        Problem p = only(v, Kind.CHECKPOINT_ORIGIN);
        assertThat(p.message()).isEqualTo("published checkpoint of " + Checkpoint.TIME.format(foreign.time())
                + " (size 20) is for log 'shomei.example/ca-secure', but this log is '" + ORIGIN + "'");
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_ORIGIN);
    }

    @Test
    void withoutAnOriginInTheHeadTheFirstCheckpointNamesTheLog() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        r.head = new AuditRows.Head(null, r.head.seq(), r.head.entryHash(), T0);
        VerificationReport v = r.verify();
        assertThat(v.origin()).isEqualTo(ORIGIN);
        assertThat(v.ok()).as(v.render()).isTrue();
        Checkpoint other = sign("shomei.example/ca-secure", 20, root(r.entries, 20), SIGNER);
        r.store(other);
        assertThat(kinds(r.verify())).contains(Kind.CHECKPOINT_ORIGIN);
    }

    @Test
    void aTruncatedTailIsCaughtByTheCheckpointThatCoveredIt() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        r.entries.subList(15, 20).clear();
        r.head = new AuditRows.Head(ORIGIN, 14, r.entries.get(14).entryHash(), T0);
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.CHECKPOINT_NOT_COVERED);
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_NOT_COVERED);
        assertThat(p.seq()).isEqualTo(15);
        assertThat(p.message()).isEqualTo("checkpoint #2 (size 20) covers entries 0..19 but the log ends at entry 14:"
                + " entries 15..19 were removed after it was signed");
        // Not covered means not compared: no root mismatch, no consistency claim for the pair.
        assertThat(v.passed()).noneMatch(x -> x.startsWith("Merkle tree") || x.startsWith("consistency"));
    }

    @Test
    void aTailOfOneRemovedWithItsStoredCheckpointIsCaughtByThePublishedOne() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        Checkpoint published = Checkpoint.parse(r.checkpoints.get(1).text());
        r.checkpoints.remove(1);
        r.entries.removeLast();
        r.head = new AuditRows.Head(ORIGIN, 18, r.entries.get(18).entryHash(), T0);
        assertThat(r.verify().ok()).as("the rows alone look consistent").isTrue();
        VerificationReport v = r.verify(published);
        assertThat(only(v, Kind.CHECKPOINT_NOT_COVERED).message()).endsWith("the log ends at entry 18: entries 19 were"
                + " removed after it was signed");
    }

    @Test
    void entriesRewrittenWithRecomputedHashesAreNamedByTheCheckpointsAndTheLastGoodOne() throws Exception {
        // Checkpoints at 4, 8 and 12; entries 9..11 rewritten, every hash recomputed, head moved along.
        Rows r = new Rows().append(4);
        r.checkpoint();
        r.append(4);
        r.checkpoint();
        r.append(4);
        r.checkpoint();
        Rows honest = new Rows();
        honest.entries.addAll(r.entries);
        byte[] prev = r.entries.get(8).entryHash();
        for (int seq = 9; seq < 12; seq++) {
            AuditEntry e = r.entries.get(seq);
            AuditEntry x = AuditEntry.create(seq, e.time(), withSubject(e, "serial:forged-" + seq), prev);
            r.entries.set(seq, x);
            prev = x.entryHash();
        }
        r.head = new AuditRows.Head(ORIGIN, 11, prev, T0);
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(p.message()).isEqualTo("checkpoint #3 (size 12): the signed root differs from the root of entries"
                + " 0..11: entries were rewritten with recomputed hashes after it was signed; entries 0..7 still match"
                + " an earlier checkpoint, so the change is in 8..11");
        assertThat(p.expected()).isEqualTo(hex(root(honest.entries, 12)));
        assertThat(p.found()).isEqualTo(hex(root(r.entries, 12)));
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.passed()).contains("hash chain: entries 0..11 each match their hash and link to the previous entry")
                .noneMatch(x -> x.startsWith("Merkle tree") || x.startsWith("consistency"));
    }

    @Test
    void aRewriteBeforeTheOnlyCheckpointNamesNoEarlierGoodOne() throws Exception {
        Rows r = new Rows();
        r.checkpoint(); // of the empty log: it matches, but holds no entry that could still be good
        r.append(6);
        r.checkpoint();
        byte[] prev = AuditEntry.GENESIS_PREV_HASH;
        for (int seq = 0; seq < 6; seq++) {
            AuditEntry x = AuditEntry.create(seq, r.entries.get(seq).time(), LogFixture.event(100 + seq), prev);
            r.entries.set(seq, x);
            prev = x.entryHash();
        }
        r.head = new AuditRows.Head(ORIGIN, 5, prev, T0);
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.problems().getFirst().message()).isEqualTo("checkpoint #2 (size 6): the signed root differs from"
                + " the root of entries 0..5: entries were rewritten with recomputed hashes after it was signed");
    }

    @Test
    void aRebuiltLogIsCaughtByACheckpointPublishedBeforeIt() throws Exception {
        Rows real = new Rows().append(6);
        Checkpoint published = real.checkpoint();
        // Rebuilt from scratch by someone holding the checkpoint key, with other content, and checkpointed again.
        Rows rebuilt = new Rows();
        for (int seq = 0; seq < 6; seq++) {
            byte[] prev = seq == 0 ? AuditEntry.GENESIS_PREV_HASH : rebuilt.entries.getLast().entryHash();
            rebuilt.entries.add(AuditEntry.create(seq, T0.plusSeconds(seq), LogFixture.event(seq == 3 ? 9 : seq), prev));
        }
        rebuilt.head = new AuditRows.Head(ORIGIN, 5, rebuilt.entries.getLast().entryHash(), T0);
        rebuilt.checkpoint();
        assertThat(rebuilt.verify().ok()).isTrue();
        VerificationReport v = rebuilt.verify(published);
        assertThat(kinds(v)).containsExactlyInAnyOrder(Kind.CHECKPOINT_ROOT_MISMATCH, Kind.FORK);
        // The stored checkpoint of the same size matches the entries, but it is no earlier good checkpoint.
        assertThat(only(v, Kind.CHECKPOINT_ROOT_MISMATCH).message()).isEqualTo("published checkpoint of "
                + Checkpoint.TIME.format(published.time()) + " (size 6): the signed root differs from the root of"
                + " entries 0..5: entries were rewritten with recomputed hashes after it was signed");
        assertThat(only(v, Kind.FORK).message()).isEqualTo("checkpoint #1 (size 6) and published checkpoint of "
                + Checkpoint.TIME.format(published.time()) + " (size 6) both cover entries 0..5 but have different"
                + " roots: two different histories were signed");
    }

    @Test
    void aForkedHistorySignedWithTheRealKeyIsAForkAndTheRewriteIsLocated() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        byte[] firstRoot = r.checkpoints.get(1).rootHash();
        byte[] prev = r.entries.get(13).entryHash();
        for (int seq = 14; seq < 20; seq++) {
            AuditEntry e = r.entries.get(seq);
            AuditEntry x = AuditEntry.create(seq, e.time(), withSubject(e, "serial:forged-" + seq), prev);
            r.entries.set(seq, x);
            prev = x.entryHash();
        }
        r.head = new AuditRows.Head(ORIGIN, 19, prev, T0);
        Checkpoint forged = r.checkpoint();
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_ROOT_MISMATCH, Kind.FORK);
        Problem fork = only(v, Kind.FORK);
        assertThat(fork.message()).isEqualTo("checkpoint #2 (size 20) and checkpoint #3 (size 20) both cover entries"
                + " 0..19 but have different roots: two different histories were signed");
        assertThat(fork.expected()).isEqualTo(hex(firstRoot));
        assertThat(fork.found()).isEqualTo(hex(forged.rootHash()));
        assertThat(only(v, Kind.CHECKPOINT_ROOT_MISMATCH).message()).contains("checkpoint #2 (size 20)",
                "the change is in 12..19");
        assertThat(v.passed()).noneMatch(x -> x.startsWith("consistency"));
    }

    @Test
    void aCheckpointStoredAfterALargerOneIsARollback() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        Checkpoint small = sign(ORIGIN, 12, root(r.entries, 12), SIGNER);
        r.store(small);
        VerificationReport v = r.verify();
        Problem p = only(v, Kind.INCONSISTENT_CHECKPOINTS);
        assertThat(p.message()).isEqualTo("checkpoint #3 (size 12) was stored after checkpoint #2 (size 20) but covers"
                + " fewer entries: the log was rolled back");
        assertThat(kinds(v)).containsExactly(Kind.INCONSISTENT_CHECKPOINTS);
        assertThat(v.passed()).noneMatch(x -> x.startsWith("consistency"));
    }

    @Test
    void aHistoryRewrittenBeforeTheLaterCheckpointWasSignedIsInconsistent() throws Exception {
        // Checkpoint at 6; entry 2 rewritten (hashes recomputed up to 9); then a checkpoint at 10 over the rewrite.
        Rows r = new Rows().append(6);
        Checkpoint early = r.checkpoint();
        r.append(4);
        byte[] prev = r.entries.get(1).entryHash();
        for (int seq = 2; seq < 10; seq++) {
            AuditEntry e = r.entries.get(seq);
            AuditEntry x = AuditEntry.create(seq, e.time(), seq == 2 ? withSubject(e, "serial:forged") : e.event(), prev);
            r.entries.set(seq, x);
            prev = x.entryHash();
        }
        r.head = new AuditRows.Head(ORIGIN, 9, prev, T0);
        r.checkpoint();
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_ROOT_MISMATCH, Kind.INCONSISTENT_CHECKPOINTS);
        assertThat(only(v, Kind.CHECKPOINT_ROOT_MISMATCH).message()).startsWith("checkpoint #1 (size 6)");
        assertThat(only(v, Kind.INCONSISTENT_CHECKPOINTS).message()).isEqualTo("checkpoint #1 (size 6) and"
                + " checkpoint #2 (size 10) are not consistent (RFC 9162 §2.1.4): entries 0..5 were rewritten before"
                + " checkpoint #2 (size 10) was signed");
        assertThat(early.rootHash()).isNotEqualTo(root(r.entries, 6));
    }

    @Test
    void aLaterCheckpointThatMatchesNothingIsOnlyARootMismatch() throws Exception {
        // The later checkpoint signs a root of no history: its own mismatch is the finding; the pair is not blamed
        // on the earlier, matching checkpoint.
        Rows r = new Rows().append(10);
        Checkpoint early = sign(ORIGIN, 6, root(r.entries, 6), SIGNER);
        r.store(early);
        r.store(sign(ORIGIN, 10, MerkleTree.leafHash(new byte[] {9}), SIGNER));
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.problems().getFirst().message()).startsWith("checkpoint #2 (size 10)")
                .endsWith("entries 0..5 still match an earlier checkpoint, so the change is in 6..9");
    }

    @Test
    void aDeletedFirstEntryLeavesNothingToCheckTheCheckpointsAgainst() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        r.delete(0);
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_MISSING, Kind.CHECKPOINT_NOT_COVERED,
                Kind.CHECKPOINT_NOT_COVERED);
        assertThat(v.problems().getFirst().message()).isEqualTo("entry 0 is missing: entry -1 is followed by entry 1");
        // No entry after the gap is taken as a leaf: the checkpoints are not covered, rather than compared with a
        // tree that starts at entry 1.
        assertThat(v.problems().get(1).message()).isEqualTo("checkpoint #1 (size 12) covers entries 0..11 but entry 0"
                + " is missing");
        assertThat(v.problems().get(2).seq()).isZero();
    }

    @Test
    void aChangedFirstEntryIsWhereTheRootMismatchPoints() throws Exception {
        Rows r = twentyEntriesTwoCheckpoints();
        r.change(0, "serial:forged");
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_CHANGED, Kind.CHECKPOINT_ROOT_MISMATCH,
                Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.problems().get(1).message()).isEqualTo("checkpoint #1 (size 12): the signed root differs from the"
                + " root of entries 0..11 (entry 0 is bad, above)");
    }

    @Test
    void anEditAfterACheckpointIsNotBlamedForTheRewriteBeforeIt() throws Exception {
        // Entries 0..5 rewritten with recomputed hashes (a clean chain of its own), and entry 6, outside the
        // checkpoint of size 6, edited in place: the checkpoint's mismatch is the rewrite, not entry 6.
        Rows r = new Rows().append(8);
        r.store(sign(ORIGIN, 6, root(r.entries, 6), SIGNER));
        byte[] prev = AuditEntry.GENESIS_PREV_HASH;
        for (int seq = 0; seq < 6; seq++) {
            AuditEntry x = AuditEntry.create(seq, r.entries.get(seq).time(), LogFixture.event(100 + seq), prev);
            r.entries.set(seq, x);
            prev = x.entryHash();
        }
        r.change(6, "serial:forged");
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_CHANGED, Kind.CHAIN_BROKEN, Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.problems().subList(0, 2)).extracting(Problem::seq).containsExactly(6L, 6L);
        assertThat(v.problems().get(2).message()).isEqualTo("checkpoint #1 (size 6): the signed root differs from the"
                + " root of entries 0..5: entries were rewritten with recomputed hashes after it was signed");
    }

    @Test
    void aHistoryRewrittenWithoutMovingTheHeadIsARewriteAndAStaleHead() throws Exception {
        // Every entry rewritten with recomputed hashes; the head row still holds the old last hash. The head's
        // mismatch names entry 5, but no entry is bad in itself: the checkpoint's finding is the rewrite.
        Rows r = new Rows().append(6);
        r.checkpoint();
        byte[] prev = AuditEntry.GENESIS_PREV_HASH;
        for (int seq = 0; seq < 6; seq++) {
            AuditEntry x = AuditEntry.create(seq, r.entries.get(seq).time(), LogFixture.event(100 + seq), prev);
            r.entries.set(seq, x);
            prev = x.entryHash();
        }
        VerificationReport v = r.verify();
        assertThat(kinds(v)).containsExactly(Kind.HEAD_MISMATCH, Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.problems().getFirst().seq()).isEqualTo(5);
        assertThat(v.problems().get(1).message()).isEqualTo("checkpoint #1 (size 6): the signed root differs from the"
                + " root of entries 0..5: entries were rewritten with recomputed hashes after it was signed");
    }

    @Test
    void aKeysFingerprintIsTheStartOfTheSha256OfItsSubjectPublicKeyInfo() throws Exception {
        byte[] spki = KEYS.getPublic().getEncoded();
        String sha = HEX.formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(spki));
        assertThat(AuditVerifier.fingerprint(KEYS.getPublic())).isEqualTo("sha256:" + sha.substring(0, 16));
        assertThat(AuditVerifier.fingerprint(LogFixture.ecKeyPair().getPublic()))
                .isNotEqualTo(AuditVerifier.fingerprint(KEYS.getPublic()));
    }

    @Test
    void aLogWithEntriesButNoCheckpointIsNotAnchored() throws Exception {
        VerificationReport v = new Rows().append(3).verify();
        Problem p = only(v, Kind.NOT_ANCHORED);
        assertThat(p.message()).startsWith("the log holds 3 entries but no signed checkpoint: nothing anchors them");
        assertThat(v.passed()).noneMatch(x -> x.startsWith("checkpoints"));
        assertThat(v.render()).endsWith("RESULT: FAILED, 1 problem\n");
    }

    @Test
    void problemsBeyondTheLimitAreCountedNotListed() throws Exception {
        Rows r = new Rows().append(AuditVerifier.MAX_PROBLEMS + 5);
        r.checkpoint();
        for (AuditEntry e : List.copyOf(r.entries)) {
            r.change(e.seq(), "serial:forged-" + e.seq());
        }
        VerificationReport v = r.verify();
        assertThat(v.problems()).hasSize(AuditVerifier.MAX_PROBLEMS);
        assertThat(v.moreProblems()).isTrue();
        assertThat(v.render()).contains("  ... more problems were found and not listed\n");
        // Exactly at the limit nothing is left out: 998 changed entries, an unreadable checkpoint row, and so no
        // checkpoint anchoring the entries.
        Rows atLimit = new Rows().append(AuditVerifier.MAX_PROBLEMS);
        atLimit.checkpoints.add(new AuditRows.CheckpointRow(1, "not a checkpoint", ORIGIN, 0, new byte[32], null));
        for (AuditEntry e : List.copyOf(atLimit.entries).subList(0, AuditVerifier.MAX_PROBLEMS - 2)) {
            atLimit.change(e.seq(), "x");
        }
        VerificationReport w = atLimit.verify();
        assertThat(w.problems()).hasSize(AuditVerifier.MAX_PROBLEMS);
        assertThat(w.problems().getLast().kind()).isEqualTo(Kind.NOT_ANCHORED);
        assertThat(w.moreProblems()).isFalse();
        assertThat(w.render()).doesNotContain("more problems");
    }

    // ---- an export, offline ----

    private static AuditExport export(Rows r, Checkpoint cp, long from, long to, boolean jsonl) {
        MerkleTree tree = new MerkleTree(LeafHashes.of(r.entries.stream().map(AuditEntry::entryHash).toList()));
        List<AuditExport.ExportedEntry> entries = new ArrayList<>();
        for (long seq = from; seq <= to; seq++) {
            entries.add(new AuditExport.ExportedEntry(r.entries.get((int) seq),
                    tree.proveInclusion(seq, cp.treeSize()).hashes()));
        }
        return jsonl ? new AuditExport(AuditExport.Format.JSONL, cp.origin(), cp.treeSize(), cp.rootHash(), entries)
                : new AuditExport(AuditExport.Format.CSV, null, cp.treeSize(), null, entries);
    }

    private static AuditExport withEntries(AuditExport x, List<AuditExport.ExportedEntry> entries) {
        return new AuditExport(x.format(), x.origin(), x.treeSize(), x.rootHash(), entries);
    }

    @Test
    void aCompleteExportVerifiesInBothFormsAndGivesTheRoot() {
        Rows r = new Rows().append(9);
        Checkpoint cp = r.checkpoint();
        for (boolean jsonl : new boolean[] {true, false}) {
            VerificationReport v = VERIFIER.verify(export(r, cp, 0, 8, jsonl), cp);
            assertThat(v.ok()).as(v.render()).isTrue();
            assertThat(v.source()).isEqualTo("export");
            assertThat(v.origin()).isEqualTo(ORIGIN);
            assertThat(v.entriesChecked()).isEqualTo(9);
            assertThat(v.checkpointsChecked()).isEqualTo(1);
            assertThat(v.passed()).containsExactly(
                    "signature: checkpoint signed by trusted key test-audit-key " + AuditVerifier.fingerprint(KEYS.getPublic()),
                    "hash chain: entries 0..8 each match their hash and link to the previous entry",
                    "inclusion: all 9 entries proven included in the checkpoint's tree (RFC 9162 §2.1.3)",
                    "Merkle tree: the complete export gives the checkpoint's root");
        }
    }

    @Test
    void aPartialExportProvesInclusionWithoutClaimingTheRoot() {
        Rows r = new Rows().append(9);
        Checkpoint cp = r.checkpoint();
        for (long[] range : new long[][] {{3, 5}, {0, 5}, {3, 8}}) {
            VerificationReport v = VERIFIER.verify(export(r, cp, range[0], range[1], true), cp);
            assertThat(v.ok()).as(v.render()).isTrue();
            assertThat(v.passed()).contains("inclusion: all " + (range[1] - range[0] + 1) + " entries proven included"
                    + " in the checkpoint's tree (RFC 9162 §2.1.3)").noneMatch(x -> x.startsWith("Merkle tree"));
        }
    }

    @Test
    void anExportAgainstACheckpointByAnUntrustedKeyIsRefused() {
        Rows r = new Rows().append(4);
        KeyPair rogue = LogFixture.ecKeyPair();
        Checkpoint cp = r.checkpoint(new PrivateKeyCheckpointSigner("rogue-key", "SHA256withECDSA", rogue.getPrivate(),
                rogue.getPublic()));
        VerificationReport v = VERIFIER.verify(export(r, cp, 0, 3, true), cp);
        assertThat(kinds(v)).containsExactly(Kind.CHECKPOINT_SIGNATURE);
        assertThat(v.problems().getFirst().message()).isEqualTo("checkpoint (size 4) is not signed by any trusted key"
                + " (it names key rogue-key)");
        assertThat(v.passed()).noneMatch(x -> x.startsWith("signature"));
    }

    @Test
    void anExportOfAnotherLogIsRefusedByItsOrigin() {
        Rows r = new Rows().append(4);
        Checkpoint cp = r.checkpoint();
        AuditExport x = export(r, cp, 0, 3, true);
        AuditExport foreign = new AuditExport(x.format(), "shomei.example/ca-secure", x.treeSize(), x.rootHash(),
                x.entries());
        VerificationReport v = VERIFIER.verify(foreign, cp);
        assertThat(only(v, Kind.EXPORT_MISMATCH).message()).isEqualTo("the export is from log 'shomei.example/ca-secure'"
                + " but the checkpoint is for '" + ORIGIN + "'");
        assertThat(kinds(v)).containsExactly(Kind.EXPORT_MISMATCH);
    }

    @Test
    void anExportAgainstAnotherTreeSizeIsRefusedWithTheCommandToFixIt() {
        Rows r = new Rows().append(6);
        Checkpoint four = sign(ORIGIN, 4, root(r.entries, 4), SIGNER);
        Checkpoint six = r.checkpoint();
        VerificationReport v = VERIFIER.verify(export(r, four, 0, 3, false), six);
        assertThat(v.problems().getFirst().kind()).isEqualTo(Kind.EXPORT_MISMATCH);
        assertThat(v.problems().getFirst().message()).isEqualTo("the export's proofs are for tree size 4 but the"
                + " checkpoint has size 6: export again against that checkpoint (audit export --tree-size 6)");
        // The proofs are for the other tree: every one fails against this checkpoint's root.
        assertThat(v.problems()).filteredOn(p -> p.kind() == Kind.INCLUSION_PROOF).extracting(Problem::seq)
                .containsExactly(0L, 1L, 2L, 3L);
    }

    @Test
    void anExportStatingAnotherRootForTheSameSizeIsRefused() {
        Rows r = new Rows().append(6);
        Checkpoint cp = r.checkpoint();
        AuditExport x = export(r, cp, 0, 5, true);
        byte[] other = MerkleTree.leafHash(new byte[] {9});
        VerificationReport v = VERIFIER.verify(new AuditExport(x.format(), x.origin(), x.treeSize(), other, x.entries()),
                cp);
        Problem p = only(v, Kind.EXPORT_MISMATCH);
        assertThat(p.message()).isEqualTo("the export states a different root than the checkpoint for the same size:"
                + " not the same history");
        assertThat(p.expected()).isEqualTo(cp.rootHex());
        assertThat(p.found()).isEqualTo(hex(other));
        assertThat(kinds(v)).containsExactly(Kind.EXPORT_MISMATCH);
    }

    @Test
    void anEmptyExportIsRefused() {
        Rows r = new Rows().append(2);
        Checkpoint cp = r.checkpoint();
        VerificationReport v = VERIFIER.verify(withEntries(export(r, cp, 0, 1, true), List.of()), cp);
        assertThat(kinds(v)).containsExactly(Kind.EXPORT_MISMATCH);
        assertThat(v.problems().getFirst().message()).isEqualTo("the export holds no entries");
        assertThat(v.entriesChecked()).isZero();
        assertThat(v.checkpointsChecked()).isEqualTo(1);
        assertThat(v.origin()).isEqualTo(ORIGIN);
        assertThat(v.passed()).hasSize(1);
    }

    @Test
    void aChangedExportedEntryFailsItsHashItsProofAndTheRoot() {
        Rows r = new Rows().append(6);
        Checkpoint cp = r.checkpoint();
        AuditExport x = export(r, cp, 0, 5, true);
        List<AuditExport.ExportedEntry> entries = new ArrayList<>(x.entries());
        AuditEntry e = entries.get(2).entry();
        entries.set(2, new AuditExport.ExportedEntry(new AuditEntry(2, e.time(), withSubject(e, "serial:forged"),
                e.prevHash(), e.entryHash()), entries.get(2).inclusionProof()));
        VerificationReport v = VERIFIER.verify(withEntries(x, entries), cp);
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_CHANGED, Kind.INCLUSION_PROOF, Kind.CHECKPOINT_ROOT_MISMATCH);
        assertThat(v.problems().get(1).seq()).isEqualTo(2);
        assertThat(v.problems().get(1).message()).isEqualTo("entry 2: its inclusion proof does not lead to the"
                + " checkpoint's root (RFC 9162 §2.1.3.2): the entry or its proof was changed");
        assertThat(v.problems().get(2).message()).isEqualTo("the exported entries 0..5 do not give the checkpoint's root");
        assertThat(v.passed()).noneMatch(p -> p.startsWith("inclusion") || p.startsWith("Merkle tree")
                || p.startsWith("hash chain"));
    }

    @Test
    void anEditedProofIsRefusedForItsEntryAlone() {
        Rows r = new Rows().append(6);
        Checkpoint cp = r.checkpoint();
        AuditExport x = export(r, cp, 1, 4, true);
        List<AuditExport.ExportedEntry> entries = new ArrayList<>(x.entries());
        List<byte[]> proof = new ArrayList<>(entries.get(1).inclusionProof());
        proof.set(0, MerkleTree.leafHash(new byte[] {9}));
        entries.set(1, new AuditExport.ExportedEntry(entries.get(1).entry(), proof));
        VerificationReport v = VERIFIER.verify(withEntries(x, entries), cp);
        assertThat(kinds(v)).containsExactly(Kind.INCLUSION_PROOF);
        assertThat(v.problems().getFirst().seq()).isEqualTo(2);
        assertThat(v.firstBadEntry().orElseThrow().seq()).isEqualTo(2);
    }

    @Test
    void exportedEntriesBeyondTheCheckpointAreRefused() {
        Rows r = new Rows().append(6);
        Checkpoint four = sign(ORIGIN, 4, root(r.entries, 4), SIGNER);
        AuditExport x = export(r, four, 2, 3, true);
        List<AuditExport.ExportedEntry> entries = new ArrayList<>(x.entries());
        entries.add(new AuditExport.ExportedEntry(r.entries.get(4), List.of()));
        VerificationReport v = VERIFIER.verify(withEntries(x, entries), four);
        Problem p = only(v, Kind.EXPORT_MISMATCH);
        assertThat(p.seq()).isEqualTo(4);
        assertThat(p.message()).isEqualTo("entry 4 is beyond the checkpoint (size 4)");
        assertThat(v.passed()).noneMatch(x2 -> x2.startsWith("inclusion"));
    }

    @Test
    void anExportWithAGapIsNamedAndClaimsNoRoot() {
        Rows r = new Rows().append(6);
        Checkpoint cp = r.checkpoint();
        AuditExport x = export(r, cp, 0, 5, true);
        List<AuditExport.ExportedEntry> entries = new ArrayList<>(x.entries());
        entries.remove(3);
        VerificationReport v = VERIFIER.verify(withEntries(x, entries), cp);
        assertThat(kinds(v)).containsExactly(Kind.ENTRY_MISSING);
        assertThat(v.problems().getFirst().message()).isEqualTo("entry 3 is missing: entry 2 is followed by entry 4");
        assertThat(v.passed()).noneMatch(p -> p.startsWith("Merkle tree"));
    }

    @Test
    void anExportStartingMidLogDoesNotCheckTheFirstLinkButChecksTheRest() {
        Rows r = new Rows().append(6);
        Checkpoint cp = r.checkpoint();
        AuditExport x = export(r, cp, 2, 5, true);
        List<AuditExport.ExportedEntry> entries = new ArrayList<>(x.entries());
        // Entry 4 rewritten with a recomputed hash: its own proof fails, and entry 5 no longer links to it.
        AuditEntry e = entries.get(2).entry();
        AuditEntry forged = AuditEntry.create(4, e.time(), withSubject(e, "serial:forged"), e.prevHash());
        entries.set(2, new AuditExport.ExportedEntry(forged, entries.get(2).inclusionProof()));
        VerificationReport v = VERIFIER.verify(withEntries(x, entries), cp);
        assertThat(kinds(v)).containsExactly(Kind.INCLUSION_PROOF, Kind.CHAIN_BROKEN);
        assertThat(v.problems().get(1).seq()).isEqualTo(4);
        assertThat(v.problems().get(1).message()).startsWith("entry 5 does not link to entry 4: entry 4 was rewritten");
    }
}
