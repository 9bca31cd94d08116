package dev.shomei.ra.renewal;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.application.ApplicationChecks;
import dev.shomei.ra.application.ApplicationService;
import dev.shomei.ra.application.CertifiedSubject;
import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.jboss.logging.Logger;

/**
 * Takes a renewal signed with the subscriber's current certificate of this CA to a recorded decision (docs/identity.md,
 * "Renewal"):
 * <ol>
 * <li>size limit and idempotency on the SHA-256 of the CMS bytes;</li>
 * <li>the subscriber signature: signature, chain to our issuing CA, status from the CA's records
 * ({@link SubscriberSignatureVerifier});</li>
 * <li>the content: a CSR of a new key (proof of possession, key rules) and the consent document;</li>
 * <li>the identity: copied from the certificate being renewed, never from the request;</li>
 * <li>the policy's decision, recorded with the route's evidence; an approval makes the issue order.</li>
 * </ol>
 *
 * <p>Zone: online (ra-service). No network; writes only through {@link ApplicationService}.
 */
@ApplicationScoped
public class RenewalIntake {

    private static final Logger LOG = Logger.getLogger(RenewalIntake.class);

    @Inject
    RaConfig config;
    @Inject
    SubscriberSignatureVerifier verifier;
    @Inject
    ApplicationChecks checks;
    @Inject
    ApprovalPolicy policy;
    @Inject
    ApplicationService applications;
    @Inject
    dev.shomei.ra.safeguard.SafeguardRules rules;

    public record Submission(UUID applicationId, boolean duplicate) {}

    public Submission submit(byte[] cms) {
        // Step 1
        if (cms.length == 0 || cms.length > config.application().maxBytes()) {
            throw new RaProblem(cms.length == 0 ? 400 : 413, cms.length == 0 ? "body-empty" : "body-too-large",
                    "Body size", "the signed renewal is " + cms.length + " bytes; send 1 to "
                            + config.application().maxBytes() + " bytes (ra.application.max-bytes)");
        }
        String sha256 = ConfiguredFile.sha256Hex(cms);
        Optional<UUID> existing = applications.idOf(sha256);
        if (existing.isPresent()) {
            return new Submission(existing.get(), true);
        }
        Instant now = Instant.now();
        // Step 2
        SubscriberSignature sig = verifier.verify(cms, "renewal", now);
        Optional<UUID> earlier = applications.renewalOf(sig.application().id);
        if (earlier.isPresent()) {
            throw alreadyRenewed(sig, earlier.get());
        }
        // Step 3
        RenewalContent content = RenewalContent.parse(sig.content());
        byte[] csrDer = content.csrDer();
        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(csrDer);
        } catch (Exception e) {
            throw RenewalContent.malformed("csr", "is not a DER PKCS#10 certification request (RFC 2986)");
        }
        List<Finding> findings = new ArrayList<>();
        for (Finding f : checks.csr(csr, sig.signer().getPublicKey(), policy.csrKeys())) {
            // The check compares with the signer's key: here that is the certificate being renewed.
            findings.add(f.code().equals("csr-key-is-jpki-key") ? new Finding("renewal-key-not-new", "the CSR"
                    + " carries the key of the certificate being renewed; a renewal certifies a new key: generate a"
                    + " new key pair and sign the renewal again") : f);
        }
        findings.addAll(checks.consent(content.consent()));
        // The policy's anomaly rules (dev.shomei.ra.safeguard): a renewal right after issuance, a burst.
        findings.addAll(rules.renewal(sig.application().id, dev.shomei.ra.safeguard.Arrival.current().remoteAddress(),
                now));
        // A profile that requires a hardware key requires it of the renewed certificate's new key too.
        findings.addAll(rules.device(content.keyDevice()));
        // Step 4: the renewed certificate states what the certificate being renewed states.
        List<CertifiedSubject.Attribute> subject;
        try {
            subject = CertifiedSubject.of(sig.signer());
        } catch (IllegalArgumentException e) {
            throw RaProblem.unprocessable("subscriber-certificate-subject", SubscriberSignatureVerifier.TITLE,
                    e.getMessage() + "; apply again with your My Number card");
        }
        // Step 5
        Decision decision = policy.decide(findings);
        try {
            UUID id = applications.recordRenewal(new ApplicationService.Renewal(sha256, cms, sig.signingTime(),
                    sig.signer().getEncoded(), sig.application().id, subject, csrDer, content.consent(), decision,
                    sig.evidence(), content.keyDevice() == null ? null : content.keyDevice().record()), now);
            LOG.infof("renewal %s of application %s: %s %s", id, sig.application().id, decision.outcome(),
                    findings.stream().map(Finding::code).toList());
            return new Submission(id, false);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        } catch (RuntimeException e) {
            Optional<UUID> raced = applications.idOf(sha256);
            if (raced.isPresent()) {
                return new Submission(raced.get(), true);
            }
            if (isRenewedAlready(e)) {
                throw alreadyRenewed(sig, applications.renewalOf(sig.application().id).orElse(null));
            }
            throw e;
        }
    }

    private static RaProblem alreadyRenewed(SubscriberSignature sig, UUID renewal) {
        return new RaProblem(409, "certificate-already-renewed", "Already renewed", "the certificate (serial "
                + sig.signer().getSerialNumber().toString(16) + ") has already been renewed by application " + renewal
                + "; renew the new certificate once it is issued (GET /applications/" + renewal + ")")
                .with("renewalApplicationId", renewal);
    }

    private static boolean isRenewedAlready(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("application_renewal_once")) {
                return true;
            }
        }
        return false;
    }
}
