package dev.shomei.ra.decision;

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
 * A recorded decision (books: decisions): the outcome and reasons, who or what decided (責任を有する者の識別) and
 * the digests of the evidence it was made on. Rows are never updated (a database trigger refuses it).
 *
 * <p>Zone: online (ra-service), table {@code decision}. No personal data: reasons are codes and fixed texts.
 */
@Entity
@Table(name = "decision")
public class DecisionRecord extends PanacheEntityBase {

    public enum SubjectKind { APPLICATION, REVOCATION_REQUEST }

    @Id
    public UUID id;
    @Enumerated(EnumType.STRING) @Column(name = "subject_kind") public SubjectKind subjectKind;
    @Column(name = "subject_id") public UUID subjectId;
    @Enumerated(EnumType.STRING) public Outcome outcome;
    /** JSON array of {code, detail}. */
    public String reasons;
    @Column(name = "actor_kind") public String actorKind;
    @Column(name = "actor_id") public String actorId;
    @Column(name = "actor_authentication") public String actorAuthentication;
    @Column(name = "actor_version") public String actorVersion;
    @Column(name = "policy_id") public String policyId;
    @Column(name = "policy_digest") public String policyDigest;
    @Column(name = "decided_at") public Instant decidedAt;
    /** JSON object of evidence digests (SHA-256, hex). */
    public String evidence;
    @Column(name = "retain_until") public Instant retainUntil;

    public static List<DecisionRecord> of(UUID subjectId) {
        return list("subjectId = ?1 order by decidedAt", subjectId);
    }
}
