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
import java.time.Duration;
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
 *       set as of its thisUpdate, each entry with the CA's revocation time and reason; every unexpired certificate
 *       has a current, signed OCSP response answering for that certificate (its CertID) with the CA's status, time
 *       and reason;</li>
 *   <li>the counts agree across the three;</li>
 *   <li>per revocation, the delay from its acceptance (the RA's approving decision, or the CA's record of a manual
 *       act) to the first publication on the repository whose CRL lists it, and whose OCSP response says revoked,
 *       read from the origin's releases ({@link PublicationHistory}); a delay beyond the configured bound (or a
 *       revocation still absent after it) is a discrepancy.</li>
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
    /**
     * When a revocation reached the repository. {@code crlAt}/{@code ocspAt}: the publication time of the first kept
     * release stating it, null if none does; {@code upperBound}: the oldest kept release already states it, so it
     * may have appeared earlier (older releases are pruned); delays in seconds, null when not measurable.
     */
    public record PublicationDelay(String serial, String acceptedBy, Instant acceptedAt, Instant crlAt, Long crlDelaySeconds,
                                   Instant ocspAt, Long ocspDelaySeconds, boolean upperBound) {}

    public record Result(Map<String, Long> counts, List<String> manualActs, List<Discrepancy> discrepancies,
                         List<PublicationDelay> publicationDelays, String publicationHistory) {
        public boolean ok() {
            return discrepancies.isEmpty();
        }
    }

    private record Order(String id, String type, String decisionId, String state, String resultStatus, String serial) {}

    private record Cert(String serial, String issuerLabel, String requestId, byte[] der, Instant notAfter) {}

    /** The default bound on the delay from accepting a revocation to the repository stating it. */
    public static final Duration DEFAULT_MAX_PUBLICATION_DELAY = Duration.ofHours(24);

    private final Connection ra;
    private final Connection ca;
    private final Path repository;
    private final Duration maxPublicationDelay;
    /** The CA's RFC 5280 reason code per revoked serial, for comparing CRL entries and OCSP answers. */
    private Map<String, Integer> reasons = Map.of();

    public Reconciliation(Connection ra, Connection ca, Path repository) {
        this(ra, ca, repository, DEFAULT_MAX_PUBLICATION_DELAY);
    }

    /** @param repository the origin root, one of its releases, or a plain directory; null to skip the repository */
    public Reconciliation(Connection ra, Connection ca, Path repository, Duration maxPublicationDelay) {
        this.ra = ra;
        this.ca = ca;
        this.repository = repository;
        this.maxPublicationDelay = maxPublicationDelay;
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
        Map<String, Integer> reasons = new HashMap<>();
        try (Statement st = ca.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT serial, revoked_at, requested_by, reason FROM revocation")) {
            while (rs.next()) {
                revoked.put(rs.getString(1), rs.getTimestamp(2).toInstant());
                revokedBy.put(rs.getString(1), rs.getString(3));
                reasons.put(rs.getString(1), rs.getInt(4));
            }
        }
        this.reasons = reasons;
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
        List<PublicationDelay> delays = new ArrayList<>();
        String historyNote = "no repository given";
        if (repository != null) {
            PublicationHistory history = PublicationHistory.of(repository);
            for (var e : issuers.entrySet()) {
                crl(history.live(), e.getKey(), e.getValue(), certs, revoked, now, out);
            }
            ocsp(history.live(), issuers, certs, revoked, now, out);
            // Step 6: when each revocation reached the repository.
            historyNote = history.releases().isEmpty() ? "no publication history (not a publisher's origin):"
                    + " delays not measured" : history.releases().size() + " releases kept, "
                    + history.releases().get(0).publishedAt() + " to "
                    + history.releases().get(history.releases().size() - 1).publishedAt();
            if (!history.releases().isEmpty()) {
                delays = publicationDelays(history, issuers, certs, revoked, revokedBy, orders, now, out);
            }
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
        return new Result(counts, manual, out, delays, historyNote);
    }

    private List<PublicationDelay> publicationDelays(PublicationHistory history, Map<String, X509Certificate> issuers,
                                                     Map<String, Cert> certs, Map<String, Instant> revoked,
                                                     Map<String, String> revokedBy, Map<String, Order> orders,
                                                     Instant now, List<Discrepancy> out) throws SQLException {
        // Accepted: the RA's approving decision of the revoke order; for a revocation without one, the CA's record.
        Map<String, Instant> decidedAt = new HashMap<>();
        try (Statement st = ra.createStatement(); ResultSet rs = st.executeQuery("SELECT id, decided_at FROM decision")) {
            while (rs.next()) {
                decidedAt.put(rs.getString(1), rs.getTimestamp(2).toInstant());
            }
        }
        List<PublicationDelay> delays = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(revoked).entrySet()) {
            String serial = e.getKey();
            Cert c = certs.get(serial);
            X509Certificate issuer = c == null ? null : issuers.get(c.issuerLabel());
            if (issuer == null) {
                continue;
            }
            String by = revokedBy.getOrDefault(serial, "");
            Instant accepted = e.getValue();
            String acceptedBy = "CA record (" + by + ")";
            if (by.startsWith("RA order ")) {
                Order o = orders.get(by.substring("RA order ".length()).split(" ", 2)[0]);
                if (o != null && decidedAt.containsKey(o.decisionId())) {
                    accepted = decidedAt.get(o.decisionId());
                    acceptedBy = "RA decision " + o.decisionId();
                }
            }
            Instant crlAt = null;
            Instant ocspAt = null;
            List<PublicationHistory.Release> releases = history.releases();
            for (PublicationHistory.Release r : releases) {
                if (crlAt == null && crlLists(r.directory(), c.issuerLabel(), issuer, serial)) {
                    crlAt = r.publishedAt();
                }
                if (ocspAt == null && ocspSaysRevoked(r.directory(), issuer, serial)) {
                    ocspAt = r.publishedAt();
                }
            }
            Instant oldest = releases.get(0).publishedAt();
            // The oldest kept release already states a revocation older than it: it may have appeared earlier.
            boolean upperBound = accepted.isBefore(oldest) && (oldest.equals(crlAt) || oldest.equals(ocspAt));
            Long crlDelay = crlAt == null ? null : Math.max(0, Duration.between(accepted, crlAt).toSeconds());
            Long ocspDelay = ocspAt == null ? null : Math.max(0, Duration.between(accepted, ocspAt).toSeconds());
            delays.add(new PublicationDelay(serial, acceptedBy, accepted, crlAt, crlDelay, ocspAt, ocspDelay, upperBound));
            long bound = maxPublicationDelay.toSeconds();
            // A pruned history cannot show a late appearance as late: only measured delays are judged.
            for (var m : List.of(Map.entry("CRL", java.util.Optional.ofNullable(crlDelay)),
                    Map.entry("OCSP", java.util.Optional.ofNullable(ocspDelay)))) {
                if (m.getValue().isPresent() && m.getValue().get() > bound && !upperBound) {
                    out.add(new Discrepancy("publication-delay-exceeded", "serial " + serial, "accepted at " + accepted
                            + " (" + acceptedBy + "), first stated by the repository's " + m.getKey() + " at "
                            + (m.getKey().equals("CRL") ? crlAt : ocspAt) + ": " + Duration.ofSeconds(m.getValue().get())
                            + ", beyond the bound of " + maxPublicationDelay));
                } else if (m.getValue().isEmpty() && Duration.between(accepted, now).toSeconds() > bound
                        && c.notAfter().isAfter(now)) {
                    out.add(new Discrepancy("publication-delay-exceeded", "serial " + serial, "accepted at " + accepted
                            + " (" + acceptedBy + "), still not stated by the repository's " + m.getKey() + " at " + now
                            + ", beyond the bound of " + maxPublicationDelay));
                }
            }
        }
        return delays;
    }

    private static boolean crlLists(Path tree, String label, X509Certificate issuer, String serial) {
        Path p = tree.resolve("crl").resolve(label + ".crl");
        try {
            X509CRL crl = Digests.crl(Files.readAllBytes(p));
            crl.verify(issuer.getPublicKey());
            return crl.getRevokedCertificate(new BigInteger(serial, 16)) != null;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean ocspSaysRevoked(Path tree, X509Certificate issuer, String serial) {
        try {
            Path p = ocspFile(tree, ocspPath(issuer, serial));
            BasicOCSPResp b = (BasicOCSPResp) new OCSPResp(Files.readAllBytes(p)).getResponseObject();
            return signedByOrFor(b, issuer) && b.getResponses()[0].getCertStatus() instanceof RevokedStatus;
        } catch (Exception e) {
            return false;
        }
    }

    private static String ocspPath(X509Certificate issuer, String serial) {
        String keyHash = Digests.hex(sha1(SubjectPublicKeyInfo.getInstance(issuer.getPublicKey().getEncoded())
                .getPublicKeyData().getBytes()));
        return ocspPath(keyHash, new BigInteger(serial, 16).toString(16));
    }

    /** A response's repository path: ocsp/&lt;issuerKeyHash&gt;/&lt;first 2 hex of the serial&gt;/&lt;serial&gt;.der (docs/publication-bundle.md). */
    static String ocspPath(String keyHash, String serialHex) {
        return "ocsp/" + keyHash + "/" + serialHex.substring(0, Math.min(2, serialHex.length())) + "/" + serialHex + ".der";
    }

    /** The file of a response in a repository tree; a tree published before the fan-out has it at ocsp/&lt;ikh&gt;/&lt;serial&gt;.der. */
    private static Path ocspFile(Path tree, String path) {
        Path p = tree.resolve(path);
        if (Files.isRegularFile(p)) {
            return p;
        }
        String[] parts = path.split("/");
        return tree.resolve(parts[0] + "/" + parts[1] + "/" + parts[3]);
    }

    private void crl(Path live, String label, X509Certificate issuer, Map<String, Cert> certs, Map<String, Instant> revoked,
                     Instant now, List<Discrepancy> out) throws IOException {
        Path p = live.resolve("crl").resolve(label + ".crl");
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
            } else {
                // The entry states what the CA recorded: the revocation time and reason (RFC 5280 §5.3.1).
                X509CRLEntry entry = crl.getRevokedCertificate(new BigInteger(s, 16));
                String differs = revocationDiffers(s, entry.getRevocationDate().toInstant(),
                        entry.getRevocationReason() == null ? 0 : entry.getRevocationReason().ordinal(), revoked);
                if (differs != null) {
                    out.add(new Discrepancy("crl-entry-differs", "crl/" + label + ".crl", "serial " + s + ": " + differs));
                }
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

    private void ocsp(Path live, Map<String, X509Certificate> issuers, Map<String, Cert> certs, Map<String, Instant> revoked,
                      Instant now, List<Discrepancy> out) throws IOException {
        for (Cert c : certs.values()) {
            X509Certificate issuer = issuers.get(c.issuerLabel());
            if (issuer == null || !c.notAfter().isAfter(now)) {
                continue;
            }
            String keyHash = Digests.hex(sha1(SubjectPublicKeyInfo.getInstance(issuer.getPublicKey().getEncoded())
                    .getPublicKeyData().getBytes()));
            String serial = new BigInteger(c.serial(), 16).toString(16);
            String path = ocspPath(keyHash, serial);
            Path p = ocspFile(live, path);
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
                // The response at this path must answer for this certificate of this issuer (RFC 6960 §4.1.1).
                if (!s.getCertID().getSerialNumber().equals(new BigInteger(c.serial(), 16))
                        || !s.getCertID().matchesIssuer(new X509CertificateHolder(issuer.getEncoded()),
                        new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build())) {
                    out.add(new Discrepancy("ocsp-wrong-certificate", path, "answers for serial "
                            + s.getCertID().getSerialNumber().toString(16) + (s.getCertID().getSerialNumber()
                            .equals(new BigInteger(c.serial(), 16)) ? " of another issuer" : "") + ", not serial " + c.serial()));
                    continue;
                }
                boolean saysRevoked = s.getCertStatus() instanceof RevokedStatus;
                if (saysRevoked && revoked.containsKey(c.serial())) {
                    RevokedStatus rs = (RevokedStatus) s.getCertStatus();
                    String differs = revocationDiffers(c.serial(), rs.getRevocationTime().toInstant(),
                            rs.hasRevocationReason() ? rs.getRevocationReason() : 0, revoked);
                    if (differs != null) {
                        out.add(new Discrepancy("ocsp-status-differs", path, differs));
                    }
                }
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

    /** What a published revocation states differently from the CA's record, or null (times compared in seconds). */
    private String revocationDiffers(String serial, Instant time, int reason, Map<String, Instant> revoked) {
        Instant recorded = revoked.get(serial).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        int recordedReason = reasons.getOrDefault(serial, 0);
        if (!time.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).equals(recorded)) {
            return "states revocation time " + time + ", the CA recorded " + revoked.get(serial);
        }
        if (reason != recordedReason) {
            return "states reason " + reason + ", the CA recorded reason " + recordedReason;
        }
        return null;
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
