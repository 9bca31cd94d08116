package dev.shomei.publisher;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads millions of issued-certificate rows (and the revocations of every n-th) into the CA's real schema, the way
 * a database restore does: the indexes and constraints of {@code certificate} and {@code revocation} are read from
 * the catalog, dropped, the rows generated server-side in chunks ({@code INSERT … SELECT … FROM generate_series}:
 * no row crosses the network), and the same indexes and constraints created again (sorted index builds instead of
 * ten million random B-tree inserts into five indexes), then {@code VACUUM ANALYZE}. The revocation trigger, which
 * ends a certificate's life ({@code live = false}), is off during the load; the rows are written with that effect
 * already applied. Progress on stdout per chunk and per index.
 *
 * <p>Test scope (benchmarks). Connects as the tables' owner; writes only the CA's certificate and revocation
 * tables of a throwaway database.
 */
final class BulkCertificates {

    private BulkCertificates() {
    }

    // 125–127-bit positive serials in lowercase hex like SerialNumbers.random's (first digit 1..7, 32 digits),
    // pseudo-random so that they spread over the CRL shards (serial mod shards) as real ones do.
    private static final String SERIAL = "to_hex(1 + get_byte(decode(md5('s' || i), 'hex'), 0) % 7) || substr(md5('s' || i), 2)";

    static void load(Connection c, long rows, int revokedEvery, long chunk, String issuerLabel, byte[] der)
            throws SQLException {
        c.setAutoCommit(true);
        try (Statement st = c.createStatement()) {
            // A bulk load's own session: its commits need not wait for the WAL flush (the rows are in the WAL
            // all the same); index builds get room to sort in memory (PostgreSQL's, not this JVM's).
            st.execute("SET synchronous_commit = off");
            st.execute("SET maintenance_work_mem = '512MB'");
            List<String[]> constraints = new ArrayList<>();
            List<String> indexes = new ArrayList<>();
            // Foreign keys first (the revocation → certificate key depends on certificate's primary key).
            try (ResultSet rs = st.executeQuery("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
                    + " FROM pg_constraint WHERE contype IN ('p', 'u', 'f') AND (conrelid IN ('certificate'::regclass,"
                    + " 'revocation'::regclass) OR confrelid IN ('certificate'::regclass, 'revocation'::regclass))"
                    + " ORDER BY contype = 'f' DESC")) {
                while (rs.next()) {
                    constraints.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                    + " AND tablename IN ('certificate', 'revocation') AND indexname NOT IN (SELECT conname FROM"
                    + " pg_constraint WHERE contype IN ('p', 'u'))")) {
                while (rs.next()) {
                    indexes.add(rs.getString(1));
                }
            }
            for (String[] k : constraints) {
                st.execute("ALTER TABLE " + k[0] + " DROP CONSTRAINT " + k[1]);
            }
            try (ResultSet rs = st.executeQuery("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                    + " AND tablename IN ('certificate', 'revocation')")) {
                List<String> names = new ArrayList<>();
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
                for (String n : names) {
                    st.execute("DROP INDEX " + n);
                }
            }
            st.execute("ALTER TABLE revocation DISABLE TRIGGER revocation_ends_live");

            long t0 = System.nanoTime();
            try (PreparedStatement certs = c.prepareStatement("INSERT INTO certificate (serial, issuer_label, request_id,"
                    + " profile, subject, public_key_sha256, not_before, not_after, der, issued_at, live)"
                    + " SELECT " + SERIAL + ", ?, 'bulk-' || i, 'subscriber-signature', 'CN=Bulk Subscriber ' || i || ',C=JP',"
                    + " encode(sha256(('k' || i)::bytea), 'hex'), now() - interval '1 day', now() + interval '364 days',"
                    + " ?, now(), i % " + revokedEvery + " <> 0 FROM generate_series(?::bigint, ?::bigint) i");
                 PreparedStatement revocations = c.prepareStatement("INSERT INTO revocation (serial, revoked_at, reason,"
                    + " requested_by) SELECT " + SERIAL + ", now() - interval '1 hour',"
                    + " (ARRAY[1, 1, 1, 3, 4, 5, 0])[1 + (i / " + revokedEvery + ") % 7], 'Bulk Operator'"
                    + " FROM generate_series(?::bigint, ?::bigint) i WHERE i % " + revokedEvery + " = 0")) {
                for (long from = 1; from <= rows; from += chunk) {
                    long to = Math.min(rows, from + chunk - 1);
                    certs.setString(1, issuerLabel);
                    certs.setBytes(2, der);
                    certs.setLong(3, from);
                    certs.setLong(4, to);
                    certs.executeUpdate();
                    revocations.setLong(1, from);
                    revocations.setLong(2, to);
                    revocations.executeUpdate();
                    double s = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("load: %,d / %,d rows (%.0f%%) in %.0f s, %,.0f rows/s%n", to, rows, 100.0 * to / rows,
                            s, to / s);
                }
            }
            st.execute("ALTER TABLE revocation ENABLE TRIGGER revocation_ends_live");
            // Same definitions as before the load: keys and unique constraints, then plain indexes, then foreign keys.
            List<String[]> ordered = new ArrayList<>(constraints.reversed());
            for (String[] k : ordered) {
                if (!k[2].startsWith("FOREIGN KEY")) {
                    timed(st, "ALTER TABLE " + k[0] + " ADD CONSTRAINT " + k[1] + " " + k[2]);
                }
            }
            for (String ix : indexes) {
                timed(st, ix);
            }
            for (String[] k : ordered) {
                if (k[2].startsWith("FOREIGN KEY")) {
                    timed(st, "ALTER TABLE " + k[0] + " ADD CONSTRAINT " + k[1] + " " + k[2]);
                }
            }
            timed(st, "VACUUM ANALYZE certificate");
            timed(st, "VACUUM ANALYZE revocation");
        }
    }

    private static void timed(Statement st, String sql) throws SQLException {
        long t0 = System.nanoTime();
        st.execute(sql);
        System.out.printf("load: %s (%.0f s)%n", sql, (System.nanoTime() - t0) / 1e9);
    }
}
