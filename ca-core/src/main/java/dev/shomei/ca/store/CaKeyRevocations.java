package dev.shomei.ca.store;

import dev.shomei.ca.issuance.RevocationReason;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The CA certificates the root revoked ({@code revoked_ca_key}): read by the root's CRL (ARL), by the presigner and
 * by the publication bundle, which stop serving a revoked issuing generation; written by {@code ca revoke-ca}.
 *
 * <p>Zone: secure. Touches the revoked_ca_key table only, on the caller's connection and transaction.
 */
public final class CaKeyRevocations {

    /** One revoked CA certificate, as it goes on the ARL. */
    public record Entry(String label, BigInteger serial, RevocationReason reason, Instant revokedAt, String revokedBy) {}

    private CaKeyRevocations() {}

    public static List<Entry> all(Connection c) throws SQLException {
        List<Entry> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT label, serial, reason_code, revoked_at, revoked_by"
                + " FROM revoked_ca_key ORDER BY revoked_at, label");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Entry(rs.getString(1), new BigInteger(rs.getString(2), 16),
                        RevocationReason.of(rs.getInt(3)), rs.getTimestamp(4).toInstant(), rs.getString(5)));
            }
        }
        return out;
    }

    public static Set<String> revokedLabels(Connection c) throws SQLException {
        Set<String> out = new LinkedHashSet<>();
        for (Entry e : all(c)) {
            out.add(e.label());
        }
        return out;
    }

    public static void insert(Connection c, Entry e) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO revoked_ca_key (label, serial, reason_code,"
                + " revoked_at, revoked_by) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, e.label());
            ps.setString(2, e.serial().toString(16));
            ps.setInt(3, e.reason().code());
            ps.setTimestamp(4, Timestamp.from(e.revokedAt()));
            ps.setString(5, e.revokedBy());
            ps.executeUpdate();
        }
    }
}
