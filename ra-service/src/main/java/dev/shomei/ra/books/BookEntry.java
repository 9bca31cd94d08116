package dev.shomei.ra.books;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * One entry in the books (帳簿書類): written once, kept until {@link #retainUntil}; the database refuses updates
 * and early deletes (see V1__ra_schema.sql).
 *
 * <p>Zone: online (ra-service), table {@code book_entry}.
 */
@Entity
@Table(name = "book_entry")
public class BookEntry extends PanacheEntityBase {

    public enum Book { APPLICATION, IDENTITY_VERIFICATION, DECISION, ISSUANCE, REVOCATION, NOTICE }

    @Id
    public UUID id;
    /** Assigned by the database (bigserial): the order entries were recorded in; read back, never written. */
    @Column(insertable = false, updatable = false)
    public Long seq;
    @Enumerated(EnumType.STRING) public Book book;
    @Column(name = "subject_kind") public String subjectKind;
    @Column(name = "subject_id") public UUID subjectId;
    @Column(name = "recorded_at") public Instant recordedAt;
    @Column(name = "retain_until") public Instant retainUntil;
    /** JSON object; its members depend on the book. */
    public String entry;
}
