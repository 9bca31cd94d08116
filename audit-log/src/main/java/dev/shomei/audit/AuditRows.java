package dev.shomei.audit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * SQL for reading the audit tables, shared by {@link AuditLog} and {@link AuditVerifier}.
 *
 * <p>Zone: all. Reads audit_entry, audit_checkpoint and audit_head; never writes.
 */
final class AuditRows {

    static final String ENTRY_COLUMNS = "seq, logged_at, actor_kind, actor_id, actor_authentication, actor_version,"
            + " policy_id, policy_digest, action, subject, detail_sha256, prev_hash, entry_hash";

    /** A checkpoint row: the parsed signed text plus the columns that repeat it. */
    record CheckpointRow(long id, String text, String origin, long treeSize, byte[] rootHash, byte[] frontier) {}

    /** The head row: the last appended entry. */
    record Head(String origin, long seq, byte[] entryHash, Instant now) {
        long size() {
            return seq + 1;
        }
    }

    private AuditRows() {}

    /**
     * Builds an entry from a row. An actor row that no longer satisfies {@link Actor}'s rules (which only
     * a tampered row can) is reported as an {@link AuditException} naming the entry.
     */
    static AuditEntry entry(ResultSet rs) throws SQLException {
        long seq = rs.getLong(1);
        try {
            Instant time = rs.getObject(2, OffsetDateTime.class).toInstant();
            Actor actor = new Actor(Actor.Kind.valueOf(rs.getString(3)), rs.getString(4), rs.getString(5),
                    rs.getString(6), rs.getString(7), rs.getString(8));
            AuditEvent event = new AuditEvent(actor, rs.getString(9), rs.getString(10), rs.getBytes(11));
            return new AuditEntry(seq, time, event, rs.getBytes(12), rs.getBytes(13));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new MalformedEntryException(seq, e.getMessage());
        }
    }

    /** A stored row that cannot even be read as an entry. */
    static final class MalformedEntryException extends AuditException {
        final long seq;

        MalformedEntryException(long seq, String what) {
            super("entry " + seq + " is malformed: " + what);
            this.seq = seq;
        }
    }

    static Head head(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT origin, seq, entry_hash, clock_timestamp() FROM audit_head WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new AuditException("audit_head has no row: the schema was not migrated"
                        + " (AuditSchema.migrate) or the row was removed");
            }
            return new Head(rs.getString(1), rs.getLong(2), rs.getBytes(3),
                    rs.getObject(4, OffsetDateTime.class).toInstant());
        }
    }

    /** Streams entries with from &lt;= seq &lt; to in seq order; uses a cursor when autocommit is off. */
    static void entries(Connection c, long from, long to, Consumer<AuditEntry> sink) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + ENTRY_COLUMNS
                + " FROM audit_entry WHERE seq >= ? AND seq < ? ORDER BY seq")) {
            ps.setFetchSize(10_000);
            ps.setLong(1, from);
            ps.setLong(2, to);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sink.accept(entry(rs));
                }
            }
        }
    }

    /** The stored entry hashes of entries 0..size-1, checked to be contiguous. */
    static LeafHashes storedLeafHashes(Connection c, long size) throws SQLException {
        LeafHashes leaves = new LeafHashes();
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT seq, entry_hash FROM audit_entry WHERE seq < ? ORDER BY seq")) {
            ps.setFetchSize(50_000);
            ps.setLong(1, size);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(1);
                    if (seq != leaves.size()) {
                        throw new AuditException("entry " + leaves.size() + " is missing (the next stored entry is "
                                + seq + "); run `audit verify`");
                    }
                    leaves.add(rs.getBytes(2));
                }
            }
        }
        if (leaves.size() != size) {
            throw new AuditException("the log holds " + leaves.size() + " entries, fewer than the " + size
                    + " asked for; run `audit verify`");
        }
        return leaves;
    }

    static List<CheckpointRow> checkpoints(Connection c, String where) throws SQLException {
        List<CheckpointRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, checkpoint, origin, tree_size, root_hash, frontier"
                + " FROM audit_checkpoint " + where);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new CheckpointRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                        rs.getBytes(5), rs.getBytes(6)));
            }
        }
        return rows;
    }
}
