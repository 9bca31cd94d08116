package dev.shomei.ra.application;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.jpki.JlisRevocationCheck;
import dev.shomei.ra.jpki.JpkiSignatureVerifier;
import dev.shomei.ra.jpki.RevocationEvidence;
import dev.shomei.ra.jpki.VerifiedSignature;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.jboss.logging.Logger;

/**
 * Takes a signed application from the wire to a recorded decision, in numbered steps (see README, "Applications"):
 * <ol>
 * <li>size limit;</li>
 * <li>the JPKI signature, certificate kind and chain ({@link JpkiSignatureVerifier}); then replays and idempotency:
 * the same bytes (SHA-256 of the CMS) or the same signature value are the same application, the signingTime lies
 * within the configured window, and a subscriber key is in one live application only;</li>
 * <li>the content: claimed identity, CSR, consent document ({@link ApplicationChecks});</li>
 * <li>revocation status of the JPKI certificate at J-LIS ({@link JlisRevocationCheck});</li>
 * <li>the policy's decision, recorded with its evidence ({@link ApplicationService}).</li>
 * </ol>
 * Network calls to J-LIS happen outside any database transaction.
 *
 * <p>Zone: online (ra-service). Calls J-LIS; writes only through {@link ApplicationService}.
 */
@ApplicationScoped
public class ApplicationIntake {

    private static final Logger LOG = Logger.getLogger(ApplicationIntake.class);

    private final RaConfig config;
    private final JpkiSignatureVerifier verifier;
    private final JlisRevocationCheck revocation;
    private final ApplicationChecks checks;
    private final ApprovalPolicy policy;
    private final ApplicationService service;
    @Inject
    GroupCommit groupCommit;
    @Inject
    Clock clock;
    @Inject
    dev.shomei.ra.safeguard.SafeguardRules rules;

    @Inject
    public ApplicationIntake(RaConfig config, JpkiSignatureVerifier verifier, JlisRevocationCheck revocation,
                             ApplicationChecks checks, ApprovalPolicy policy, ApplicationService service) {
        this.config = config;
        this.verifier = verifier;
        this.revocation = revocation;
        this.checks = checks;
        this.policy = policy;
        this.service = service;
    }

    /**
     * The outcome of a submission: the application, whether these bytes had been received before, and for a new one
     * the answer as recorded (null when it must be read back).
     */
    public record Submission(UUID applicationId, boolean duplicate, java.util.Map<String, Object> view) {
        Submission(UUID applicationId, boolean duplicate) {
            this(applicationId, duplicate, null);
        }
    }

    public Submission submit(byte[] cms) {
        // Step 1: bounded size, then idempotency on the exact bytes.
        if (cms.length == 0) {
            throw RaProblem.badRequest("body-empty", "Empty body",
                    "the request body is empty; send the signed application (DER CMS SignedData) as the body");
        }
        if (cms.length > config.application().maxBytes()) {
            throw new RaProblem(413, "body-too-large", "Body too large", "the signed application is "
                    + cms.length + " bytes; the limit is " + config.application().maxBytes()
                    + " (ra.application.max-bytes); a CMS with one JPKI signer and a CSR is about 5 KiB, so check"
                    + " that only the application is sent");
        }
        String sha256 = ConfiguredFile.sha256Hex(cms);
        // PostgreSQL keeps microseconds: the answer built from the rows in memory shows what a later read shows.
        Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        VerifiedSignature signature;
        ApplicationContent content;
        PKCS10CertificationRequest csr;
        try {
            signature = verifier.verify(cms, "application", now);
            // The content and its CSR are parsed once here, for the replay checks and the assessment.
            content = ApplicationContent.parse(signature.content());
            csr = csr(content.csrDer());
        } catch (RaProblem refused) {
            // Bytes recorded before are that application, whatever verifying them now says (a J-LIS generation
            // uninstalled since): the look-up by digest is made here, on the refusal path only, so that a new
            // application costs one query for all of step 1b.
            Optional<UUID> existing = service.idOfCms(sha256);
            if (existing.isPresent()) {
                return new Submission(existing.get(), true);
            }
            throw refused;
        }
        // Step 1b: replays, in one query. The same bytes, or the same signature in another encoding (an unsigned
        // attribute added, another certificate order), are the same application; the signing time must be recent; a
        // key is in one live application only.
        String signatureSha256 = signature.signatureSha256();
        String keySha256 = keySha256(csr);
        ApplicationService.Replay replay = service.replay(sha256, signatureSha256, keySha256);
        if (replay.sameSignature().isPresent()) {
            return new Submission(replay.sameSignature().get(), true);
        }
        checkSigningTime(signature.signingTime(), now, "application", config.application());
        if (replay.keyInLiveApplication()) {
            throw keyAlreadyApplied();
        }
        Assessment assessment = assess(signature, content, csr, keySha256, now, now, sha256,
                dev.shomei.ra.safeguard.Arrival.current());
        try {
            ApplicationService.Recorded recorded = groupCommit.record(sha256, cms, assessment, now);
            UUID id = recorded.id();
            LOG.infof("application %s received: %s %s", id,
                    assessment.waiting() ? "WAITING_FOR_JLIS" : assessment.decision().outcome(), codes(assessment));
            return new Submission(id, false, recorded.view());
        } catch (RuntimeException e) {
            // Two submissions of the same bytes (or signature) raced; the unique key kept one, the answer to both.
            Optional<UUID> raced = service.idOf(sha256).or(() -> service.idOfSignature(signatureSha256));
            if (raced.isPresent()) {
                return new Submission(raced.get(), true);
            }
            // Two applications for one key raced: the database's unique index kept the first.
            if (service.keyInLiveApplication(keySha256)) {
                throw keyAlreadyApplied();
            }
            throw e;
        }
    }

    private static RaProblem keyAlreadyApplied() {
        return new RaProblem(409, "csr-key-already-applied", "Key already applied for", "the CSR's public key is"
                + " already in an application that is waiting, referred, approved or issued; one key is certified"
                + " once: follow that application with the id it was given, or generate a new key for a new"
                + " certificate").with("field", "csr");
    }

    /**
     * The CMS signingTime (RFC 5652 section 11.3) must lie within the configured window around receipt: an old
     * signed application is a replay, one from the future a wrong clock. Shared with revocation requests.
     */
    public static void checkSigningTime(Instant signingTime, Instant receivedAt, String what,
                                        RaConfig.Application window) {
        if (signingTime == null) {
            throw RaProblem.badRequest("cms-signing-time-missing", "Signing time missing", "the " + what
                    + "'s signerInfo has no signingTime signed attribute (RFC 5652 section 11.3); sign again with"
                    + " signingTime included (the card middleware adds it)");
        }
        Instant earliest = receivedAt.minus(window.signingTimeMaxAge());
        Instant latest = receivedAt.plus(window.signingTimeMaxSkew());
        if (signingTime.isBefore(earliest) || signingTime.isAfter(latest)) {
            throw RaProblem.unprocessable("cms-signing-time-out-of-window", "Signing time out of window",
                    "the " + what + " was signed at " + signingTime + " and received at " + receivedAt + "; the RA"
                            + " accepts signatures made at most " + window.signingTimeMaxAge() + " before receipt"
                            + " (ra.application.signing-time-max-age) and at most " + window.signingTimeMaxSkew()
                            + " after it (ra.application.signing-time-max-skew); sign it again now, with the"
                            + " device's clock set right").with("field", "signingTime")
                    .with("signingTime", signingTime.toString());
        }
    }

    /** SHA-256 of the (only) signerInfo's signature value; the CMS has verified before this is called. */
    public static String signatureSha256(byte[] cms) {
        try {
            CMSSignedData signed = new CMSSignedData(cms);
            return ConfiguredFile.sha256Hex(signed.getSignerInfos().getSigners().iterator().next().getSignature());
        } catch (CMSException | RuntimeException e) {
            throw new IllegalStateException("a verified CMS no longer parses", e);
        }
    }

    private static PKCS10CertificationRequest csr(byte[] csrDer) {
        try {
            return new PKCS10CertificationRequest(csrDer);
        } catch (Exception e) {
            throw ApplicationContent.malformed("csr", "is not a DER PKCS#10 certification request (RFC 2986)");
        }
    }

    /** SHA-256 of the SubjectPublicKeyInfo the CSR certifies: the subscriber key, however the CSR is encoded. */
    private static String keySha256(PKCS10CertificationRequest csr) {
        try {
            return ConfiguredFile.sha256Hex(csr.getSubjectPublicKeyInfo().getEncoded(ASN1Encoding.DER));
        } catch (Exception e) {
            throw ApplicationContent.malformed("csr", "is not a DER PKCS#10 certification request (RFC 2986)");
        }
    }

    /** Re-assesses an application that waited for J-LIS; a no-op if it was decided meanwhile. */
    public void retry(UUID id) {
        Optional<ApplicationService.Waiting> waiting = service.waiting(id);
        if (waiting.isEmpty()) {
            return;
        }
        Assessment assessment;
        try {
            assessment = assess(waiting.get().cms(), clock.instant(), waiting.get().receivedAt(),
                    service.find(id).map(a -> new dev.shomei.ra.safeguard.Channel(null, null, null, a.clientAddress))
                            .orElse(dev.shomei.ra.safeguard.Channel.UNKNOWN));
        } catch (RaProblem p) {
            // It verified when received; a refusal now (e.g. a removed trust anchor) goes to an officer.
            LOG.warnf("application %s no longer verifies (%s); referring it", id, p.code());
            service.referUnverifiable(id, p, clock.instant());
            return;
        }
        service.recordRetry(id, assessment, clock.instant());
        LOG.infof("application %s retried: %s %s", id,
                assessment.waiting() ? "WAITING_FOR_JLIS" : assessment.decision().outcome(), codes(assessment));
    }

    Assessment assess(byte[] cms, Instant now, Instant receivedAt, dev.shomei.ra.safeguard.Channel channel) {
        // Step 2: signature, certificate kind, chain to a pinned generation, validity.
        VerifiedSignature signature = verifier.verify(cms, "application", now);
        ApplicationContent content = ApplicationContent.parse(signature.content());
        PKCS10CertificationRequest csr = csr(content.csrDer());
        return assess(signature, content, csr, keySha256(csr), now, receivedAt, ConfiguredFile.sha256Hex(cms),
                channel);
    }

    private Assessment assess(VerifiedSignature signature, ApplicationContent content, PKCS10CertificationRequest csr,
                              String keySha256, Instant now, Instant receivedAt, String cmsSha256,
                              dev.shomei.ra.safeguard.Channel channel) {
        // Step 3: content checks, each a finding for the policy.
        byte[] csrDer = content.csrDer();
        List<Finding> findings = new ArrayList<>(signature.findings());
        findings.addAll(checks.identity(content.claimedIdentity(), signature.identity()));
        findings.addAll(checks.csr(csr, signature.signer().getPublicKey(), policy.csrKeys()));
        findings.addAll(checks.consent(content.consent()));
        // Step 3b: the policy's rate, anomaly and key-device rules (dev.shomei.ra.safeguard); each refers.
        findings.addAll(rules.application(new dev.shomei.ra.safeguard.SafeguardRules.ApplicationFacts(cmsSha256,
                signature.signer().getSerialNumber().toString(16), signature.signer().getIssuerX500Principal().getName(),
                signature.identity().name(), signature.identity().birthDate(), signature.identity().gender(),
                keySha256, content.keyDevice(), channel.remoteAddress(), receivedAt)));
        // Step 4: J-LIS revocation status, with the raw answer kept as evidence.
        RevocationEvidence rev = revocation.check(signature.signer(), signature.issuer().certificate(), now);
        switch (rev.status()) {
            case REVOKED -> findings.add(new Finding("jpki-certificate-revoked", "J-LIS reports the JPKI signing"
                    + " certificate revoked (" + rev.source() + "); the card's signing certificate must be"
                    + " reissued at the municipal office before applying"));
            case UNKNOWN -> findings.add(new Finding("jpki-certificate-status-unknown", "J-LIS does not know the"
                    + " JPKI signing certificate; an RA officer reviews the application"));
            default -> { }
        }
        // Step 5: the policy decides. Without J-LIS's answer nothing is approved: the application waits, and is
        // referred to an officer once it has waited longer than the policy allows.
        Decision decision = policy.decide(findings);
        // The certificate will state the card's name: whatever the policy file says, a name that cannot be certified
        // as it is (substitute characters, over ub-common-name) is never approved without an officer.
        if (decision.outcome() == Outcome.APPROVED) {
            List<Finding> uncertifiable = findings.stream().filter(f -> f.code().equals(
                    "identity-name-substitute-characters") || f.code().equals("identity-name-not-certifiable")).toList();
            if (!uncertifiable.isEmpty()) {
                decision = new Decision(Outcome.REFERRED, uncertifiable);
            }
        }
        if (!rev.reachedJlis() && decision.outcome() != Outcome.REJECTED) {
            if (Duration.between(receivedAt, now).compareTo(policy.referAfterJlisUnavailable()) < 0) {
                return new Assessment(signature, content, csrDer, keySha256, rev, findings, null, channel);
            }
            findings.add(new Finding("jlis-unavailable", "J-LIS could not be reached for "
                    + policy.referAfterJlisUnavailable() + "; an RA officer decides"));
            decision = policy.decide(findings);
            if (decision.outcome() == Outcome.APPROVED) {
                // Whatever the policy file says, an unchecked certificate is never approved automatically.
                decision = new Decision(Outcome.REFERRED, List.of(findings.get(findings.size() - 1)));
            }
        }
        return new Assessment(signature, content, csrDer, keySha256, rev, findings, decision, channel);
    }

    private static List<String> codes(Assessment a) {
        return a.findings().stream().map(Finding::code).toList();
    }
}
