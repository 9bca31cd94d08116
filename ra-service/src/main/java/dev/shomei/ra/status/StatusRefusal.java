package dev.shomei.ra.status;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A status document refused on the CA's authenticated connection: forged, unsigned, replayed or malformed.
 *
 * <p>Zone: online (ra-service), table {@code secure_zone_report_refusal}, insert only.
 */
@Entity
@Table(name = "secure_zone_report_refusal")
public class StatusRefusal extends PanacheEntityBase {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "received_at") public Instant receivedAt;
    public String code;
    public String detail;
    @Column(name = "client_sha256") public String clientSha256;
    @Column(name = "body_sha256") public String bodySha256;
    @Column(name = "body_size") public int bodySize;
}
