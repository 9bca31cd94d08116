package dev.shomei.ca.ceremony;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ca.store.CaKeyRevocations;
import dev.shomei.ca.store.CertificateStore;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Revokes an issuing CA certificate (an issuing-key generation compromised, or retired early): recorded in
 * {@code revoked_ca_key} with a {@code ca-key.revoked} audit entry naming the approvers, listed on the root's CRL
 * (ARL, RFC 5280 §5) from the next {@code ca root-crl}. The presigner and the publication bundle stop serving that
 * generation from then on. Nothing is signed here: the revocation becomes visible to relying parties with the ARL.
 *
 * <p>Zone: secure, in the CA room. Touches the revoked_ca_key table and the audit log; no key.
 */
public final class CaCertificateRevocation {

    /**
     * The reasons a CA certificate is revoked for (RFC 5280 §5.3.1): cACompromise rather than keyCompromise, which
     * is for end-entity certificates; privilegeWithdrawn is about a subscriber's attributes.
     */
    static final Set<RevocationReason> CA_REASONS = Set.of(RevocationReason.UNSPECIFIED, RevocationReason.CA_COMPROMISE,
            RevocationReason.AFFILIATION_CHANGED, RevocationReason.SUPERSEDED, RevocationReason.CESSATION_OF_OPERATION);

    private final CaConfig config;
    private final DataSource dataSource;
    private final AuditLog log;
    private final Clock clock;

    public CaCertificateRevocation(CaConfig config, DataSource dataSource, AuditLog log, Clock clock) {
        this.config = config;
        this.dataSource = dataSource;
        this.log = log;
        this.clock = clock;
    }

    /** Checks what would refuse the act before an approval is spent on it. */
    public static RevocationReason checkReason(String reason) {
        RevocationReason r = RevocationReason.parse(reason);
        if (!CA_REASONS.contains(r)) {
            throw new IllegalArgumentException("--reason " + r.rfcName() + " is not a reason for a CA certificate;"
                    + " use cACompromise (the CA's key), superseded, cessationOfOperation, affiliationChanged or"
                    + " unspecified (RFC 5280 §5.3.1)");
        }
        return r;
    }

    public CaKeyRevocations.Entry revoke(String label, RevocationReason reason, Actor actor) {
        if (label.equals(config.issuingKeyLabel())) {
            throw new CaOperationException("'" + label + "' is the issuing key in use (issuingKey): renew (ca renew-issuing)"
                    + " and set issuingKey to the new generation first, so that nothing more is issued under a revoked CA");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                CertificateStore.CaKeyRecord key = new CertificateStore().caKeys(c).stream()
                        .filter(k -> k.label().equals(label)).findFirst()
                        .orElseThrow(() -> new CaOperationException("no CA certificate labelled '" + label
                                + "' in the CA database; give an issuing generation's key label (ca show lists them)"));
                if (!key.role().equals("ISSUING")) {
                    throw new CaOperationException("'" + label + "' is a " + key.role() + " key: only an issuing CA"
                            + " certificate, which the root issued, goes on the root's CRL");
                }
                if (CaKeyRevocations.revokedLabels(c).contains(label)) {
                    throw new CaOperationException("the CA certificate of '" + label + "' is already revoked");
                }
                X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(key.certificate()));
                Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
                CaKeyRevocations.Entry e = new CaKeyRevocations.Entry(label, cert.getSerialNumber(), reason, now, actor.id());
                CaKeyRevocations.insert(c, e);
                log.append(c, AuditEvent.of(actor, "ca-key.revoked", "ca-key:" + label,
                        ("label=" + label + " serial=" + cert.getSerialNumber().toString(16) + " reason="
                                + reason.rfcName() + " subject=" + cert.getSubjectX500Principal().getName()
                                + " sha256=" + key.sha256()).getBytes(StandardCharsets.UTF_8)));
                c.commit();
                return e;
            } catch (SQLException | CertificateException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | CertificateException e) {
            throw new IllegalStateException("cannot record the revocation of CA certificate '" + label + "': "
                    + e.getMessage(), e);
        }
    }
}
