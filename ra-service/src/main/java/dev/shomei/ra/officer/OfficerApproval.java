package dev.shomei.ra.officer;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One officer's approval of a referred application, recorded while it waits for a second, different officer
 * (four eyes). Rows are never changed; the decision that completes the approval names them in its evidence.
 *
 * <p>Zone: online (ra-service), table {@code officer_approval}. Officer names only; no subscriber data.
 */
@Entity
@Table(name = "officer_approval")
public class OfficerApproval extends PanacheEntityBase {

    @Id
    public UUID id;
    @Column(name = "application_id") public UUID applicationId;
    @Column(name = "officer_id") public String officerId;
    @Column(name = "officer_authentication") public String officerAuthentication;
    @Column(name = "officer_certificate_sha256") public String officerCertificateSha256;
    public String reason;
    /** The name this officer approved for the certificate, where the card's cannot be certified as it is. */
    @Column(name = "certified_name") public String certifiedName;
    @Column(name = "jlis_override") public boolean jlisOverride;
    @Column(name = "approved_at") public Instant approvedAt;
    @Column(name = "retain_until") public Instant retainUntil;

    public static List<OfficerApproval> of(UUID applicationId) {
        return list("applicationId = ?1 order by approvedAt", applicationId);
    }
}
