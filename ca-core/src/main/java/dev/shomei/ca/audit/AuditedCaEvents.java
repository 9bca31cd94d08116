package dev.shomei.ca.audit;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.RevocationReason;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the CA's events to the tamper-evident audit log, in the same transaction as the act: an issued
 * certificate without its audit entry (or the reverse) cannot be committed. The detail hashed into each
 * entry is the artifact itself (certificate DER) or a canonical line describing the act.
 *
 * <p>Zone: secure. Touches the audit tables of the CA database.
 */
public final class AuditedCaEvents implements CaEventLog {

    /** The component name and version recorded when the CA acts on its own (no operator named). */
    public static final String COMPONENT = "shomei-ca-core";

    private final AuditLog log;
    private final Actor actor;

    public AuditedCaEvents(AuditLog log, Actor actor) {
        this.log = log;
        this.actor = actor;
    }

    /**
     * The secure zone's audit log for a CA: one log per HSM token, shared by every component that signs with
     * it (ca-core, ocsp-presigner), so that one verification covers all of them.
     */
    public static AuditLog logFor(dev.shomei.ca.config.CaConfig config) {
        return new AuditLog("shomei/ca/" + config.hsmConfig().tokenLabel());
    }

    /** The actor for a command run by a named operator, logged in to the HSM with the token's user PIN. */
    public static Actor operator(String name, String tokenLabel) {
        return Actor.person(name, "CA operator; HSM user login to token '" + tokenLabel + "'");
    }

    public static Actor system() {
        return Actor.system(COMPONENT, version());
    }

    public static String version() {
        String v = AuditedCaEvents.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    @Override
    public void caKeyCertified(Connection tx, String label, String role, X509Certificate certificate) {
        append(tx, AuditEvent.of(actor, "ca-key.certified", "ca-key:" + label + " role:" + role, der(certificate)));
    }

    @Override
    public void certificateIssued(Connection tx, String requestId, X509Certificate certificate, String profile) {
        append(tx, issued(requestId, certificate, profile));
    }

    /** The batch's entries in one round trip ({@link AuditLog#appendAll}): one head lock, one INSERT. */
    @Override
    public void certificatesIssued(Connection tx, List<IssuedCertificate> certificates) {
        List<AuditEvent> batch = new ArrayList<>(certificates.size());
        for (IssuedCertificate c : certificates) {
            batch.add(issued(c.requestId(), c.certificate(), c.profile()));
        }
        log.appendAll(tx, batch);
        for (AuditEvent e : batch) {
            CrashPoints.reach(CrashPoints.DURING_AUDIT_APPEND, e.action() + " " + e.subject());
        }
    }

    private AuditEvent issued(String requestId, X509Certificate certificate, String profile) {
        return AuditEvent.of(actor, "certificate.issued",
                "serial:" + certificate.getSerialNumber().toString(16) + " request:" + requestId + " profile:" + profile,
                der(certificate));
    }

    @Override
    public void certificateRevoked(Connection tx, String serialHex, RevocationReason reason, String requestedBy) {
        append(tx, AuditEvent.of(actor, "certificate.revoked", "serial:" + serialHex,
                ("serial=" + serialHex + " reason=" + reason.rfcName() + " requested-by=" + requestedBy)
                        .getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void orderExecuted(Connection tx, String bundleId, String orderId, String decisionId, String status,
                              String detail) {
        append(tx, AuditEvent.of(actor, "order." + status, "order:" + orderId + " bundle:" + bundleId
                + " decision:" + decisionId, detail.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void orderBundleRefused(Connection tx, String bundleId, String reason) {
        append(tx, AuditEvent.of(actor, "order-bundle.refused", "bundle:" + (bundleId == null ? "(unreadable)" : bundleId),
                reason.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void crlIssued(Connection tx, String issuerLabel, long crlNumber, int entries, String sha256) {
        append(tx, AuditEvent.of(actor, "crl.issued", "crl:" + issuerLabel + "/" + crlNumber,
                ("issuer=" + issuerLabel + " number=" + crlNumber + " entries=" + entries + " sha256=" + sha256)
                        .getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void signingIntentVoided(Connection tx, String issuerLabel, String what, String reason) {
        append(tx, AuditEvent.of(actor, "signing-intent.voided", "issuer:" + issuerLabel + " " + what,
                reason.getBytes(StandardCharsets.UTF_8)));
    }

    /** Every entry goes through here: the fault suite stops the process right after an append, before the commit. */
    private void append(Connection tx, AuditEvent event) {
        log.append(tx, event);
        CrashPoints.reach(CrashPoints.DURING_AUDIT_APPEND, event.action() + " " + event.subject());
    }

    private static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
