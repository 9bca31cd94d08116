package dev.shomei.ca.approval;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Records quorum decisions: an approved act (with every approval file, signatures included) before it is
 * executed, and every refusal with what was presented. Each goes into the CA database and the audit log in
 * one transaction; the audit entry's detail digest is the SHA-256 of the stored record, so an auditor can
 * show which signatures authorised an act.
 *
 * <p>Zone: secure. Touches the approved_act and refused_act tables and the CA's audit log.
 */
public final class ApprovalRecords {

    private final DataSource dataSource;
    private final AuditLog log;

    public ApprovalRecords(DataSource dataSource, AuditLog log) {
        this.dataSource = dataSource;
        this.log = log;
    }

    /**
     * Records the decision; refuses (and records the refusal) when this act id was already approved and
     * executed: an approval is good for one execution.
     */
    public void approved(ApprovalPolicy.Decision decision, Map<String, String> presented, String extraDetail,
                         Instant now) {
        String approvals = decision.approvals().stream().map(Approval::toJsonText).collect(Collectors.joining());
        String record = decision.act().canonicalText() + approvals + (extraDetail == null ? "" : extraDetail);
        Actor actor = decision.actor();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO approved_act (act_id, kind, act_text,"
                    + " approvals_json, approvers, approved_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (act_id) DO NOTHING")) {
                ps.setString(1, decision.act().id());
                ps.setString(2, decision.act().kind().key());
                ps.setString(3, decision.act().canonicalText());
                ps.setString(4, record.substring(decision.act().canonicalText().length()));
                ps.setString(5, actor.id());
                ps.setTimestamp(6, Timestamp.from(now));
                if (ps.executeUpdate() == 0) {
                    c.rollback();
                    String why = "act " + decision.act().id() + " (" + decision.act().kind().key() + ") was already"
                            + " approved and executed; an approval is good for one execution: request the act again";
                    refusedIn(c, decision.act().kind(), decision.act().id(), why, presented, now);
                    throw new ApprovalRefused(why);
                }
            }
            log.append(c, AuditEvent.of(actor, "act.approved", "act:" + decision.act().kind().key() + " id:"
                    + decision.act().id(), record.getBytes(StandardCharsets.UTF_8)));
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the approval of act " + decision.act().id() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Records a refusal; {@code presented} maps each given file to its content. */
    public void refused(ActKind kind, String actId, String reason, Map<String, String> presented, Instant now) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            refusedIn(c, kind, actId, reason, presented, now);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the refusal (" + reason + "): " + e.getMessage(), e);
        }
    }

    private void refusedIn(Connection c, ActKind kind, String actId, String reason, Map<String, String> presented,
                           Instant now) throws SQLException {
        String shown = presented.entrySet().stream().map(e -> "--- " + e.getKey() + "\n" + e.getValue())
                .collect(Collectors.joining("\n"));
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO refused_act (kind, act_id, reason, presented,"
                + " refused_at) VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, kind.key());
            ps.setString(2, actId);
            ps.setString(3, reason);
            ps.setString(4, shown);
            ps.setTimestamp(5, Timestamp.from(now));
            ps.executeUpdate();
        }
        log.append(c, AuditEvent.of(Actor.system(dev.shomei.ca.audit.AuditedCaEvents.COMPONENT,
                        dev.shomei.ca.audit.AuditedCaEvents.version()), "act.refused",
                "act:" + kind.key() + (actId == null ? "" : " id:" + actId),
                ("reason=" + reason + "\n" + shown).getBytes(StandardCharsets.UTF_8)));
        c.commit();
    }
}
