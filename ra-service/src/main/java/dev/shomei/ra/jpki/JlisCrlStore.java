package dev.shomei.ra.jpki;

import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * Stores each J-LIS CRL once, keyed by its SHA-256, in its own transaction as soon as it has been fetched and
 * verified: decisions then reference the digest, and the CRL is never copied into application rows.
 *
 * <p>Zone: online (ra-service). Inserts into {@code jlis_crl}; no network.
 */
@ApplicationScoped
public class JlisCrlStore {

    @Inject
    RaConfig config;

    @Transactional(Transactional.TxType.REQUIRES_NEW)
    public void storeIfAbsent(String sha256, byte[] der, String issuer, Instant thisUpdate, Instant nextUpdate,
                              Instant fetchedAt) {
        if (JlisCrl.findById(sha256) != null) {
            return;
        }
        JlisCrl c = new JlisCrl();
        c.sha256 = sha256;
        c.crl = der;
        c.issuer = issuer;
        c.thisUpdate = thisUpdate;
        c.nextUpdate = nextUpdate;
        c.fetchedAt = fetchedAt;
        c.retainUntil = fetchedAt.atZone(ZoneOffset.UTC).plus(config.books().retention()).toInstant();
        c.persist();
    }
}
