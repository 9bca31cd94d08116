package dev.shomei.audit;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The tamper-evident audit log of one component: appends entries inside the caller's transaction,
 * signs checkpoints, and produces RFC 9162 inclusion and consistency proofs.
 *
 * <p>Zone: all (each component has its own log and database). Touches only the audit_* tables, through
 * the connections it is given; the checkpoint key only through {@link CheckpointSigner}.
 *
 * <p>Appends are serialized by a lock on the single head row, held until the caller commits or rolls
 * back: so append as the last step before commit, and use READ COMMITTED (under REPEATABLE READ or
 * SERIALIZABLE a concurrent append makes PostgreSQL abort the transaction with a serialization failure).
 */
public final class AuditLog {

    // One round trip locks the head, hashes, stores the entry and advances the head (V2__append_function.sql):
    // the head stays locked until the caller commits, so every round trip inside the lock costs throughput.
    private static final String APPEND = "SELECT o_seq, o_logged_at, o_prev_hash, o_entry_hash, o_head_origin"
            + " FROM audit_append(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final String origin;

    /** @param origin the log's name, e.g. {@code "shomei.example/ca-secure"}; it is written into every checkpoint */
    public AuditLog(String origin) {
        this.origin = Checkpoint.checkOrigin(origin);
    }

    public String origin() {
        return origin;
    }

    /**
     * Appends an entry inside the caller's transaction (autocommit must be off); the caller commits or
     * rolls back. A rollback leaves no entry and no gap in the sequence.
     *
     * @return the entry's sequence number (0 for the first entry)
     */
    public long append(Connection tx, AuditEvent event) {
        try {
            if (tx.getAutoCommit()) {
                throw new AuditException("AuditLog.append needs the caller's transaction, but the connection is in"
                        + " autocommit mode: call setAutoCommit(false) and commit after appending");
            }
            // Step 1: encode the event before the head is locked: everything after the lock delays every writer.
            byte[] encodedEvent = AuditEntry.encodeEvent(event);
            // Step 2: lock the head, number, hash and store the entry, in the database (one round trip).
            Actor a = event.actor();
            long seq;
            Instant time;
            byte[] prevHash;
            byte[] entryHash;
            try (PreparedStatement ps = tx.prepareStatement(APPEND)) {
                ps.setString(1, origin);
                ps.setString(2, a.kind().name());
                ps.setString(3, a.id());
                setNullable(ps, 4, a.authentication());
                setNullable(ps, 5, a.version());
                setNullable(ps, 6, a.policyId());
                setNullable(ps, 7, a.policyDigest());
                ps.setString(8, event.action());
                ps.setString(9, event.subject());
                ps.setBytes(10, event.detailSha256());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    String headOrigin = rs.getString(5);
                    if (headOrigin != null && !headOrigin.equals(origin)) {
                        throw new AuditException("this database holds the audit log '" + headOrigin + "', not '"
                                + origin + "': check the component's audit origin setting");
                    }
                    seq = rs.getLong(1);
                    time = rs.getObject(2, OffsetDateTime.class).toInstant();
                    prevHash = rs.getBytes(3);
                    entryHash = rs.getBytes(4);
                }
            }
            // Step 3: re-hash in Java, the verifier's encoding; a disagreement would make the entry unverifiable.
            byte[] expected = AuditEntry.hash(seq, time, encodedEvent, prevHash);
            if (!MessageDigest.isEqual(expected, entryHash)) {
                throw new AuditException("entry " + seq + ": the database computed entry hash " + hex(entryHash)
                        + " but the canonical encoding gives " + hex(expected)
                        + "; roll back and report this (audit_append and AuditEntry.encode disagree)");
            }
            return seq;
        } catch (SQLException e) {
            throw new AuditException("cannot append audit entry '" + event.action() + "' for '" + event.subject()
                    + "' to log " + origin + ": " + e.getMessage(), e);
        }
    }

    // Many entries under one lock, one INSERT and one head update (V4__append_in_batches.sql).
    private static final String APPEND_BATCH = "SELECT o_seq, o_logged_at, o_prev_hash, o_entry_hash, o_head_origin"
            + " FROM audit_append_batch(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /**
     * Appends {@code events}, in order, inside the caller's transaction, in one round trip that holds the head
     * lock once for all of them: what a caller recording many decisions in one transaction should use instead of
     * one {@link #append} per event. The entries get consecutive sequence numbers; a rollback leaves none of them.
     *
     * @return the entries' sequence numbers, in the order of {@code events}
     */
    public List<Long> appendAll(Connection tx, List<AuditEvent> events) {
        if (events.isEmpty()) {
            return List.of();
        }
        if (events.size() == 1) {
            return List.of(append(tx, events.getFirst()));
        }
        try {
            if (tx.getAutoCommit()) {
                throw new AuditException("AuditLog.appendAll needs the caller's transaction, but the connection is in"
                        + " autocommit mode: call setAutoCommit(false) and commit after appending");
            }
            // Step 1: encode the events before the head is locked (for the check in step 3).
            int n = events.size();
            byte[][] encoded = new byte[n][];
            String[] kind = new String[n], id = new String[n], auth = new String[n], version = new String[n];
            String[] policyId = new String[n], policyDigest = new String[n], action = new String[n], subject = new String[n];
            byte[][] detail = new byte[n][];
            for (int i = 0; i < n; i++) {
                AuditEvent e = events.get(i);
                Actor a = e.actor();
                encoded[i] = AuditEntry.encodeEvent(e);
                kind[i] = a.kind().name();
                id[i] = a.id();
                auth[i] = a.authentication();
                version[i] = a.version();
                policyId[i] = a.policyId();
                policyDigest[i] = a.policyDigest();
                action[i] = e.action();
                subject[i] = e.subject();
                detail[i] = e.detailSha256();
            }
            // Step 2: lock the head once, number, hash and store every entry (one round trip).
            List<Long> seqs = new ArrayList<>(n);
            try (PreparedStatement ps = tx.prepareStatement(APPEND_BATCH)) {
                ps.setString(1, origin);
                ps.setArray(2, tx.createArrayOf("text", kind));
                ps.setArray(3, tx.createArrayOf("text", id));
                ps.setArray(4, tx.createArrayOf("text", auth));
                ps.setArray(5, tx.createArrayOf("text", version));
                ps.setArray(6, tx.createArrayOf("text", policyId));
                ps.setArray(7, tx.createArrayOf("text", policyDigest));
                ps.setArray(8, tx.createArrayOf("text", action));
                ps.setArray(9, tx.createArrayOf("text", subject));
                ps.setArray(10, tx.createArrayOf("bytea", detail));
                try (ResultSet rs = ps.executeQuery()) {
                    int i = 0;
                    while (rs.next()) {
                        String headOrigin = rs.getString(5);
                        if (headOrigin != null && !headOrigin.equals(origin)) {
                            throw new AuditException("this database holds the audit log '" + headOrigin + "', not '"
                                    + origin + "': check the component's audit origin setting");
                        }
                        long seq = rs.getLong(1);
                        Instant time = rs.getObject(2, OffsetDateTime.class).toInstant();
                        byte[] prevHash = rs.getBytes(3);
                        byte[] entryHash = rs.getBytes(4);
                        // Step 3: re-hash in Java, the verifier's encoding (as in append, step 3).
                        byte[] expected = AuditEntry.hash(seq, time, encoded[i], prevHash);
                        if (!MessageDigest.isEqual(expected, entryHash)) {
                            throw new AuditException("entry " + seq + ": the database computed entry hash "
                                    + hex(entryHash) + " but the canonical encoding gives " + hex(expected)
                                    + "; roll back and report this (audit_append_batch and AuditEntry.encode disagree)");
                        }
                        seqs.add(seq);
                        i++;
                    }
                }
            }
            if (seqs.size() != n) {
                throw new AuditException("audit_append_batch stored " + seqs.size() + " of " + n
                        + " entries; roll back and report this");
            }
            return seqs;
        } catch (SQLException e) {
            throw new AuditException("cannot append " + events.size() + " audit entries (first '"
                    + events.getFirst().action() + "' for '" + events.getFirst().subject() + "') to log " + origin
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * A group-commit appender for events that stand alone (no business write of the caller's to commit with):
     * concurrent callers' events are appended and committed together, each caller returning once the commit that
     * holds its event is durable. See {@link GroupAppender}.
     */
    public GroupAppender groupAppender(GroupAppender.ConnectionSource connections) {
        return new GroupAppender(this, connections);
    }

    private static void setNullable(PreparedStatement ps, int i, String v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.VARCHAR);
        } else {
            ps.setString(i, v);
        }
    }

    /**
     * Signs and stores a checkpoint of the current tree (all committed entries). Before signing, the
     * entries added since the previous checkpoint are re-hashed and their chain checked: the log signs
     * only what it has verified. If autocommit is off, the checkpoint row is part of the caller's transaction.
     */
    public Checkpoint checkpoint(Connection c, CheckpointSigner signer) {
        try {
            // Step 1: start from the largest stored checkpoint, if this signer signed it and its frontier gives
            // its signed root. Otherwise (a key rollover, or a row nobody signed) start from the first entry:
            // the log must never extend a tree it did not sign itself.
            MerkleFrontier frontier = MerkleFrontier.empty();
            byte[] lastHash = AuditEntry.GENESIS_PREV_HASH;
            long coveredBefore = 0;
            List<AuditRows.CheckpointRow> previous = AuditRows.checkpoints(c,
                    "ORDER BY tree_size DESC, id DESC LIMIT 1");
            if (!previous.isEmpty()) {
                AuditRows.CheckpointRow row = previous.getFirst();
                Checkpoint prev = Checkpoint.parse(row.text());
                if (!prev.origin().equals(origin)) {
                    throw new AuditException("checkpoint #" + row.id() + " belongs to log '" + prev.origin()
                            + "', not '" + origin + "'");
                }
                coveredBefore = prev.treeSize();
                if (prev.verify(signer.publicKey())) {
                    frontier = MerkleFrontier.decode(prev.treeSize(), row.frontier());
                    if (!MessageDigest.isEqual(frontier.root(), prev.rootHash())) {
                        throw new AuditException("refusing to sign: the stored frontier of checkpoint #" + row.id()
                                + " does not give its signed root; the checkpoint table was altered. Run `audit verify`.");
                    }
                }
            }
            // Step 2: the head tells how many entries are committed.
            AuditRows.Head head = AuditRows.head(c);
            long size = head.size();
            if (head.origin() != null && !head.origin().equals(origin)) {
                throw new AuditException("this database holds the audit log '" + head.origin() + "', not '"
                        + origin + "'");
            }
            if (size < coveredBefore) {
                throw new AuditException("refusing to sign: the log holds " + size + " entries but an earlier"
                        + " checkpoint covered " + coveredBefore + "; entries were removed. Run `audit verify`.");
            }
            // Step 3: re-hash and chain-check the new entries, extending the frontier.
            long from = frontier.size();
            if (from > 0) {
                // Verified when that checkpoint was signed; a later change to it breaks the link checked below.
                lastHash = entryHash(c, from - 1);
            }
            ChainExtender ext = new ChainExtender(frontier, from, lastHash);
            AuditRows.entries(c, from, size, ext);
            if (ext.next != size) {
                throw new AuditException("refusing to sign: the head says " + size + " entries but entry " + ext.next
                        + " is missing. Run `audit verify`.");
            }
            if (!MessageDigest.isEqual(ext.last, head.entryHash())) {
                throw new AuditException("refusing to sign: the head's hash does not match entry " + (size - 1)
                        + ". Run `audit verify`.");
            }
            // Step 4: sign, check the signature with the signer's own public key, store.
            Checkpoint cp = Checkpoint.sign(origin, size, frontier.root(), head.now(), signer);
            if (!cp.verify(signer.publicKey())) {
                throw new AuditException("checkpoint signer " + signer.keyName() + " produced a signature that its"
                        + " own public key does not verify; check the signer's key and algorithm");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO audit_checkpoint (origin, tree_size, root_hash,"
                    + " signed_at, key_name, checkpoint, frontier) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, origin);
                ps.setLong(2, size);
                ps.setBytes(3, cp.rootHash());
                ps.setObject(4, OffsetDateTime.ofInstant(cp.time(), ZoneOffset.UTC));
                ps.setString(5, cp.keyName());
                ps.setString(6, cp.text());
                ps.setBytes(7, frontier.encode());
                ps.executeUpdate();
            }
            return cp;
        } catch (SQLException e) {
            throw new AuditException("cannot create a checkpoint of log " + origin + " with key " + signer.keyName()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Re-hashes entries in order, checking each against its stored hash and its predecessor. */
    private static final class ChainExtender implements java.util.function.Consumer<AuditEntry> {
        final MerkleFrontier frontier;
        long next;
        byte[] last;

        ChainExtender(MerkleFrontier frontier, long next, byte[] last) {
            this.frontier = frontier;
            this.next = next;
            this.last = last;
        }

        @Override
        public void accept(AuditEntry e) {
            if (e.seq() != next) {
                throw new AuditException("refusing to sign: entry " + next + " is missing. Run `audit verify`.");
            }
            byte[] computed = e.computeHash();
            if (!MessageDigest.isEqual(computed, e.entryHash()) || !MessageDigest.isEqual(e.prevHash(), last)) {
                throw new AuditException("refusing to sign: entry " + e.seq() + " does not match its hash or does"
                        + " not link to entry " + (e.seq() - 1) + ". Run `audit verify`.");
            }
            frontier.append(computed);
            last = computed;
            next++;
        }
    }

    private static byte[] entryHash(Connection c, long seq) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT entry_hash FROM audit_entry WHERE seq = ?")) {
            ps.setLong(1, seq);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new AuditException("entry " + seq + " is missing. Run `audit verify`.");
                }
                return rs.getBytes(1);
            }
        }
    }

    // ---- reading ----

    /** Number of committed entries (the next sequence number). */
    public long size(Connection c) {
        try {
            return AuditRows.head(c).size();
        } catch (SQLException e) {
            throw new AuditException("cannot read the head of log " + origin + ": " + e.getMessage(), e);
        }
    }

    public Optional<AuditEntry> entry(Connection c, long seq) {
        List<AuditEntry> one = entries(c, seq, seq);
        return one.isEmpty() ? Optional.empty() : Optional.of(one.getFirst());
    }

    /** Entries with {@code from <= seq <= toInclusive}, in order. */
    public List<AuditEntry> entries(Connection c, long from, long toInclusive) {
        List<AuditEntry> out = new ArrayList<>();
        try {
            AuditRows.entries(c, from, toInclusive + 1, out::add);
            return out;
        } catch (SQLException e) {
            throw new AuditException("cannot read entries " + from + ".." + toInclusive + " of log " + origin + ": "
                    + e.getMessage(), e);
        }
    }

    /** All stored checkpoints, oldest first. */
    public List<Checkpoint> checkpoints(Connection c) {
        try {
            return AuditRows.checkpoints(c, "ORDER BY id").stream().map(r -> Checkpoint.parse(r.text())).toList();
        } catch (SQLException e) {
            throw new AuditException("cannot read the checkpoints of log " + origin + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint of the largest tree (the newest, if several have that size). */
    public Optional<Checkpoint> latestCheckpoint(Connection c) {
        try {
            return AuditRows.checkpoints(c, "ORDER BY tree_size DESC, id DESC LIMIT 1").stream()
                    .map(r -> Checkpoint.parse(r.text())).findFirst();
        } catch (SQLException e) {
            throw new AuditException("cannot read the latest checkpoint of log " + origin + ": " + e.getMessage(), e);
        }
    }

    /** The stored checkpoint of exactly this tree size (the newest, if several). */
    public Optional<Checkpoint> checkpointOfSize(Connection c, long treeSize) {
        try {
            return AuditRows.checkpoints(c, "WHERE tree_size = " + treeSize + " ORDER BY id DESC LIMIT 1").stream()
                    .map(r -> Checkpoint.parse(r.text())).findFirst();
        } catch (SQLException e) {
            throw new AuditException("cannot read the checkpoint of size " + treeSize + " of log " + origin + ": "
                    + e.getMessage(), e);
        }
    }

    /** The tree of the first {@code treeSize} entries, over their stored hashes. */
    public MerkleTree tree(Connection c, long treeSize) {
        try {
            return new MerkleTree(AuditRows.storedLeafHashes(c, treeSize));
        } catch (SQLException e) {
            throw new AuditException("cannot read the entry hashes of log " + origin + ": " + e.getMessage(), e);
        }
    }

    /** The RFC 9162 inclusion proof of entry {@code seq} in the tree of size {@code treeSize}. */
    public InclusionProof proveInclusion(Connection c, long seq, long treeSize) {
        if (seq < 0 || seq >= treeSize) {
            throw new AuditException("entry " + seq + " is not in a tree of size " + treeSize
                    + (seq >= treeSize ? ": wait for a checkpoint that covers it" : ""));
        }
        return tree(c, treeSize).proveInclusion(seq, treeSize);
    }

    /**
     * The consistency proof to publish with {@code cp}: from the largest stored checkpoint smaller than it (from
     * the empty tree if there is none) to it, so that a monitor holding the previous published checkpoint can
     * check the new one without access to the database (CheckpointMonitor).
     */
    public PublishedProof proofFromPrevious(Connection c, Checkpoint cp) {
        try {
            long previous = AuditRows.checkpoints(c, "WHERE tree_size < " + cp.treeSize()
                    + " ORDER BY tree_size DESC, id DESC LIMIT 1").stream().mapToLong(AuditRows.CheckpointRow::treeSize)
                    .findFirst().orElse(0);
            return new PublishedProof(origin, proveConsistency(c, previous, cp.treeSize()));
        } catch (SQLException e) {
            throw new AuditException("cannot read the checkpoints of log " + origin + ": " + e.getMessage(), e);
        }
    }

    /** The RFC 9162 consistency proof between the trees of sizes {@code firstSize} and {@code secondSize}. */
    public ConsistencyProof proveConsistency(Connection c, long firstSize, long secondSize) {
        if (firstSize < 0 || firstSize > secondSize) {
            throw new AuditException("no consistency proof from size " + firstSize + " to size " + secondSize);
        }
        return tree(c, secondSize).proveConsistency(firstSize, secondSize);
    }

    @Override
    public String toString() {
        return "AuditLog[" + origin + "]";
    }

    static String hex(byte[] b) {
        return b == null ? "(none)" : HexFormat.of().formatHex(b);
    }
}
