package dev.shomei.ra.application;

import dev.shomei.ra.decision.Decision;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.jpki.RevocationEvidence;
import dev.shomei.ra.jpki.VerifiedSignature;
import java.util.List;

/**
 * Everything the RA established about one signed application, and the policy's decision on it; {@code decision}
 * is null while J-LIS cannot be reached and nothing else already rejects the application. {@code csrKeySha256} is the
 * SHA-256 of the CSR's SubjectPublicKeyInfo (the subscriber key).
 *
 * <p>Zone: online (ra-service). Value type holding personal data (never logged).
 */
record Assessment(VerifiedSignature signature, ApplicationContent content, byte[] csrDer, String csrKeySha256,
                  RevocationEvidence revocation, List<Finding> findings, Decision decision,
                  dev.shomei.ra.safeguard.Channel channel) {

    boolean waiting() {
        return decision == null;
    }
}
