package dev.shomei.ocsp.presign;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;

/**
 * The presigner's SQL: which certificates are due for a response, recording signed responses, counts.
 * Reads the CA's {@code certificate} and {@code revocation} tables; writes only {@code ocsp_response}.
 *
 * <p>Zone: secure. Touches the CA database through the connections it is given; no key material.
 */
public final class OcspResponseStore {

    /**
     * One certificate that needs a (new) response: the serial and, if revoked, when and why; {@code first}: it has
     * no response yet (when the cursor read it).
     */
    public record Due(BigInteger serial, Instant revokedAt, int reason, boolean first) {
        public Due(BigInteger serial, Instant revokedAt, int reason) {
            this(serial, revokedAt, reason, false);
        }
    }

    /** Counts for {@code status}: over unexpired certificates of one issuer. */
    public record Counts(long certificates, long good, long revoked, long missing, long due, long lapsed) {}

    // A certificate of this issuer that has not expired needs a response when it has none, when its response
    // is past half its validity (CA/B Forum BR §4.9.10; RFC 5019 §6: refresh well before nextUpdate), when it
    // was revoked after its response was signed (status still good), or when another responder signed it.
    private static final String DUE_FROM = " FROM certificate c"
            + " LEFT JOIN revocation r ON r.serial = c.serial"
            + " LEFT JOIN ocsp_response o ON o.serial = c.serial"
            + " WHERE c.issuer_label = ? AND c.not_after > ?";
    private static final String DUE_WHEN = "(o.serial IS NULL OR o.refresh_after <= ?"
            + " OR (r.serial IS NOT NULL AND o.status = 'good') OR o.responder_serial <> ?)";

    // A chunk travels by binary COPY into a session-local staging table (no WAL, no text encoding of the DER),
    // then one upsert moves it. A concurrent older write never replaces a newer response, nor revoked by good.
    private static final String STAGING = "CREATE TEMP TABLE IF NOT EXISTS ocsp_staging"
            + " (serial text, status text, der bytea, sha256 text) ON COMMIT DELETE ROWS";
    private static final String UPSERT = "INSERT INTO ocsp_response (serial, issuer_label, responder_serial, status,"
            + " this_update, next_update, refresh_after, produced_at, signed_seq, der, sha256)"
            + " SELECT s.serial, ?, ?, s.status, ?, ?, ?, ?, nextval('ocsp_signed_seq'), s.der, s.sha256"
            + " FROM ocsp_staging s"
            + " ON CONFLICT (serial) DO UPDATE SET issuer_label = EXCLUDED.issuer_label,"
            + " responder_serial = EXCLUDED.responder_serial, status = EXCLUDED.status,"
            + " this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update,"
            + " refresh_after = EXCLUDED.refresh_after, produced_at = EXCLUDED.produced_at,"
            + " signed_seq = EXCLUDED.signed_seq, der = EXCLUDED.der, sha256 = EXCLUDED.sha256"
            + " WHERE ocsp_response.this_update <= EXCLUDED.this_update"
            + " AND NOT (ocsp_response.status = 'revoked' AND EXCLUDED.status = 'good')";
    // PostgreSQL binary COPY: signature, flags, header extension length (COPY documentation, "Binary Format").
    private static final byte[] COPY_SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

    private final String issuerLabel;
    private final String responderSerial;

    public OcspResponseStore(String issuerLabel, String responderSerial) {
        this.issuerLabel = issuerLabel;
        this.responderSerial = responderSerial;
    }

    /** Creates or updates the presigner's tables; the CA's migrations must have run (they have, once the CA is open). */
    public static void migrate(DataSource ds) {
        Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/ocsp")
                .table("ocsp_schema_history")
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
    }

    public long countDue(Connection c, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*)" + DUE_FROM + " AND " + DUE_WHEN)) {
            bindDue(ps, now);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Streams the due certificates through a server-side cursor (autocommit must be off), so that a million
     * rows never sit in memory at once. In serial order: serials are random, so in the certificate table's order
     * every recorded response would land on a random page of ocsp_response's primary key, and once that index
     * outgrows PostgreSQL's shared buffers (~2M responses with 128 MB) each insert reads a page, evicts a dirty one
     * and writes a full-page image to the WAL; in serial order the key grows at its right edge
     * ({@code RecordingBenchmarkTest}: 21.4 against 10.0 µs of database CPU per response at 3M). The sort is one
     * pass over the due rows (serial and status only) before the first row comes.
     */
    public void streamDue(Connection c, Instant now, Consumer<Due> sink) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT c.serial, r.revoked_at, r.reason, o.serial IS NULL" + DUE_FROM
                + " AND " + DUE_WHEN + " ORDER BY c.serial")) {
            ps.setFetchSize(5_000);
            bindDue(ps, now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp revokedAt = rs.getTimestamp(2);
                    sink.accept(new Due(new BigInteger(rs.getString(1), 16),
                            revokedAt == null ? null : revokedAt.toInstant(), rs.getInt(3), rs.getBoolean(4)));
                }
            }
        }
    }

    private void bindDue(PreparedStatement ps, Instant now) throws SQLException {
        ps.setString(1, issuerLabel);
        ps.setTimestamp(2, Timestamp.from(now));
        ps.setTimestamp(3, Timestamp.from(now));
        ps.setString(4, responderSerial);
    }

    /**
     * Records one signed chunk (in the caller's transaction). Returns the rows written. A chunk of first responses
     * (the first pass over a new CA, or new certificates) goes by binary COPY straight into ocsp_response: nothing
     * is there to keep or replace, and the staging table plus upsert costs the database about as much again per
     * row (CPU this machine's software HSM shares). Should a response have appeared meanwhile (the primary key
     * refuses the COPY), the chunk goes the upsert way, whose rules then decide.
     */
    public int record(Connection tx, SignedChunk chunk) throws SQLException {
        if (chunk.first()) {
            Savepoint before = tx.setSavepoint();
            try {
                int n = insertFirst(tx, chunk);
                tx.releaseSavepoint(before);
                return n;
            } catch (SQLException e) {
                if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                    throw e;
                }
                tx.rollback(before);
            }
        }
        try (Statement st = tx.createStatement()) {
            st.execute(STAGING);
        }
        try {
            tx.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY ocsp_staging FROM STDIN (FORMAT binary)",
                    new ByteArrayInputStream(copyData(chunk)));
        } catch (IOException e) {
            throw new SQLException("cannot send the chunk to the database: " + e.getMessage(), e);
        }
        try (PreparedStatement ps = tx.prepareStatement(UPSERT)) {
            ps.setString(1, issuerLabel);
            ps.setString(2, responderSerial);
            ps.setTimestamp(3, Timestamp.from(chunk.thisUpdate()));
            ps.setTimestamp(4, Timestamp.from(chunk.nextUpdate()));
            ps.setTimestamp(5, Timestamp.from(chunk.refreshAfter()));
            ps.setTimestamp(6, Timestamp.from(chunk.thisUpdate()));
            return ps.executeUpdate();
        }
    }

    private static final String UNIQUE_VIOLATION = "23505";
    // PostgreSQL's binary timestamps: microseconds since 2000-01-01T00:00:00Z (COPY "Binary Format", integer datetimes).
    private static final long PG_EPOCH_SECONDS = 946_684_800L;

    private int insertFirst(Connection tx, SignedChunk chunk) throws SQLException {
        int n = chunk.size();
        long[] seq = new long[n];
        // One round trip for the chunk's signed_seq numbers, taken in this transaction as the upsert's nextval is.
        try (PreparedStatement ps = tx.prepareStatement("SELECT nextval('ocsp_signed_seq') FROM generate_series(1, ?)")) {
            ps.setInt(1, n);
            try (ResultSet rs = ps.executeQuery()) {
                for (int i = 0; i < n; i++) {
                    rs.next();
                    seq[i] = rs.getLong(1);
                }
            }
        }
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream(n * 1_200 + 64);
            DataOutputStream out = new DataOutputStream(buf);
            out.write(COPY_SIGNATURE);
            out.writeInt(0);
            out.writeInt(0);
            byte[] issuer = issuerLabel.getBytes(StandardCharsets.UTF_8);
            byte[] responder = responderSerial.getBytes(StandardCharsets.US_ASCII);
            long thisUpdate = pgTime(chunk.thisUpdate());
            long nextUpdate = pgTime(chunk.nextUpdate());
            long refreshAfter = pgTime(chunk.refreshAfter());
            for (int i = 0; i < n; i++) {
                out.writeShort(11);
                field(out, chunk.serials()[i].getBytes(StandardCharsets.US_ASCII));
                field(out, issuer);
                field(out, responder);
                field(out, chunk.statuses()[i].getBytes(StandardCharsets.US_ASCII));
                int64(out, thisUpdate);
                int64(out, nextUpdate);
                int64(out, refreshAfter);
                int64(out, thisUpdate);
                int64(out, seq[i]);
                field(out, chunk.ders()[i]);
                field(out, chunk.sha256s()[i].getBytes(StandardCharsets.US_ASCII));
            }
            out.writeShort(-1);
            return (int) tx.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY ocsp_response (serial, issuer_label,"
                    + " responder_serial, status, this_update, next_update, refresh_after, produced_at, signed_seq, der,"
                    + " sha256) FROM STDIN (FORMAT binary)", new ByteArrayInputStream(buf.toByteArray()));
        } catch (IOException e) {
            throw new SQLException("cannot send the chunk to the database: " + e.getMessage(), e);
        }
    }

    private static long pgTime(Instant t) {
        return (t.getEpochSecond() - PG_EPOCH_SECONDS) * 1_000_000L + t.getNano() / 1_000;
    }

    private static void int64(DataOutputStream out, long v) throws IOException {
        out.writeInt(8);
        out.writeLong(v);
    }

    private static byte[] copyData(SignedChunk chunk) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(chunk.size() * 1_100 + 64);
        DataOutputStream out = new DataOutputStream(buf);
        out.write(COPY_SIGNATURE);
        out.writeInt(0);
        out.writeInt(0);
        for (int i = 0; i < chunk.size(); i++) {
            out.writeShort(4);
            field(out, chunk.serials()[i].getBytes(StandardCharsets.US_ASCII));
            field(out, chunk.statuses()[i].getBytes(StandardCharsets.US_ASCII));
            field(out, chunk.ders()[i]);
            field(out, chunk.sha256s()[i].getBytes(StandardCharsets.US_ASCII));
        }
        out.writeShort(-1);
        return buf.toByteArray();
    }

    private static void field(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value.length);
        out.write(value);
    }

    public Counts counts(Connection c, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*),"
                + " count(*) FILTER (WHERE o.status = 'good'),"
                + " count(*) FILTER (WHERE o.status = 'revoked'),"
                + " count(*) FILTER (WHERE o.serial IS NULL),"
                + " count(*) FILTER (WHERE " + DUE_WHEN + "),"
                + " count(*) FILTER (WHERE o.next_update <= ?)" + DUE_FROM)) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setString(2, responderSerial);
            ps.setTimestamp(3, Timestamp.from(now));
            ps.setString(4, issuerLabel);
            ps.setTimestamp(5, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new Counts(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6));
            }
        }
    }
}
