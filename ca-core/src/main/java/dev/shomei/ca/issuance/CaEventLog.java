package dev.shomei.ca.issuance;

import java.security.cert.X509Certificate;
import java.sql.Connection;

/**
 * Where the CA records what it did, inside the same transaction as the act: the tamper-evident
 * audit log in production. Named after the events, so that what is recorded is decided here.
 *
 * <p>Zone: secure.
 */
public interface CaEventLog {
    /** A CA key was made and certified at a key ceremony. */
    void caKeyCertified(Connection tx, String label, String role, X509Certificate certificate);

    void certificateIssued(Connection tx, String requestId, X509Certificate certificate, String profile);

    /** One certificate of a batch, as {@link #certificatesIssued} records it. */
    record IssuedCertificate(String requestId, X509Certificate certificate, String profile) {}

    /**
     * The certificates of one issuing transaction, in order: as many {@link #certificateIssued} calls, which an event
     * log may write in one round trip.
     */
    default void certificatesIssued(Connection tx, java.util.List<IssuedCertificate> certificates) {
        for (IssuedCertificate c : certificates) {
            certificateIssued(tx, c.requestId(), c.certificate(), c.profile());
        }
    }

    void certificateRevoked(Connection tx, String serialHex, RevocationReason reason, String requestedBy);

    /** An RA order was executed (status issued, revoked or refused), with the RA decision behind it. */
    void orderExecuted(Connection tx, String bundleId, String orderId, String decisionId, String status, String detail);

    /** An order bundle was refused whole (unknown signer, tampered, malformed, replayed). */
    void orderBundleRefused(Connection tx, String bundleId, String reason);

    void crlIssued(Connection tx, String issuerLabel, long crlNumber, int entries, String sha256);

    /**
     * A signing intent left by a stopped process was voided at recovery (docs/faults.md): what was about to be
     * signed (a serial, a CRL number), which is never used, and why. Event logs that keep no audit trail ignore it.
     */
    default void signingIntentVoided(Connection tx, String issuerLabel, String what, String reason) {
    }
}
