package dev.shomei.audit.database;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks, at start-up, that the PostgreSQL a component writes its records to keeps what it commits and that the
 * component does not connect with more rights than it needs (docs/database.md, "Required settings").
 * A commit the database reported but lost in a crash is a lost certificate, decision or audit entry.
 *
 * <p>Zone: all (ra-service and ca-core call it on their service connection). Reads settings; writes nothing.
 *
 * @param refusals settings the component must not run with: it stops and names them with the fix
 * @param warnings settings it runs with, but reports with the fix
 */
public record DurableSettings(List<String> refusals, List<String> warnings) {

    public DurableSettings {
        refusals = List.copyOf(refusals);
        warnings = List.copyOf(warnings);
    }

    public boolean acceptable() {
        return refusals.isEmpty();
    }

    /** One message naming every refused setting and its fix, for the exception that stops start-up. */
    public String refusalMessage(String database) {
        return "refusing to use the database " + database + ": " + String.join("; ", refusals)
                + " (docs/database.md lists the required settings)";
    }

    /** Reads the effective settings of {@code c}'s session (a per-role or per-database value counts too). */
    public static DurableSettings of(Connection c) throws SQLException {
        List<String> refusals = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        // fsync = off: a crash of the machine can lose committed transactions or corrupt the whole cluster.
        if (!"on".equals(show(c, "fsync"))) {
            refusals.add("fsync is off, so a power loss can lose committed records or corrupt the database; set"
                    + " fsync = on in postgresql.conf (or ALTER SYSTEM SET fsync = on; SELECT pg_reload_conf())");
        }
        // synchronous_commit = off: COMMIT returns before the WAL is flushed; a crash loses the last commits.
        // local, remote_write, remote_apply and on all flush the local WAL first.
        if ("off".equals(show(c, "synchronous_commit"))) {
            refusals.add("synchronous_commit is off for this connection, so a crash loses the most recent commits"
                    + " the service already reported as done; set synchronous_commit = on in postgresql.conf and"
                    + " remove any ALTER ROLE/ALTER DATABASE ... SET synchronous_commit = off");
        }
        // full_page_writes = off: a torn page after a crash cannot be repaired from the WAL.
        if (!"on".equals(show(c, "full_page_writes"))) {
            warnings.add("full_page_writes is off, so a crash during a page write can leave a torn page the WAL cannot"
                    + " repair; set full_page_writes = on unless the storage guarantees atomic 8 kB writes");
        }
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT r.rolsuper, (SELECT count(*) FROM pg_tables t WHERE t.schemaname ="
                     + " current_schema() AND t.tableowner = current_user) FROM pg_roles r WHERE r.rolname = current_user")) {
            if (rs.next()) {
                if (rs.getBoolean(1)) {
                    warnings.add("the service connects as superuser " + c.getMetaData().getUserName() + ", which can"
                            + " switch off the append-only triggers; connect as a member of shomei_service and"
                            + " shomei_audit_writer, and run migrations as the owner role");
                } else if (rs.getLong(2) > 0) {
                    warnings.add("the service connects as " + c.getMetaData().getUserName() + ", the owner of the"
                            + " tables, which can ALTER them and disable their triggers; connect as a member of"
                            + " shomei_service and shomei_audit_writer, and run migrations as the owner role");
                }
            }
        }
        return new DurableSettings(refusals, warnings);
    }

    private static String show(Connection c, String setting) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
