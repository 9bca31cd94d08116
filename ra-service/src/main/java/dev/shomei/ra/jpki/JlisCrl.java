package dev.shomei.ra.jpki;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A J-LIS CRL as fetched, kept once as evidence for every decision that rested on it (books: identity
 * verification); applications and revocation requests name it by {@link #sha256}.
 *
 * <p>Zone: online (ra-service), table {@code jlis_crl}. No personal data (serials and dates only).
 */
@Entity
@Table(name = "jlis_crl")
public class JlisCrl extends PanacheEntityBase {

    @Id
    public String sha256;
    public byte[] crl;
    public String issuer;
    @Column(name = "this_update") public Instant thisUpdate;
    @Column(name = "next_update") public Instant nextUpdate;
    @Column(name = "fetched_at") public Instant fetchedAt;
    @Column(name = "retain_until") public Instant retainUntil;
}
