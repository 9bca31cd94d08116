package dev.shomei.ra.books;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditSchema;
import dev.shomei.audit.database.DurableSettings;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The RA's side of audit-log: every decision and officer action is appended to the hash-chained log on the
 * same connection, in the same transaction, as the RA's own write, so neither exists without the other.
 *
 * <p>Zone: online (ra-service). Writes audit-log's tables through the RA datasource; migrates them at start-up.
 */
@ApplicationScoped
public class AuditTrail {

    private static final Logger LOG = Logger.getLogger(AuditTrail.class);
    static final String ORIGIN = "ra-service";

    private final AgroalDataSource dataSource;
    private final AuditLog log = new AuditLog(ORIGIN);

    @Inject
    public AuditTrail(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * audit-log keeps its own Flyway history table, so its migrations never mix with the RA's. Like the RA's own
     * (quarkus.flyway.username), they run as the owner role; the service itself connects as a role that owns
     * nothing. Then start-up refuses a database that does not commit durably (docs/database.md).
     */
    void migrate(@Observes StartupEvent event) {
        var config = ConfigProvider.getConfig();
        Optional<String> owner = config.getOptionalValue("quarkus.flyway.username", String.class);
        if (owner.isPresent()) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(config.getValue("quarkus.datasource.jdbc.url", String.class));
            ds.setUser(owner.get());
            ds.setPassword(config.getOptionalValue("quarkus.flyway.password", String.class).orElse(""));
            AuditSchema.migrate(ds);
        } else {
            AuditSchema.migrate(dataSource);
        }
        try (Connection c = dataSource.getConnection()) {
            DurableSettings settings = DurableSettings.of(c);
            if (!settings.acceptable()) {
                throw new IllegalStateException(settings.refusalMessage(
                        config.getValue("quarkus.datasource.jdbc.url", String.class)));
            }
            settings.warnings().forEach(w -> LOG.warn("RA database: " + w));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the RA database's settings: " + e.getMessage(), e);
        }
    }

    /**
     * Appends one event. Under JTA, Agroal hands out the connection enlisted in the current transaction;
     * closing it here only returns the handle, the commit is the transaction's.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public long append(Actor actor, String action, String subject, byte[] detail) {
        try (Connection c = dataSource.getConnection()) {
            return log.append(c, AuditEvent.of(actor, action, subject, detail));
        } catch (SQLException e) {
            throw new IllegalStateException("audit-log append failed for " + action + " " + subject, e);
        }
    }

    /** One event for {@link #appendAll}. */
    public record Event(Actor actor, String action, String subject, byte[] detail) {}

    /**
     * Appends several events, in order, in one round trip that locks the audit-log head once (audit-log's
     * {@code appendAll}); in the current transaction, like {@link #append}.
     */
    @Transactional(Transactional.TxType.MANDATORY)
    public java.util.List<Long> appendAll(java.util.List<Event> events) {
        try (Connection c = dataSource.getConnection()) {
            return log.appendAll(c, events.stream()
                    .map(e -> AuditEvent.of(e.actor(), e.action(), e.subject(), e.detail())).toList());
        } catch (SQLException e) {
            throw new IllegalStateException("audit-log append of " + events.size() + " events failed", e);
        }
    }
}
