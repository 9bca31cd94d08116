package dev.shomei.ra.orders;

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
 * One order to the CA, made from one approved decision: issue a certificate for an application, or revoke one
 * for a revocation request. Its id is derived from the subject, so a decision can never make two orders.
 *
 * <p>Zone: online (ra-service), table {@code ca_order}. No personal data.
 */
@Entity
@Table(name = "ca_order")
public class CaOrder extends PanacheEntityBase {

    public enum Type { ISSUE, REVOKE }

    public enum State { PENDING, SENT, DONE }

    @Id
    public String id;
    @Enumerated(EnumType.STRING) public Type type;
    @Column(name = "subject_id") public UUID subjectId;
    @Column(name = "decision_id") public UUID decisionId;
    @Column(name = "decision_sha256") public String decisionSha256;
    @Enumerated(EnumType.STRING) public State state;
    @Column(name = "bundle_id") public String bundleId;
    @Column(name = "created_at") public Instant createdAt;
    @Column(name = "result_status") public String resultStatus;
    @Column(name = "result_serial") public String resultSerial;
    @Column(name = "result_reason") public String resultReason;
    @Column(name = "done_at") public Instant doneAt;
    @Column(name = "retain_until") public Instant retainUntil;

    public static List<CaOrder> pending(int limit) {
        return find("state = ?1 order by createdAt", State.PENDING).page(0, limit).list();
    }

    public static List<CaOrder> inBundle(String bundleId) {
        return list("bundleId", bundleId);
    }

    public static String issueId(UUID applicationId) {
        return "app-" + applicationId;
    }

    public static String revokeId(UUID revocationRequestId) {
        return "rev-" + revocationRequestId;
    }
}
