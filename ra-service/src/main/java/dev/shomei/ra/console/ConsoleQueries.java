package dev.shomei.ra.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.application.CertifiedSubject;
import dev.shomei.ra.console.Views.ApplicationPage;
import dev.shomei.ra.console.Views.ApprovalView;
import dev.shomei.ra.console.Views.Char;
import dev.shomei.ra.console.Views.DecisionView;
import dev.shomei.ra.console.Views.Fact;
import dev.shomei.ra.console.Views.Finding;
import dev.shomei.ra.console.Views.IdentityView;
import dev.shomei.ra.console.Views.RevocationPage;
import dev.shomei.ra.console.Views.Row;
import dev.shomei.ra.decision.DecisionRecord;
import dev.shomei.ra.jpki.EraDate;
import dev.shomei.ra.jpki.JlisCrl;
import dev.shomei.ra.officer.OfficerApproval;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads what the console shows: the queue, searches, and one application or revocation request with its evidence and
 * decisions. Read-only; every act goes through the same services as the REST API (officer.OfficerDecisions,
 * revocation.RevocationService).
 *
 * <p>Zone: online (ra-service), console. Reads {@code application}, {@code revocation_request}, {@code decision},
 * {@code officer_approval}, {@code jlis_crl}; writes nothing.
 */
@ApplicationScoped
public class ConsoleQueries {

    /** What a search can find: an application or a revocation request by id, or an application by serial. */
    public record Search(String query, String status) {
        boolean empty() {
            return (query == null || query.isBlank()) && (status == null || status.isBlank());
        }
    }

    @Inject
    ObjectMapper json;

    /** The referred applications and revocation requests, oldest first, one page of each. */
    @Transactional
    public List<Row> queue(int offset, int limit) {
        List<Row> rows = new ArrayList<>();
        Application.referred(offset, limit).forEach(a -> rows.add(row(a)));
        RevocationRequest.referred(offset, limit).forEach(r -> rows.add(row(r)));
        return rows;
    }

    /**
     * A search: a UUID names an application or a revocation request; a hexadecimal string (colons allowed, as openssl
     * prints it) is the serial of a certificate issued for an application; a status lists applications in it, newest
     * first.
     */
    @Transactional
    public List<Row> search(Search s, int offset, int limit) {
        List<Row> rows = new ArrayList<>();
        String q = s.query() == null ? "" : s.query().strip();
        if (!q.isEmpty()) {
            Optional<UUID> id = uuid(q);
            if (id.isPresent()) {
                Application a = Application.findById(id.get());
                if (a != null) {
                    rows.add(row(a));
                }
                RevocationRequest r = RevocationRequest.findById(id.get());
                if (r != null) {
                    rows.add(row(r));
                }
                RevocationRequest.<RevocationRequest>list("applicationId = ?1 order by receivedAt", id.get())
                        .forEach(x -> rows.add(row(x)));
                return rows;
            }
            String serial = serial(q);
            Application.byCertificateSerial(serial).ifPresent(a -> rows.add(row(a)));
            RevocationRequest.<RevocationRequest>list("certificateSerial = ?1 order by receivedAt", serial)
                    .forEach(x -> rows.add(row(x)));
            return rows;
        }
        Application.Status status = status(s.status());
        Application.<Application>find("status = ?1 order by receivedAt desc, id", status)
                .range(offset, offset + limit - 1).list().forEach(a -> rows.add(row(a)));
        return rows;
    }

    @Transactional
    public Optional<ApplicationPage> application(UUID id) {
        Application a = Application.findById(id);
        if (a == null) {
            return Optional.empty();
        }
        List<DecisionView> decisions = decisions(a.id);
        List<ApprovalView> pending = OfficerApproval.of(a.id).stream()
                .map(p -> new ApprovalView(p.officerId, p.approvedAt.toString(), p.jlisOverride)).toList();
        boolean awaiting = a.status == Application.Status.REFERRED || a.status == Application.Status.WAITING_FOR_JLIS;
        boolean mustEnter = a.route == Application.Route.JPKI
                && (!CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes).isEmpty()
                || (a.jpkiName != null && CertifiedSubject.nameProblem(a.jpkiName).isPresent()));
        List<Fact> consent = List.of(new Fact("documentId", String.valueOf(a.consentDocumentId)),
                new Fact("SHA-256", String.valueOf(a.consentDocumentSha256)));
        return Optional.of(new ApplicationPage(a.id.toString(), a.status.name(), a.route.name(),
                a.receivedAt.toString(), a.signingTime == null ? "" : a.signingTime.toString(),
                findings(a.decisionId), identity(a), EvidenceReading.certificate(
                        a.route == Application.Route.JPKI ? a.jpkiCertificate : a.signerCertificate),
                jlis(a.revocationStatus, a.revocationSource, a.revocationCheckedAt, a.jlisAttempts,
                        a.revocationResponse, a.revocationResponseSha256, a.revocationNote, a.jpkiSerial),
                EvidenceReading.csr(a.csr), consent, policy(a.id), decisions, pending, awaiting, mustEnter,
                "GOOD".equals(a.revocationStatus), a.certificateSerial,
                a.renewsApplicationId == null ? null : a.renewsApplicationId.toString()));
    }

    @Transactional
    public Optional<RevocationPage> revocation(UUID id) {
        RevocationRequest r = RevocationRequest.findById(id);
        if (r == null) {
            return Optional.empty();
        }
        List<Fact> signer = EvidenceReading.certificate(r.signerCertificate != null ? r.signerCertificate
                : r.jpkiCertificate);
        List<Fact> jlis = r.cmsSha256 == null || r.signerCertificate != null ? List.of()
                : jlis(r.revocationStatus, r.revocationSource, r.revocationCheckedAt, null, r.revocationResponse,
                        r.revocationResponseSha256, null, r.jpkiSerial);
        return Optional.of(new RevocationPage(r.id.toString(), r.status.name(), r.initiatedBy.name(),
                r.route == null ? (r.cmsSha256 == null ? "OFFICER" : "JPKI") : r.route, String.valueOf(r.applicationId),
                r.certificateSerial, r.reason, r.receivedAt.toString(), signer, jlis, decisions(r.id),
                r.status == RevocationRequest.Status.REFERRED));
    }

    private static IdentityView identity(Application a) {
        EraDate.Reading birth = a.jpkiBirthDate == null ? null : EraDate.read(a.jpkiBirthDate);
        return new IdentityView(chars(a.jpkiName, a.jpkiNameSubstitutes), nullToEmpty(a.jpkiNameSubstitutes),
                CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes), nullToEmpty(a.jpkiBirthDate),
                birth == null || birth.date() == null ? "" : birth.date().toString(),
                birth == null || birth.problem() == null ? "" : birth.problem(), nullToEmpty(a.jpkiGender),
                chars(a.jpkiAddress, a.jpkiAddressSubstitutes),
                CertifiedSubject.substitutePositions(a.jpkiAddressSubstitutes), nullToEmpty(a.claimedName),
                a.claimedBirthDate == null ? "" : a.claimedBirthDate.toString(), nullToEmpty(a.claimedGender),
                nullToEmpty(a.claimedAddress), a.officerCertifiedName, nullToEmpty(a.jpkiName));
    }

    /**
     * The text as characters (code points: a kanji outside the BMP is one character on the card), each marked where
     * the card's flag string has a '1' at its position (JPKI.md: 1.2.392.200149.8.5.5.2 and .6).
     */
    static List<Char> chars(String text, String flags) {
        List<Char> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        int[] cps = text.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            boolean flagged = flags != null && i < flags.length() && flags.charAt(i) != '0';
            out.add(new Char(new String(Character.toChars(cps[i])), flagged));
        }
        return out;
    }

    private List<Fact> jlis(String status, String source, java.time.Instant checkedAt, Integer attempts, byte[] raw,
                            String sha256, String note, String jpkiSerial) {
        List<Fact> out = new ArrayList<>();
        out.add(new Fact("status", String.valueOf(status)));
        out.add(new Fact("source", String.valueOf(source)));
        out.add(new Fact("checkedAt", checkedAt == null ? "" : checkedAt.toString()));
        if (attempts != null) {
            out.add(new Fact("attempts", attempts.toString()));
        }
        if (note != null) {
            out.add(new Fact("note", note));
        }
        out.add(new Fact("response SHA-256", String.valueOf(sha256)));
        if ("OCSP".equals(source) && raw != null) {
            out.addAll(EvidenceReading.ocsp(raw));
        } else if ("CRL".equals(source) && sha256 != null) {
            JlisCrl crl = JlisCrl.findById(sha256);
            if (crl != null) {
                out.addAll(EvidenceReading.crl(crl.crl, jpkiSerial));
            }
        }
        return out;
    }

    /** The approval policy and version of the system decisions on this subject (the decider recorded with each). */
    private static List<Fact> policy(UUID subjectId) {
        List<Fact> out = new ArrayList<>();
        for (DecisionRecord d : DecisionRecord.of(subjectId)) {
            if ("SYSTEM".equals(d.actorKind)) {
                out.add(new Fact("policy", String.valueOf(d.policyId)));
                out.add(new Fact("policy SHA-256", String.valueOf(d.policyDigest)));
                out.add(new Fact("decider", d.actorId + " " + (d.actorVersion == null ? "" : d.actorVersion)));
                break;
            }
        }
        return out;
    }

    private List<DecisionView> decisions(UUID subjectId) {
        return DecisionRecord.of(subjectId).stream().map(d -> new DecisionView(d.outcome.name(), d.actorKind,
                d.actorId, d.actorAuthentication, d.decidedAt.toString(),
                d.policyId == null ? "" : d.policyId + " (SHA-256 " + d.policyDigest + ")", reasons(d.reasons)))
                .toList();
    }

    private List<Finding> findings(UUID decisionId) {
        if (decisionId == null) {
            return List.of();
        }
        DecisionRecord d = DecisionRecord.findById(decisionId);
        return d == null ? List.of() : reasons(d.reasons);
    }

    private List<Finding> reasons(String stored) {
        try {
            List<Finding> out = new ArrayList<>();
            for (Map<?, ?> m : json.readValue(stored, Map[].class)) {
                out.add(new Finding(String.valueOf(m.get("code")), String.valueOf(m.get("detail"))));
            }
            return out;
        } catch (Exception e) {
            return List.of(new Finding("unreadable", e.getMessage()));
        }
    }

    private Row row(Application a) {
        List<Finding> f = findings(a.decisionId);
        boolean substitutes = !CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes).isEmpty();
        return new Row("application", a.id.toString(), a.status.name(), a.receivedAt.toString(), f,
                a.route == Application.Route.JPKI ? nullToEmpty(a.jpkiName) : "renewal of " + a.renewsApplicationId,
                substitutes, (int) OfficerApproval.count("applicationId", a.id), "/console/applications/" + a.id);
    }

    private Row row(RevocationRequest r) {
        return new Row("revocation", r.id.toString(), r.status.name(), r.receivedAt.toString(), findings(r.decisionId),
                "application " + r.applicationId + (r.certificateSerial == null ? "" : ", serial "
                        + r.certificateSerial), false, 0, "/console/revocation-requests/" + r.id);
    }

    static Optional<UUID> uuid(String s) {
        try {
            return Optional.of(UUID.fromString(s.strip()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A serial as the RA stores it (lowercase hexadecimal, no leading zeros); 400 problem if it is not hex. */
    static String serial(String q) {
        try {
            return new BigInteger(q.replace(":", "").replace(" ", ""), 16).toString(16);
        } catch (NumberFormatException e) {
            throw RaProblem.badRequest("search-query-malformed", "Not an id or a serial", "q '" + q + "' is neither"
                    + " an application or revocation request id (a UUID) nor a certificate serial (hexadecimal, as"
                    + " openssl x509 -serial prints it)").with("field", "q");
        }
    }

    static Application.Status status(String s) {
        try {
            return Application.Status.valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("search-status-unknown", "Unknown status", "status '" + s + "' is not an"
                    + " application status; use one of " + java.util.Arrays.toString(Application.Status.values()))
                    .with("field", "status");
        }
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
