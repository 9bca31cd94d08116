package dev.shomei.ra.jpki;

import java.time.Instant;

/**
 * What J-LIS said about a JPKI certificate, and the raw response as evidence an auditor can re-verify offline.
 *
 * <p>Zone: online (ra-service). Value type.
 *
 * @param raw the DER OCSPResponse or CRL exactly as received (null if J-LIS could not be reached)
 * @param note why the status is what it is (responder errors, fallbacks); never personal data
 */
public record RevocationEvidence(Status status, Source source, byte[] raw, Instant checkedAt, Instant revokedAt,
                                 String note) {

    public enum Status { GOOD, REVOKED, UNKNOWN, UNAVAILABLE }

    public enum Source { OCSP, CRL, NONE }

    public boolean reachedJlis() {
        return status != Status.UNAVAILABLE;
    }
}
