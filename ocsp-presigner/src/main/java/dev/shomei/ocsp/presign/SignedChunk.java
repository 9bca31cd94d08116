package dev.shomei.ocsp.presign;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * Responses signed together: same thisUpdate/nextUpdate, recorded in one transaction with one audit entry.
 * Parallel arrays, written row by row into the binary COPY of {@link OcspResponseStore#record}.
 *
 * <p>Zone: secure. A value: signed responses on their way from the signer threads to the writer.
 */
public record SignedChunk(String[] serials, String[] statuses, byte[][] ders, String[] sha256s,
                          Instant thisUpdate, Instant nextUpdate, Instant refreshAfter, boolean first) {

    /** {@code first}: every serial had no response when read (recorded by COPY, see OcspResponseStore#record). */
    public SignedChunk(String[] serials, String[] statuses, byte[][] ders, String[] sha256s, Instant thisUpdate,
                       Instant nextUpdate, Instant refreshAfter) {
        this(serials, statuses, ders, sha256s, thisUpdate, nextUpdate, refreshAfter, false);
    }

    public int size() {
        return serials.length;
    }

    public int revoked() {
        int n = 0;
        for (String s : statuses) {
            if (s.equals("revoked")) {
                n++;
            }
        }
        return n;
    }

    /** What the audit entry hashes: one line per response, so every response signed is covered by the log. */
    public byte[] auditDetail() {
        StringBuilder sb = new StringBuilder(size() * 110);
        sb.append("thisUpdate=").append(thisUpdate).append(" nextUpdate=").append(nextUpdate).append('\n');
        for (int i = 0; i < serials.length; i++) {
            sb.append(serials[i]).append(' ').append(statuses[i]).append(' ').append(sha256s[i]).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
