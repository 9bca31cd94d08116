package dev.shomei.ca.audit;

import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.CheckpointSigner;
import dev.shomei.audit.PublishedProof;
import java.sql.Connection;

/**
 * Signs the CA's audit checkpoints: one with every CRL, in the CRL's own transaction, so that every CRL a relying
 * party can fetch comes with a signed checkpoint covering the entry that records it (docs/database.md,
 * audit-log/README.md). The checkpoint and its consistency proof from the previous one are published next to
 * the CRL (`ca crl --checkpoint-out/--proof-out`, and the publication bundle's audit/ files).
 *
 * <p>Zone: secure. Appends to the CA database's audit_checkpoint table through the caller's connection; signs
 * with the audit key in the HSM.
 */
public final class AuditCheckpoints {

    private final AuditLog log;
    private final CheckpointSigner signer;

    public AuditCheckpoints(AuditLog log, CheckpointSigner signer) {
        this.log = log;
        this.signer = signer;
    }

    /** Signs and stores a checkpoint of every entry visible to {@code tx}, including its own uncommitted ones. */
    public Checkpoint sign(Connection tx) {
        return log.checkpoint(tx, signer);
    }

    /** The proof to publish with {@code cp}: from the previous stored checkpoint to it. */
    public PublishedProof proof(Connection c, Checkpoint cp) {
        return log.proofFromPrevious(c, cp);
    }

    public AuditLog log() {
        return log;
    }

    public CheckpointSigner signer() {
        return signer;
    }
}
