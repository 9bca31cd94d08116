package dev.shomei.audit;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * Creates and upgrades the audit-log tables with Flyway, using its own history table so it can share a
 * database with the component's own schema (ra-service's, ca-core's).
 *
 * <p>Zone: all. Touches the audit_* tables, their triggers, and creates the cluster roles
 * {@value #WRITER_ROLE} and {@value #READER_ROLE} if missing. Run it as the schema owner, not as the
 * application's login role.
 */
public final class AuditSchema {

    /** Grant this role to the application's login role: it may append, never update or delete. */
    public static final String WRITER_ROLE = "shomei_audit_writer";
    /** Grant this role to verifiers and auditors: read only. */
    public static final String READER_ROLE = "shomei_audit_reader";
    public static final String HISTORY_TABLE = "audit_schema_history";
    public static final String LOCATION = "classpath:db/audit";

    private AuditSchema() {}

    public static void migrate(DataSource ds) {
        try {
            Flyway.configure(AuditSchema.class.getClassLoader())
                    .dataSource(ds)
                    .table(HISTORY_TABLE)
                    .locations(LOCATION)
                    // The component's own tables may already be there: start our history at version 0.
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    // The SQL contains PL/pgSQL; nothing in it is a placeholder.
                    .placeholderReplacement(false)
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new AuditException("audit-log schema migration (" + LOCATION + ", history table "
                    + HISTORY_TABLE + ") failed: " + e.getMessage(), e);
        }
    }
}
