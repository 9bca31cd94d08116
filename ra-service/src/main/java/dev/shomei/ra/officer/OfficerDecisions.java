package dev.shomei.ra.officer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.application.ApplicationService;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An officer's decision on a referred (or still waiting) application, in one transaction on the locked
 * application row:
 * <ol>
 * <li>lock the application; it must still await an officer (a J-LIS retry or another officer that got there
 * first has decided it: 409);</li>
 * <li>an approval without J-LIS's answer (status not GOOD) needs an explicit {@code jlisOverride}, recorded in
 * the decision;</li>
 * <li>four eyes ({@code ra.officer.four-eyes}, on by default): the first approval is recorded as pending
 * ({@link OfficerApproval}, audit-log {@code application.approval-pending}); a second, different officer
 * completes it; the same officer twice is refused. A rejection needs one officer;</li>
 * <li>the decision names every approving officer (reasons and evidence) and is recorded with its books entries,
 * its order to the CA and its audit-log event.</li>
 * </ol>
 *
 * <p>Zone: online (ra-service). Writes {@code officer_approval}, and decisions through {@link ApplicationService}.
 */
@ApplicationScoped
public class OfficerDecisions {

    /** What became of an officer's call: a decision, or an approval waiting for a second officer. */
    public enum Result { DECIDED, APPROVAL_PENDING }

    @Inject
    ApplicationService applications;
    @Inject
    RaConfig config;
    @Inject
    Books books;
    @Inject
    AuditTrail audit;
    @Inject
    ObjectMapper json;
    @Inject
    Clock clock;

    @Transactional
    public Result decideApplication(UUID id, Outcome outcome, String reason, String certifiedName,
                                    boolean jlisOverride, Actor officer) {
        // Step 1
        Application a = applications.lockForOfficer(id);
        if (outcome == Outcome.REJECTED) {
            applications.decideByOfficer(a, new Decision(outcome, List.of(new Finding("officer-decision", reason))),
                    null, officer, Map.of());
            return Result.DECIDED;
        }
        // Step 2
        // A renewal was verified by the subscriber's certificate of this CA, not at J-LIS (docs/identity.md): there is
        // no J-LIS answer to override (it is referred by the policy's rules, e.g. right after issuance).
        boolean jlisAnswered = "GOOD".equals(a.revocationStatus) || a.route == Application.Route.SUBSCRIBER_CERTIFICATE;
        if (!jlisAnswered && !jlisOverride) {
            throw new RaProblem(409, "jlis-answer-missing", "J-LIS has not answered", "application " + id
                    + " has no good revocation answer from J-LIS (status " + a.revocationStatus + "); wait for"
                    + " J-LIS, or approve with \"jlisOverride\": true and a reason that says how the JPKI"
                    + " certificate was checked instead (the override is recorded with the decision)")
                    .with("field", "jlisOverride").with("revocationStatus", String.valueOf(a.revocationStatus));
        }
        // The name the certificate will state, where the card's cannot be certified as it is: checked on every
        // approval, and the second officer must approve the same name as the first.
        String name = applications.certifiedNameFor(a, outcome, certifiedName);
        Instant now = clock.instant();
        List<OfficerApproval> earlier = OfficerApproval.of(id);
        // Step 3
        if (config.officer().fourEyes()) {
            String certificate = OfficerAuthentication.certificateSha256(officer);
            for (OfficerApproval e : earlier) {
                if (e.officerId.equals(officer.id()) || e.officerCertificateSha256.equals(certificate)) {
                    throw new RaProblem(409, "second-officer-required", "A second officer must approve",
                            "application " + id + " was already approved by " + e.officerId + " at " + e.approvedAt
                                    + "; approving a referred application needs two different officers (four"
                                    + " eyes, ra.officer.four-eyes): another officer completes it");
                }
            }
            for (OfficerApproval e : earlier) {
                if (!java.util.Objects.equals(e.certifiedName, name)) {
                    throw new RaProblem(409, "certified-name-differs", "Officers disagree on the certified name",
                            "application " + id + " was approved by " + e.officerId + " for the name "
                                    + (e.certifiedName == null ? "on the card" : "'" + e.certifiedName + "'")
                                    + "; the second approval must certify the same name")
                            .with("field", "certifiedName");
                }
            }
            if (earlier.isEmpty()) {
                OfficerApproval p = approval(id, reason, name, jlisOverride, officer, now);
                Map<String, Object> detail = new LinkedHashMap<>();
                detail.put("applicationId", id);
                detail.put("approvalId", p.id);
                detail.put("reason", reason);
                detail.put("jlisOverride", jlisOverride);
                detail.put("state", "PENDING_SECOND_OFFICER");
                OfficerApproval.flush();
                audit.append(officer, "application.approval-pending", "application:" + id,
                        write(detail).getBytes(StandardCharsets.UTF_8));
                return Result.APPROVAL_PENDING;
            }
        }
        // Step 4
        List<OfficerApproval> all = new ArrayList<>(earlier);
        all.add(approval(id, reason, name, jlisOverride, officer, now));
        List<Finding> reasons = new ArrayList<>();
        List<Map<String, Object>> approvals = new ArrayList<>();
        for (OfficerApproval p : all) {
            reasons.add(new Finding("officer-approval", p.officerId + ": " + p.reason));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("officer", p.officerId);
            m.put("authentication", p.officerAuthentication);
            m.put("approvedAt", p.approvedAt.toString());
            m.put("jlisOverride", p.jlisOverride);
            approvals.add(m);
        }
        if (!jlisAnswered) {
            reasons.add(new Finding("officer-jlis-override", "approved without a good J-LIS answer (revocation"
                    + " status " + a.revocationStatus + "), on the approving officers' responsibility"));
        }
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("approvals", approvals);
        applications.decideByOfficer(a, new Decision(Outcome.APPROVED, reasons), name, officer, evidence);
        return Result.DECIDED;
    }

    private OfficerApproval approval(UUID id, String reason, String certifiedName, boolean jlisOverride, Actor officer,
                                     Instant now) {
        OfficerApproval p = new OfficerApproval();
        p.id = UUID.randomUUID();
        p.applicationId = id;
        p.officerId = officer.id();
        p.officerAuthentication = officer.authentication();
        p.officerCertificateSha256 = OfficerAuthentication.certificateSha256(officer);
        p.reason = reason;
        p.certifiedName = certifiedName;
        p.jlisOverride = jlisOverride;
        p.approvedAt = now;
        p.retainUntil = books.retainUntil(now);
        p.persist();
        return p;
    }

    /** Pending approvals of an application, for the queue (officer names and times only). */
    @Transactional
    public List<Map<String, Object>> pending(UUID id) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (OfficerApproval p : OfficerApproval.of(id)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("officer", p.officerId);
            m.put("approvedAt", p.approvedAt.toString());
            m.put("jlisOverride", p.jlisOverride);
            out.add(m);
        }
        return out;
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
