package dev.shomei.ca.orders;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.issuance.Csr;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * Executes RA-signed order bundles, whether pulled from the RA or carried in as a file (one code path),
 * and answers with a CA-signed result bundle (docs/order-bundles.md).
 *
 * <p>Zone: secure. Step 1, verify the bundle (signature, trusted RA signer, format); Step 2, refuse a
 * replay of a completed bundle, else record it as received; Step 3, answer orders already executed with
 * their first result; Step 4, issue the new issue orders as one batch and revoke the revoke orders;
 * Step 5, record every order's result with its audit entry; Step 6, sign the result bundle and mark the
 * bundle completed. A crash anywhere leaves the bundle incomplete; running it again executes each order once.
 *
 * <p>The CA decides what an order may ask for, not the RA: an issue order may only name a profile of
 * {@code orders.allowedProfiles}, and a revoke order may only name a certificate this CA issued from an RA
 * issue order (never the CA's own responder or publication-signer certificates, nor one issued by an
 * operator). Whatever goes wrong with one order refuses that order, with the reason in its result; only a
 * bundle that cannot be trusted or read as a whole is refused whole.
 */
public final class OrderBundleProcessor {

    /** The signed result bundle and counts for the operator. */
    public record Result(String bundleId, byte[] resultBundle, int issued, int revoked, int refused, int repeated) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final CertificateIssuer issuer;
    private final Signer resultSigner;
    private final OrderBundleVerifier verifier;
    private final CaEventLog events;
    private final Clock clock;
    private final Set<String> allowedProfiles;

    public OrderBundleProcessor(DataSource dataSource, CertificateIssuer issuer, Signer resultSigner,
                                OrderBundleVerifier verifier, CaEventLog events, Clock clock,
                                List<String> allowedProfiles) {
        this.allowedProfiles = Set.copyOf(allowedProfiles);
        this.dataSource = dataSource;
        this.issuer = issuer;
        this.resultSigner = resultSigner;
        this.verifier = verifier;
        this.events = events;
        this.clock = clock;
    }

    public Result process(byte[] cms) {
        // Step 1: verify before reading any order.
        OrderBundleVerifier.Verified v;
        try {
            v = verifier.verify(cms, clock.instant());
        } catch (OrderBundleException e) {
            recordRefusal(null, e.getMessage());
            throw e;
        }
        OrderBundle bundle = v.bundle();
        try {
            // Step 2: a completed bundle is never executed again.
            Instant completed = receive(v);
            if (completed != null) {
                String reason = "order bundle " + bundle.bundleId() + " was already executed at " + completed
                        + ": a replayed bundle is refused (its result bundle is kept: ca orders result --bundle-id "
                        + bundle.bundleId() + ")";
                recordRefusal(bundle.bundleId(), reason);
                throw new OrderBundleException(reason);
            }
            // Step 3: orders already executed keep their first result.
            Map<String, ObjectNode> results = executedResults(bundle);
            int repeated = results.size();
            Map<String, ObjectNode> fresh = new HashMap<>();
            // Step 4: issue as one batch, then revoke; an order that cannot be read is refused alone.
            for (OrderBundle.Invalid bad : bundle.invalid()) {
                if (!results.containsKey(bad.orderId())) {
                    ObjectNode r = JSON.createObjectNode().put("orderId", bad.orderId()).put("status", "refused");
                    r.put("reason", bad.reason());
                    fresh.put(bad.orderId(), r);
                }
            }
            executeIssues(bundle, results, fresh);
            executeRevocations(bundle, results, fresh);
            // The certificates and revocations are committed; the orders' results are not yet (docs/faults.md).
            CrashPoints.reach(CrashPoints.DURING_ORDER_INGEST, bundle.bundleId());
            // Step 5 and 6: record, sign the answer, complete the bundle.
            ArrayNode list = JSON.createArrayNode();
            int issued = 0;
            int revoked = 0;
            int refused = 0;
            List<String> orderIds = new ArrayList<>(bundle.orders().stream().map(OrderBundle.Order::orderId).toList());
            bundle.invalid().forEach(bad -> orderIds.add(bad.orderId()));
            for (String id : orderIds) {
                ObjectNode r = results.containsKey(id) ? results.get(id) : fresh.get(id);
                list.add(r);
                switch (r.get("status").asText()) {
                    case "issued" -> issued++;
                    case "revoked" -> revoked++;
                    default -> refused++;
                }
            }
            ObjectNode answer = JSON.createObjectNode();
            answer.put("format", "shomei-result-bundle/v1");
            answer.put("orderBundleId", bundle.bundleId());
            answer.put("createdAt", clock.instant().toString());
            answer.set("results", list);
            byte[] signed = sign(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(answer));
            complete(bundle, fresh, signed);
            return new Result(bundle.bundleId(), signed, issued, revoked, refused, repeated);
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("order bundle " + bundle.bundleId() + " could not be completed: "
                    + e.getMessage() + "; run it again: orders already executed are not repeated", e);
        }
    }

    /** The id of a bundle whose signature and signer verify (nothing executed, nothing recorded). */
    public String peekBundleId(byte[] cms) {
        return verifier.verify(cms, clock.instant()).bundle().bundleId();
    }

    /** The result bundle of a completed order bundle, to send again. */
    public byte[] storedResult(String bundleId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT result_der FROM order_bundle WHERE bundle_id = ?"
                     + " AND completed_at IS NOT NULL")) {
            ps.setString(1, bundleId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new CaOperationException("no completed order bundle " + bundleId);
                }
                byte[] der = rs.getBytes(1);
                c.rollback();
                return der;
            }
        }
    }

    private Instant receive(OrderBundleVerifier.Verified v) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO order_bundle (bundle_id, signer_sha256,"
                    + " content_sha256, orders) VALUES (?,?,?,?) ON CONFLICT (bundle_id) DO NOTHING")) {
                ps.setString(1, v.bundle().bundleId());
                ps.setString(2, v.signerSha256());
                ps.setString(3, v.contentSha256());
                ps.setInt(4, v.bundle().orders().size());
                ps.executeUpdate();
            }
            Instant completed = null;
            String content = null;
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT completed_at, content_sha256 FROM order_bundle WHERE bundle_id = ?")) {
                ps.setString(1, v.bundle().bundleId());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    Timestamp t = rs.getTimestamp(1);
                    completed = t == null ? null : t.toInstant();
                    content = rs.getString(2);
                }
            }
            c.commit();
            if (completed == null && !content.equals(v.contentSha256())) {
                // Same bundle id, other content: not a resumption of the same bundle.
                String reason = "order bundle id " + v.bundle().bundleId() + " was received before with other content";
                recordRefusal(v.bundle().bundleId(), reason);
                throw new OrderBundleException(reason);
            }
            return completed;
        }
    }

    private Map<String, ObjectNode> executedResults(OrderBundle bundle) throws SQLException, IOException {
        Map<String, ObjectNode> out = new HashMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT order_id, result_json FROM executed_order WHERE order_id = ANY (?)")) {
            List<String> ids = new ArrayList<>(bundle.orders().stream().map(OrderBundle.Order::orderId).toList());
            bundle.invalid().forEach(bad -> ids.add(bad.orderId()));
            ps.setArray(1, c.createArrayOf("text", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ObjectNode r = (ObjectNode) JSON.readTree(rs.getString(2));
                    r.put("repeated", true);
                    out.put(rs.getString(1), r);
                }
            }
            c.rollback();
        }
        return out;
    }

    private void executeIssues(OrderBundle bundle, Map<String, ObjectNode> done, Map<String, ObjectNode> fresh)
            throws SQLException {
        List<OrderBundle.Order> pending = new ArrayList<>();
        List<CertificateIssuer.IssueRequest> requests = new ArrayList<>();
        for (OrderBundle.Order o : bundle.orders()) {
            if (!o.type().equals("issue") || done.containsKey(o.orderId())) {
                continue;
            }
            if (!allowedProfiles.contains(o.profile())) {
                fresh.put(o.orderId(), refused(o, "profile '" + o.profile() + "' may not be used by RA orders;"
                        + " the CA allows " + allowedProfiles.stream().sorted().toList() + " (orders.allowedProfiles)"));
                continue;
            }
            String reuse = keyIssuedUnderOtherOrder(o);
            if (reuse != null) {
                fresh.put(o.orderId(), refused(o, reuse));
                continue;
            }
            pending.add(o);
            requests.add(new CertificateIssuer.IssueRequest(o.orderId(), o.csr(), o.profile(), o.subject()));
        }
        if (requests.isEmpty()) {
            return;
        }
        List<CertificateIssuer.Outcome> outcomes = issuer.issueAll(requests);
        for (int i = 0; i < pending.size(); i++) {
            OrderBundle.Order o = pending.get(i);
            CertificateIssuer.Outcome out = outcomes.get(i);
            if (!out.ok()) {
                fresh.put(o.orderId(), refused(o, out.refusal().getMessage()));
                continue;
            }
            ObjectNode r = base(o, "issued");
            r.put("serial", out.issued().serialHex());
            try {
                r.put("certificate", Base64.getEncoder().encodeToString(out.issued().certificate().getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
            r.put("repeated", out.issued().alreadyIssued());
            fresh.put(o.orderId(), r);
        }
    }

    /** An issue order for a key that already has a certificate under another order id is refused. */
    private String keyIssuedUnderOtherOrder(OrderBundle.Order o) throws SQLException {
        String keySha256;
        try {
            Csr csr = Csr.parse(o.csr(), EnumSet.allOf(KeyAlgorithm.class));
            keySha256 = OrderBundleVerifier.hex(OrderBundleVerifier.sha256(csr.publicKey().getEncoded()));
        } catch (RuntimeException e) {
            return null; // the issuer refuses it with the precise reason
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT serial, request_id FROM certificate"
                     + " WHERE public_key_sha256 = ? AND request_id <> ? LIMIT 1")) {
            ps.setString(1, keySha256);
            ps.setString(2, o.orderId());
            try (ResultSet rs = ps.executeQuery()) {
                String reason = rs.next() ? "a certificate (serial " + rs.getString(1) + ") was already issued for"
                        + " this CSR's public key under request " + rs.getString(2) : null;
                c.rollback();
                return reason;
            }
        }
    }

    private void executeRevocations(OrderBundle bundle, Map<String, ObjectNode> done, Map<String, ObjectNode> fresh)
            throws SQLException {
        for (OrderBundle.Order o : bundle.orders()) {
            if (!o.type().equals("revoke") || done.containsKey(o.orderId())) {
                continue;
            }
            String requestedBy = "RA order " + o.orderId() + " (decision " + o.decisionId() + ")";
            try {
                RevocationReason reason = RevocationReason.parse(o.reason());
                String serial = CertificateIssuer.normaliseSerial(o.serial());
                String notFromOrder = notIssuedFromAnOrder(serial);
                if (notFromOrder != null) {
                    fresh.put(o.orderId(), refused(o, notFromOrder));
                    continue;
                }
                CertificateStore.Revocation rev;
                try {
                    rev = issuer.revoke(serial, reason, requestedBy);
                } catch (CaOperationException e) {
                    // Revoked by this very order before a crash: the same result, not a refusal.
                    rev = revocationBy(serial, requestedBy);
                    if (rev == null) {
                        throw e;
                    }
                }
                ObjectNode r = base(o, "revoked");
                r.put("serial", serial);
                r.put("revokedAt", rev.revokedAt().toString());
                r.put("reason", RevocationReason.of(rev.reason()).rfcName());
                fresh.put(o.orderId(), r);
            } catch (CaOperationException | IllegalArgumentException e) {
                fresh.put(o.orderId(), refused(o, e.getMessage()));
            }
        }
    }

    /**
     * Null when {@code serial} names a certificate issued from an RA issue order (its executed order and its
     * certificate agree); else the reason the revoke order is refused. The RA may revoke what it ordered, and
     * nothing else: not the CA's delegated responder or publication-signer certificates, not an operator's.
     */
    private String notIssuedFromAnOrder(String serial) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT c.request_id, e.order_id FROM certificate c"
                     + " LEFT JOIN executed_order e ON e.order_id = c.request_id AND e.type = 'issue'"
                     + " AND e.status = 'issued' AND e.serial = c.serial WHERE c.serial = ?")) {
            ps.setString(1, serial);
            try (ResultSet rs = ps.executeQuery()) {
                String reason = null;
                if (rs.next() && rs.getString(2) == null) {
                    reason = "certificate " + serial + " was not issued from an RA order (request "
                            + rs.getString(1) + "); RA orders may revoke only certificates issued from RA orders."
                            + " An operator revokes it with 'ca revoke' if needed";
                }
                c.rollback();
                return reason; // an unknown serial is refused by the issuer, naming it
            }
        }
    }

    private CertificateStore.Revocation revocationBy(String serial, String requestedBy) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            var r = new CertificateStore().bySerial(c, serial, false);
            c.rollback();
            return r.map(CertificateStore.CertificateRecord::revocation)
                    .filter(rev -> rev != null && rev.requestedBy().equals(requestedBy)).orElse(null);
        }
    }

    private void complete(OrderBundle bundle, Map<String, ObjectNode> fresh, byte[] signed) throws SQLException, IOException {
        try (Connection c = dataSource.getConnection()) {
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO executed_order (order_id, bundle_id, type,"
                        + " decision_id, decision_sha256, status, serial, result_json) VALUES (?,?,?,?,?,?,?,?)")) {
                    for (OrderBundle.Invalid bad : bundle.invalid()) {
                        ObjectNode r = fresh.get(bad.orderId());
                        if (r == null) {
                            continue;
                        }
                        // Recorded under its id, so that the same id in a later bundle keeps this answer.
                        ps.setString(1, bad.orderId());
                        ps.setString(2, bundle.bundleId());
                        ps.setString(3, "invalid");
                        ps.setString(4, bad.decisionId());
                        ps.setString(5, bad.decisionSha256());
                        ps.setString(6, "refused");
                        ps.setString(7, null);
                        ps.setString(8, JSON.writeValueAsString(r));
                        ps.addBatch();
                        events.orderExecuted(c, bundle.bundleId(), bad.orderId(), bad.decisionId(), "refused",
                                "decision-sha256=" + bad.decisionSha256() + " " + bad.reason());
                    }
                    for (OrderBundle.Order o : bundle.orders()) {
                        ObjectNode r = fresh.get(o.orderId());
                        if (r == null) {
                            continue;
                        }
                        ps.setString(1, o.orderId());
                        ps.setString(2, bundle.bundleId());
                        ps.setString(3, o.type());
                        ps.setString(4, o.decisionId());
                        ps.setString(5, o.decisionSha256());
                        ps.setString(6, r.get("status").asText());
                        ps.setString(7, r.path("serial").asText(null));
                        ps.setString(8, JSON.writeValueAsString(r));
                        ps.addBatch();
                        events.orderExecuted(c, bundle.bundleId(), o.orderId(), o.decisionId(), r.get("status").asText(),
                                "decision-sha256=" + o.decisionSha256() + " " + r.path("serial").asText(r.path("reason").asText()));
                    }
                    ps.executeBatch();
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE order_bundle SET completed_at = now(), result_der = ? WHERE bundle_id = ?")) {
                    ps.setBytes(1, signed);
                    ps.setString(2, bundle.bundleId());
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private void recordRefusal(String bundleId, String reason) {
        try (Connection c = dataSource.getConnection()) {
            events.orderBundleRefused(c, bundleId, reason);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the refusal of order bundle " + bundleId + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode base(OrderBundle.Order o, String status) {
        ObjectNode r = JSON.createObjectNode();
        r.put("orderId", o.orderId());
        r.put("status", status);
        return r;
    }

    private static ObjectNode refused(OrderBundle.Order o, String reason) {
        ObjectNode r = base(o, "refused");
        r.put("reason", reason);
        return r;
    }

    private byte[] sign(byte[] content) {
        try {
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new SignerContentSigner(resultSigner), resultSigner.certificate()));
            // The issuing CA's certificate rides along with a delegated result signer's, so that whoever keeps the
            // result (the RA's books, an evidence package) holds the chain; the RA still verifies against its pins.
            X509Certificate issuing = issuer.issuingCertificate();
            g.addCertificates(new JcaCertStore(resultSigner.certificate().equals(issuing)
                    ? List.of(issuing) : List.of(resultSigner.certificate(), issuing)));
            return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (OperatorCreationException | CertificateEncodingException | CMSException | IOException e) {
            throw new IllegalStateException("cannot sign the result bundle: " + e.getMessage(), e);
        }
    }
}
