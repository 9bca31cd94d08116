package dev.shomei.ca.status;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.orders.OrderPuller;
import dev.shomei.pkcs11.Signer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;

/**
 * What the CA reports about itself in its status document (docs/monitoring.md): per issuing-key generation its
 * current CRL (number, thisUpdate, nextUpdate), the root's CRL, the audit checkpoints signed, the HSM's health (a
 * probe signed and verified with the issuing key) and the order pull (last pass, results not yet delivered).
 *
 * <p>Zone: secure. Reads the CA database ({@code ca_key}, {@code crl}, {@code root_crl}, {@code audit_checkpoint},
 * {@code order_bundle}) and signs one probe in the HSM; writes nothing.
 */
public final class CaStatus {

    /** The last pull pass, when the status is pushed from the pull loop; null from {@code ca status}. */
    public record LastPull(Instant at, OrderPuller.Pass pass) {}

    private CaStatus() {}

    public static ObjectNode collect(CertificateAuthority ca, Clock clock, LastPull lastPull) {
        Instant now = clock.instant();
        ObjectNode doc = StatusDocument.start("ca", now);
        try (Connection c = ca.database().dataSource().getConnection()) {
            generations(c, doc.putArray("generations"), ca.config().issuingKeyLabel());
            rootCrl(c, doc);
            checkpoints(c, doc.putObject("audit"));
            orders(c, doc.putObject("orders"), lastPull);
            c.rollback();
        } catch (SQLException e) {
            doc.putObject("database").put("ok", false).put("detail", "the CA database could not be read: "
                    + e.getMessage());
        }
        ObjectNode hsm = doc.putObject("hsm");
        hsm.put("token", ca.token().config().tokenLabel());
        hsm.put("checkedAt", now.toString());
        try {
            Signer.Health h = ca.issuingSigner().health();
            hsm.put("ok", h.ok()).put("detail", h.detail());
        } catch (RuntimeException e) {
            hsm.put("ok", false).put("detail", "the HSM failed the probe: " + e.getMessage());
        }
        return doc;
    }

    /** Every issuing-key generation (a renewal leaves the old one signing its own CRLs) with its newest CRL. */
    private static void generations(Connection c, ArrayNode out, String currentLabel) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT k.label, k.subject, k.not_after, l.crl_number, l.this_update, l.next_update, l.entries
                FROM ca_key k
                LEFT JOIN LATERAL (SELECT crl_number, this_update, next_update, entries FROM crl
                                   WHERE crl.issuer_label = k.label ORDER BY crl_number DESC LIMIT 1) l ON true
                WHERE k.role = 'ISSUING' ORDER BY k.not_after, k.label""");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ObjectNode g = out.addObject();
                g.put("label", rs.getString(1));
                g.put("subject", rs.getString(2));
                g.put("notAfter", instant(rs.getTimestamp(3)));
                g.put("current", rs.getString(1).equals(currentLabel));
                if (rs.getObject(4) != null) {
                    ObjectNode crl = g.putObject("crl");
                    crl.put("number", rs.getLong(4));
                    crl.put("thisUpdate", instant(rs.getTimestamp(5)));
                    crl.put("nextUpdate", instant(rs.getTimestamp(6)));
                    crl.put("entries", rs.getInt(7));
                }
            }
        }
    }

    private static void rootCrl(Connection c, ObjectNode doc) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT number, issuer_label, this_update, next_update"
                + " FROM root_crl ORDER BY number DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                doc.putObject("rootCrl").put("number", rs.getLong(1)).put("label", rs.getString(2))
                        .put("thisUpdate", instant(rs.getTimestamp(3))).put("nextUpdate", instant(rs.getTimestamp(4)));
            }
        }
    }

    /** Checkpoints signed (each is published with the CRL it came with), per log origin. */
    private static void checkpoints(Connection c, ObjectNode audit) throws SQLException {
        ArrayNode logs = audit.putArray("logs");
        try (PreparedStatement ps = c.prepareStatement("SELECT origin, count(*), max(signed_at), max(tree_size)"
                + " FROM audit_checkpoint GROUP BY origin ORDER BY origin");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                logs.addObject().put("origin", rs.getString(1)).put("checkpoints", rs.getLong(2))
                        .put("latestSignedAt", instant(rs.getTimestamp(3))).put("latestTreeSize", rs.getLong(4));
            }
        }
    }

    private static void orders(Connection c, ObjectNode orders, LastPull lastPull) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT max(completed_at), max(result_delivered_at),"
                + " count(*) FILTER (WHERE completed_at IS NOT NULL AND result_delivered_at IS NULL"
                + " AND result_refused_at IS NULL),"
                + " count(*) FILTER (WHERE result_refused_at IS NOT NULL AND result_delivered_at IS NULL)"
                + " FROM order_bundle");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            orders.put("lastBundleCompletedAt", instant(rs.getTimestamp(1)));
            orders.put("lastResultDeliveredAt", instant(rs.getTimestamp(2)));
            orders.put("resultsWaiting", rs.getLong(3));
            orders.put("resultsRefusedByRa", rs.getLong(4));
        }
        if (lastPull != null) {
            ObjectNode p = orders.putObject("lastPull");
            p.put("at", lastPull.at().toString());
            p.put("executed", lastPull.pass().executed());
            p.put("delivered", lastPull.pass().delivered());
            p.put("problem", lastPull.pass().problem());
        }
    }

    static String instant(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
