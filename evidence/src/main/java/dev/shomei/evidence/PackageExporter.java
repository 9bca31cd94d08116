package dev.shomei.evidence;

import static dev.shomei.evidence.EvidencePackage.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shomei.audit.AuditExport;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;

/**
 * Writes the evidence package of one decision (layout: {@link EvidencePackage}) from the RA's database, the CA's
 * database (optional: without it the package lacks the CA's audit entry) and the operator's copies of the J-LIS
 * generations and approval policy files (the RA records only their digests).
 *
 * <p>Zone: online or secure (the operator's side). Reads, never writes, the RA's and CA's tables (decision,
 * book_entry, application, revocation_request, jlis_crl, ca_order, order_bundle, audit_*; ca_key, audit_*); writes
 * only into the output directory.
 */
public final class PackageExporter {

    /** The operator's copies of what the RA knows only by digest. */
    public record Sources(Collection<X509Certificate> jlisGenerations, Collection<byte[]> policyFiles,
                          byte[] raAuditKeyPem, byte[] caAuditKeyPem) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Connection ra;
    private final Connection ca;
    private final Sources sources;

    /** @param ca the CA database, or null */
    public PackageExporter(Connection ra, Connection ca, Sources sources) {
        this.ra = ra;
        this.ca = ca;
        this.sources = sources;
    }

    /** Writes the package into {@code out/<decisionId>} and returns that directory. */
    public Path export(UUID decisionId, Path out) throws IOException, SQLException {
        Path dir = out.resolve(decisionId.toString());
        Files.createDirectories(dir.resolve("audit"));
        Files.createDirectories(dir.resolve("keys"));
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("format", FORMAT);
        manifest.put("decisionId", decisionId.toString());
        Map<String, String> files = new LinkedHashMap<>();

        // Step 1: the decision as the DECISION book holds it (the bytes its digest was taken of).
        String kind;
        UUID subjectId;
        String outcome;
        String actorKind;
        String policyDigest;
        try (PreparedStatement st = ra.prepareStatement(
                "SELECT subject_kind, subject_id, outcome, actor_kind, policy_digest FROM decision WHERE id = ?")) {
            st.setObject(1, decisionId);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalArgumentException("decision " + decisionId + " is not in the RA's database");
                }
                kind = rs.getString(1);
                subjectId = (UUID) rs.getObject(2);
                outcome = rs.getString(3);
                actorKind = rs.getString(4);
                policyDigest = rs.getString(5);
            }
        }
        manifest.put("subjectKind", kind);
        manifest.put("subjectId", subjectId.toString());
        manifest.put("outcome", outcome);
        byte[] decision = one("SELECT entry FROM book_entry WHERE book = 'DECISION' AND subject_id = ?"
                + " AND (entry::jsonb ->> 'decisionId') = ? ORDER BY seq", subjectId, decisionId.toString())
                .map(s -> s.getBytes(StandardCharsets.UTF_8))
                .orElseThrow(() -> new IllegalStateException("decision " + decisionId + " has no DECISION book entry"));
        write(dir, DECISION, decision, files);

        // Step 2: the signed request as received, the JPKI certificate, J-LIS's answer and the generation.
        String table = "APPLICATION".equals(kind) ? "application" : "revocation_request";
        String issuerColumn = "APPLICATION".equals(kind) ? "jpki_issuer_sha256" : "NULL";
        try (PreparedStatement st = ra.prepareStatement("SELECT cms, jpki_certificate, " + issuerColumn
                + ", revocation_source, revocation_response, revocation_response_sha256, signer_certificate FROM "
                + table + " WHERE id = ?")) {
            st.setObject(1, subjectId);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                write(dir, APPLICATION, rs.getBytes(1), files);
                byte[] jpki = rs.getBytes(2);
                write(dir, JPKI_CERTIFICATE, jpki, files);
                String issuerSha = rs.getString(3);
                if (jpki != null) {
                    X509Certificate cert = Digests.certificate(jpki);
                    for (X509Certificate g : sources.jlisGenerations()) {
                        boolean named = issuerSha != null && Digests.sha256Hex(g.getEncoded()).equals(issuerSha);
                        if (named || (issuerSha == null && verifies(cert, g))) {
                            write(dir, JLIS_CA, g.getEncoded(), files);
                        }
                    }
                }
                String source = rs.getString(4);
                byte[] response = rs.getBytes(5);
                String responseSha = rs.getString(6);
                if ("CRL".equals(source) && response == null && responseSha != null) {
                    response = one("SELECT encode(crl, 'base64') FROM jlis_crl WHERE sha256 = ?", responseSha)
                            .map(b -> java.util.Base64.getMimeDecoder().decode(b)).orElse(null);
                }
                write(dir, JLIS_RESPONSE, response, files);
                manifest.put("jlisSource", source);
                // The second route: the subscriber certificate that signed, its issuing CA and the CA's latest CRL.
                byte[] signer = rs.getBytes(7);
                if (signer != null) {
                    write(dir, SUBSCRIBER_CERTIFICATE, signer, files);
                    subscriberStatus(Digests.certificate(signer), dir, files);
                }
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("the stored JPKI certificate cannot be read: " + e.getMessage(), e);
            }
        }

        // Step 3: the policy file the system decider names.
        if ("SYSTEM".equals(actorKind) && policyDigest != null) {
            for (byte[] p : sources.policyFiles()) {
                if (Digests.sha256Hex(p).equals(policyDigest)) {
                    write(dir, POLICY, p, files);
                }
            }
        }

        // Step 4: the order, its bundle and the CA's result, and the certificate.
        Optional<String> orderId = one("SELECT id FROM ca_order WHERE decision_id = ?", decisionId);
        X509Certificate issued = null;
        if (orderId.isPresent()) {
            manifest.put("orderId", orderId.get());
            String bundleId = one("SELECT bundle_id FROM ca_order WHERE id = ?", orderId.get()).orElse(null);
            if (bundleId != null) {
                try (PreparedStatement st = ra.prepareStatement("SELECT cms, result_cms FROM order_bundle WHERE id = ?")) {
                    st.setString(1, bundleId);
                    try (ResultSet rs = st.executeQuery()) {
                        rs.next();
                        write(dir, ORDER_BUNDLE, rs.getBytes(1), files);
                        byte[] result = rs.getBytes(2);
                        write(dir, RESULT_BUNDLE, result, files);
                        if (result != null) {
                            write(dir, ISSUING_CA, issuingCa(result), files);
                        }
                    }
                }
            }
            if ("APPLICATION".equals(kind)) {
                byte[] cert = one("SELECT encode(certificate, 'base64') FROM application WHERE id = ?", subjectId)
                        .map(b -> java.util.Base64.getMimeDecoder().decode(b)).orElse(null);
                write(dir, CERTIFICATE, cert, files);
                if (cert != null) {
                    try {
                        issued = Digests.certificate(cert);
                    } catch (java.security.GeneralSecurityException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        }

        // Step 4b: the safeguards (RA schema V20 on): the key's device and the channel, and the notices to the holder.
        safeguards(kind, subjectId, dir, files);

        // Step 5: the audit entries with their inclusion proofs into the latest signed checkpoints.
        String subject = kind.toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ":" + subjectId;
        long raSeq = seq(ra, "SELECT seq FROM audit_entry WHERE subject = ? AND detail_sha256 = ?", subject,
                Digests.sha256(decision)).orElseThrow(() -> new IllegalStateException(
                "no RA audit entry records decision " + decisionId));
        manifest.put("raAuditSeq", raSeq);
        exportEntry(ra, raSeq, dir, RA_CHECKPOINT, RA_ENTRY, files, "RA");
        write(dir, RA_AUDIT_KEY, sources.raAuditKeyPem(), files);
        if (ca != null && issued != null) {
            String prefix = "serial:" + issued.getSerialNumber().toString(16) + " %";
            Optional<Long> caSeq = seq(ca, "SELECT seq FROM audit_entry WHERE action = 'certificate.issued'"
                    + " AND subject LIKE ?", prefix, null);
            if (caSeq.isPresent()) {
                manifest.put("caAuditSeq", caSeq.get());
                exportEntry(ca, caSeq.get(), dir, CA_CHECKPOINT, CA_ENTRY, files, "CA");
                write(dir, CA_AUDIT_KEY, sources.caAuditKeyPem(), files);
            }
        }
        manifest.put("files", files);
        Files.write(dir.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
        return dir;
    }

    private void safeguards(String kind, UUID subjectId, Path dir, Map<String, String> files)
            throws SQLException, IOException {
        if (one("SELECT to_regclass('notice')::text").isEmpty()) {
            return; // an RA from before notices: nothing to show
        }
        boolean application = "APPLICATION".equals(kind);
        Map<String, Object> device = new LinkedHashMap<>();
        try (PreparedStatement st = ra.prepareStatement(application
                ? "SELECT key_device, channel FROM application WHERE id = ?"
                : "SELECT NULL, channel FROM revocation_request WHERE id = ?")) {
            st.setObject(1, subjectId);
            try (ResultSet rs = st.executeQuery()) {
                if (rs.next()) {
                    if (application) {
                        device.put("keyDevice", rs.getString(1) == null ? Map.of("kind", "not-stated")
                                : JSON.readValue(rs.getString(1), Object.class));
                    }
                    device.put("channel", rs.getString(2) == null ? null : JSON.readValue(rs.getString(2), Object.class));
                }
            }
        }
        write(dir, KEY_DEVICE, JSON.writeValueAsBytes(device), files);
        List<Map<String, Object>> notices = new java.util.ArrayList<>();
        try (PreparedStatement st = ra.prepareStatement("SELECT id, kind, subject_kind, subject_id, certificate_serial,"
                + " act_at, channel, recipient, status, attempts, sent_at, message_sha256, dispute_until, last_error,"
                + " subject_line, body FROM notice WHERE subject_id = ? ORDER BY created_at, id")) {
            st.setObject(1, subjectId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> n = new LinkedHashMap<>();
                    n.put("noticeId", rs.getString(1));
                    n.put("kind", rs.getString(2));
                    n.put("act", rs.getString(3).toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ":"
                            + rs.getString(4));
                    n.put("certificateSerial", rs.getString(5));
                    n.put("actAt", rs.getTimestamp(6).toInstant().toString());
                    n.put("channel", rs.getString(7));
                    n.put("recipient", rs.getString(8));
                    n.put("status", rs.getString(9));
                    n.put("attempts", rs.getInt(10));
                    n.put("sentAt", rs.getTimestamp(11) == null ? null : rs.getTimestamp(11).toInstant().toString());
                    n.put("messageSha256", rs.getString(12));
                    n.put("disputeUntil", rs.getTimestamp(13).toInstant().toString());
                    n.put("lastError", rs.getString(14));
                    n.put("subject", rs.getString(15));
                    n.put("body", rs.getString(16));
                    n.put("books", noticeEntries(rs.getString(1)));
                    notices.add(n);
                }
            }
        }
        write(dir, NOTICES, JSON.writeValueAsBytes(notices), files);
    }

    /** The NOTICE book entries of one notice (queued, attempts, sent or failed, disputes), in recording order. */
    private List<Object> noticeEntries(String noticeId) throws SQLException, IOException {
        List<Object> out = new java.util.ArrayList<>();
        try (PreparedStatement st = ra.prepareStatement("SELECT entry FROM book_entry WHERE book = 'NOTICE'"
                + " AND (entry::jsonb ->> 'noticeId') = ? ORDER BY seq")) {
            st.setString(1, noticeId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(JSON.readValue(rs.getString(1), Object.class));
                }
            }
        }
        return out;
    }

    private static void exportEntry(Connection c, long seq, Path dir, String cpFile, String entryFile,
                                    Map<String, String> files, String log) throws SQLException, IOException {
        String origin;
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT origin FROM audit_head WHERE id = 1")) {
            rs.next();
            origin = rs.getString(1);
        }
        AuditLog audit = new AuditLog(origin);
        Optional<Checkpoint> cp = audit.latestCheckpoint(c);
        if (cp.isEmpty() || cp.get().treeSize() <= seq) {
            throw new IllegalStateException("the " + log + " audit log has no signed checkpoint covering entry " + seq
                    + " yet: sign one (the next CRL does for the CA) and export again");
        }
        StringWriter w = new StringWriter();
        AuditExport.write(c, audit, cp.get(), seq, seq, AuditExport.Format.JSONL, w);
        write(dir, cpFile, cp.get().text().getBytes(StandardCharsets.UTF_8), files);
        write(dir, entryFile, w.toString().getBytes(StandardCharsets.UTF_8), files);
    }

    /**
     * The issuing CA certificate that signed the subscriber certificate, and the newest CRL the CA issued under that
     * key: exported from the CA's database, which the RA does not hold (nothing is written without it).
     */
    private void subscriberStatus(X509Certificate signer, Path dir, Map<String, String> files)
            throws SQLException, IOException {
        if (ca == null) {
            return;
        }
        try (Statement st = ca.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT label, certificate FROM ca_key WHERE role = 'ISSUING'")) {
            while (rs.next()) {
                byte[] der = rs.getBytes(2);
                X509Certificate issuing;
                try {
                    issuing = Digests.certificate(der);
                } catch (java.security.GeneralSecurityException e) {
                    continue;
                }
                if (!verifies(signer, issuing)) {
                    continue;
                }
                write(dir, SUBSCRIBER_ISSUING_CA, der, files);
                try (PreparedStatement c = ca.prepareStatement("SELECT der FROM crl WHERE issuer_label = ?"
                        + " ORDER BY crl_number DESC LIMIT 1")) {
                    c.setString(1, rs.getString(1));
                    try (ResultSet crl = c.executeQuery()) {
                        if (crl.next()) {
                            write(dir, SUBSCRIBER_CRL, crl.getBytes(1), files);
                        }
                    }
                }
                return;
            }
        }
    }

    /**
     * The issuing CA of the result bundle: its signer when the issuing key signed it, else the CA certificate (carried
     * in the bundle, or the CA's own record) that certified the delegated result signer (docs/order-bundles.md, "The
     * result signer"). The verifier pins it against the published CA hash values.
     */
    private byte[] issuingCa(byte[] resultCms) throws SQLException {
        X509Certificate signer;
        List<X509Certificate> carried = new java.util.ArrayList<>();
        try {
            CMSSignedData cms = new CMSSignedData(resultCms);
            var si = cms.getSignerInfos().getSigners().iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> found = cms.getCertificates().getMatches(si.getSID());
            if (found.isEmpty()) {
                return null;
            }
            signer = Digests.certificate(found.iterator().next().getEncoded());
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> all = cms.getCertificates().getMatches(null);
            for (X509CertificateHolder h : all) {
                carried.add(Digests.certificate(h.getEncoded()));
            }
        } catch (Exception e) {
            return null;
        }
        try {
            if (signer.getBasicConstraints() >= 0) {
                return signer.getEncoded();
            }
            for (X509Certificate c : carried) {
                if (c.getBasicConstraints() >= 0 && verifies(signer, c)) {
                    return c.getEncoded();
                }
            }
            if (ca != null) {
                try (Statement st = ca.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT certificate FROM ca_key WHERE role = 'ISSUING'")) {
                    while (rs.next()) {
                        X509Certificate c = Digests.certificate(rs.getBytes(1));
                        if (verifies(signer, c)) {
                            return rs.getBytes(1);
                        }
                    }
                }
            }
            return signer.getEncoded();
        } catch (java.security.GeneralSecurityException e) {
            return null;
        }
    }

    private static boolean verifies(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private Optional<String> one(String sql, Object... args) throws SQLException {
        try (PreparedStatement st = ra.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                st.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static Optional<Long> seq(Connection c, String sql, String subject, byte[] detail) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql + " ORDER BY seq")) {
            st.setString(1, subject);
            if (detail != null) {
                st.setBytes(2, detail);
            }
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    private static void write(Path dir, String name, byte[] bytes, Map<String, String> files) throws IOException {
        if (bytes == null) {
            return;
        }
        Files.write(dir.resolve(name), bytes);
        files.put(name, Digests.sha256Hex(bytes));
    }

}
