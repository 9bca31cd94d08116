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
 * One out-of-band notice to a holder (an outbox row): written in the transaction that records the act it reports,
 * then sent by {@link NoticeSender}, which marks it SENT, or retries and finally records it FAILED. What it says is
 * evidence (a trigger keeps it as inserted); only the sending state changes.
 *
 * <p>Zone: online (ra-service), table {@code notice}. Holds the holder's contact (personal data): never log it.
 */
@Entity
@Table(name = "notice")
public class Notice extends PanacheEntityBase {

    public enum Kind { ISSUANCE, RENEWAL, REVOCATION }

    /** NO_CONTACT: the applicant gave no contact; recorded so that its absence is visible, never silently skipped. */
    public enum Status { PENDING, SENT, FAILED, NO_CONTACT }

    @Id
    public UUID id;
    @Enumerated(EnumType.STRING) public Kind kind;
    @Column(name = "subject_kind") public String subjectKind;
    @Column(name = "subject_id") public UUID subjectId;
    @Column(name = "application_id") public UUID applicationId;
    @Column(name = "certificate_serial") public String certificateSerial;
    @Column(name = "act_at") public Instant actAt;
    public String channel;
    public String recipient;
    @Column(name = "subject_line") public String subjectLine;
    public String body;
    @Column(name = "dispute_code_sha256") public String disputeCodeSha256;
    /** Working column: the code the e-mail carries, kept until it is sent, then cleared. */
    @Column(name = "dispute_code") public String disputeCode;
    @Column(name = "dispute_until") public Instant disputeUntil;
    @Column(name = "created_at") public Instant createdAt;
    @Enumerated(EnumType.STRING) public Status status;
    public int attempts;
    @Column(name = "next_attempt_at") public Instant nextAttemptAt;
    @Column(name = "last_error") public String lastError;
    @Column(name = "sent_at") public Instant sentAt;
    @Column(name = "message_sha256") public String messageSha256;
    @Column(name = "retain_until") public Instant retainUntil;

    public static List<Notice> due(Instant now, int limit) {
        return find("status = ?1 and nextAttemptAt <= ?2 order by nextAttemptAt", Status.PENDING, now)
                .page(0, limit).list();
    }

    public static List<Notice> ofApplication(UUID applicationId) {
        return list("applicationId = ?1 order by createdAt", applicationId);
    }
}
