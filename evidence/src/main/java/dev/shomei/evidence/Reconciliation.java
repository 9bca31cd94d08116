package dev.shomei.evidence;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Reconciles the RA, the CA and the repository (docs/auditor-guide.md, "Reconciliation"):
 * <ol>
 *   <li>every certificate the CA issued traces to an approved decision through an RA order, or to a manual act the
 *       CA's audit log records with the person who did it;</li>
 *   <li>every revocation the CA recorded traces to an approved revocation decision through an RA order, or to a
 *       recorded manual act;</li>
 *   <li>every order the RA holds as done has its certificate or revocation at the CA, byte for byte;</li>
 *   <li>the repository's CRL for each issuing key is signed by it, current, and lists exactly the CA's revoked
 *       set as of its thisUpdate; every unexpired certificate has a current, signed OCSP response with the CA's
 *       status;</li>
 *   <li>the counts agree across the three.</li>
 * </ol>
 * Any discrepancy is listed; the command exits non-zero when there is one.
 *
 * <p>Zone: the operator's side. Reads the RA's and CA's tables and the repository directory; writes nothing.
 */
public final class Reconciliation {

    /** One thing that does not add up, with what it is about and what was found. */
    public record Discrepancy(String kind, String subject, String detail) {
        @Override
        public String toString() {
            return kind + " " + subject + ": " + detail;
        }
    }

    /** The result: what was compared, and what did not match. */
    public record Result(Map<String, Long> counts, List<String> manualActs, List<Discrepancy> discrepancies) {
        public boolean ok() {
            return discrepancies.isEmpty();
        }
    }

    private record Order(String id, String type, String decisionId, String state, String resultStatus, String serial) {}

    private record Cert(String serial, String issuerLabel, String requestId, byte[] der, Instant notAfter) {}

    private final Connection ra;
    private final Connection ca;
    private final Path repository;

    public Reconciliation(Connection ra, Connection ca, Path repository) {
        this.ra = ra;
        this.ca = ca;
        this.repository = repository;
    }

    public Result run(Instant now) throws SQLException, IOException {
        List<Discrepancy> out = new ArrayList<>();
        List<String> manual = new ArrayList<>();
        Map<String, Long> counts = new LinkedHashMap<>();

        Map<String, Order> orders = new HashMap<>();
        try (Statement st = ra.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT id, type, decision_id, state, result_status, result_serial FROM ca_order")) {
            while (rs.next()) {
                orders.put(rs.getString(1), new Order(rs.getString(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6)));
            }
        }
        Map<String, String> outcomes = new HashMap<>();
        try (Statement st = ra.createStatement(); ResultSet rs = st.executeQuery("SELECT id, outcome FROM decision")) {
            while (rs.next()) {
                outcomes.put(rs.getString(1), rs.getString(2));
            }
        }
        Map<String, Cert> certs = new LinkedHashMap<>();
        try (Statement st = ca.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT serial, issuer_label, request_id, der, not_after FROM certificate ORDER BY issued_at, serial")) {
            while (rs.next()) {
                certs.put(rs.getString(1), new Cert(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBytes(4),
                        rs.getTimestamp(5).toInstant()));
            }
        }
        Map<String, Instant> revoked = new HashMap<>();
        Map<String, String> revokedBy = new HashMap<>();
        try (Statement st = ca.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT serial, revoked_at, requested_by FROM revocation")) {
            while (rs.next()) {
                revoked.put(rs.getString(1), rs.getTimestamp(2).toInstant());
                revokedBy.put(rs.getString(1), rs.getString(3));
            }
        }
        Map<String, String> manualIssue = personActs("certificate.issued");
        Map<String, String> manualRevoke = personActs("certificate.revoked");

        // Step 1: every CA certificate traces to an approved decision through an order, or to a manual act.
        long viaOrders = 0;
        for (Cert c : certs.values()) {
            Order o = orders.get(c.requestId());
            if (o != null) {
                viaOrders++;
                if (!"ISSUE".equals(o.type())) {
                    out.add(new Discrepancy("certificate-order-not-issue", "serial " + c.serial(),
                            "issued under order " + o.id() + ", which is a " + o.type() + " order"));
                } else if (!"APPROVED".equals(outcomes.get(o.decisionId()))) {
                    out.add(new Discrepancy("certificate-decision-not-approved", "serial " + c.serial(),
                            "order " + o.id() + " names decision " + o.decisionId() + ", whose outcome is "
                                    + outcomes.getOrDefault(o.decisionId(), "(no such decision)")));
                } else if ("DONE".equals(o.state()) && !c.serial().equals(o.serial())) {
                    out.add(new Discrepancy("certificate-serial-differs", "serial " + c.serial(),
                            "the RA recorded serial " + o.serial() + " for order " + o.id()));
                }
            } else if (manualIssue.containsKey(c.serial())) {
                manual.add("serial " + c.serial() + " issued by " + manualIssue.get(c.serial()) + " (request " + c.requestId() + ")");
            } else {
                out.add(new Discrepancy("certificate-without-decision", "serial " + c.serial(),
                        "request " + c.requestId() + " is no RA order, and no person's act issuing it is in the CA's audit log"));
            }
        }

        // Step 2: every CA revocation traces to an approved revocation decision, or to a manual act.
        for (var e : revokedBy.entrySet()) {
            String by = e.getValue();
            if (by.startsWith("RA order ")) {
                String orderId = by.substring("RA order ".length()).split(" ", 2)[0];
                Order o = orders.get(orderId);
                if (o == null || !"REVOKE".equals(o.type()) || !"APPROVED".equals(outcomes.get(o.decisionId()))) {
                    out.add(new Discrepancy("revocation-without-decision", "serial " + e.getKey(),
                            "requested by '" + by + "', but the RA holds no approved revocation order " + orderId));
                }
            } else if (manualRevoke.containsKey(e.getKey())) {
                manual.add("serial " + e.getKey() + " revoked by " + manualRevoke.get(e.getKey()) + " (" + by + ")");
            } else {
                out.add(new Discrepancy("revocation-without-decision", "serial " + e.getKey(),
                        "requested by '" + by + "': no RA order and no person's act in the CA's audit log"));
            }
        }

        // Step 3: every order the RA holds as done is at the CA.
        long raIssued = 0;
        for (Order o : orders.values()) {
            if (!"DONE".equals(o.state())) {
                continue;
            }
            if ("issued".equals(o.resultStatus())) {
                raIssued++;
                Cert c = certs.get(o.serial());
                if (c == null || !o.id().equals(c.requestId())) {
                    out.add(new Discrepancy("order-result-not-at-ca", "order " + o.id(),
                            "the RA recorded serial " + o.serial() + " issued, the CA has no such certificate for this order"));
                }
            } else if ("revoked".equals(o.resultStatus()) && !revoked.containsKey(o.serial())) {
                out.add(new Discrepancy("order-result-not-at-ca", "order " + o.id(),
                        "the RA recorded serial " + o.serial() + " revoked, the CA has no revocation of it"));
            }
        }
        try (Statement st = ra.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT id, certificate_serial, certificate FROM application WHERE certificate IS NOT NULL")) {
            while (rs.next()) {
                Cert c = certs.get(rs.getString(2));
                if (c == null || !MessageDigest.isEqual(c.der(), rs.getBytes(3))) {
                    out.add(new Discrepancy("ra-certificate-differs", "application " + rs.getString(1),
                            "the certificate the RA holds for serial " + rs.getString(2)
                                    + (c == null ? " is not at the CA" : " differs from the CA's")));
                }
            }
        }

        // Step 4: the repository.
        Map<String, X509Certificate> issuers = new HashMap<>();
        try (Statement st = ca.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT label, certificate FROM ca_key WHERE role = 'ISSUING'")) {
            while (rs.next()) {
                try {
                    issuers.put(rs.getString(1), Digests.certificate(rs.getBytes(2)));
                } catch (Exception e) {
                    out.add(new Discrepancy("ca-key-unreadable", rs.getString(1), e.getMessage()));
                }
            }
        }
        if (repository != null) {
            for (var e : issuers.entrySet()) {
                crl(e.getKey(), e.getValue(), certs, revoked, now, out);
            }
            ocsp(issuers, certs, revoked, now, out);
        }

        // Step 5: the counts.
        counts.put("caCertificates", (long) certs.size());
        counts.put("caCertificatesViaRaOrders", viaOrders);
        counts.put("caCertificatesByManualAct", (long) manual.stream().filter(m -> m.contains(" issued by ")).count());
        counts.put("raOrdersIssued", raIssued);
        counts.put("raApplicationsIssued", Statistics.count(ra, "SELECT count(*) FROM application WHERE status = 'ISSUED'"
                + " OR certificate IS NOT NULL"));
        counts.put("caRevocations", (long) revoked.size());
        counts.put("raOrdersRevoked", orders.values().stream().filter(o -> "revoked".equals(o.resultStatus())).count());
        if (viaOrders != raIssued) {
            out.add(new Discrepancy("count-mismatch", "issued", "the CA holds " + viaOrders
                    + " certificates under RA orders, the RA records " + raIssued + " orders issued"));
        }
        return new Result(counts, manual, out);
    }

    private void crl(String label, X509Certificate issuer, Map<String, Cert> certs, Map<String, Instant> revoked,
                     Instant now, List<Discrepancy> out) throws IOException {
        Path p = repository.resolve("crl").resolve(label + ".crl");
        if (!Files.isRegularFile(p)) {
            out.add(new Discrepancy("crl-missing", "crl/" + label + ".crl", "the repository has no CRL for issuing key " + label));
            return;
        }
        X509CRL crl;
        try {
            crl = Digests.crl(Files.readAllBytes(p));
            crl.verify(issuer.getPublicKey());
        } catch (Exception e) {
            out.add(new Discrepancy("crl-signature", "crl/" + label + ".crl", "not a CRL signed by " + label + ": " + e.getMessage()));
            return;
        }
        Instant thisUpdate = crl.getThisUpdate().toInstant();
        if (crl.getNextUpdate() == null || !crl.getNextUpdate().toInstant().isAfter(now)) {
            out.add(new Discrepancy("crl-past-next-update", "crl/" + label + ".crl", "nextUpdate "
                    + (crl.getNextUpdate() == null ? "(none)" : crl.getNextUpdate().toInstant()) + " is not after " + now));
        }
        Set<String> listed = new HashSet<>();
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry e : crl.getRevokedCertificates()) {
                listed.add(e.getSerialNumber().toString(16));
            }
        }
        for (String s : listed) {
            if (!revoked.containsKey(s)) {
                out.add(new Discrepancy("crl-lists-unrevoked", "crl/" + label + ".crl", "lists serial " + s
                        + ", which the CA has not revoked"));
            }
        }
        for (var e : revoked.entrySet()) {
            Cert c = certs.get(e.getKey());
            // The repository must show the CA's state: a revocation newer than the published CRL is a gap too
            // (the CA makes a CRL due with every revocation, docs/crl.md), named as such.
            if (c != null && c.issuerLabel().equals(label) && c.notAfter().isAfter(thisUpdate)
                    && !listed.contains(e.getKey())) {
                out.add(new Discrepancy("crl-missing-revocation", "crl/" + label + ".crl", "serial " + e.getKey()
                        + " was revoked at " + e.getValue() + " but is not listed"
                        + (e.getValue().isAfter(thisUpdate) ? " (revoked after the published CRL's thisUpdate "
                        + thisUpdate + ": no newer CRL has been published)" : "")));
            }
        }
    }

    private void ocsp(Map<String, X509Certificate> issuers, Map<String, Cert> certs, Map<String, Instant> revoked,
                      Instant now, List<Discrepancy> out) throws IOException {
        for (Cert c : certs.values()) {
            X509Certificate issuer = issuers.get(c.issuerLabel());
            if (issuer == null || !c.notAfter().isAfter(now)) {
                continue;
            }
            String keyHash = Digests.hex(sha1(SubjectPublicKeyInfo.getInstance(issuer.getPublicKey().getEncoded())
                    .getPublicKeyData().getBytes()));
            String serial = new BigInteger(c.serial(), 16).toString(16);
            String path = "ocsp/" + keyHash + "/" + serial + ".der";
            Path p = repository.resolve(path);
            if (!Files.isRegularFile(p)) {
                out.add(new Discrepancy("ocsp-missing", path, "no OCSP response for serial " + c.serial()));
                continue;
            }
            try {
                BasicOCSPResp b = (BasicOCSPResp) new OCSPResp(Files.readAllBytes(p)).getResponseObject();
                if (!signedByOrFor(b, issuer)) {
                    out.add(new Discrepancy("ocsp-signature", path, "not signed by the issuing CA or a responder it certified"));
                }
                SingleResp s = b.getResponses()[0];
                boolean saysRevoked = s.getCertStatus() instanceof RevokedStatus;
                if (saysRevoked != revoked.containsKey(c.serial())) {
                    out.add(new Discrepancy("ocsp-status-differs", path, "says " + (saysRevoked ? "revoked" : "not revoked")
                            + ", the CA " + (revoked.containsKey(c.serial()) ? "revoked it at " + revoked.get(c.serial()) : "has not revoked it")));
                }
                if (s.getNextUpdate() == null || !s.getNextUpdate().toInstant().isAfter(now)) {
                    out.add(new Discrepancy("ocsp-past-next-update", path, "nextUpdate "
                            + (s.getNextUpdate() == null ? "(none)" : s.getNextUpdate().toInstant()) + " is not after " + now));
                }
            } catch (Exception e) {
                out.add(new Discrepancy("ocsp-unreadable", path, e.getMessage()));
            }
        }
    }

    private static boolean signedByOrFor(BasicOCSPResp b, X509Certificate ca) {
        try {
            if (b.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ca.getPublicKey()))) {
                return true;
            }
        } catch (Exception e) {
            // A delegated responder: below.
        }
        for (X509CertificateHolder h : b.getCerts()) {
            try {
                X509Certificate r = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(h);
                r.verify(ca.getPublicKey());
                if (r.getExtendedKeyUsage() != null && r.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.9")
                        && b.isSignatureValid(new JcaContentVerifierProviderBuilder().build(h))) {
                    return true;
                }
            } catch (Exception e) {
                // Not this one.
            }
        }
        return false;
    }

    /** serial (hex) → "PERSON id (authentication)" for each act of a person the CA's audit log records. */
    private Map<String, String> personActs(String action) throws SQLException {
        Map<String, String> m = new HashMap<>();
        try (var st = ca.prepareStatement("SELECT subject, actor_id, actor_authentication FROM audit_entry"
                + " WHERE action = ? AND actor_kind = 'PERSON'")) {
            st.setString(1, action);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String subject = rs.getString(1);
                    if (subject.startsWith("serial:")) {
                        String serial = subject.substring(7).split(" ", 2)[0];
                        m.put(serial, rs.getString(2) + (rs.getString(3) == null ? "" : " (" + rs.getString(3) + ")"));
                    }
                }
            }
        }
        return m;
    }

    private static byte[] sha1(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
