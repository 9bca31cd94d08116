package dev.shomei.ra.renewal;

import dev.shomei.ra.application.Application;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;

/**
 * A CMS SignedData whose signature verified under a subscriber certificate this CA issued, which is valid now and,
 * by the RA's records of the CA's results, issued and not revoked (the second automatic route, docs/identity.md).
 *
 * <p>Zone: online (ra-service). Value type; {@code content} may hold personal data.
 *
 * @param application the application the certificate was issued for
 * @param evidence    what the route rests on, for the decision (digests, serial, status source; no personal data)
 */
public record SubscriberSignature(byte[] content, X509Certificate signer, X509Certificate issuingCa,
                                  Application application, Instant signingTime, Map<String, Object> evidence) {}
