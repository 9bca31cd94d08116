package dev.shomei.ra.orders;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;

/**
 * An order bundle as signed and served. The bytes are kept so that a bundle the CA has not answered yet is served
 * again unchanged (same bundleId, same signature): the CA treats a bundleId as the unit of replay protection.
 *
 * <p>Zone: online (ra-service), table {@code order_bundle}. At most one bundle is unanswered at a time.
 */
@Entity
@Table(name = "order_bundle")
public class OrderBundleRecord extends PanacheEntityBase {

    @Id
    public String id;
    @Column(name = "created_at") public Instant createdAt;
    public byte[] cms;
    @Column(name = "answered_at") public Instant answeredAt;
    @Column(name = "result_cms") public byte[] resultCms;
    @Column(name = "retain_until") public Instant retainUntil;

    public static Optional<OrderBundleRecord> unanswered() {
        return find("answeredAt is null").firstResultOptional();
    }
}
