package dev.shomei.ra.jpki;

import dev.shomei.ra.ConfiguredFile;
import java.time.Instant;

/**
 * What J-LIS said about a JPKI certificate, and the response as evidence an auditor can re-verify offline.
 *
 * <p>Zone: online (ra-service). Value type.
 *
 * @param raw the DER OCSPResponse exactly as received; null for a CRL (stored once, by digest, in
 *            {@code jlis_crl}) and when J-LIS could not be reached
 * @param responseSha256 SHA-256 (hex) of the OCSPResponse or of the CRL the answer rests on; null if none
 * @param note why the status is what it is (responder errors, fallbacks); never personal data
 */
public record RevocationEvidence(Status status, Source source, byte[] raw, String responseSha256, Instant checkedAt,
                                 Instant revokedAt, String note) {

    public enum Status { GOOD, REVOKED, UNKNOWN, UNAVAILABLE }

    public enum Source { OCSP, CRL, NONE }

    /** Evidence whose response bytes are kept with it (OCSP), or none (unavailable). */
    public RevocationEvidence(Status status, Source source, byte[] raw, Instant checkedAt, Instant revokedAt,
                              String note) {
        this(status, source, raw, raw == null ? null : ConfiguredFile.sha256Hex(raw), checkedAt, revokedAt, note);
    }

    public boolean reachedJlis() {
        return status != Status.UNAVAILABLE;
    }
}
