package dev.shomei.ocsp;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ocsp.presign.SignedChunk;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;

/**
 * Writes what the presigner signs to the CA's audit log, in the same transaction as the database rows: a
 * chunk of responses with its entry (whose detail hashes every response's SHA-256), each run's counts, and
 * each publication bundle with its manifest's SHA-256.
 *
 * <p>Zone: secure. Touches the audit tables of the CA database, through the caller's transaction.
 */
public final class AuditedPresignerEvents {

    public static final String COMPONENT = "shomei-ocsp-presigner";

    private final AuditLog log;
    private final Actor actor;

    public AuditedPresignerEvents(AuditLog log, Actor actor) {
        this.log = log;
        this.actor = actor;
    }

    /**
     * The CA's audit log: one log per CA database, so the presigner appends to the log the {@code ca} command
     * writes, under the same origin (ca-core's CaCli names it after the token).
     */
    public static AuditLog caLog(CaConfig cfg) {
        return dev.shomei.ca.audit.AuditedCaEvents.logFor(cfg);
    }

    public static Actor system() {
        return Actor.system(COMPONENT, AuditedCaEvents.version());
    }

    public void responsesSigned(Connection tx, String issuerLabel, SignedChunk chunk) {
        log.append(tx, AuditEvent.of(actor, "ocsp.responses-signed", "ocsp:" + issuerLabel + " first:"
                + chunk.serials()[0] + " count:" + chunk.size(), chunk.auditDetail()));
    }

    public void presignRun(Connection tx, String issuerLabel, String summary) {
        log.append(tx, AuditEvent.of(actor, "ocsp.presign-run", "ocsp:" + issuerLabel,
                summary.getBytes(StandardCharsets.UTF_8)));
    }

    public void bundleWritten(Connection tx, String bundleId, String summary) {
        log.append(tx, AuditEvent.of(actor, "publication.bundle-written", "bundle:" + bundleId,
                summary.getBytes(StandardCharsets.UTF_8)));
    }
}
