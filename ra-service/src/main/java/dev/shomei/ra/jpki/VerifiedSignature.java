package dev.shomei.ra.jpki;

import dev.shomei.ra.decision.Finding;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A CMS SignedData whose signature verified under a JPKI signing certificate issued by a pinned J-LIS
 * generation. Validity-period problems are findings for the policy, not refusals, so that the application is
 * still recorded in the books with its rejection.
 *
 * {@code signatureSha256} is the SHA-256 (hex) of the signerInfo's signature value: the same signature however the
 * SignedData around it is encoded (the replay check's key).
 *
 * <p>Zone: online (ra-service). Value type; {@code content} and {@code identity} hold personal data.
 */
public record VerifiedSignature(byte[] content, X509Certificate signer, JpkiTrustAnchors.Generation issuer,
                                JpkiIdentity identity, Instant signingTime, List<Finding> findings,
                                String signatureSha256) {}
