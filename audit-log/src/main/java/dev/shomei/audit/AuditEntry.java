package dev.shomei.audit;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One entry of the log as stored: its sequence number, time, the event, the previous entry's hash and
 * its own hash. The hash of an entry is the RFC 9162 leaf hash of its canonical encoding
 * ({@link #encode}), so the same 32 bytes link the hash chain and are the leaves of the Merkle tree.
 *
 * <p>Canonical encoding, version 1 (all integers big-endian; README.md has the table):
 * <pre>
 *   u8   encoding version = 0x01
 *   u64  seq
 *   i64  time, microseconds since 1970-01-01T00:00:00Z
 *   u8   actor kind: 0x01 PERSON, 0x02 SYSTEM
 *   str  actor id
 *   opt  actor authentication
 *   opt  actor version
 *   opt  actor policy id
 *   opt  actor policy digest (lowercase hex text)
 *   str  action
 *   str  subject
 *   bin  detail SHA-256 (32 bytes)
 *   bin  previous entry hash (32 bytes; 32 zero bytes for seq 0)
 * str = u32 byte length, then UTF-8 bytes;  opt = u8 0x00 (absent) | u8 0x01 then str;
 * bin = u32 byte length, then the bytes.
 * </pre>
 * Every variable field carries its length and every optional field its presence, so no two different
 * entries encode to the same bytes ("ab","c" and "a","bc" differ; absent and empty differ).
 *
 * <p>Zone: all. A value type; touches nothing.
 */
public record AuditEntry(long seq, Instant time, AuditEvent event, byte[] prevHash, byte[] entryHash) {

    public static final int ENCODING_VERSION = 1;
    /** The previous-entry hash of entry 0. */
    static final byte[] GENESIS_PREV_HASH = new byte[MerkleTree.HASH_SIZE];

    public AuditEntry {
        if (seq < 0) {
            throw new IllegalArgumentException("seq must not be negative: " + seq);
        }
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(event, "event");
        if (!MerkleTree.isHash(prevHash) || !MerkleTree.isHash(entryHash)) {
            throw new IllegalArgumentException("entry " + seq + ": prevHash and entryHash must be 32 bytes");
        }
        prevHash = prevHash.clone();
        entryHash = entryHash.clone();
    }

    /** A new entry whose hash is computed from its content. */
    static AuditEntry create(long seq, Instant time, AuditEvent event, byte[] prevHash) {
        Instant t = time.truncatedTo(ChronoUnit.MICROS);
        byte[] hash = MerkleTree.leafHash(encode(seq, t, event, prevHash));
        return new AuditEntry(seq, t, event, prevHash, hash);
    }

    @Override
    public byte[] prevHash() {
        return prevHash.clone();
    }

    /** The stored entry hash (what the log committed to when the entry was written). */
    @Override
    public byte[] entryHash() {
        return entryHash.clone();
    }

    /** The canonical encoding of this entry: the RFC 9162 leaf. */
    public byte[] encode() {
        return encode(seq, time, event, prevHash);
    }

    /** The hash of this entry's content as it is now; differs from {@link #entryHash()} if the content changed. */
    public byte[] computeHash() {
        return MerkleTree.leafHash(encode());
    }

    public boolean hashMatchesContent() {
        return MessageDigest.isEqual(entryHash, computeHash());
    }

    public static byte[] encode(long seq, Instant time, AuditEvent event, byte[] prevHash) {
        return encode(seq, time, encodeEvent(event), prevHash);
    }

    /**
     * The part of the encoding that depends only on the event (actor kind through detail SHA-256), so an
     * appender can prepare it before it takes the head lock.
     */
    static byte[] encodeEvent(AuditEvent event) {
        Actor a = event.actor();
        Writer w = new Writer();
        w.u8(a.kind() == Actor.Kind.PERSON ? 0x01 : 0x02);
        w.str("actor id", a.id());
        w.opt("actor authentication", a.authentication());
        w.opt("actor version", a.version());
        w.opt("actor policyId", a.policyId());
        w.opt("actor policyDigest", a.policyDigest());
        w.str("action", event.action());
        w.str("subject", event.subject());
        w.bin(event.detailSha256());
        return w.out.toByteArray();
    }

    static byte[] encode(long seq, Instant time, byte[] encodedEvent, byte[] prevHash) {
        Writer w = new Writer();
        w.u8(ENCODING_VERSION);
        w.u64(seq);
        w.u64(micros(time));
        w.out.writeBytes(encodedEvent);
        w.bin(prevHash);
        return w.out.toByteArray();
    }

    /** The entry hash of an entry whose event part was encoded in advance ({@link #encodeEvent}). */
    static byte[] hash(long seq, Instant time, byte[] encodedEvent, byte[] prevHash) {
        return MerkleTree.leafHash(encode(seq, time, encodedEvent, prevHash));
    }

    static long micros(Instant t) {
        if (t.getNano() % 1000 != 0) {
            throw new IllegalArgumentException("entry time " + t + " has sub-microsecond precision;"
                    + " PostgreSQL stores microseconds");
        }
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

        void u8(int v) {
            out.write(v);
        }

        void u32(int v) {
            out.write(v >>> 24);
            out.write(v >>> 16);
            out.write(v >>> 8);
            out.write(v);
        }

        void u64(long v) {
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (v >>> shift));
            }
        }

        void str(String field, String v) {
            bin(Text.utf8(field, v));
        }

        void opt(String field, String v) {
            if (v == null) {
                u8(0x00);
            } else {
                u8(0x01);
                str(field, v);
            }
        }

        void bin(byte[] b) {
            u32(b.length);
            out.writeBytes(b);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditEntry e && e.seq == seq && e.time.equals(time) && e.event.equals(event)
                && Arrays.equals(e.prevHash, prevHash) && Arrays.equals(e.entryHash, entryHash);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + Arrays.hashCode(entryHash);
    }

    @Override
    public String toString() {
        return "AuditEntry[seq=" + seq + ", time=" + time + ", " + event + ", prevHash="
                + HexFormat.of().formatHex(prevHash) + ", entryHash=" + HexFormat.of().formatHex(entryHash) + "]";
    }
}
