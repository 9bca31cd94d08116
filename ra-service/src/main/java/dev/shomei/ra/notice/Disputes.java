package dev.shomei.ra.notice;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.DecisionRecord;
import dev.shomei.ra.decision.DecisionRecorder;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationService;
import dev.shomei.ra.safeguard.Arrival;
import dev.shomei.ra.safeguard.Safeguards;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Holders' objections to notices, and the officers' decisions on them (docs/holders.md):
 * <ol>
 * <li>the holder files a dispute with the notice's code, within the window ({@code ra.notice.dispute-window});</li>
 * <li>it waits in the officers' dispute queue (nothing is undone automatically: a dispute is a claim, too);</li>
 * <li>an officer upholds it, and the RA acts: a disputed issuance or renewal has its certificate revoked (an
 * officer-initiated revocation), a disputed revocation is re-issued (a new certificate for the same key and subject,
 * approved by the officer, recorded as the officer's decision); or the officer dismisses it. Either way the decision
 * is a NOTICE book entry and an audit-log event naming the officer.</li>
 * </ol>
 *
 * <p>Zone: online (ra-service). Writes {@code notice_dispute}, and through the services revocation requests,
 * applications, decisions, orders, book entries and audit-log events.
 */
@ApplicationScoped
public class Disputes {

    static final int MAX_STATEMENT = 2000;

    @Inject
    Books books;
    @Inject
    AuditTrail audit;
    @Inject
    RevocationService revocations;
    @Inject
    DecisionRecorder decisions;
    @Inject
    ObjectMapper json;

    /** Step 1 */
    @Transactional
    public NoticeDispute file(UUID noticeId, String code, String statement, Instant now) {
        Notice n = Notice.findById(noticeId, LockModeType.PESSIMISTIC_WRITE);
        if (n == null) {
            throw RaProblem.notFound("notice-not-found", "no notice " + noticeId + "; copy the notice number from the"
                    + " e-mail");
        }
        if (code == null || !MessageDigest.isEqual(Notices.codeSha256(code).getBytes(StandardCharsets.US_ASCII),
                n.disputeCodeSha256.getBytes(StandardCharsets.US_ASCII))) {
            throw new RaProblem(403, "dispute-code-invalid", "Dispute code does not match", "the code is not the one"
                    + " notice " + noticeId + " carried; copy it from the e-mail (letters and digits; case and dashes"
                    + " do not matter), or contact the RA office").with("field", "code");
        }
        if (statement == null || statement.isBlank() || statement.length() > MAX_STATEMENT) {
            throw RaProblem.badRequest("dispute-statement-invalid", "Statement missing or too long", "statement must"
                    + " say in 1 to " + MAX_STATEMENT + " characters what you object to (e.g. \"I did not ask for"
                    + " this\")").with("field", "statement");
        }
        if (now.isAfter(n.disputeUntil)) {
            throw new RaProblem(409, "dispute-window-closed", "Too late to dispute online", "notice " + noticeId
                    + " could be disputed until " + n.disputeUntil + " (ra.notice.dispute-window); contact the RA"
                    + " office, which can still revoke a certificate on your request").with("disputeUntil",
                    n.disputeUntil.toString());
        }
        if (NoticeDispute.count("noticeId", noticeId) > 0) {
            throw new RaProblem(409, "notice-already-disputed", "Already disputed", "notice " + noticeId + " has a"
                    + " dispute already; an RA officer reviews it");
        }
        NoticeDispute d = new NoticeDispute();
        d.id = UUID.randomUUID();
        d.noticeId = noticeId;
        d.receivedAt = now;
        d.statement = statement.strip();
        d.channel = Safeguards.json(Arrival.current().record());
        d.status = NoticeDispute.Status.OPEN;
        d.retainUntil = books.retainUntil(now);
        d.persist();
        Map<String, Object> entry = entry(d, n);
        entry.put("state", "DISPUTED");
        entry.put("statementSha256", ConfiguredFile.sha256Hex(d.statement.getBytes(StandardCharsets.UTF_8)));
        entry.put("channel", Arrival.current().record());
        books.append(BookEntry.Book.NOTICE, n.subjectKind, n.subjectId, entry, now);
        return d;
    }

    /** Step 2: open disputes, oldest first, with what the officer needs to decide. */
    @Transactional
    public List<Map<String, Object>> open(int offset, int limit) {
        return NoticeDispute.open(offset, limit).stream().map(this::view).toList();
    }

    @Transactional
    public Map<String, Object> view(UUID id) {
        NoticeDispute d = NoticeDispute.findById(id);
        if (d == null) {
            throw RaProblem.notFound("dispute-not-found", "no dispute " + id + "; take ids from GET /officer/disputes");
        }
        return view(d);
    }

    /** Step 3 */
    @Transactional
    public Map<String, Object> decide(UUID id, String outcome, String reason, Actor officer) {
        NoticeDispute d = NoticeDispute.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (d == null) {
            throw RaProblem.notFound("dispute-not-found", "no dispute " + id + "; take ids from GET /officer/disputes");
        }
        if (d.status != NoticeDispute.Status.OPEN) {
            throw new RaProblem(409, "dispute-already-decided", "Already decided", "dispute " + id + " is "
                    + d.status);
        }
        if (!"UPHELD".equals(outcome) && !"DISMISSED".equals(outcome)) {
            throw RaProblem.badRequest("dispute-outcome-invalid", "Outcome invalid", "outcome is '" + outcome
                    + "'; use UPHELD (the RA undoes the act) or DISMISSED").with("field", "outcome");
        }
        if (reason == null || reason.isBlank()) {
            throw RaProblem.badRequest("dispute-reason-missing", "Reason missing", "reason must say what the officer"
                    + " checked; the books keep it").with("field", "reason");
        }
        Notice n = Notice.findById(d.noticeId);
        Instant now = Instant.now();
        d.status = NoticeDispute.Status.valueOf(outcome);
        d.decidedAt = now;
        String action;
        if (d.status == NoticeDispute.Status.UPHELD) {
            String why = "holder disputed notice " + n.id + " (" + n.kind + "): " + reason.strip();
            if (n.kind == Notice.Kind.REVOCATION) {
                d.outcomeReference = reissue(n, why, officer, now);
                action = "notice-dispute.upheld-reissued";
            } else {
                d.outcomeReference = revocations.revokeByOfficer(n.applicationId, n.certificateSerial, why, officer);
                action = "notice-dispute.upheld-revoked";
            }
        } else {
            action = "notice-dispute.dismissed";
        }
        Map<String, Object> entry = entry(d, n);
        entry.put("state", d.status.name());
        entry.put("officer", officer.id());
        entry.put("officerAuthentication", officer.authentication());
        entry.put("reason", reason.strip());
        entry.put("outcomeReference", d.outcomeReference);
        books.append(BookEntry.Book.NOTICE, n.subjectKind, n.subjectId, entry, now);
        Panache.getEntityManager().flush();
        try {
            audit.append(officer, action, "notice-dispute:" + d.id, json.writeValueAsBytes(entry));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return view(d);
    }

    /**
     * Re-issuance after an upheld dispute of a revocation: a new application made from the revoked one (same verified
     * identity, certified subject, CSR and contact; no signed request of its own), approved by the officer. The order
     * it makes is an ordinary issue order; the new certificate's notice goes to the same contact.
     */
    private UUID reissue(Notice n, String why, Actor officer, Instant now) {
        Application o = Application.findById(n.applicationId);
        Application a = new Application();
        a.id = UUID.randomUUID();
        a.route = o.route;
        a.reissuesApplicationId = o.id;
        a.receivedAt = now;
        a.signingTime = o.signingTime;
        a.jpkiCertificate = o.jpkiCertificate;
        a.jpkiSerial = o.jpkiSerial;
        a.jpkiIssuer = o.jpkiIssuer;
        a.jpkiIssuerSha256 = o.jpkiIssuerSha256;
        a.jpkiName = o.jpkiName;
        a.jpkiNameSubstitutes = o.jpkiNameSubstitutes;
        a.jpkiGender = o.jpkiGender;
        a.jpkiBirthDate = o.jpkiBirthDate;
        a.jpkiAddress = o.jpkiAddress;
        a.jpkiAddressSubstitutes = o.jpkiAddressSubstitutes;
        a.claimedName = o.claimedName;
        a.claimedBirthDate = o.claimedBirthDate;
        a.claimedGender = o.claimedGender;
        a.claimedAddress = o.claimedAddress;
        a.signerCertificate = o.signerCertificate;
        a.renewsApplicationId = null;
        a.csr = o.csr;
        a.csrSha256 = o.csrSha256;
        a.consentDocumentId = o.consentDocumentId;
        a.consentDocumentSha256 = o.consentDocumentSha256;
        a.revocationStatus = o.revocationStatus;
        a.revocationSource = o.revocationSource;
        a.revocationResponseSha256 = o.revocationResponseSha256;
        a.revocationCheckedAt = o.revocationCheckedAt;
        a.certifiedSubject = o.certifiedSubject;
        a.officerCertifiedName = o.officerCertifiedName;
        a.contactEmail = o.contactEmail;
        a.keyDevice = o.keyDevice;
        a.channel = Safeguards.json(Arrival.current().record());
        a.retainUntil = books.retainUntil(now);
        a.status = Application.Status.APPROVED;
        a.jlisAttempts = 0;
        a.decisionId = UUID.randomUUID();
        if (a.route == Application.Route.SUBSCRIBER_CERTIFICATE) {
            // A renewal carries no JPKI certificate: the identity it states was verified by the card signature of
            // the first application in its chain, which the re-issuance names as its verification.
            Application root = o;
            while (root != null && root.jpkiCertificate == null && root.renewsApplicationId != null) {
                root = Application.findById(root.renewsApplicationId);
            }
            if (root != null) {
                a.jpkiCertificate = root.jpkiCertificate;
                a.jpkiSerial = root.jpkiSerial;
                a.jpkiIssuer = root.jpkiIssuer;
                a.jpkiIssuerSha256 = root.jpkiIssuerSha256;
            }
            a.route = Application.Route.JPKI;
        }
        if (a.jpkiCertificate == null) {
            throw new RaProblem(409, "reissue-not-possible", "Cannot re-issue", "application " + o.id + " has no"
                    + " JPKI verification to re-issue on; the holder applies again with the My Number card");
        }
        a.persist();
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("route", "OFFICER_REISSUE");
        evidence.put("reissuesApplicationId", o.id);
        evidence.put("disputedNoticeId", n.id);
        evidence.put("revokedSerial", n.certificateSerial);
        evidence.put("certifiedSubjectSha256", a.certifiedSubject == null ? null
                : ConfiguredFile.sha256Hex(a.certifiedSubject.getBytes(StandardCharsets.UTF_8)));
        evidence.put("csrSha256", a.csrSha256);
        evidence.putAll(Safeguards.evidence(a.keyDevice, a.channel));
        decisions.record(a.decisionId, DecisionRecord.SubjectKind.APPLICATION, a.id, new Decision(Outcome.APPROVED,
                        List.of(new Finding("officer-reissue-after-disputed-revocation", why))), officer, evidence,
                "application.officer-reissued", now);
        return a.id;
    }

    private static Map<String, Object> entry(NoticeDispute d, Notice n) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("disputeId", d.id);
        e.put("noticeId", n.id);
        e.put("kind", n.kind.name());
        e.put("applicationId", n.applicationId);
        e.put("certificateSerial", n.certificateSerial);
        return e;
    }

    private Map<String, Object> view(NoticeDispute d) {
        Notice n = Notice.findById(d.noticeId);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("disputeId", d.id);
        m.put("status", d.status);
        m.put("receivedAt", d.receivedAt.toString());
        m.put("statement", d.statement);
        m.put("channel", Safeguards.read(d.channel));
        m.put("notice", Map.of("noticeId", n.id, "kind", n.kind, "applicationId", n.applicationId,
                "certificateSerial", String.valueOf(n.certificateSerial), "actAt", n.actAt.toString(),
                "status", n.status));
        if (d.decidedAt != null) m.put("decidedAt", d.decidedAt.toString());
        if (d.outcomeReference != null) m.put("outcomeReference", d.outcomeReference);
        return m;
    }
}
