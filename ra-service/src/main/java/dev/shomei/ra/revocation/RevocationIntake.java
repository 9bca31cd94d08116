package dev.shomei.ra.revocation;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.application.ApplicationIntake;
import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.jpki.JlisRevocationCheck;
import dev.shomei.ra.jpki.JpkiIdentity;
import dev.shomei.ra.jpki.JpkiSignatureVerifier;
import dev.shomei.ra.jpki.RevocationEvidence;
import dev.shomei.ra.jpki.VerifiedSignature;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.Normalizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Takes a JPKI-signed revocation request to a recorded decision:
 * <ol>
 * <li>size limit and idempotency on the SHA-256 of the CMS bytes;</li>
 * <li>the JPKI signature and chain, as for applications;</li>
 * <li>the target application, which must have been approved; a named certificateSerial must be the certificate
 * issued for it;</li>
 * <li>the requester is the subscriber: the JPKI identity (name, date of birth, gender) in the request's
 * certificate equals the one recorded at application time; a changed address (a new card certificate after a
 * move) is referred to an officer, and so is a request signed with another card (key) than the application;</li>
 * <li>J-LIS revocation status; if J-LIS cannot be reached the request is referred at once (a revocation
 * should not wait);</li>
 * <li>the policy's decision, recorded.</li>
 * </ol>
 *
 * <p>Zone: online (ra-service). Calls J-LIS; writes only through {@link RevocationService}.
 */
@ApplicationScoped
public class RevocationIntake {

    private static final Logger LOG = Logger.getLogger(RevocationIntake.class);

    @Inject
    RaConfig config;
    @Inject
    JpkiSignatureVerifier verifier;
    @Inject
    JlisRevocationCheck revocation;
    @Inject
    ApprovalPolicy policy;
    @Inject
    RevocationService service;
    @Inject
    dev.shomei.ra.safeguard.SafeguardRules rules;
    @Inject
    dev.shomei.ra.renewal.SubscriberRevocation subscriberRevocation;

    public record Submission(UUID requestId, boolean duplicate) {}

    public Submission submit(byte[] cms) {
        // Step 1
        if (cms.length == 0 || cms.length > config.application().maxBytes()) {
            throw new RaProblem(cms.length == 0 ? 400 : 413, cms.length == 0 ? "body-empty" : "body-too-large",
                    "Body size", "the signed revocation request is " + cms.length + " bytes; send 1 to "
                            + config.application().maxBytes() + " bytes (ra.application.max-bytes)");
        }
        String sha256 = ConfiguredFile.sha256Hex(cms);
        Optional<UUID> existing = service.idOf(sha256);
        if (existing.isPresent()) {
            return new Submission(existing.get(), true);
        }
        Instant now = Instant.now();
        // Signed with the subscriber's own certificate of this CA: the second automatic route (docs/identity.md).
        if (subscriberRevocation.appliesTo(cms)) {
            return new Submission(subscriberRevocation.submit(sha256, cms, now), false);
        }
        // Step 2
        VerifiedSignature sig = verifier.verify(cms, "revocation request", now);
        // The same signature in another encoding is the same request; an old signed request is a replay.
        Optional<UUID> sameSignature = service.idOfSignature(ApplicationIntake.signatureSha256(cms));
        if (sameSignature.isPresent()) {
            return new Submission(sameSignature.get(), true);
        }
        ApplicationIntake.checkSigningTime(sig.signingTime(), now, "revocation request", config.application());
        RevocationContent content = RevocationContent.parse(sig.content());
        // Step 3
        RevocationService.Subscriber subscriber = service.subscriberOf(UUID.fromString(content.applicationId()))
                .orElseThrow(() -> RaProblem.unprocessable("revocation-target-unknown", "Unknown application",
                        "applicationId " + content.applicationId() + " is not an application of this RA; give the id"
                                + " returned when the certificate was applied for").with("field", "applicationId"));
        // ISSUED: the certificate exists; APPROVED: its issue order may still be on its way to the CA.
        if (subscriber.status() != Application.Status.APPROVED && subscriber.status() != Application.Status.ISSUED) {
            throw new RaProblem(409, "revocation-target-not-approved", "Nothing to revoke", "application "
                    + content.applicationId() + " is " + subscriber.status() + "; only an approved application has"
                    + " a certificate to revoke");
        }
        // Only the certificate issued for this application (never one named by serial alone).
        String serial = RevocationService.serialToRevoke(UUID.fromString(content.applicationId()),
                content.certificateSerial(), subscriber.certificateSerial());
        // Step 4
        List<Finding> findings = new ArrayList<>(sig.findings());
        findings.addAll(sameSubscriber(sig.identity(), subscriber.identity()));
        if (findings.stream().noneMatch(f -> f.code().equals("revocation-requester-not-subscriber"))) {
            findings.addAll(sameCard(sig.signer(), subscriber.jpkiCertificate()));
        }
        // The policy's anomaly rules (dev.shomei.ra.safeguard): a revocation right after issuance, a burst.
        findings.addAll(rules.revocation(UUID.fromString(content.applicationId()),
                dev.shomei.ra.safeguard.Arrival.current().remoteAddress(), now));
        // Step 5
        RevocationEvidence rev = revocation.check(sig.signer(), sig.issuer().certificate(), now);
        switch (rev.status()) {
            case REVOKED -> findings.add(new Finding("jpki-certificate-revoked", "J-LIS reports the JPKI signing"
                    + " certificate revoked; sign with a valid card, or ask the RA to revoke in person"));
            case UNKNOWN -> findings.add(new Finding("jpki-certificate-status-unknown", "J-LIS does not know the"
                    + " JPKI signing certificate; an RA officer reviews the request"));
            case UNAVAILABLE -> findings.add(new Finding("jlis-unavailable", "J-LIS could not be reached; an RA"
                    + " officer decides the revocation request"));
            default -> { }
        }
        // Step 6
        Decision decision = policy.decide(findings);
        if (!rev.reachedJlis() && decision.outcome() == Outcome.APPROVED) {
            decision = new Decision(Outcome.REFERRED, List.of(findings.get(findings.size() - 1)));
        }
        try {
            UUID id = service.recordSigned(sha256, cms, content, serial, sig, rev, decision, now);
            LOG.infof("revocation request %s for application %s: %s %s", id, content.applicationId(),
                    decision.outcome(), findings.stream().map(Finding::code).toList());
            return new Submission(id, false);
        } catch (RuntimeException e) {
            Optional<UUID> raced = service.idOf(sha256)
                    .or(() -> service.idOfSignature(ApplicationIntake.signatureSha256(cms)));
            if (raced.isPresent()) {
                return new Submission(raced.get(), true);
            }
            throw e;
        }
    }

    static List<Finding> sameSubscriber(JpkiIdentity requester, JpkiIdentity subscriber) {
        boolean samePerson = norm(requester.name()).equals(norm(subscriber.name()))
                && requester.birthDate().equals(subscriber.birthDate())
                && requester.gender().equals(subscriber.gender());
        if (!samePerson) {
            return List.of(new Finding("revocation-requester-not-subscriber", "the JPKI certificate that signed the"
                    + " request does not identify the subscriber of the application; only the subscriber may ask"
                    + " for revocation (or an RA officer, in person)"));
        }
        if (!norm(requester.address()).equals(norm(subscriber.address()))) {
            return List.of(new Finding("revocation-requester-address-differs", "the requester's JPKI address differs"
                    + " from the one recorded at application time; an RA officer reviews the request"));
        }
        return List.of();
    }

    /**
     * The request is signed with the card that applied: the same JPKI certificate, or a certificate J-LIS
     * reissued for the same card key. A certificate with another key names the same person only by name, date of
     * birth and gender, which two people can share: an RA officer confirms (REFERRED), nothing is revoked
     * automatically on it.
     */
    static List<Finding> sameCard(X509Certificate requester, byte[] applicationCertificate) {
        try {
            X509Certificate original = (X509Certificate)
                    CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(applicationCertificate));
            if (Arrays.equals(requester.getEncoded(), applicationCertificate)
                    || Arrays.equals(requester.getPublicKey().getEncoded(),
                    original.getPublicKey().getEncoded())) {
                return List.of();
            }
        } catch (CertificateException e) {
            // fall through: not comparable, so not shown to be the same card
        }
        return List.of(new Finding("revocation-requester-other-card", "the request is signed with another JPKI"
                + " certificate and key than the application (a new card?); the holder's name, date of birth and"
                + " gender match, which does not prove the same person: an RA officer confirms before revoking"));
    }

    private static String norm(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKC).replaceAll("\\s+", "");
    }
}
