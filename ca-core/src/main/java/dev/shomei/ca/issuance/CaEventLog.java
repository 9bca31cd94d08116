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

    void certificateRevoked(Connection tx, String serialHex, RevocationReason reason, String requestedBy);

    /** An RA order was executed (status issued, revoked or refused), with the RA decision behind it. */
    void orderExecuted(Connection tx, String bundleId, String orderId, String decisionId, String status, String detail);

    /** An order bundle was refused whole (unknown signer, tampered, malformed, replayed). */
    void orderBundleRefused(Connection tx, String bundleId, String reason);

    void crlIssued(Connection tx, String issuerLabel, long crlNumber, int entries, String sha256);
}
