package dev.shomei.audit;

import dev.shomei.audit.VerificationReport.Kind;
import dev.shomei.audit.VerificationReport.Problem;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Re-verifies a log from its raw data: every entry's hash and link, the head row, every checkpoint's
 * signature and root, forks, and consistency between successive checkpoints (RFC 9162 §2.1.4); or an
 * auditor's export offline against one checkpoint. Trusts nothing stored except what the trusted keys
 * signed, so it detects changes made by anyone who could bypass the append-only triggers.
 *
 * <p>Zone: all; also runs on an auditor's machine. Reads the audit tables in one read-only
 * snapshot and never writes.
 */
public final class AuditVerifier {

    /** Problems beyond this many are counted but not listed. */
    public static final int MAX_PROBLEMS = 1000;
    private static final HexFormat HEX = HexFormat.of();

    private final List<PublicKey> trustedKeys;

    /** @param trustedKeys the public keys whose checkpoint signatures are accepted (at least one) */
    public AuditVerifier(Collection<PublicKey> trustedKeys) {
        if (trustedKeys == null || trustedKeys.isEmpty()) {
            throw new IllegalArgumentException("at least one trusted checkpoint key is needed to verify a log");
        }
        this.trustedKeys = List.copyOf(trustedKeys);
    }

    // ---- the log in PostgreSQL ----

    /**
     * Verifies the whole log behind {@code c}, in one REPEATABLE READ, read-only snapshot. Give it a
     * connection of its own (it changes and then restores autocommit, isolation and read-only).
     */
    public VerificationReport verify(Connection c) {
        return verify(c, List.of());
    }

    /**
     * As {@link #verify(Connection)}, and also checks the log against checkpoints obtained elsewhere
     * (e.g. those published with the CRLs): this catches a history rewritten together with the stored
     * checkpoints that covered it.
     */
    public VerificationReport verify(Connection c, List<Checkpoint> published) {
        String source;
        try {
            source = "database " + c.getMetaData().getURL();
        } catch (SQLException e) {
            source = "database";
        }
        try {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            boolean readOnly = c.isReadOnly();
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try {
                // Step 1: the head, the checkpoints and the entries, from one snapshot.
                AuditRows.Head head = AuditRows.head(c);
                List<AuditRows.CheckpointRow> rows = AuditRows.checkpoints(c, "ORDER BY id");
                return verify(source, head, rows, sink -> AuditRows.entries(c, 0, Long.MAX_VALUE, sink), published);
            } finally {
                c.rollback();
                c.setReadOnly(readOnly);
                c.setTransactionIsolation(isolation);
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new AuditException("cannot read the audit log for verification from " + source + ": "
                    + e.getMessage(), e);
        }
    }

    /** Streams the stored entries in seq order. */
    @FunctionalInterface
    interface StoredEntries {
        void read(Consumer<AuditEntry> sink) throws SQLException;
    }

    /**
     * Steps 1 to 3 of {@link #verify(Connection, List)} on rows already read from one snapshot: the head row, the
     * checkpoint rows in the order they were stored, and the entries in seq order.
     */
    VerificationReport verify(String source, AuditRows.Head head, List<AuditRows.CheckpointRow> rows,
                              StoredEntries entries, List<Checkpoint> published) throws SQLException {
        Findings f = new Findings();
        Chain chain = new Chain(f, 0, AuditEntry.GENESIS_PREV_HASH);
        try {
            entries.read(chain);
        } catch (AuditRows.MalformedEntryException e) {
            f.add(Kind.ENTRY_MALFORMED, e.seq, e.getMessage() + "; entries after it were not checked", null, null);
        }
        chain.finish();
        // Step 2: the head row must point at the last entry.
        checkHead(f, head, chain);
        // Step 3: checkpoints.
        List<Signed> checkpoints = new ArrayList<>();
        for (AuditRows.CheckpointRow row : rows) {
            parseRow(f, row).ifPresent(checkpoints::add);
        }
        String origin = head.origin() != null ? head.origin()
                : checkpoints.isEmpty() ? null : checkpoints.getFirst().cp().origin();
        List<Signed> external = published.stream()
                .map(cp -> new Signed("published checkpoint of " + Checkpoint.TIME.format(cp.time()) + " (size "
                        + cp.treeSize() + ")", cp)).toList();
        checkCheckpoints(f, origin, checkpoints, external, chain);
        return f.report(source, origin, chain.count, rows.size() + published.size());
    }

    private static void checkHead(Findings f, AuditRows.Head head, Chain chain) {
        long stored = chain.nextSeq;
        if (head.size() > stored) {
            f.add(Kind.HEAD_MISMATCH, stored, "the head row says the last entry is " + head.seq() + " but the last stored"
                    + " entry is " + (stored - 1) + ": entries " + range(stored, head.seq()) + " were removed",
                    null, null);
        } else if (head.size() < stored) {
            f.add(Kind.HEAD_MISMATCH, head.size(), "the head row says the last entry is " + head.seq() + " but entries up"
                    + " to " + (stored - 1) + " are stored: entries were added without advancing the head", null, null);
        } else if (stored > 0 && !MessageDigest.isEqual(head.entryHash(), chain.lastStoredHash)) {
            f.add(Kind.HEAD_MISMATCH, stored - 1, "the head row's hash does not match entry " + (stored - 1),
                    hex(head.entryHash()), hex(chain.lastStoredHash));
        } else {
            f.passed("head row: points at the last entry" + (stored > 0 ? " (" + (stored - 1) + ")" : " (log is empty)"));
        }
    }

    /** A checkpoint with where it came from, for messages. */
    private record Signed(String label, Checkpoint cp) {}

    private Optional<Signed> parseRow(Findings f, AuditRows.CheckpointRow row) {
        String label = "checkpoint #" + row.id();
        Checkpoint cp;
        try {
            cp = Checkpoint.parse(row.text());
        } catch (IllegalArgumentException e) {
            f.add(Kind.CHECKPOINT_MALFORMED, Problem.NO_SEQ, label + " cannot be read: " + e.getMessage(), null, null);
            return Optional.empty();
        }
        if (cp.treeSize() != row.treeSize() || !MessageDigest.isEqual(cp.rootHash(), row.rootHash())
                || !cp.origin().equals(row.origin())) {
            f.add(Kind.CHECKPOINT_MALFORMED, Problem.NO_SEQ, label + ": its columns (size " + row.treeSize() + ", root "
                    + hex(row.rootHash()) + ") disagree with its signed text (size " + cp.treeSize() + ", root "
                    + cp.rootHex() + "); the row was altered", null, null);
        }
        return Optional.of(new Signed(label + " (size " + cp.treeSize() + ")", cp));
    }

    private void checkCheckpoints(Findings f, String origin, List<Signed> checkpoints, List<Signed> published,
                                  Chain chain) {
        List<Signed> all = new ArrayList<>(checkpoints);
        all.addAll(published);
        MerkleTree tree = new MerkleTree(chain.leaves);
        long covered = chain.leaves.size();
        int signedOk = 0;
        int rootsOk = 0;
        Set<String> keys = new LinkedHashSet<>();
        Map<Signed, Boolean> rootMatches = new HashMap<>();
        for (Signed s : all) {
            Checkpoint cp = s.cp();
            Optional<PublicKey> key = cp.signedBy(trustedKeys);
            if (key.isEmpty()) {
                f.add(Kind.CHECKPOINT_SIGNATURE, Problem.NO_SEQ, s.label() + " is not signed by any trusted key"
                        + " (it names key " + cp.keyName() + ", " + cp.algorithm() + ")", null, null);
            } else {
                signedOk++;
                keys.add(cp.keyName() + " " + fingerprint(key.get()));
            }
            if (origin != null && !origin.equals(cp.origin())) {
                f.add(Kind.CHECKPOINT_ORIGIN, Problem.NO_SEQ, s.label() + " is for log '" + cp.origin()
                        + "', but this log is '" + origin + "'", null, null);
            }
            if (cp.treeSize() > covered) {
                f.add(Kind.CHECKPOINT_NOT_COVERED, covered, s.label() + " covers entries 0.." + (cp.treeSize() - 1)
                        + " but " + (chain.gapAt >= 0 ? "entry " + covered + " is missing"
                        : "the log ends at entry " + (covered - 1) + ": entries " + range(covered, cp.treeSize() - 1)
                        + " were removed after it was signed"), null, null);
                continue;
            }
            byte[] root = tree.rootHash(cp.treeSize());
            boolean matches = MessageDigest.isEqual(root, cp.rootHash());
            rootMatches.put(s, matches);
            if (matches) {
                rootsOk++;
            } else {
                long firstChanged = f.firstEntryProblemBelow(cp.treeSize());
                f.add(Kind.CHECKPOINT_ROOT_MISMATCH, Problem.NO_SEQ, s.label() + ": the signed root differs from the"
                        + " root of entries 0.." + (cp.treeSize() - 1) + (firstChanged >= 0
                        ? " (entry " + firstChanged + " is bad, above)"
                        : ": entries were rewritten with recomputed hashes after it was signed"
                        + lastGoodBefore(all, rootMatches, cp.treeSize())),
                        hex(cp.rootHash()), hex(root));
            }
        }
        // Forks: two signed roots for one size.
        Map<Long, Signed> bySize = new HashMap<>();
        int forks = 0;
        for (Signed s : all) {
            Signed other = bySize.putIfAbsent(s.cp().treeSize(), s);
            if (other != null && !MessageDigest.isEqual(other.cp().rootHash(), s.cp().rootHash())) {
                forks++;
                f.add(Kind.FORK, Problem.NO_SEQ, other.label() + " and " + s.label() + " both cover entries 0.."
                        + (s.cp().treeSize() - 1) + " but have different roots: two different histories were signed",
                        hex(other.cp().rootHash()), hex(s.cp().rootHash()));
            }
        }
        // Successive checkpoints (in the order they were stored) must extend each other.
        int consistent = 0;
        for (int i = 1; i < checkpoints.size(); i++) {
            Signed a = checkpoints.get(i - 1);
            Signed b = checkpoints.get(i);
            if (b.cp().treeSize() < a.cp().treeSize()) {
                f.add(Kind.INCONSISTENT_CHECKPOINTS, Problem.NO_SEQ, b.label() + " was stored after " + a.label()
                        + " but covers fewer entries: the log was rolled back", null, null);
                continue;
            }
            if (b.cp().treeSize() == a.cp().treeSize() || b.cp().treeSize() > covered) {
                continue; // same size: fork check above; beyond the entries: reported above
            }
            ConsistencyProof proof = tree.proveConsistency(a.cp().treeSize(), b.cp().treeSize());
            if (proof.check(a.cp().rootHash(), b.cp().rootHash())) {
                consistent++;
            } else if (Boolean.TRUE.equals(rootMatches.get(b)) && !Boolean.TRUE.equals(rootMatches.get(a))) {
                // The later root matches the entries and the earlier does not: the history the earlier
                // checkpoint covered was rewritten before the later one was signed.
                f.add(Kind.INCONSISTENT_CHECKPOINTS, Problem.NO_SEQ, a.label() + " and " + b.label()
                        + " are not consistent (RFC 9162 §2.1.4): entries 0.." + (a.cp().treeSize() - 1)
                        + " were rewritten before " + b.label() + " was signed", null, null);
            }
        }
        if (!all.isEmpty() && signedOk == all.size()) {
            f.passed("signatures: all " + signedOk + " checkpoints signed by a trusted key: " + String.join(", ", keys));
        }
        if (!all.isEmpty() && rootsOk == all.size()) {
            f.passed("Merkle tree: every checkpoint's root matches the entries (RFC 9162 §2.1.1)"
                    + (published.isEmpty() ? "" : ", including " + published.size() + " published"));
        }
        if (checkpoints.size() > 1 && forks == 0 && consistent == checkpoints.size() - 1 - sameSizePairs(checkpoints)) {
            f.passed("consistency: " + consistent + " successive checkpoint pairs proven consistent (RFC 9162 §2.1.4),"
                    + " no forks");
        }
        if (all.isEmpty() && chain.count > 0) {
            // Unanchored entries can be rewritten, hashes and all, by anyone who can write the table: only a
            // signature published outside the database makes a rewrite detectable.
            f.add(Kind.NOT_ANCHORED, Problem.NO_SEQ, "the log holds " + chain.count + " entries but no signed"
                    + " checkpoint: nothing anchors them, so a rewritten history could not be told from the real one;"
                    + " sign a checkpoint (the RA signs them on a schedule, the CA with every CRL)", null, null);
        } else if (all.isEmpty()) {
            f.passed("checkpoints: none stored yet (nothing signed to check the entries against)");
        }
    }

    private static int sameSizePairs(List<Signed> checkpoints) {
        int n = 0;
        for (int i = 1; i < checkpoints.size(); i++) {
            if (checkpoints.get(i).cp().treeSize() == checkpoints.get(i - 1).cp().treeSize()) {
                n++;
            }
        }
        return n;
    }

    private static String lastGoodBefore(List<Signed> checkpoints, Map<Signed, Boolean> rootMatches, long size) {
        long best = -1;
        for (Signed s : checkpoints) {
            if (Boolean.TRUE.equals(rootMatches.get(s)) && s.cp().treeSize() < size) {
                best = Math.max(best, s.cp().treeSize());
            }
        }
        return best > 0 ? "; entries 0.." + (best - 1) + " still match an earlier checkpoint, so the change is in "
                + range(best, size - 1) : "";
    }

    // ---- an export, offline ----

    /**
     * Verifies an export against a checkpoint (obtained independently, e.g. from the repository): the
     * checkpoint's signature, every entry's hash, the links between consecutive exported entries, and
     * every entry's inclusion proof against the checkpoint's root.
     */
    public VerificationReport verify(AuditExport export, Checkpoint checkpoint) {
        Findings f = new Findings();
        String label = "checkpoint (size " + checkpoint.treeSize() + ")";
        Optional<PublicKey> key = checkpoint.signedBy(trustedKeys);
        if (key.isEmpty()) {
            f.add(Kind.CHECKPOINT_SIGNATURE, Problem.NO_SEQ, label + " is not signed by any trusted key (it names key "
                    + checkpoint.keyName() + ")", null, null);
        } else {
            f.passed("signature: checkpoint signed by trusted key " + checkpoint.keyName() + " " + fingerprint(key.get()));
        }
        if (export.origin() != null && !export.origin().equals(checkpoint.origin())) {
            f.add(Kind.EXPORT_MISMATCH, Problem.NO_SEQ, "the export is from log '" + export.origin()
                    + "' but the checkpoint is for '" + checkpoint.origin() + "'", null, null);
        }
        if (export.treeSize() != checkpoint.treeSize()) {
            f.add(Kind.EXPORT_MISMATCH, Problem.NO_SEQ, "the export's proofs are for tree size " + export.treeSize()
                    + " but the checkpoint has size " + checkpoint.treeSize() + ": export again against that"
                    + " checkpoint (audit export --tree-size " + checkpoint.treeSize() + ")", null, null);
        } else if (export.rootHash() != null && !MessageDigest.isEqual(export.rootHash(), checkpoint.rootHash())) {
            f.add(Kind.EXPORT_MISMATCH, Problem.NO_SEQ, "the export states a different root than the checkpoint"
                    + " for the same size: not the same history", hex(checkpoint.rootHash()), hex(export.rootHash()));
        }
        List<AuditExport.ExportedEntry> entries = export.entries();
        if (entries.isEmpty()) {
            f.add(Kind.EXPORT_MISMATCH, Problem.NO_SEQ, "the export holds no entries", null, null);
            return f.report("export", checkpoint.origin(), 0, 1);
        }
        long first = entries.getFirst().entry().seq();
        Chain chain = new Chain(f, first, first == 0 ? AuditEntry.GENESIS_PREV_HASH : null);
        int proofsOk = 0;
        for (AuditExport.ExportedEntry x : entries) {
            AuditEntry e = x.entry();
            chain.accept(e);
            if (e.seq() >= checkpoint.treeSize()) {
                f.add(Kind.EXPORT_MISMATCH, e.seq(), "entry " + e.seq() + " is beyond the checkpoint (size "
                        + checkpoint.treeSize() + ")", null, null);
            } else if (MerkleTree.checkInclusion(e.seq(), checkpoint.treeSize(), e.computeHash(), x.inclusionProof(),
                    checkpoint.rootHash())) {
                proofsOk++;
            } else {
                f.add(Kind.INCLUSION_PROOF, e.seq(), "entry " + e.seq() + ": its inclusion proof does not lead to the"
                        + " checkpoint's root (RFC 9162 §2.1.3.2): the entry or its proof was changed", null, null);
            }
        }
        chain.finish();
        if (proofsOk == entries.size()) {
            f.passed("inclusion: all " + proofsOk + " entries proven included in the checkpoint's tree (RFC 9162 §2.1.3)");
        }
        // A complete export also gives the root directly.
        if (first == 0 && chain.leaves.size() == checkpoint.treeSize() && chain.gapAt < 0) {
            if (MessageDigest.isEqual(new MerkleTree(chain.leaves).rootHash(checkpoint.treeSize()),
                    checkpoint.rootHash())) {
                f.passed("Merkle tree: the complete export gives the checkpoint's root");
            } else {
                f.add(Kind.CHECKPOINT_ROOT_MISMATCH, Problem.NO_SEQ, "the exported entries 0.."
                        + (checkpoint.treeSize() - 1) + " do not give the checkpoint's root", null, null);
            }
        }
        return f.report("export", checkpoint.origin(), chain.count, 1);
    }

    // ---- shared ----

    /** Re-hashes entries in order, checks each against its stored hash and its predecessor, keeps the leaves. */
    private static final class Chain implements Consumer<AuditEntry> {
        final Findings f;
        final long firstSeq;
        final LeafHashes leaves = new LeafHashes(); // content hashes of entries firstSeq.. up to the first gap
        long nextSeq;
        long count;
        long gapAt = -1;
        byte[] prevStored; // the stored hash of the previous entry; null when unknown
        byte[] lastStoredHash;

        Chain(Findings f, long firstSeq, byte[] prevStored) {
            this.f = f;
            this.firstSeq = firstSeq;
            this.nextSeq = firstSeq;
            this.prevStored = prevStored;
        }

        @Override
        public void accept(AuditEntry e) {
            count++;
            long seq = e.seq();
            if (seq < nextSeq) {
                f.add(Kind.ENTRY_MALFORMED, seq, "entry " + seq + " appears again after entry " + (nextSeq - 1), null, null);
                return;
            }
            if (seq > nextSeq) {
                f.add(Kind.ENTRY_MISSING, nextSeq, (seq - nextSeq == 1 ? "entry " + nextSeq + " is missing"
                        : "entries " + range(nextSeq, seq - 1) + " are missing") + ": entry "
                        + (nextSeq - 1) + " is followed by entry " + seq, null, null);
                if (gapAt < 0) {
                    gapAt = nextSeq;
                }
                prevStored = null; // the predecessor is gone: its link cannot be checked
            }
            byte[] computed = e.computeHash();
            byte[] stored = e.entryHash();
            boolean changed = !MessageDigest.isEqual(computed, stored);
            if (changed) {
                f.add(Kind.ENTRY_CHANGED, seq, "entry " + seq + ": its content does not match its stored hash;"
                        + " it was changed after it was written (or rows were swapped)", hex(stored), hex(computed));
            }
            if (prevStored != null && !MessageDigest.isEqual(e.prevHash(), prevStored)) {
                if (changed) {
                    // This entry no longer matches its own hash: its broken link is part of that change.
                    f.add(Kind.CHAIN_BROKEN, seq, "entry " + seq + " does not link to entry " + (seq - 1)
                            + ": it was replaced by another row's content", hex(prevStored), hex(e.prevHash()));
                } else {
                    // This entry is intact, so its prev_hash is what was written: the predecessor was rewritten
                    // together with its hash (or, less likely, this entry was too).
                    long blamed = seq == firstSeq ? seq : seq - 1;
                    f.add(Kind.CHAIN_BROKEN, blamed, "entry " + seq + " does not link to entry " + (seq - 1) + ": entry "
                            + (seq - 1) + " was rewritten with a recomputed hash, or entry " + seq
                            + " was rewritten with its prev_hash", hex(prevStored), hex(e.prevHash()));
                }
            }
            if (gapAt < 0) {
                leaves.add(computed);
            }
            prevStored = stored;
            lastStoredHash = stored;
            nextSeq = seq + 1;
        }

        void finish() {
            if (count == 0) {
                return;
            }
            if (!f.hasEntryProblems()) {
                f.passed("hash chain: entries " + range(firstSeq, nextSeq - 1) + " each match their hash and link to"
                        + " the previous entry");
            }
        }
    }

    /** Collects problems and passed checks. */
    private static final class Findings {
        final List<Problem> problems = new ArrayList<>();
        final List<String> passed = new ArrayList<>();
        boolean more;
        int entryProblems;

        void add(Kind kind, long seq, String message, String expected, String found) {
            if (seq != Problem.NO_SEQ) {
                entryProblems++;
            }
            if (problems.size() >= MAX_PROBLEMS) {
                more = true;
                return;
            }
            problems.add(new Problem(kind, seq, message, expected, found));
        }

        void passed(String line) {
            passed.add(line);
        }

        boolean hasEntryProblems() {
            return entryProblems > 0;
        }

        long firstEntryProblemBelow(long size) {
            return problems.stream().filter(p -> p.aboutEntry() && p.seq() < size
                            && (p.kind() == Kind.ENTRY_CHANGED || p.kind() == Kind.CHAIN_BROKEN
                            || p.kind() == Kind.ENTRY_MISSING || p.kind() == Kind.ENTRY_MALFORMED))
                    .mapToLong(Problem::seq).min().orElse(-1);
        }

        VerificationReport report(String source, String origin, long entries, long checkpoints) {
            return new VerificationReport(source, origin, entries, checkpoints, passed, problems, more);
        }
    }

    static String range(long a, long b) {
        return a == b ? Long.toString(a) : a + ".." + b;
    }

    static String hex(byte[] b) {
        return b == null ? null : HEX.formatHex(b);
    }

    /** A short, stable name for a public key: SHA-256 of its SubjectPublicKeyInfo. */
    public static String fingerprint(PublicKey key) {
        return "sha256:" + HEX.formatHex(MerkleTree.sha256().digest(key.getEncoded())).substring(0, 16);
    }
}
