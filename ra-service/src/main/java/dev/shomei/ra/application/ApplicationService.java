package dev.shomei.ra.application;

import dev.shomei.audit.Actor;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.DecisionRecord;
import dev.shomei.ra.decision.DecisionRecorder;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.decision.PolicyConfiguration.SystemDecider;
import dev.shomei.ra.jpki.RevocationEvidence;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Records applications and their decisions: each method is one transaction in which the application row, its
 * book entries, the decision and the audit-log event commit together or not at all.
 *
 * <p>Zone: online (ra-service). Reads and writes {@code application}, {@code decision}, {@code book_entry} and
 * audit-log; no network.
 */
@ApplicationScoped
public class ApplicationService {

    static final String SUBJECT_KIND = DecisionRecord.SubjectKind.APPLICATION.name();
    /** How identity was verified (本人確認の方法), as the books state it. */
    static final String VERIFICATION_METHOD = "JPKI signing certificate (署名用電子証明書) signature on the application";
    /** The second automatic route (電子署名法: a valid certificate of an accredited certification business). */
    static final String RENEWAL_VERIFICATION_METHOD = "signature with the subscriber's own valid, unrevoked"
            + " certificate of this CA (renewal); identity copied from that certificate";

    @Inject
    io.agroal.api.AgroalDataSource dataSource;
    private final Books books;
    private final DecisionRecorder decisions;
    private final SystemDecider system;
    private final dev.shomei.ra.RaConfig config;
    @Inject
    java.time.Clock clock;

    @Inject
    public ApplicationService(Books books, DecisionRecorder decisions, SystemDecider system,
                              dev.shomei.ra.RaConfig config) {
        this.books = books;
        this.decisions = decisions;
        this.system = system;
        this.config = config;
    }

    record Waiting(byte[] cms, Instant receivedAt) {}

    @Transactional
    public Optional<UUID> idOf(String cmsSha256) {
        return Application.byCmsSha256(cmsSha256).map(a -> a.id);
    }

    /** The renewal (not rejected) of the certificate issued for this application, if there is one. */
    @Transactional
    public Optional<UUID> renewalOf(UUID renewedApplicationId) {
        return Application.<Application>find("renewsApplicationId = ?1 and status <> ?2", renewedApplicationId,
                Application.Status.REJECTED).firstResultOptional().map(a -> a.id);
    }

    /** The application carrying this CMS signature value, however the SignedData around it was encoded. */
    @Transactional
    public Optional<UUID> idOfSignature(String signatureSha256) {
        return Application.bySignatureSha256(signatureSha256).map(a -> a.id);
    }

    /**
     * What the replay checks of a verified application found: the application with the same bytes or signature, and
     * whether its key is taken.
     */
    record Replay(Optional<UUID> sameSignature, boolean keyInLiveApplication) {}

    /**
     * The checks of step 1b in one query on one pooled connection: the application with these bytes or this signature
     * value, if any, and whether a live application already certifies this key. Plain JDBC and no transaction of its
     * own (a read of committed rows, like {@link #idOf}): on the submission path, a JTA transaction, a Hibernate
     * session and two entity loads (with their CMS and OCSP bytes) per application cost more than the CMS check.
     */
    Replay replay(String cmsSha256, String signatureSha256, String csrKeySha256) {
        try (java.sql.Connection c = dataSource.getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT id, (cms_sha256 = ?::char(64) OR"
                     // char(64) parameters: compared as text, the columns' unique indexes would not be used.
                     + " signature_sha256 = ?::char(64)) FROM application WHERE cms_sha256 = ?::char(64)"
                     + " OR signature_sha256 = ?::char(64) OR (csr_key_sha256 = ?::char(64)"
                     + " AND status IN ('WAITING_FOR_JLIS',"
                     + " 'REFERRED', 'APPROVED', 'ISSUED')) ORDER BY 2 DESC LIMIT 1")) {
            ps.setString(1, cmsSha256);
            ps.setString(2, signatureSha256);
            ps.setString(3, cmsSha256);
            ps.setString(4, signatureSha256);
            ps.setString(5, csrKeySha256);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Replay(Optional.empty(), false);
                }
                return rs.getBoolean(2) ? new Replay(Optional.of(rs.getObject(1, UUID.class)), false)
                        : new Replay(Optional.empty(), true);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot look up applications by signature and key: " + e.getMessage(), e);
        }
    }

    /** {@link #idOf} for the submission path's refusals: one indexed read by plain JDBC (see {@link #replay}). */
    Optional<UUID> idOfCms(String cmsSha256) {
        try (java.sql.Connection c = dataSource.getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT id FROM application WHERE cms_sha256 = ?::char(64)")) {
            ps.setString(1, cmsSha256);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot look up an application by its CMS digest: " + e.getMessage(), e);
        }
    }

    /** Whether a live application already certifies this subscriber key. */
    @Transactional
    public boolean keyInLiveApplication(String csrKeySha256) {
        return Application.liveWithKey(csrKeySha256).isPresent();
    }

    @Transactional
    Optional<Waiting> waiting(UUID id) {
        Application a = Application.findById(id);
        return a == null || a.status != Application.Status.WAITING_FOR_JLIS ? Optional.empty()
                : Optional.of(new Waiting(a.cms, a.receivedAt));
    }

    @Transactional
    public List<UUID> waitingDue(Instant now, int limit) {
        return Application.waitingDue(now, limit).stream().map(a -> a.id).toList();
    }

    /** A new application as recorded, with the answer to its submission built from the rows just written. */
    record Recorded(UUID id, Map<String, Object> view) {}

    @Transactional
    Recorded recordNew(String cmsSha256, byte[] cms, Assessment as, Instant now) {
        return insert(cmsSha256, cms, as, now);
    }

    /**
     * Records several new applications in one transaction (see {@link GroupCommit}): each still commits with its
     * book entries, decision and audit-log event, and the audit-log head is locked once for all of them.
     */
    @Transactional
    List<Recorded> recordNew(List<GroupCommit.Job> jobs) {
        return decisions.withAuditAtEnd(() ->
                jobs.stream().map(j -> insert(j.cmsSha256(), j.cms(), j.assessment(), j.receivedAt())).toList());
    }

    private Recorded insert(String cmsSha256, byte[] cms, Assessment as, Instant now) {
        Application a = new Application();
        a.id = UUID.randomUUID();
        a.cmsSha256 = cmsSha256;
        a.cms = cms;
        a.receivedAt = now;
        a.signingTime = as.signature().signingTime();
        try {
            a.jpkiCertificate = as.signature().signer().getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        a.jpkiSerial = as.signature().signer().getSerialNumber().toString(16);
        a.jpkiIssuer = as.signature().signer().getIssuerX500Principal().getName();
        a.jpkiIssuerSha256 = as.signature().issuer().sha256();
        a.jpkiName = as.signature().identity().name();
        a.jpkiNameSubstitutes = as.signature().identity().nameSubstitutes();
        a.jpkiGender = as.signature().identity().gender();
        a.jpkiBirthDate = as.signature().identity().birthDate();
        a.jpkiAddress = as.signature().identity().address();
        a.jpkiAddressSubstitutes = as.signature().identity().addressSubstitutes();
        ApplicationContent.ClaimedIdentity claimed = as.content().claimedIdentity();
        a.claimedName = claimed.name();
        a.claimedBirthDate = claimed.birthDate();
        a.claimedGender = claimed.gender();
        a.claimedAddress = claimed.address();
        a.csr = as.csrDer();
        a.csrSha256 = ConfiguredFile.sha256Hex(as.csrDer());
        a.signatureSha256 = as.signature().signatureSha256();
        a.csrKeySha256 = as.csrKeySha256();
        a.consentDocumentId = as.content().consent().documentId();
        a.consentDocumentSha256 = as.content().consent().sha256();
        a.retainUntil = books.retainUntil(now);
        a.status = Application.Status.WAITING_FOR_JLIS;
        a.route = Application.Route.JPKI;
        a.jlisAttempts = 0;
        // Safeguards (docs/holders.md): the notice contact, the key's device as stated, the channel as seen.
        a.contactEmail = as.content().contact() == null ? null : as.content().contact().email();
        a.keyDevice = as.content().keyDevice() == null ? null
                : dev.shomei.ra.safeguard.Safeguards.json(as.content().keyDevice().record());
        a.channel = dev.shomei.ra.safeguard.Safeguards.json(as.channel().record());
        a.clientAddress = as.channel().remoteAddress();

        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("applicationId", a.id);
        entry.put("receivedAt", now.toString());
        entry.put("cmsSha256", cmsSha256);
        entry.put("csrSha256", a.csrSha256);
        entry.put("consentDocumentId", a.consentDocumentId);
        entry.put("consentDocumentSha256", a.consentDocumentSha256);
        entry.put("claimedIdentity", Map.of("name", claimed.name(), "birthDate", claimed.birthDate().toString(),
                "gender", claimed.gender(), "address", claimed.address()));
        entry.put("noticeContactGiven", a.contactEmail != null);
        entry.put("keyDevice", dev.shomei.ra.safeguard.Safeguards.read(a.keyDevice));
        entry.put("channel", as.channel().record());
        books.append(BookEntry.Book.APPLICATION, SUBJECT_KIND, a.id, entry, now);
        DecisionRecord decided = apply(a, as, now, true);
        // Persisted once decided: Hibernate inserts the state of persist() and updates what changed after it, so an
        // application persisted before apply() cost an INSERT and an UPDATE (with the evidence trigger) instead of
        // one INSERT. Nothing in this transaction references the row by key before the flush.
        a.persist();
        // The answer from the rows written here (a new application has no other decision): no query per decision,
        // and the same view a later GET reads back once this transaction has committed.
        return new Recorded(a.id, view(a, decided == null ? List.of() : List.of(decided)));
    }

    /**
     * A renewal verified by the subscriber's own certificate of this CA (route SUBSCRIBER_CERTIFICATE).
     *
     * @param subject       copied from the certificate being renewed, never from the request
     * @param routeEvidence signature, chain and status evidence of the route (digests, serial; no personal data)
     */
    public record Renewal(String cmsSha256, byte[] cms, Instant signingTime, byte[] signerCertificate,
                          UUID renewsApplicationId, List<CertifiedSubject.Attribute> subject, byte[] csrDer,
                          ApplicationContent.Consent consent, Decision decision, Map<String, Object> routeEvidence,
                          Map<String, Object> keyDevice) {}

    /**
     * Records a renewal and its decision in one transaction: the application (identity columns copied from the
     * application whose certificate is renewed), its APPLICATION and IDENTITY_VERIFICATION book entries, and the
     * system's decision naming the route with its evidence; an approval makes the issue order.
     */
    @Transactional
    public UUID recordRenewal(Renewal r, Instant now) {
        Application renewed = Application.findById(r.renewsApplicationId());
        Application a = new Application();
        a.id = UUID.randomUUID();
        a.route = Application.Route.SUBSCRIBER_CERTIFICATE;
        a.cmsSha256 = r.cmsSha256();
        a.cms = r.cms();
        a.receivedAt = now;
        a.signingTime = r.signingTime();
        a.signerCertificate = r.signerCertificate();
        a.renewsApplicationId = renewed.id;
        // The verified identity stays the one the original application verified (for JPKI-signed revocations).
        a.jpkiName = renewed.jpkiName;
        a.jpkiNameSubstitutes = renewed.jpkiNameSubstitutes;
        a.jpkiGender = renewed.jpkiGender;
        a.jpkiBirthDate = renewed.jpkiBirthDate;
        a.jpkiAddress = renewed.jpkiAddress;
        a.jpkiAddressSubstitutes = renewed.jpkiAddressSubstitutes;
        a.officerCertifiedName = renewed.officerCertifiedName;
        a.csr = r.csrDer();
        a.csrSha256 = ConfiguredFile.sha256Hex(r.csrDer());
        a.consentDocumentId = r.consent().documentId();
        a.consentDocumentSha256 = r.consent().sha256();
        a.retainUntil = books.retainUntil(now);
        a.jlisAttempts = 0;
        a.status = statusOf(r.decision().outcome());
        // Fixed by the certificate being renewed, whoever approves (an officer may approve a referred renewal).
        a.certifiedSubject = CertifiedSubject.toJson(r.subject());
        a.decisionId = UUID.randomUUID();
        // Notices of the renewal go where the renewed certificate's went; the channel is this request's.
        a.contactEmail = renewed.contactEmail;
        a.keyDevice = dev.shomei.ra.safeguard.Safeguards.json(r.keyDevice());
        dev.shomei.ra.safeguard.Channel channel = dev.shomei.ra.safeguard.Arrival.current();
        a.channel = dev.shomei.ra.safeguard.Safeguards.json(channel.record());
        a.clientAddress = channel.remoteAddress();
        a.persist();

        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("applicationId", a.id);
        entry.put("route", a.route.name());
        entry.put("channel", channel.record());
        entry.put("receivedAt", now.toString());
        entry.put("cmsSha256", a.cmsSha256);
        entry.put("csrSha256", a.csrSha256);
        entry.put("consentDocumentId", a.consentDocumentId);
        entry.put("consentDocumentSha256", a.consentDocumentSha256);
        entry.put("renewsApplicationId", renewed.id);
        books.append(BookEntry.Book.APPLICATION, SUBJECT_KIND, a.id, entry, now);
        Map<String, Object> verification = new LinkedHashMap<>();
        verification.put("applicationId", a.id);
        verification.put("method", RENEWAL_VERIFICATION_METHOD);
        verification.putAll(r.routeEvidence());
        verification.put("certifiedSubject", r.subject().stream()
                .map(x -> Map.of("type", x.type(), "value", x.value())).toList());
        books.append(BookEntry.Book.IDENTITY_VERIFICATION, SUBJECT_KIND, a.id, verification, now);

        Map<String, Object> evidence = new LinkedHashMap<>(evidence(a));
        evidence.putAll(r.routeEvidence());
        decisions.record(a.decisionId, DecisionRecord.SubjectKind.APPLICATION, a.id, r.decision(), system.actor(),
                evidence, "application.decided", now);
        return a.id;
    }

    @Transactional
    void recordRetry(UUID id, Assessment as, Instant now) {
        // Locked: an officer deciding the same application at the same moment waits, then finds it decided.
        Application a = Application.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (a == null || a.status != Application.Status.WAITING_FOR_JLIS) {
            return;
        }
        apply(a, as, now, false);
    }

    /** An application that verified on receipt but no longer does on retry is an officer's to decide. */
    @Transactional
    void referUnverifiable(UUID id, RaProblem problem, Instant now) {
        Application a = Application.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (a == null || a.status != Application.Status.WAITING_FOR_JLIS) {
            return;
        }
        Decision d = new Decision(Outcome.REFERRED, List.of(new Finding(problem.code(), problem.detail())));
        a.status = Application.Status.REFERRED;
        a.decisionId = UUID.randomUUID();
        decisions.record(a.decisionId, DecisionRecord.SubjectKind.APPLICATION, a.id, d, system.actor(), evidence(a),
                "application.decided", now);
    }

    /**
     * Stores J-LIS's answer, and either schedules another attempt or records the decision and acts on it.
     *
     * @param newApplication the application is first recorded in this transaction (it has no order yet)
     */
    private DecisionRecord apply(Application a, Assessment as, Instant now, boolean newApplication) {
        RevocationEvidence rev = as.revocation();
        a.revocationStatus = rev.status().name();
        a.revocationSource = rev.source().name();
        a.revocationResponse = rev.raw();
        a.revocationResponseSha256 = rev.responseSha256();
        a.revocationCheckedAt = rev.checkedAt();
        a.revocationNote = rev.note();
        a.jlisAttempts++;
        if (as.waiting()) {
            a.status = Application.Status.WAITING_FOR_JLIS;
            a.nextAttemptAt = now.plus(config.jlis().retryInterval());
            return null;
        }
        a.nextAttemptAt = null;
        Map<String, Object> verification = new LinkedHashMap<>();
        verification.put("applicationId", a.id);
        verification.put("method", VERIFICATION_METHOD);
        verification.put("jpkiCertificateSerial", a.jpkiSerial);
        verification.put("jpkiCertificateIssuer", a.jpkiIssuer);
        verification.put("jpkiIssuerCertificateSha256", a.jpkiIssuerSha256);
        verification.put("jpkiCertificateSha256", ConfiguredFile.sha256Hex(a.jpkiCertificate));
        verification.put("revocationCheck", Map.of("status", rev.status().name(), "source", rev.source().name(),
                "checkedAt", rev.checkedAt().toString(),
                "responseSha256", rev.responseSha256() == null ? "" : rev.responseSha256()));
        verification.put("certifiedIdentity", Map.of("name", a.jpkiName, "birthDate", a.jpkiBirthDate,
                "gender", a.jpkiGender, "address", a.jpkiAddress));
        books.append(BookEntry.Book.IDENTITY_VERIFICATION, SUBJECT_KIND, a.id, verification, now);

        a.status = statusOf(as.decision().outcome());
        if (as.decision().outcome() == Outcome.APPROVED) {
            // The policy approves only a name it can certify as it is (no substitutes, within ub-common-name).
            a.certifiedSubject = CertifiedSubject.toJson(CertifiedSubject.ofName(a.jpkiName));
        }
        a.decisionId = UUID.randomUUID();
        return decisions.record(a.decisionId, DecisionRecord.SubjectKind.APPLICATION, a.id, as.decision(),
                system.actor(), evidence(a), "application.decided", now, newApplication);
    }

    /**
     * The application, locked (SELECT ... FOR UPDATE) until the caller's transaction ends, if it awaits an officer:
     * an officer's decision, a second officer's approval and a J-LIS retry on the same application are serialised
     * on this row, so only the first of them decides; the others see the new status.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public Application lockForOfficer(UUID id) {
        Application a = Application.findById(id, LockModeType.PESSIMISTIC_WRITE);
        if (a == null) {
            throw RaProblem.notFound("application-not-found", "no application " + id + "; take ids from GET"
                    + " /officer/queue");
        }
        if (a.status != Application.Status.REFERRED && a.status != Application.Status.WAITING_FOR_JLIS) {
            throw new RaProblem(409, "application-already-decided", "Already decided", "application " + id
                    + " is " + a.status + "; only REFERRED or WAITING_FOR_JLIS applications await an officer");
        }
        return a;
    }

    /**
     * The name an officer's approval certifies, checked before anything is recorded: required where the card flags
     * substitute characters (代替文字) or its name cannot be certified as it is (docs/identity.md); null when the
     * card's name is certified as it stands. Only JPKI-route approvals take a name.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public String certifiedNameFor(Application a, Outcome outcome, String certifiedName) {
        String name = certifiedName == null || certifiedName.isBlank() ? null : certifiedName.strip();
        if (outcome != Outcome.APPROVED || a.route != Application.Route.JPKI) {
            return null;
        }
        boolean mustEnter = !CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes).isEmpty()
                || CertifiedSubject.nameProblem(a.jpkiName).isPresent();
        if (name == null && mustEnter) {
            throw RaProblem.unprocessable("officer-certified-name-required", "Certified name required",
                    "application " + a.id + ": the card flags substitute characters at positions "
                            + CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes) + " of the name, or its"
                            + " name cannot be certified as it is; send certifiedName, the name the certificate"
                            + " will state, as you checked it against the resident record")
                    .with("field", "certifiedName");
        }
        if (name != null) {
            CertifiedSubject.nameProblem(name).ifPresent(problem -> {
                throw RaProblem.unprocessable("officer-certified-name-invalid", "Certified name not acceptable",
                        "certifiedName: " + problem).with("field", "certifiedName");
            });
        }
        return name;
    }

    /**
     * Records an officer's decision on an application locked by {@link #lockForOfficer}. {@code certifiedName} (from
     * {@link #certifiedNameFor}) is the name the officers entered or confirmed for the certificate; it is recorded as
     * their decision (IDENTITY_VERIFICATION book, with the card's original text, which stays in the application) and
     * the order then carries it. Officers' decisions go through {@code officer.OfficerDecisions} (four eyes, J-LIS
     * override), which calls this.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public DecisionRecord decideByOfficer(Application a, Decision d, String certifiedName, Actor officer,
                                          Map<String, Object> moreEvidence) {
        Instant now = clock.instant();
        List<Finding> reasons = new java.util.ArrayList<>(d.reasons());
        String name = certifiedNameFor(a, d.outcome(), certifiedName);
        if (d.outcome() == Outcome.APPROVED && a.route == Application.Route.JPKI) {
            if (name != null) {
                a.officerCertifiedName = name;
                reasons.add(new Finding(name.equals(a.jpkiName) ? "officer-confirmed-name" : "officer-entered-name",
                        "the officer " + (name.equals(a.jpkiName) ? "confirmed" : "entered") + " the name the"
                                + " certificate states; the card's text is kept with the application"));
                Map<String, Object> check = new LinkedHashMap<>();
                check.put("applicationId", a.id);
                check.put("method", "RA officer's check of the name (substitute characters, 代替文字)");
                check.put("officer", officer.id());
                // Four eyes: every officer who approved this name (OfficerDecisions puts them in the evidence).
                check.put("officers", moreEvidence.get("approvals") instanceof List<?> approvals
                        ? approvals.stream().map(x -> ((Map<?, ?>) x).get("officer")).toList() : List.of(officer.id()));
                check.put("cardName", a.jpkiName);
                check.put("cardNameSubstitutes", a.jpkiNameSubstitutes);
                check.put("substitutePositions", CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes));
                check.put("certifiedName", name);
                books.append(BookEntry.Book.IDENTITY_VERIFICATION, SUBJECT_KIND, a.id, check, now);
            }
            a.certifiedSubject = CertifiedSubject.toJson(CertifiedSubject.ofName(name != null ? name : a.jpkiName));
        }
        d = new Decision(d.outcome(), reasons);
        a.decisionId = UUID.randomUUID();
        a.status = statusOf(d.outcome());
        a.nextAttemptAt = null;
        Map<String, Object> e = evidence(a);
        e.putAll(moreEvidence);
        return decisions.record(a.decisionId, DecisionRecord.SubjectKind.APPLICATION, a.id, d, officer, e,
                "application.officer-decided", now);
    }

    @Transactional
    public Optional<Map<String, Object>> view(UUID id) {
        Application a = Application.findById(id);
        return a == null ? Optional.empty() : Optional.of(view(a));
    }

    /**
     * What an officer compares (officer API only, never the applicant's): the card's identity with the flagged
     * substitute positions, and what the applicant claimed.
     */
    private static Map<String, Object> identityReview(Application a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("route", a.route);
        m.put("cardName", a.jpkiName);
        m.put("nameSubstituteFlags", a.jpkiNameSubstitutes);
        m.put("nameSubstitutePositions", CertifiedSubject.substitutePositions(a.jpkiNameSubstitutes));
        m.put("cardBirthDate", a.jpkiBirthDate);
        m.put("cardGender", a.jpkiGender);
        m.put("cardAddress", a.jpkiAddress);
        m.put("addressSubstitutePositions", CertifiedSubject.substitutePositions(a.jpkiAddressSubstitutes));
        Map<String, Object> claimed = new LinkedHashMap<>();
        claimed.put("name", a.claimedName);
        claimed.put("birthDate", a.claimedBirthDate == null ? null : a.claimedBirthDate.toString());
        claimed.put("gender", a.claimedGender);
        claimed.put("address", a.claimedAddress);
        m.put("claimed", claimed);
        return m;
    }

    /** One page of the referred queue (offset, limit), oldest first. */
    @Transactional
    public List<Map<String, Object>> referredQueue(int offset, int limit) {
        return Application.referred(offset, limit).stream().map(a -> {
            Map<String, Object> m = view(a);
            m.put("identityReview", identityReview(a));
            return m;
        }).toList();
    }

    /** The application row, for the certificate download (the caller reads only the certificate fields). */
    @Transactional
    public Optional<Application> find(UUID id) {
        return Application.findByIdOptional(id);
    }

    /** The application as the API shows it: status, certificate reference, J-LIS check, decisions; no identity. */
    Map<String, Object> view(Application a) {
        return view(a, DecisionRecord.of(a.id));
    }

    private Map<String, Object> view(Application a, List<DecisionRecord> decided) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("applicationId", a.id);
        m.put("status", a.status);
        m.put("receivedAt", a.receivedAt.toString());
        m.put("cmsSha256", a.cmsSha256);
        m.put("route", a.route);
        if (a.route == Application.Route.JPKI) {
            m.put("jpkiCertificate", Map.of("serial", a.jpkiSerial, "issuer", a.jpkiIssuer,
                    "issuerSha256", a.jpkiIssuerSha256));
        } else {
            m.put("renewsApplicationId", a.renewsApplicationId);
        }
        Map<String, Object> rev = new LinkedHashMap<>();
        rev.put("status", a.revocationStatus);
        rev.put("source", a.revocationSource);
        rev.put("checkedAt", a.revocationCheckedAt == null ? null : a.revocationCheckedAt.toString());
        rev.put("attempts", a.jlisAttempts);
        m.put("revocationCheck", rev);
        if (a.certificateSerial != null) {
            Map<String, Object> cert = new LinkedHashMap<>();
            cert.put("serial", a.certificateSerial);
            cert.put("issuedAt", a.issuedAt.toString());
            cert.put("href", "/applications/" + a.id + "/certificate");
            // Revoked once the CA has confirmed a revocation request for this application.
            dev.shomei.ra.revocation.RevocationRequest revoked = dev.shomei.ra.revocation.RevocationRequest
                    .find("applicationId = ?1 and status = ?2 order by revokedAt", a.id,
                            dev.shomei.ra.revocation.RevocationRequest.Status.REVOKED).firstResult();
            cert.put("status", revoked == null ? "ISSUED" : "REVOKED");
            if (revoked != null) {
                cert.put("revokedAt", revoked.revokedAt.toString());
                cert.put("revocationRequestId", revoked.id);
            }
            m.put("certificate", cert);
        }
        if (a.caRefusal != null) {
            m.put("caRefusal", a.caRefusal);
        }
        List<Map<String, Object>> ds = decided.stream().map(decisions::view).toList();
        m.put("decision", ds.isEmpty() ? null : ds.get(ds.size() - 1));
        m.put("decisions", ds);
        return m;
    }

    private static Map<String, Object> evidence(Application a) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("route", a.route.name());
        // The subject the order will carry, by digest (the decision holds no personal data).
        e.put("certifiedSubjectSha256", a.certifiedSubject == null ? null
                : ConfiguredFile.sha256Hex(a.certifiedSubject.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        if (a.officerCertifiedName != null) {
            e.put("certifiedNameSource", "OFFICER");
        }
        e.put("signedApplicationSha256", a.cmsSha256);
        e.putAll(dev.shomei.ra.safeguard.Safeguards.evidence(a.keyDevice, a.channel));
        if (a.route == Application.Route.SUBSCRIBER_CERTIFICATE) {
            e.put("subscriberCertificateSha256", ConfiguredFile.sha256Hex(a.signerCertificate));
            e.put("renewsApplicationId", a.renewsApplicationId);
            e.put("csrSha256", a.csrSha256);
            e.put("consentDocumentSha256", a.consentDocumentSha256);
            return e;
        }
        e.put("jpkiCertificateSha256", ConfiguredFile.sha256Hex(a.jpkiCertificate));
        e.put("jpkiIssuerCertificateSha256", a.jpkiIssuerSha256);
        e.put("csrSha256", a.csrSha256);
        e.put("consentDocumentSha256", a.consentDocumentSha256);
        e.put("revocationStatus", a.revocationStatus);
        e.put("revocationSource", a.revocationSource);
        e.put("revocationCheckedAt", a.revocationCheckedAt == null ? null : a.revocationCheckedAt.toString());
        e.put("revocationResponseSha256", a.revocationResponseSha256);
        return e;
    }

    private static Application.Status statusOf(Outcome o) {
        return switch (o) {
            case APPROVED -> Application.Status.APPROVED;
            case REFERRED -> Application.Status.REFERRED;
            case REJECTED -> Application.Status.REJECTED;
        };
    }
}
