package dev.shomei.ra.books;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditEvent;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditSchema;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The RA's side of audit-log: every decision and officer action is appended to the hash-chained log on the
 * same connection, in the same transaction, as the RA's own write, so neither exists without the other.
 *
 * <p>Zone: online (ra-service). Writes audit-log's tables through the RA datasource; migrates them at start-up.
 */
@ApplicationScoped
public class AuditTrail {

    static final String ORIGIN = "ra-service";

    private final AgroalDataSource dataSource;
    private final AuditLog log = new AuditLog(ORIGIN);

    @Inject
    public AuditTrail(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** audit-log keeps its own Flyway history table, so its migrations never mix with the RA's. */
    void migrate(@Observes StartupEvent event) {
        AuditSchema.migrate(dataSource);
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
}
