package dev.shomei.ca.issuance;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The signing-intent records (V40, docs/faults.md): what the CA is about to have the HSM sign, committed before the
 * signature, and how each intent ended. A serial or CRL number is taken once, here, and never again.
 *
 * <p>An intent in flight is held by its process with a PostgreSQL session advisory lock (released when the
 * process's connection ends, so a crashed process holds nothing): recovery resolves only intents nobody holds.
 *
 * <p>Zone: secure. Touches {@code signing_intent} and {@code signing_intent_resolution} on the caller's
 * connection, in the caller's transaction.
 */
public final class SigningIntents {

    /** pg_advisory_lock's two-key form: this class's key space ("SI"), the intent id in the second key. */
    private static final int LOCK_CLASS = 0x5349;

    /** A certificate about to be signed: its serial (hex), request, profile, key and the TBSCertificate DER. */
    public record CertificateIntent(long id, String serial, String requestId, String profile, String publicKeySha256,
                                    byte[] tbs) {}

    /** A CRL number taken and not yet resolved. */
    public record CrlIntent(long id, long number, Instant thisUpdate, Instant nextUpdate) {}

    /**
     * Inserts the intents and returns them with their ids, in the order given: one statement for the whole batch
     * (arrays unnested), so a batch of a thousand costs one round trip, not a thousand.
     */
    public List<CertificateIntent> recordCertificates(Connection c, String issuerLabel, List<CertificateIntent> intents)
            throws SQLException {
        int n = intents.size();
        String[] serials = new String[n];
        String[] requests = new String[n];
        String[] profiles = new String[n];
        String[] keys = new String[n];
        String[] tbs = new String[n];
        String[] digests = new String[n];
        for (int i = 0; i < n; i++) {
            CertificateIntent x = intents.get(i);
            serials[i] = x.serial();
            requests[i] = x.requestId();
            profiles[i] = x.profile();
            keys[i] = x.publicKeySha256();
            tbs[i] = HexFormat.of().formatHex(x.tbs());
            digests[i] = HexFormat.of().formatHex(CertificateIssuer.sha256(x.tbs()));
        }
        java.util.Map<String, Long> ids = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO signing_intent (kind, issuer_label, serial,"
                + " request_id, profile, public_key_sha256, tbs, tbs_sha256) SELECT 'certificate', ?, s, r, p, k,"
                + " decode(t, 'hex'), d FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])"
                + " AS x(s, r, p, k, t, d) RETURNING id, serial")) {
            ps.setString(1, issuerLabel);
            ps.setArray(2, c.createArrayOf("text", serials));
            ps.setArray(3, c.createArrayOf("text", requests));
            ps.setArray(4, c.createArrayOf("text", profiles));
            ps.setArray(5, c.createArrayOf("text", keys));
            ps.setArray(6, c.createArrayOf("text", tbs));
            ps.setArray(7, c.createArrayOf("text", digests));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.put(rs.getString(2), rs.getLong(1));
                }
            }
        }
        List<CertificateIntent> out = new ArrayList<>(n);
        for (CertificateIntent x : intents) {
            out.add(new CertificateIntent(ids.get(x.serial()), x.serial(), x.requestId(), x.profile(),
                    x.publicKeySha256(), x.tbs()));
        }
        return out;
    }

    public long recordCrl(Connection c, String issuerLabel, long number, Instant thisUpdate, Instant nextUpdate)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO signing_intent (kind, issuer_label, crl_number,"
                + " this_update, next_update) VALUES ('crl',?,?,?,?) RETURNING id")) {
            ps.setString(1, issuerLabel);
            ps.setLong(2, number);
            ps.setTimestamp(3, Timestamp.from(thisUpdate));
            ps.setTimestamp(4, Timestamp.from(nextUpdate));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * The next CRL number of an issuer: above every CRL recorded and every number ever taken by an intent, so a
     * number taken before a crash is skipped, never reused (RFC 5280 §5.2.3 asks for increasing numbers, not
     * consecutive ones).
     */
    public long nextCrlNumber(Connection c, String issuerLabel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT greatest("
                + "(SELECT coalesce(max(crl_number), 0) FROM crl WHERE issuer_label = ?),"
                + "(SELECT coalesce(max(crl_number), 0) FROM signing_intent WHERE kind = 'crl' AND issuer_label = ?))")) {
            ps.setString(1, issuerLabel);
            ps.setString(2, issuerLabel);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) + 1;
            }
        }
    }

    public void resolve(Connection c, long intentId, String outcome, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO signing_intent_resolution (intent_id, outcome, reason) VALUES (?,?,?)")) {
            ps.setLong(1, intentId);
            ps.setString(2, outcome);
            ps.setString(3, reason);
            ps.executeUpdate();
        }
    }

    /** {@link #resolve} for many intents with the same outcome and no reason, in one statement. */
    public void resolveAll(Connection c, List<Long> intentIds, String outcome) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO signing_intent_resolution (intent_id, outcome)"
                + " SELECT x, ? FROM unnest(?::bigint[]) x")) {
            ps.setString(1, outcome);
            ps.setArray(2, c.createArrayOf("int8", intentIds.toArray()));
            ps.executeUpdate();
        }
    }

    /** Unresolved certificate intents of an issuer, oldest first. */
    public List<CertificateIntent> pendingCertificates(Connection c, String issuerLabel) throws SQLException {
        List<CertificateIntent> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT i.id, i.serial, i.request_id, i.profile,"
                + " i.public_key_sha256, i.tbs FROM signing_intent i WHERE i.kind = 'certificate' AND i.issuer_label = ?"
                + " AND NOT EXISTS (SELECT 1 FROM signing_intent_resolution r WHERE r.intent_id = i.id) ORDER BY i.id")) {
            ps.setString(1, issuerLabel);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new CertificateIntent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getBytes(6)));
                }
            }
        }
        return out;
    }

    /** Unresolved CRL intents of an issuer, oldest first. */
    public List<CrlIntent> pendingCrls(Connection c, String issuerLabel) throws SQLException {
        List<CrlIntent> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT i.id, i.crl_number, i.this_update, i.next_update"
                + " FROM signing_intent i WHERE i.kind = 'crl' AND i.issuer_label = ? AND NOT EXISTS"
                + " (SELECT 1 FROM signing_intent_resolution r WHERE r.intent_id = i.id) ORDER BY i.id")) {
            ps.setString(1, issuerLabel);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new CrlIntent(rs.getLong(1), rs.getLong(2), rs.getTimestamp(3).toInstant(),
                            rs.getTimestamp(4).toInstant()));
                }
            }
        }
        return out;
    }

    /** Holds the intents for this connection's session (until {@link #unlock} or the connection ends). */
    public void lock(Connection c, List<Long> ids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_advisory_lock(?, x)) FROM unnest(?::int[]) x")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setArray(2, c.createArrayOf("int4", ids.stream().map(id -> (int) (long) id).toArray()));
            ps.executeQuery().close();
        }
    }

    /** False when another session holds the intent: it is in flight, not abandoned. */
    public boolean tryLock(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setInt(2, (int) id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Releases the session locks; the connection goes back to the pool without them. Whatever the connection's
     * transaction still holds is rolled back first: this runs in {@code finally}, also when an {@link Error} stopped
     * the work half-way, and must never commit that half.
     */
    public void unlock(Connection c, List<Long> ids) {
        try {
            c.rollback();
        } catch (SQLException e) {
            return; // the connection is broken: PostgreSQL released its session locks with it
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(pg_advisory_unlock(?, x)) FROM unnest(?::int[]) x")) {
            ps.setInt(1, LOCK_CLASS);
            ps.setArray(2, c.createArrayOf("int4", ids.stream().map(id -> (int) (long) id).toArray()));
            ps.executeQuery().close();
            c.commit();
        } catch (SQLException e) {
            // The connection is broken: PostgreSQL released its session locks with it.
        }
    }

    /**
     * A private spool file for a CRL being signed (a million entries make 40 MB; it is streamed, not held in
     * memory): in a directory only this user can read, named {@code .partial} so no publisher takes it for a CRL,
     * and removed when its intent is resolved. Files left by a crashed process are removed by {@link #discardSpool}.
     */
    public static Path crlSpool(String issuerLabel, long number) throws IOException {
        Path dir = spoolDirectory();
        Path f = Files.createTempFile(dir, spoolPrefix(issuerLabel, number), ".partial");
        f.toFile().deleteOnExit();
        return f;
    }

    /** Removes what a crashed CRL signing left in the spool for this number. */
    public static void discardSpool(String issuerLabel, long number) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spoolDirectory(), spoolPrefix(issuerLabel, number) + "*.partial")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Best effort: a leftover is never published (private directory, .partial name).
        }
    }

    private static String spoolPrefix(String issuerLabel, long number) {
        return "crl-" + issuerLabel.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + number + "-";
    }

    private static Path spoolDirectory() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "shomei-crl-spool-" + System.getProperty("user.name"));
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // created by another process of the same user
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(dir);
            }
        }
        return dir;
    }
}
