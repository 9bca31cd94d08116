package dev.shomei.ra.renewal;

import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationContent;
import dev.shomei.ra.revocation.RevocationService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.math.BigInteger;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A revocation request signed with the subscriber's own certificate of this CA (the second automatic route,
 * docs/identity.md): the signature, chain and status are checked as for a renewal, and the request may name only the
 * certificate that signed it. Decided by the policy and recorded with the route's evidence; an approval makes the
 * revoke order.
 *
 * <p>Zone: online (ra-service). No network; writes only through {@link RevocationService}.
 */
@ApplicationScoped
public class SubscriberRevocation {

    @Inject
    SubscriberSignatureVerifier verifier;
    @Inject
    ApprovalPolicy policy;
    @Inject
    RevocationService revocations;
    @Inject
    dev.shomei.ra.safeguard.SafeguardRules rules;

    public boolean appliesTo(byte[] cms) {
        return verifier.signedBySubscriberCertificate(cms);
    }

    public UUID submit(String cmsSha256, byte[] cms, Instant now) {
        SubscriberSignature sig = verifier.verify(cms, "revocation request", now);
        RevocationContent content = RevocationContent.parse(sig.content());
        BigInteger serial = sig.signer().getSerialNumber();
        boolean own = UUID.fromString(content.applicationId()).equals(sig.application().id)
                && (content.certificateSerial() == null || serial.equals(parseSerial(content.certificateSerial())));
        if (!own) {
            throw new RaProblem(403, "revocation-not-own-certificate", "Not your certificate", "a revocation request"
                    + " signed with a certificate of this CA may revoke only that certificate (serial "
                    + serial.toString(16) + ", application " + sig.application().id + "); to revoke another, sign"
                    + " with it, or with your My Number card").with("field", "applicationId");
        }
        Decision decision = policy.decide(rules.revocation(sig.application().id,
                dev.shomei.ra.safeguard.Arrival.current().remoteAddress(), now));
        return revocations.recordSignedBySubscriber(cmsSha256, cms, content, sig.signer(), sig.evidence(), decision,
                now);
    }

    private static BigInteger parseSerial(String hex) {
        try {
            return new BigInteger(hex.replace(":", "").strip(), 16);
        } catch (NumberFormatException e) {
            return BigInteger.valueOf(-1);
        }
    }
}
