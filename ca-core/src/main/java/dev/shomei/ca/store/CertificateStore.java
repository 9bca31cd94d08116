package dev.shomei.ca.store;

import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * SQL for the CA's records. Every method runs on the caller's connection, inside the caller's
 * transaction, so that a signature and its record commit together or not at all.
 *
 * <p>Zone: secure.
 */
public final class CertificateStore {

    public record CaKeyRecord(String label, String role, byte[] certificate, String subject, String sha256,
                              String sha1, Instant notBefore, Instant notAfter) {}

    public record CertificateRecord(String serial, String issuerLabel, String requestId, String profile,
                                    String subject, Instant notBefore, Instant notAfter, byte[] der,
                                    Instant issuedAt, Revocation revocation) {}

    public record Revocation(Instant revokedAt, int reason, String requestedBy) {}

    /** A CRL entry; {@code listedBefore} is false for a revocation no CRL has listed yet. */
    public record RevokedEntry(BigInteger serial, Instant revokedAt, int reason, boolean listedBefore) {}

    public record CrlRecord(String issuerLabel, long number, Instant thisUpdate, Instant nextUpdate, int entries,
                            String sha256) {}

    public static String hex(BigInteger serial) {
        return serial.toString(16);
    }

    public void insertCaKey(Connection c, CaKeyRecord k) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO ca_key (label, role, certificate, subject,"
                + " sha256_fingerprint, sha1_fingerprint, not_before, not_after) VALUES (?,?,?,?,?,?,?,?)")) {
            ps.setString(1, k.label());
            ps.setString(2, k.role());
            ps.setBytes(3, k.certificate());
            ps.setString(4, k.subject());
            ps.setString(5, k.sha256());
            ps.setString(6, k.sha1());
            ps.setTimestamp(7, Timestamp.from(k.notBefore()));
            ps.setTimestamp(8, Timestamp.from(k.notAfter()));
            ps.executeUpdate();
        }
    }

    public Optional<CaKeyRecord> caKey(Connection c, String label) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT label, role, certificate, subject, sha256_fingerprint,"
                + " sha1_fingerprint, not_before, not_after FROM ca_key WHERE label = ?")) {
            ps.setString(1, label);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(caKeyRow(rs)) : Optional.empty();
            }
        }
    }

    public List<CaKeyRecord> caKeys(Connection c) throws SQLException {
        List<CaKeyRecord> keys = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT label, role, certificate, subject, sha256_fingerprint,"
                + " sha1_fingerprint, not_before, not_after FROM ca_key ORDER BY created_at, label");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(caKeyRow(rs));
            }
        }
        return keys;
    }

    private static CaKeyRecord caKeyRow(ResultSet rs) throws SQLException {
        return new CaKeyRecord(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getTimestamp(7).toInstant(), rs.getTimestamp(8).toInstant());
    }

    /** Locks the issuer's row: serialises CRL numbering for that issuer. */
    public void lockIssuer(Connection c, String label) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT label FROM ca_key WHERE label = ? FOR UPDATE")) {
            ps.setString(1, label);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no CA key '" + label + "' in the CA database");
                }
            }
        }
    }

    /** A certificate to record, with the SHA-256 (hex) of its public key. */
    public record NewCertificate(CertificateRecord record, String publicKeySha256) {}

    /** Inserts certificates in one JDBC batch (one round trip with PgJDBC's rewritten batches). */
    public void insertCertificates(Connection c, List<NewCertificate> certificates) throws SQLException {
        if (certificates.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO certificate (serial, issuer_label, request_id,"
                + " profile, subject, public_key_sha256, not_before, not_after, der) VALUES (?,?,?,?,?,?,?,?,?)")) {
            for (NewCertificate n : certificates) {
                CertificateRecord r = n.record();
                ps.setString(1, r.serial());
                ps.setString(2, r.issuerLabel());
                ps.setString(3, r.requestId());
                ps.setString(4, r.profile());
                ps.setString(5, r.subject());
                ps.setString(6, n.publicKeySha256());
                ps.setTimestamp(7, Timestamp.from(r.notBefore()));
                ps.setTimestamp(8, Timestamp.from(r.notAfter()));
                ps.setBytes(9, r.der());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static final String CERT_COLUMNS = "c.serial, c.issuer_label, c.request_id, c.profile, c.subject,"
            + " c.not_before, c.not_after, c.der, c.issued_at, r.revoked_at, r.reason, r.requested_by"
            + " FROM certificate c LEFT JOIN revocation r ON r.serial = c.serial";

    public Optional<CertificateRecord> bySerial(Connection c, String serialHex, boolean forUpdate) throws SQLException {
        String sql = "SELECT " + CERT_COLUMNS + " WHERE c.serial = ?" + (forUpdate ? " FOR UPDATE OF c" : "");
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, serialHex);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(certRow(rs)) : Optional.empty();
            }
        }
    }

    /** The certificates already issued for any of these request ids, by request id. */
    public java.util.Map<String, CertificateRecord> byRequestIds(Connection c, List<String> requestIds) throws SQLException {
        java.util.Map<String, CertificateRecord> out = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CERT_COLUMNS + " WHERE c.request_id = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", requestIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    CertificateRecord r = certRow(rs);
                    out.put(r.requestId(), r);
                }
            }
        }
        return out;
    }

    /** The most recent certificates first, for an operator's overview. */
    public List<CertificateRecord> recent(Connection c, int limit) throws SQLException {
        List<CertificateRecord> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + CERT_COLUMNS
                + " ORDER BY c.issued_at DESC, c.serial LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(certRow(rs));
                }
            }
        }
        return out;
    }

    /** Unexpired revocations of the issuer's certificates that no CRL has listed yet. */
    public long unlistedRevocations(Connection c, String issuerLabel, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM revocation r JOIN certificate x"
                + " ON x.serial = r.serial WHERE x.issuer_label = ? AND r.first_crl_number IS NULL AND x.not_after > ?")) {
            ps.setString(1, issuerLabel);
            ps.setTimestamp(2, Timestamp.from(at));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Records that CRL {@code crlNumber} is the first to list these revocations (hex serials). */
    public void markListed(Connection c, List<String> serials, long crlNumber) throws SQLException {
        if (serials.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE revocation SET first_crl_number = ? WHERE serial = ANY (?) AND first_crl_number IS NULL")) {
            ps.setLong(1, crlNumber);
            ps.setArray(2, c.createArrayOf("text", serials.toArray()));
            ps.executeUpdate();
        }
    }

    public long count(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static CertificateRecord certRow(ResultSet rs) throws SQLException {
        Timestamp revokedAt = rs.getTimestamp(10);
        Revocation rev = revokedAt == null ? null
                : new Revocation(revokedAt.toInstant(), rs.getInt(11), rs.getString(12));
        return new CertificateRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getTimestamp(6).toInstant(), rs.getTimestamp(7).toInstant(), rs.getBytes(8),
                rs.getTimestamp(9).toInstant(), rev);
    }

    public void insertRevocation(Connection c, String serialHex, Revocation r) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO revocation (serial, revoked_at, reason, requested_by) VALUES (?,?,?,?)")) {
            ps.setString(1, serialHex);
            ps.setTimestamp(2, Timestamp.from(r.revokedAt()));
            ps.setInt(3, r.reason());
            ps.setString(4, r.requestedBy());
            ps.executeUpdate();
        }
    }

    /**
     * Streams the revoked, unexpired certificates of an issuer (RFC 5280 §3.3: an entry may be removed
     * once the certificate has expired) in serial order, from a server-side cursor.
     */
    public void revokedEntries(Connection c, String issuerLabel, Instant at, Consumer<RevokedEntry> sink)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT c.serial, r.revoked_at, r.reason,"
                + " r.first_crl_number IS NOT NULL FROM revocation r"
                + " JOIN certificate c ON c.serial = r.serial WHERE c.issuer_label = ? AND c.not_after > ?"
                + " ORDER BY c.serial")) {
            ps.setFetchSize(10_000);
            ps.setString(1, issuerLabel);
            ps.setTimestamp(2, Timestamp.from(at));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sink.accept(new RevokedEntry(new BigInteger(rs.getString(1), 16),
                            rs.getTimestamp(2).toInstant(), rs.getInt(3), rs.getBoolean(4)));
                }
            }
        }
    }

    public long lastCrlNumber(Connection c, String issuerLabel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(max(crl_number), 0) FROM crl WHERE issuer_label = ?")) {
            ps.setString(1, issuerLabel);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Records a CRL; its DER is streamed from {@code der} (a large CRL never sits in memory whole). */
    public void insertCrl(Connection c, CrlRecord r, java.io.InputStream der, long length) throws SQLException {
        insertCrl(c, r, der, length, 0);
    }

    /** Records a full CRL signed with {@code shards} shard CRLs beside it (V50). */
    public void insertCrl(Connection c, CrlRecord r, java.io.InputStream der, long length, int shards)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO crl (issuer_label, crl_number, this_update,"
                + " next_update, entries, sha256, der, shards) VALUES (?,?,?,?,?,?,?," + shards + ")")) {
            ps.setString(1, r.issuerLabel());
            ps.setLong(2, r.number());
            ps.setTimestamp(3, Timestamp.from(r.thisUpdate()));
            ps.setTimestamp(4, Timestamp.from(r.nextUpdate()));
            ps.setInt(5, r.entries());
            ps.setString(6, r.sha256());
            ps.setBinaryStream(7, der, length);
            ps.executeUpdate();
        }
    }

    /** Records one shard of a partitioned CRL, with the number and times of its full CRL {@code r}. */
    public void insertCrlShard(Connection c, CrlRecord r, int shard, int entries, String sha256, byte[] der)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO crl_shard (issuer_label, crl_number, shard,"
                + " this_update, next_update, entries, sha256, der) VALUES (?,?,?,?,?,?,?,?)")) {
            ps.setString(1, r.issuerLabel());
            ps.setLong(2, r.number());
            ps.setInt(3, shard);
            ps.setTimestamp(4, Timestamp.from(r.thisUpdate()));
            ps.setTimestamp(5, Timestamp.from(r.nextUpdate()));
            ps.setInt(6, entries);
            ps.setString(7, sha256);
            ps.setBytes(8, der);
            ps.executeUpdate();
        }
    }

    /** The shard count of the issuer's latest CRL (0: not partitioned), if it has one. */
    public java.util.OptionalInt lastCrlShards(Connection c, String issuerLabel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT shards FROM crl WHERE issuer_label = ? ORDER BY crl_number DESC LIMIT 1")) {
            ps.setString(1, issuerLabel);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? java.util.OptionalInt.of(rs.getInt(1)) : java.util.OptionalInt.empty();
            }
        }
    }

    /** The DER of shard {@code shard} of CRL {@code number}, if that CRL was partitioned. */
    public Optional<byte[]> crlShardDer(Connection c, String issuerLabel, long number, int shard) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT der FROM crl_shard WHERE issuer_label = ? AND crl_number = ? AND shard = ?")) {
            ps.setString(1, issuerLabel);
            ps.setLong(2, number);
            ps.setInt(3, shard);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
            }
        }
    }

    public Optional<CrlRecord> latestCrl(Connection c, String issuerLabel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT issuer_label, crl_number, this_update, next_update,"
                + " entries, sha256 FROM crl WHERE issuer_label = ? ORDER BY crl_number DESC LIMIT 1")) {
            ps.setString(1, issuerLabel);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new CrlRecord(rs.getString(1), rs.getLong(2),
                        rs.getTimestamp(3).toInstant(), rs.getTimestamp(4).toInstant(), rs.getInt(5),
                        rs.getString(6))) : Optional.empty();
            }
        }
    }
}
