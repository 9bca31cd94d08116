package dev.shomei.ra.revocation;

import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.DecisionRecord;
import dev.shomei.ra.decision.DecisionRecorder;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.decision.PolicyConfiguration.SystemDecider;
import dev.shomei.ra.jpki.JpkiIdentity;
import dev.shomei.ra.jpki.RevocationEvidence;
import dev.shomei.ra.jpki.VerifiedSignature;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.math.BigInteger;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Records revocation requests and their decisions (books: revocation), each in one transaction with its
 * decision and audit-log event. The certificate itself is revoked later by the CA, from an RA-signed order.
 *
 * <p>Zone: online (ra-service). Reads {@code application}; writes {@code revocation_request}, {@code decision},
 * {@code book_entry} and audit-log.
 */
@ApplicationScoped
public class RevocationService {

    private final Books books;
    private final DecisionRecorder decisions;
    private final SystemDecider system;

    @Inject
    public RevocationService(Books books, DecisionRecorder decisions, SystemDecider system) {
        this.books = books;
        this.decisions = decisions;
        this.system = system;
    }

    /**
     * What was recorded when the subscriber applied: the revocation requester must be that person, and only the
     * certificate issued for that application ({@code certificateSerial}, hex; null until issued) can be revoked.
     */
    record Subscriber(Application.Status status, JpkiIdentity identity, byte[] jpkiCertificate,
                      String certificateSerial) {}

    /**
     * The serial to revoke for an application: the certificate issued for it. A serial named by the requester must
     * be that one; anything else (another subscriber's certificate, the CA's own responder or publication-signer
     * certificates) is refused, since the RA only ever asks the CA to revoke what it had issued for the
     * application (CP/CPS: revocation on the subscriber's request).
     *
     * @return the application's serial (lowercase hex), or null while the certificate is not issued and none named
     */
    static String serialToRevoke(UUID applicationId, String named, String issued) {
        if (named == null || named.isBlank()) {
            return issued;
        }
        BigInteger asked;
        try {
            asked = new BigInteger(named.strip().replace(":", ""), 16);
        } catch (NumberFormatException e) {
            throw RaProblem.badRequest("revocation-serial-malformed", "Malformed serial", "certificateSerial '"
                    + named + "' is not a hexadecimal serial number; give it as openssl x509 -serial prints it, or"
                    + " omit it to revoke the application's certificate").with("field", "certificateSerial");
        }
        if (issued == null || !asked.equals(new BigInteger(issued, 16))) {
            throw RaProblem.unprocessable("revocation-serial-not-of-application", "Not this application's"
                    + " certificate", "certificateSerial " + named + " is not the certificate issued for application "
                    + applicationId + (issued == null ? " (none is issued yet)" : "") + "; a revocation can only"
                    + " name the certificate issued for the application it names. Omit certificateSerial to revoke"
                    + " the application's certificate").with("field", "certificateSerial");
        }
        return issued;
    }

    @Transactional
    public Optional<UUID> idOf(String cmsSha256) {
        return RevocationRequest.byCmsSha256(cmsSha256).map(r -> r.id);
    }

    /** The request carrying this CMS signature value, however the SignedData around it was encoded. */
    @Transactional
    public Optional<UUID> idOfSignature(String signatureSha256) {
        return RevocationRequest.bySignatureSha256(signatureSha256).map(r -> r.id);
    }

    @Transactional
    Optional<Subscriber> subscriberOf(UUID applicationId) {
        Application a = Application.findById(applicationId);
        return a == null ? Optional.empty() : Optional.of(new Subscriber(a.status, new JpkiIdentity(a.jpkiName,
                a.jpkiNameSubstitutes, a.jpkiGender, a.jpkiBirthDate, a.jpkiAddress, a.jpkiAddressSubstitutes),
                a.jpkiCertificate, a.certificateSerial));
    }

    @Transactional
    UUID recordSigned(String cmsSha256, byte[] cms, RevocationContent content, String serial, VerifiedSignature sig,
                      RevocationEvidence rev, Decision decision, Instant now) {
        RevocationRequest r = new RevocationRequest();
        r.id = UUID.randomUUID();
        r.cmsSha256 = cmsSha256;
        r.cms = cms;
        r.receivedAt = now;
        r.initiatedBy = RevocationRequest.InitiatedBy.APPLICANT;
        r.applicationId = UUID.fromString(content.applicationId());
        r.signatureSha256 = dev.shomei.ra.application.ApplicationIntake.signatureSha256(cms);
        r.certificateSerial = serial;
        r.reason = content.reason();
        try {
            r.jpkiCertificate = sig.signer().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        r.jpkiSerial = sig.signer().getSerialNumber().toString(16);
        r.jpkiIssuer = sig.signer().getIssuerX500Principal().getName();
        r.revocationStatus = rev.status().name();
        r.revocationSource = rev.source().name();
        r.revocationResponse = rev.raw();
        r.revocationResponseSha256 = rev.responseSha256();
        r.revocationCheckedAt = rev.checkedAt();
        r.retainUntil = books.retainUntil(now);
        r.status = statusOf(decision);
        recordChannel(r);
        r.persist();
        apply(r, decision, system.actor(), "revocation-request.decided", now);
        return r.id;
    }

    /**
     * A request signed with the subscriber's own certificate of this CA (route SUBSCRIBER_CERTIFICATE; the route's
     * checks are in dev.shomei.ra.renewal.SubscriberRevocation), recorded with the route's evidence.
     */
    @Transactional
    public UUID recordSignedBySubscriber(String cmsSha256, byte[] cms, RevocationContent content,
                                         java.security.cert.X509Certificate signer, Map<String, Object> routeEvidence,
                                         Decision decision, Instant now) {
        RevocationRequest r = new RevocationRequest();
        r.id = UUID.randomUUID();
        r.cmsSha256 = cmsSha256;
        r.cms = cms;
        r.receivedAt = now;
        r.initiatedBy = RevocationRequest.InitiatedBy.APPLICANT;
        r.route = "SUBSCRIBER_CERTIFICATE";
        r.applicationId = UUID.fromString(content.applicationId());
        r.certificateSerial = signer.getSerialNumber().toString(16);
        r.reason = content.reason();
        try {
            r.signerCertificate = signer.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        r.retainUntil = books.retainUntil(now);
        r.status = statusOf(decision);
        recordChannel(r);
        r.persist();
        r.routeEvidence = routeEvidence;
        apply(r, decision, system.actor(), "revocation-request.decided", now);
        return r.id;
    }

    @Transactional
    public UUID revokeByOfficer(UUID applicationId, String certificateSerial, String reason, Actor officer) {
        Application a = Application.findById(applicationId);
        if (a == null) {
            throw RaProblem.notFound("application-not-found", "no application " + applicationId
                    + "; name the application whose certificate is to be revoked");
        }
        if (a.status != Application.Status.APPROVED && a.status != Application.Status.ISSUED) {
            throw new RaProblem(409, "revocation-target-not-approved", "Nothing to revoke", "application "
                    + applicationId + " is " + a.status + "; only an approved application has a certificate to"
                    + " revoke");
        }
        certificateSerial = serialToRevoke(applicationId, certificateSerial, a.certificateSerial);
        Instant now = Instant.now();
        RevocationRequest r = new RevocationRequest();
        r.id = UUID.randomUUID();
        r.receivedAt = now;
        r.initiatedBy = RevocationRequest.InitiatedBy.OFFICER;
        r.applicationId = applicationId;
        r.certificateSerial = certificateSerial;
        r.reason = reason;
        r.retainUntil = books.retainUntil(now);
        r.status = RevocationRequest.Status.APPROVED;
        recordChannel(r);
        r.persist();
        apply(r, new Decision(Outcome.APPROVED, List.of(new Finding("officer-initiated", reason))), officer,
                "revocation.officer-initiated", now);
        return r.id;
    }

    @Transactional
    public void decideByOfficer(UUID id, Outcome outcome, String reason, Actor officer) {
        // Locked (SELECT ... FOR UPDATE) until the decision commits: a second officer deciding at the same moment
        // waits, then finds it decided (409) instead of both reading REFERRED.
        RevocationRequest r = RevocationRequest.findById(id, jakarta.persistence.LockModeType.PESSIMISTIC_WRITE);
        if (r == null) {
            throw RaProblem.notFound("revocation-request-not-found", "no revocation request " + id
                    + "; take ids from GET /officer/queue");
        }
        if (r.status != RevocationRequest.Status.REFERRED) {
            throw new RaProblem(409, "revocation-request-already-decided", "Already decided", "revocation request "
                    + id + " is " + r.status + "; only REFERRED requests await an officer");
        }
        apply(r, new Decision(outcome, List.of(new Finding("officer-decision", reason))), officer,
                "revocation-request.officer-decided", Instant.now());
    }

    /** The channel the request came through (dev.shomei.ra.safeguard), fixed on receipt. */
    private static void recordChannel(RevocationRequest r) {
        dev.shomei.ra.safeguard.Channel channel = dev.shomei.ra.safeguard.Arrival.current();
        r.channel = dev.shomei.ra.safeguard.Safeguards.json(channel.record());
        r.clientAddress = channel.remoteAddress();
    }

    private void apply(RevocationRequest r, Decision decision, Actor actor, String action, Instant now) {
        r.status = statusOf(decision);
        r.decisionId = UUID.randomUUID();
        Map<String, Object> evidence = new LinkedHashMap<>();
        evidence.put("applicationId", r.applicationId);
        evidence.putAll(dev.shomei.ra.safeguard.Safeguards.channelEvidence(r.channel));
        if (r.signerCertificate != null) {
            evidence.put("signedRequestSha256", r.cmsSha256);
            if (r.routeEvidence != null) {
                evidence.putAll(r.routeEvidence);
            }
        } else if (r.cmsSha256 != null) {
            evidence.put("signedRequestSha256", r.cmsSha256);
            evidence.put("jpkiCertificateSha256", ConfiguredFile.sha256Hex(r.jpkiCertificate));
            evidence.put("revocationStatus", r.revocationStatus);
            evidence.put("revocationSource", r.revocationSource);
            evidence.put("revocationResponseSha256", r.revocationResponseSha256);
        }
        if (decision.outcome() == Outcome.APPROVED) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("revocationRequestId", r.id);
            entry.put("applicationId", r.applicationId);
            entry.put("certificateSerial", r.certificateSerial);
            entry.put("reason", r.reason);
            entry.put("initiatedBy", r.initiatedBy);
            entry.put("decisionId", r.decisionId);
            // The CA revokes from an RA-signed order (a separate issue); its confirmation is a later entry.
            entry.put("state", "DECIDED_PENDING_CA_ORDER");
            books.append(BookEntry.Book.REVOCATION, DecisionRecord.SubjectKind.REVOCATION_REQUEST.name(), r.id,
                    entry, now);
        }
        decisions.record(r.decisionId, DecisionRecord.SubjectKind.REVOCATION_REQUEST, r.id, decision, actor, evidence,
                action, now);
    }

    private static RevocationRequest.Status statusOf(Decision decision) {
        return switch (decision.outcome()) {
            case APPROVED -> RevocationRequest.Status.APPROVED;
            case REFERRED -> RevocationRequest.Status.REFERRED;
            case REJECTED -> RevocationRequest.Status.REJECTED;
        };
    }

    @Transactional
    public Optional<Map<String, Object>> view(UUID id) {
        RevocationRequest r = RevocationRequest.findById(id);
        return r == null ? Optional.empty() : Optional.of(view(r));
    }

    @Transactional
    public List<Map<String, Object>> referredQueue() {
        return RevocationRequest.referred().stream().map(this::view).toList();
    }

    @Transactional
    public List<Map<String, Object>> referredQueue(int offset, int limit) {
        return RevocationRequest.referred(offset, limit).stream().map(this::view).toList();
    }

    private Map<String, Object> view(RevocationRequest r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("revocationRequestId", r.id);
        m.put("status", r.status);
        m.put("initiatedBy", r.initiatedBy);
        m.put("applicationId", r.applicationId);
        m.put("certificateSerial", r.certificateSerial);
        m.put("reason", r.reason);
        m.put("receivedAt", r.receivedAt.toString());
        if (r.revokedAt != null) m.put("revokedAt", r.revokedAt.toString());
        if (r.caRefusal != null) m.put("caRefusal", r.caRefusal);
        List<Map<String, Object>> ds = DecisionRecord.of(r.id).stream().map(decisions::view).toList();
        m.put("decision", ds.isEmpty() ? null : ds.get(ds.size() - 1));
        m.put("decisions", ds);
        return m;
    }
}
