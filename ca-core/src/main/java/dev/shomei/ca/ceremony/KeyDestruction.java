package dev.shomei.ca.ceremony;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.pkcs11.HsmToken;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import javax.sql.DataSource;

/**
 * Destroys a CA key at the end of its life (CP/CPS 6.2.10): a delegated key, an old issuing generation whose last
 * certificate has expired, or the root at the CA's end. The record (destroyed_ca_key and a ca-key.destroyed audit
 * entry with the approvers) is written in the transaction that commits only after the token has destroyed the key.
 * The issuing key in use ({@code issuingKey}) is refused: move issuance to another generation first.
 *
 * <p>Zone: secure, in the CA room. Touches one key on the token, the destroyed_ca_key table and the audit log.
 */
public final class KeyDestruction {

    private final CaConfig config;
    private final DataSource dataSource;
    private final AuditLog log;
    private final Clock clock;

    public KeyDestruction(CaConfig config, DataSource dataSource, AuditLog log, Clock clock) {
        this.config = config;
        this.dataSource = dataSource;
        this.log = log;
        this.clock = clock;
    }

    /** Destroys {@code label} on {@code token}; returns the SHA-256 of the destroyed key's public key. */
    public String destroy(HsmToken token, String label, Actor actor) {
        if (label.equals(config.issuingKeyLabel()) && token.config().tokenLabel().equals(config.hsmConfig().tokenLabel())) {
            throw new CaOperationException("'" + label + "' is the issuing key in use (issuingKey): set issuingKey to"
                    + " another generation before destroying it");
        }
        if (!token.containsKey(label)) {
            throw new CaOperationException("no key labelled '" + label + "' on token '" + token.config().tokenLabel()
                    + "'; keys present: " + token.labels());
        }
        X509Certificate cert = token.certificateChain(label)[0];
        String pub = CaHashValues.fingerprint("SHA-256", cert.getPublicKey().getEncoded()).replace(":", "")
                .toLowerCase(java.util.Locale.ROOT);
        Instant now = clock.instant();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO destroyed_ca_key (label, token,"
                    + " public_key_sha256, destroyed_by, destroyed_at) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, label);
                ps.setString(2, token.config().tokenLabel());
                ps.setString(3, pub);
                ps.setString(4, actor.id());
                ps.setTimestamp(5, Timestamp.from(now));
                ps.executeUpdate();
            }
            log.append(c, AuditEvent.of(actor, "ca-key.destroyed", "ca-key:" + label + " token:"
                    + token.config().tokenLabel(), ("label=" + label + " token=" + token.config().tokenLabel()
                    + " public-key-sha256=" + pub + " subject=" + cert.getSubjectX500Principal().getName())
                    .getBytes(StandardCharsets.UTF_8)));
            try {
                token.destroyKey(label);
            } catch (RuntimeException e) {
                c.rollback();
                throw e;
            }
            c.commit();
            return pub;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot record the destruction of '" + label + "': " + e.getMessage()
                    + (token.containsKey(label) ? " (the key is still on the token)" : " (the key IS destroyed: record"
                    + " it by hand)"), e);
        }
    }
}
