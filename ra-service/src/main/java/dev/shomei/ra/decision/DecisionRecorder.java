package dev.shomei.ra.decision;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.orders.Orders;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Supplier;
import java.util.Map;
import java.util.UUID;

/**
 * Records a {@link Decision} with its decider and evidence: the decision row, its book entry and the audit-log
 * event, all in the caller's transaction.
 *
 * <p>Zone: online (ra-service). Inserts into {@code decision} and {@code book_entry}; appends to audit-log.
 */
@ApplicationScoped
public class DecisionRecorder {

    private final ThreadLocal<List<AuditTrail.Event>> deferred = new ThreadLocal<>();
    private final Books books;
    private final AuditTrail audit;
    private final ObjectMapper json;
    private final Orders orders;

    @Inject
    public DecisionRecorder(Books books, AuditTrail audit, ObjectMapper json, Orders orders) {
        this.books = books;
        this.audit = audit;
        this.json = json;
        this.orders = orders;
    }

    /**
     * Callers update their own rows (status, decision id) before calling this, so that the audit-log append is the
     * last write of the transaction.
     *
     * @param decisionId chosen by the caller, who stores it on the decided record first
     * @param action the audit-log action, e.g. {@code application.decided}
     * @param evidence digests (hex SHA-256) and references of what the decision rests on
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public DecisionRecord record(UUID decisionId, DecisionRecord.SubjectKind kind, UUID subjectId, Decision decision,
                                 Actor actor, Map<String, ?> evidence, String action, Instant at) {
        return record(decisionId, kind, subjectId, decision, actor, evidence, action, at, false);
    }

    /**
     * {@link #record}; {@code newSubject} for a subject first recorded in this same transaction, which cannot have an
     * order yet (the order is then made without looking for one).
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public DecisionRecord record(UUID decisionId, DecisionRecord.SubjectKind kind, UUID subjectId, Decision decision,
                                 Actor actor, Map<String, ?> evidence, String action, Instant at, boolean newSubject) {
        DecisionRecord r = new DecisionRecord();
        r.id = decisionId;
        r.subjectKind = kind;
        r.subjectId = subjectId;
        r.outcome = decision.outcome();
        r.reasons = write(decision.reasons());
        r.actorKind = actor.kind().name();
        r.actorId = actor.id();
        r.actorAuthentication = actor.authentication();
        r.actorVersion = actor.version();
        r.policyId = actor.policyId();
        r.policyDigest = actor.policyDigest();
        r.decidedAt = at;
        r.evidence = write(evidence);
        r.retainUntil = books.retainUntil(at);
        r.persist();

        // One serialisation: the DECISION book entry and the audit event's detail are the same JSON.
        String entry = write(view(r));
        books.appendJson(BookEntry.Book.DECISION, kind.name(), subjectId, entry, at);
        String subject = kind.name().toLowerCase().replace('_', '-') + ":" + subjectId;
        byte[] detail = entry.getBytes(StandardCharsets.UTF_8);
        if (decision.outcome() == Outcome.APPROVED) {
            // The order names the decision by the digest of the JSON the DECISION book holds (same serialisation).
            orders.approved(kind, subjectId, decisionId, ConfiguredFile.sha256Hex(detail), at, !newSubject);
        }
        List<AuditTrail.Event> later = deferred.get();
        if (later != null) {
            later.add(new AuditTrail.Event(actor, action, subject, detail));
        } else {
            // audit-log serialises appends on its head row until commit: write everything else first, so the
            // lock is held for the append and the commit only.
            DecisionRecord.flush();
            audit.append(actor, action, subject, detail);
        }
        return r;
    }

    /**
     * Runs {@code work} (which records decisions) with every audit-log append moved to its end: one flush of all
     * rows, then all the appends in one round trip, so a group commit locks the audit-log head once, for that round
     * trip and the commit only. Still one transaction: the decisions and their audit events commit together.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public <T> T withAuditAtEnd(Supplier<T> work) {
        List<AuditTrail.Event> later = new ArrayList<>();
        deferred.set(later);
        try {
            T result = work.get();
            DecisionRecord.flush();
            if (!later.isEmpty()) {
                audit.appendAll(later);
            }
            return result;
        } finally {
            deferred.remove();
        }
    }

    /** The decision as the API, the books and the audit detail show it. */
    public Map<String, Object> view(DecisionRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("decisionId", r.id);
        m.put("subjectKind", r.subjectKind);
        m.put("subjectId", r.subjectId);
        m.put("outcome", r.outcome);
        m.put("reasons", read(r.reasons));
        Map<String, Object> decider = new LinkedHashMap<>();
        decider.put("kind", r.actorKind);
        decider.put("id", r.actorId);
        if (r.actorAuthentication != null) decider.put("authentication", r.actorAuthentication);
        if (r.actorVersion != null) decider.put("version", r.actorVersion);
        if (r.policyId != null) decider.put("policyId", r.policyId);
        if (r.policyDigest != null) decider.put("policyDigest", r.policyDigest);
        m.put("decider", decider);
        m.put("decidedAt", r.decidedAt.toString());
        m.put("evidence", read(r.evidence));
        return m;
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Object read(String s) {
        try {
            return json.readValue(s, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
