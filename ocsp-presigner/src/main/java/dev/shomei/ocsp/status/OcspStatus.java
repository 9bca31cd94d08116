package dev.shomei.ocsp.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.status.StatusDocument;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * What the presigner reports in its status document (docs/monitoring.md): per issuing-key generation, the
 * pre-signed OCSP responses of its unexpired certificates — how many, the oldest thisUpdate, the earliest
 * nextUpdate, how many are past half their validity (due for re-signing, CP/CPS 4.9.10) or past nextUpdate, and how
 * many certificates have none — and the last publication bundle written.
 *
 * <p>Zone: secure. Reads {@code certificate}, {@code ocsp_response} and {@code publication_bundle}; writes nothing.
 */
public final class OcspStatus {

    public static final String COMPONENT = "ocsp-presigner";

    private OcspStatus() {}

    public static ObjectNode collect(Connection c, Instant now) throws SQLException {
        ObjectNode doc = StatusDocument.start(COMPONENT, now);
        ArrayNode issuers = doc.putArray("issuers");
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT c.issuer_label, count(o.serial), min(o.this_update), min(o.next_update),
                       count(*) FILTER (WHERE o.refresh_after <= ?), count(*) FILTER (WHERE o.next_update <= ?),
                       count(*) FILTER (WHERE o.serial IS NULL)
                FROM certificate c LEFT JOIN ocsp_response o ON o.serial = c.serial
                WHERE c.not_after > ? GROUP BY c.issuer_label ORDER BY c.issuer_label""")) {
            Timestamp t = Timestamp.from(now);
            ps.setTimestamp(1, t);
            ps.setTimestamp(2, t);
            ps.setTimestamp(3, t);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode i = issuers.addObject();
                    i.put("issuer", rs.getString(1));
                    i.put("responses", rs.getLong(2));
                    i.put("oldestThisUpdate", instant(rs.getTimestamp(3)));
                    i.put("earliestNextUpdate", instant(rs.getTimestamp(4)));
                    i.put("pastHalfValidity", rs.getLong(5));
                    i.put("lapsed", rs.getLong(6));
                    i.put("missing", rs.getLong(7));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*), max(created_at) FROM publication_bundle");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            doc.putObject("bundles").put("written", rs.getLong(1)).put("lastCreatedAt", instant(rs.getTimestamp(2)));
        }
        return doc;
    }

    private static String instant(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
