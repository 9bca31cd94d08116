package dev.shomei.ra.status;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * The newest verified status document of one secure-zone component ({@code ca}, {@code ocsp-presigner}).
 *
 * <p>Zone: online (ra-service), table {@code secure_zone_report}. No personal data: the secure zone reports
 * counts, numbers and times only.
 */
@Entity
@Table(name = "secure_zone_report")
public class SecureZoneReport extends PanacheEntityBase {

    @Id
    public String component;
    @Column(name = "document_id") public String documentId;
    @Column(name = "produced_at") public Instant producedAt;
    @Column(name = "received_at") public Instant receivedAt;
    @Column(name = "signer_sha256") public String signerSha256;
    public String document;
    public byte[] cms;
}
