package dev.shomei.ra.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.decision.DecisionRecord;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationRequest;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.bouncycastle.cms.CMSSignedData;
import org.jboss.logging.Logger;

/**
 * The RA's side of RA → CA orders (docs/order-bundles.md): makes an order of every approved decision, serves them
 * as signed order bundles, and applies the CA's signed result bundles to the applications and revocation requests.
 *
 * <p>Zone: online (ra-service). Writes {@code ca_order}, {@code order_bundle}, application/revocation request
 * results, ISSUANCE and REVOCATION book entries and audit-log events, each in one transaction.
 */
@ApplicationScoped
public class Orders {

    private static final Logger LOG = Logger.getLogger(Orders.class);
    static final String BUNDLE_FORMAT = "shomei-order-bundle/v1";
    static final String RESULT_FORMAT = "shomei-result-bundle/v1";
    static final String PROFILE = "subscriber-signature";
    private static final Set<String> RFC_REASONS = Set.of("unspecified", "keyCompromise", "affiliationChanged",
            "superseded", "cessationOfOperation");
    // Serialises bundle creation across RA instances sharing the database (pg_advisory_xact_lock key).
    private static final long BUNDLE_LOCK = 0x5348_4f4d_4549_4f42L;

    /** Who answers a revoke order that can never be served: the RA's own order queue. */
    private static final Actor QUEUE = Actor.system("shomei-ra-service", "order-queue/v1");

    private final Books books;
    private final AuditTrail audit;
    private final ObjectMapper json;
    private final OrderSigning signing;
    private final RaConfig config;
    @Inject
    dev.shomei.ra.notice.Notices notices;
    @Inject
    CaGenerations generations;

    @Inject
    public Orders(Books books, AuditTrail audit, ObjectMapper json, OrderSigning signing, RaConfig config) {
        this.books = books;
        this.audit = audit;
        this.json = json;
        this.signing = signing;
        this.config = config;
    }

    /**
     * Called in the transaction that records an approved decision, so the decision and its order commit together.
     *
     * @param decisionSha256 SHA-256 (hex) of the decision as recorded in the DECISION book (its JSON)
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void approved(DecisionRecord.SubjectKind kind, UUID subjectId, UUID decisionId, String decisionSha256,
                         Instant at) {
        approved(kind, subjectId, decisionId, decisionSha256, at, true);
    }

    /**
     * {@link #approved}; {@code lookUp} false for a subject first recorded in this same transaction (a new id has no
     * order yet, so no query; the order's primary key would still refuse a second one).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public void approved(DecisionRecord.SubjectKind kind, UUID subjectId, UUID decisionId, String decisionSha256,
                         Instant at, boolean lookUp) {
        CaOrder o = new CaOrder();
        o.type = kind == DecisionRecord.SubjectKind.APPLICATION ? CaOrder.Type.ISSUE : CaOrder.Type.REVOKE;
        o.id = o.type == CaOrder.Type.ISSUE ? CaOrder.issueId(subjectId) : CaOrder.revokeId(subjectId);
        if (lookUp && CaOrder.findById(o.id) != null) {
            return; // one order per subject: a subject is approved once
        }
        o.subjectId = subjectId;
        o.decisionId = decisionId;
        o.decisionSha256 = decisionSha256;
        o.state = CaOrder.State.PENDING;
        o.createdAt = at;
        o.retainUntil = books.retainUntil(at);
        o.persist();
    }

    /**
     * The bundle the CA should execute next: the unanswered one if there is one (the same bytes again), else a new
     * bundle of the pending orders; empty when nothing is pending.
     */
    @Transactional
    public Optional<byte[]> nextBundle() {
        OrderSigner signer = signing.signer();
        Panache.getEntityManager().createNativeQuery("select pg_advisory_xact_lock(?1)")
                .setParameter(1, BUNDLE_LOCK).getSingleResult();
        Optional<OrderBundleRecord> open = OrderBundleRecord.unanswered();
        if (open.isPresent()) {
            return Optional.of(open.get().cms);
        }
        Instant now = Instant.now();
        ObjectNode content = json.createObjectNode();
        String bundleId = UUID.randomUUID().toString();
        content.put("format", BUNDLE_FORMAT);
        content.put("bundleId", bundleId);
        content.put("createdAt", now.toString());
        ArrayNode list = content.putArray("orders");
        List<CaOrder> taken = new ArrayList<>();
        int max = config.orders().maxOrdersPerBundle();
        // Orders that cannot be served yet (a revoke waiting for its certificate) are skipped, page after page, so
        // that they never fill a bundle's worth of the queue and starve the orders behind them.
        int offset = 0;
        while (taken.size() < max) {
            List<CaOrder> page = CaOrder.<CaOrder>find("state = ?1 order by createdAt, id", CaOrder.State.PENDING)
                    .range(offset, offset + max - 1).list();
            if (page.isEmpty()) {
                break;
            }
            for (CaOrder o : page) {
                if (taken.size() >= max) {
                    break;
                }
                ObjectNode n = o.type == CaOrder.Type.ISSUE ? issue(o) : revoke(o, now);
                if (n == null) {
                    continue;
                }
                ObjectNode d = n.putObject("decision");
                d.put("id", o.decisionId.toString());
                d.put("sha256", o.decisionSha256);
                list.add(n);
                taken.add(o);
            }
            // Orders answered just now (state DONE) left the queue; the next page starts after those still in it.
            offset += (int) page.stream().filter(o -> o.state == CaOrder.State.PENDING).count();
        }
        if (taken.isEmpty()) {
            return Optional.empty();
        }
        OrderBundleRecord b = new OrderBundleRecord();
        b.id = bundleId;
        b.createdAt = now;
        b.cms = signer.sign(content.toString().getBytes(StandardCharsets.UTF_8));
        b.retainUntil = books.retainUntil(now);
        b.persist();
        for (CaOrder o : taken) {
            o.state = CaOrder.State.SENT;
            o.bundleId = bundleId;
        }
        LOG.infof("order bundle %s signed with %d orders", bundleId, taken.size());
        return Optional.of(b.cms);
    }

    /**
     * An issue order: the CSR gives only the key and its proof of possession; the subject is the identity the RA
     * verified, fixed when the application was approved (docs/identity.md). An approved application without one is
     * never ordered (it waits, and the log names it).
     */
    private ObjectNode issue(CaOrder o) {
        Application a = Application.findById(o.subjectId);
        if (a.certifiedSubject == null) {
            LOG.errorf("application %s is approved but has no certified subject; its issue order is held", a.id);
            return null;
        }
        ObjectNode n = json.createObjectNode();
        n.put("orderId", o.id);
        n.put("type", "issue");
        n.put("profile", PROFILE);
        n.put("csr", Base64.getEncoder().encodeToString(a.csr));
        ArrayNode subject = n.putArray("subject");
        for (dev.shomei.ra.application.CertifiedSubject.Attribute attr
                : dev.shomei.ra.application.CertifiedSubject.fromJson(a.certifiedSubject)) {
            subject.addObject().put("type", attr.type()).put("value", attr.value());
        }
        return n;
    }

    /**
     * A revoke order needs the serial: from the request, else from the issued certificate; until then it waits. If
     * the certificate will never exist (the CA refused the issue order, or the application was never issued), the
     * revoke order is answered here as refused, not applicable, instead of waiting forever.
     */
    private ObjectNode revoke(CaOrder o, Instant now) {
        RevocationRequest r = RevocationRequest.findById(o.subjectId);
        String serial = orderedSerial(r);
        if (serial == null) {
            Application a = Application.findById(r.applicationId);
            if (a == null || a.status == Application.Status.CA_REFUSED || a.status == Application.Status.REJECTED) {
                String why = a == null ? "application " + r.applicationId + " does not exist"
                        : a.status == Application.Status.CA_REFUSED ? "the CA refused issue order "
                        + CaOrder.issueId(a.id) + " (" + a.caRefusal + ")" : "application " + a.id + " was rejected";
                apply(o, json.createObjectNode().put("status", "refused").put("reason", "not applicable: " + why
                        + "; no certificate was issued, so there is none to revoke"), null, QUEUE, now);
            }
            return null;
        }
        ObjectNode n = json.createObjectNode();
        n.put("orderId", o.id);
        n.put("type", "revoke");
        n.put("serial", serial.toLowerCase());
        // Officer-initiated revocations carry a free-text reason (kept in the books); the CRL reason is unspecified.
        n.put("reason", RFC_REASONS.contains(r.reason) ? r.reason : "unspecified");
        return n;
    }

    /** The serial a revoke order names: the request's (checked to be the application's), else the application's. */
    private static String orderedSerial(RevocationRequest r) {
        if (r.certificateSerial != null) {
            return r.certificateSerial;
        }
        Application a = Application.findById(r.applicationId);
        return a == null ? null : a.certificateSerial;
    }

    private static final java.util.regex.Pattern HEX_SERIAL = java.util.regex.Pattern.compile("[0-9a-fA-F]{1,64}");

    /**
     * The serial a "revoked" result names, if it is the one its revoke order named ({@link #orderedSerial}), in the
     * lowercase hex of the RA's records. A CA-signed result naming another certificate, or no serial, is refused
     * whole: the RA records and tells the holder only what it ordered (found by fuzzing: a serial that is not one
     * failed the write, HTTP 500).
     */
    private static String revokedSerial(CaOrder o, RevocationRequest q, String resultSerial) {
        String ordered = orderedSerial(q);
        if (ordered != null && resultSerial != null && HEX_SERIAL.matcher(resultSerial).matches()) {
            java.math.BigInteger named = new java.math.BigInteger(resultSerial, 16);
            if (named.equals(new java.math.BigInteger(ordered, 16))) {
                return named.toString(16);
            }
        }
        String shown = resultSerial == null ? "no serial"
                : "serial '" + (resultSerial.length() > 80 ? resultSerial.substring(0, 80) + "…" : resultSerial) + "'";
        throw RaProblem.unprocessable("result-serial-mismatch", "Revoked certificate is not the ordered one",
                "order " + o.id + " asked the CA to revoke serial " + ordered + "; its result names " + shown
                        + "; nothing of this result bundle was applied").with("field", "results.serial");
    }

    /**
     * Applies a CA-signed result bundle. Idempotent: results already applied are skipped, so the CA may post the
     * same bundle again (e.g. after a lost response).
     */
    @Transactional
    public void ingest(byte[] cms, Actor ca) {
        VerifiedResult verified = verifiedResult(cms);
        JsonNode root = verified.content();
        String bundleId = root.path("orderBundleId").asText("");
        // The bundle's row lock serialises ingests of one result bundle: RA replicas share the database, and the CA
        // may post the same result to two of them at once (a retry through the load balancer). The orders are read
        // after the lock, so the second ingest sees them DONE and applies nothing twice.
        OrderBundleRecord b = OrderBundleRecord.findById(bundleId, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (b == null) {
            throw RaProblem.unprocessable("order-bundle-unknown", "Unknown order bundle",
                    "orderBundleId " + bundleId + " is not a bundle this RA sent; post the result of a bundle"
                            + " fetched from /ca/order-bundles/next").with("field", "orderBundleId");
        }
        Instant now = Instant.now();
        // A new issuing generation (renewal) the bundle carries, certified by the pinned root, is trusted from now on;
        // recorded before the results it issued are checked, and rolled back with them if one does not fit.
        generations.adopt(verified.newGenerations(), bundleId, verified.signer(), ca, now);
        CrashPoints.reach(CrashPoints.INGEST_AFTER_VERIFY, bundleId);
        for (JsonNode r : root.path("results")) {
            String orderId = r.path("orderId").asText("");
            CaOrder o = CaOrder.findById(orderId);
            if (o == null || !bundleId.equals(o.bundleId)) {
                throw RaProblem.unprocessable("order-unknown", "Unknown order", "order " + orderId
                        + " was not sent in bundle " + bundleId + "; nothing of this result bundle was applied")
                        .with("field", "results.orderId");
            }
            if (o.state == CaOrder.State.DONE) {
                continue;
            }
            apply(o, r, bundleId, ca, now);
        }
        if (b.answeredAt == null) {
            b.answeredAt = now;
            b.resultCms = cms;
            // Orders the CA did not answer go into the next bundle; the CA executes each orderId once.
            for (CaOrder o : CaOrder.inBundle(bundleId)) {
                if (o.state == CaOrder.State.SENT) {
                    o.state = CaOrder.State.PENDING;
                    o.bundleId = null;
                }
            }
        }
        Panache.getEntityManager().flush();
        CrashPoints.reach(CrashPoints.INGEST_BEFORE_COMMIT, bundleId);
    }

    private void apply(CaOrder o, JsonNode r, String bundleId, Actor ca, Instant now) {
        String status = r.path("status").asText("");
        o.state = CaOrder.State.DONE;
        o.doneAt = now;
        o.resultStatus = status;
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("orderId", o.id);
        entry.put("orderBundleId", bundleId);
        entry.put("decisionId", o.decisionId.toString());
        entry.put("status", status);
        String subject;
        switch (status) {
            case "issued" -> {
                if (o.type != CaOrder.Type.ISSUE) throw mismatch(o, status);
                X509Certificate cert = certificate(r.path("certificate").asText(""), o.id);
                Application a = Application.findById(o.subjectId);
                checkIssued(cert, a, o.id);
                a.certificate = encoded(cert);
                a.certificateSerial = cert.getSerialNumber().toString(16);
                a.issuedAt = now;
                a.status = Application.Status.ISSUED;
                o.resultSerial = a.certificateSerial;
                entry.put("serial", a.certificateSerial);
                entry.put("certificateSha256", ConfiguredFile.sha256Hex(a.certificate));
                entry.put("issuer", cert.getIssuerX500Principal().getName());
                entry.put("notBefore", cert.getNotBefore().toInstant().toString());
                entry.put("notAfter", cert.getNotAfter().toInstant().toString());
                books.append(BookEntry.Book.ISSUANCE, "APPLICATION", a.id, entry, now);
                // The holder is told out of band, in this transaction (outbox; dev.shomei.ra.notice).
                notices.issued(a, now);
                subject = "application:" + a.id;
            }
            case "revoked" -> {
                if (o.type != CaOrder.Type.REVOKE) throw mismatch(o, status);
                RevocationRequest q = RevocationRequest.findById(o.subjectId);
                o.resultSerial = revokedSerial(o, q, r.path("serial").asText(null));
                q.status = RevocationRequest.Status.REVOKED;
                q.revokedAt = parseInstant(r.path("revokedAt").asText(null), now);
                o.resultReason = r.path("reason").asText(null);
                entry.put("serial", o.resultSerial);
                entry.put("revokedAt", q.revokedAt.toString());
                entry.put("reason", o.resultReason);
                books.append(BookEntry.Book.REVOCATION, "REVOCATION_REQUEST", q.id, entry, now);
                notices.revoked(q, o.resultSerial, q.revokedAt);
                subject = "revocation-request:" + q.id;
            }
            case "refused" -> {
                o.resultReason = r.path("reason").asText("no reason given");
                entry.put("reason", o.resultReason);
                if (o.type == CaOrder.Type.ISSUE) {
                    Application a = Application.findById(o.subjectId);
                    a.status = Application.Status.CA_REFUSED;
                    a.caRefusal = o.resultReason;
                    books.append(BookEntry.Book.ISSUANCE, "APPLICATION", a.id, entry, now);
                    subject = "application:" + a.id;
                } else {
                    RevocationRequest q = RevocationRequest.findById(o.subjectId);
                    q.status = RevocationRequest.Status.CA_REFUSED;
                    q.caRefusal = o.resultReason;
                    books.append(BookEntry.Book.REVOCATION, "REVOCATION_REQUEST", q.id, entry, now);
                    subject = "revocation-request:" + q.id;
                }
            }
            default -> throw RaProblem.unprocessable("result-status-unknown", "Unknown result status",
                    "order " + o.id + " has status '" + status + "'; expected issued, revoked or refused")
                    .with("field", "results.status");
        }
        try {
            Panache.getEntityManager().flush();
            CrashPoints.reach(CrashPoints.INGEST_AFTER_RECORD, o.id);
            audit.append(ca, "order." + status, subject, json.writeValueAsBytes(entry));
            CrashPoints.reach(CrashPoints.INGEST_AFTER_AUDIT_APPEND, o.id);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        LOG.infof("order %s: %s", o.id, status);
    }

    /**
     * The result bundle's signature covers the certificate, but the applicant is handed this certificate as theirs:
     * it must be issued by a configured issuing CA, certify the key of the application's CSR, and state exactly the
     * subject the RA verified and ordered (docs/identity.md), never another.
     */
    private void checkIssued(X509Certificate cert, Application a, String orderId) {
        boolean byCa = generations.issuerOf(cert).isPresent();
        byte[] csrKey;
        try {
            csrKey = new org.bouncycastle.pkcs.PKCS10CertificationRequest(a.csr).getSubjectPublicKeyInfo().getEncoded();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        if (!byCa || !java.util.Arrays.equals(csrKey, cert.getPublicKey().getEncoded())) {
            throw RaProblem.unprocessable("result-certificate-mismatch", "Issued certificate does not fit",
                    "order " + orderId + ": the certificate is not issued by a trusted issuing CA (ra.orders.ca-certificates,"
                            + " or a generation certified by ra.orders.root-certificates)"
                            + " or does not certify the key of the application's CSR; nothing was applied")
                    .with("field", "results.certificate");
        }
        if (a.certifiedSubject != null && !statesSubject(cert, a.certifiedSubject)) {
            throw RaProblem.unprocessable("result-certificate-subject-mismatch", "Issued certificate states another subject",
                    "order " + orderId + ": the certificate's subject is not the subject the RA verified and ordered;"
                            + " a certificate may state only what was verified, so it is not handed out and nothing"
                            + " was applied").with("field", "results.certificate");
        }
    }

    private static boolean statesSubject(X509Certificate cert, String orderedSubjectJson) {
        try {
            return dev.shomei.ra.application.CertifiedSubject.of(cert)
                    .equals(dev.shomei.ra.application.CertifiedSubject.fromJson(orderedSubjectJson));
        } catch (IllegalArgumentException e) {
            return false; // an attribute this RA does not certify
        }
    }

    private static RaProblem mismatch(CaOrder o, String status) {
        return RaProblem.unprocessable("result-status-mismatch", "Result does not fit the order",
                "order " + o.id + " is a " + o.type + " order but the result is '" + status + "'")
                .with("field", "results.status");
    }

    /** A result bundle whose signature was accepted: its content, its signer, and the new generations it carries. */
    record VerifiedResult(JsonNode content, X509Certificate signer, List<X509Certificate> newGenerations) {}

    /** The CMS must be signed by a result signer (ResultBundleSignature); embedded certificates are only candidates. */
    private VerifiedResult verifiedResult(byte[] cms) {
        return verifiedResult(cms, signing, json, generations);
    }

    /**
     * What {@link #ingest} reads from the CA before it writes anything: the CMS, its signature (a result signer of a
     * trusted CA generation, or of a new generation the bundle carries, certified by a pinned root) and the signed
     * JSON. Writes nothing: the fuzz target calls it directly (docs/fuzzing.md).
     */
    static VerifiedResult verifiedResult(byte[] cms, OrderSigning signing, ObjectMapper json,
                                         CaGenerations generations) {
        List<X509Certificate> cas = generations.all();
        if (signing.caCertificates().isEmpty()) {
            throw new RaProblem(503, "ca-certificates-not-configured", "CA certificates not configured",
                    "ra.orders.ca-certificates is not set, so no result bundle can be verified");
        }
        CMSSignedData signed;
        try {
            signed = new CMSSignedData(cms);
            // Bouncy Castle decodes the signerInfos lazily: a malformed one fails here, with a RuntimeException.
            if (signed.getSignedContent() == null || signed.getSignerInfos().size() != 1) {
                throw RaProblem.badRequest("cms-malformed", "Not a CMS SignedData",
                        "a result bundle has encapsulated content and exactly one signer");
            }
            signed.getSignerInfos().getSigners().iterator().next();
            // Likewise the certificates it carries (candidates for the result signer): decode them all here.
            signed.getCertificates().getMatches(null);
        } catch (RaProblem p) {
            throw p;
        } catch (Exception e) {
            throw RaProblem.badRequest("cms-malformed", "Not a CMS SignedData",
                    "the body is not a DER CMS SignedData: " + e.getMessage());
        }
        Instant now = Instant.now();
        List<X509Certificate> newGenerations = generations.candidates(signed, cas, now);
        List<X509Certificate> trusted = new ArrayList<>(cas);
        trusted.addAll(newGenerations);
        ResultBundleSignature.Verdict v = signing.resultSignature().verify(signed, now, trusted);
        if (!v.ok()) {
            throw RaProblem.unprocessable("result-signature-invalid", "Result bundle signature invalid", v.refusal());
        }
        if (v.byIssuingKey()) {
            LOG.warnf("result bundle signed with the issuing CA key %s: have the CA sign results with a key of its own"
                    + " (ca delegate --profile result-bundle-signer, orders.resultSigningKey), then pin it with"
                    + " ra.orders.result-signer-certificates", v.signer().getSubjectX500Principal());
        }
        byte[] content = (byte[]) signed.getSignedContent().getContent();
        if (!dev.shomei.ra.problem.StrictJson.isUtf8(content)) {
            throw RaProblem.unprocessable("result-content-malformed", "Result content malformed",
                    "the signed content is not UTF-8 JSON (RFC 8259 section 8.1)");
        }
        try {
            JsonNode root = json.readTree(content);
            if (holdsNul(root)) {
                // PostgreSQL text cannot hold U+0000: an id or reason with it would fail the lookup or the write (500).
                throw RaProblem.unprocessable("result-content-malformed", "Result content malformed",
                        "the signed content holds U+0000 (\\u0000) in a key or string, which no field allows");
            }
            if (!RESULT_FORMAT.equals(root.path("format").asText())) {
                throw RaProblem.unprocessable("result-format-unknown", "Unknown result format",
                        "format must be " + RESULT_FORMAT).with("field", "format");
            }
            return new VerifiedResult(root, v.signer(), newGenerations);
        } catch (java.io.IOException e) {
            throw RaProblem.unprocessable("result-content-malformed", "Result content malformed",
                    "the signed content is not JSON: " + e.getMessage());
        }
    }

    /** Whether a key or string anywhere in {@code node} holds U+0000. */
    private static boolean holdsNul(JsonNode node) {
        if (node.isTextual()) {
            return node.textValue().indexOf('\0') >= 0;
        }
        for (var it = node.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().indexOf('\0') >= 0 || holdsNul(e.getValue())) {
                return true;
            }
        }
        if (node.isArray()) {
            for (JsonNode n : node) {
                if (holdsNul(n)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static X509Certificate certificate(String base64, String orderId) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(base64)));
        } catch (Exception e) {
            throw RaProblem.unprocessable("result-certificate-malformed", "Issued certificate malformed",
                    "order " + orderId + ": the certificate is not base64 DER X.509").with("field", "certificate");
        }
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant parseInstant(String s, Instant fallback) {
        try {
            return s == null ? fallback : Instant.parse(s);
        } catch (RuntimeException e) {
            return fallback;
        }
    }
}
