package dev.shomei.ra.notice;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A holder's objection to the act a notice reported, made within the dispute window with the code the notice
 * carried; an RA officer upholds it (the RA then revokes the disputed certificate, or re-issues a revoked one) or
 * dismisses it. The statement and channel are evidence (kept as received).
 *
 * <p>Zone: online (ra-service), table {@code notice_dispute}. The statement may hold personal data: never log it.
 */
@Entity
@Table(name = "notice_dispute")
public class NoticeDispute extends PanacheEntityBase {

    public enum Status { OPEN, UPHELD, DISMISSED }

    @Id
    public UUID id;
    @Column(name = "notice_id") public UUID noticeId;
    @Column(name = "received_at") public Instant receivedAt;
    public String statement;
    public String channel;
    @Enumerated(EnumType.STRING) public Status status;
    @Column(name = "decided_at") public Instant decidedAt;
    @Column(name = "decision_id") public UUID decisionId;
    @Column(name = "outcome_reference") public UUID outcomeReference;
    @Column(name = "retain_until") public Instant retainUntil;

    public static List<NoticeDispute> open(int offset, int limit) {
        return find("status = ?1 order by receivedAt, id", Status.OPEN).range(offset, offset + limit - 1).list();
    }
}
