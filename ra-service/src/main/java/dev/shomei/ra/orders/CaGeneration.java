package dev.shomei.ra.orders;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * An issuing CA generation the RA took from a result bundle (a renewal's new issuing CA certificate, certified by
 * a pinned root): the certificate, who certified it, which bundle carried it and who signed that bundle.
 *
 * <p>Zone: online (ra-service), table {@code ca_generation} (V80). Inserted once, never updated.
 */
@Entity
@Table(name = "ca_generation")
public class CaGeneration extends PanacheEntityBase {

    @Id
    public String sha256;
    public byte[] certificate;
    public String subject;
    public String serial;
    @Column(name = "not_before") public Instant notBefore;
    @Column(name = "not_after") public Instant notAfter;
    @Column(name = "root_sha256") public String rootSha256;
    @Column(name = "order_bundle_id") public String orderBundleId;
    @Column(name = "result_signer_sha256") public String resultSignerSha256;
    @Column(name = "adopted_at") public Instant adoptedAt;
    @Column(name = "retain_until") public Instant retainUntil;
}
