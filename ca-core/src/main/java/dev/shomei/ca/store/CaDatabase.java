package dev.shomei.ca.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.shomei.audit.database.DurableSettings;
import dev.shomei.audit.database.EmbeddedServer;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The CA's PostgreSQL: an embedded server persisting under a data directory (the default), or an
 * external one by configuration (docs/database.md). Migrations run on open, as the owner role; the CA then
 * works as the service role, which cannot rewrite or remove its records. Start-up refuses a server that
 * does not commit durably.
 *
 * <p>Zone: secure. Holds the CA's records, never key material.
 */
public final class CaDatabase implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CaDatabase.class.getName());

    /** A role and its password. */
    public record Login(String user, String password) {}

    private final HikariDataSource dataSource;
    private final String url;
    private final Login owner;
    private final EmbeddedServer embedded;
    private final String description;

    private CaDatabase(HikariDataSource dataSource, String url, Login owner, EmbeddedServer embedded,
                       String description) {
        this.dataSource = dataSource;
        this.url = url;
        this.owner = owner;
        this.embedded = embedded;
        this.description = description;
    }

    public static CaDatabase open(CaConfig config) {
        CaConfig.Database db = config.database() == null ? new CaConfig.Database("var/ca-db", null, null, null, null, null)
                : config.database();
        if (db.url() != null && !db.url().isBlank()) {
            Login service = new Login(db.user() == null ? "ca" : db.user(),
                    password(config, "database.passwordFile", db.passwordFile()));
            Login owner = db.ownerUser() == null ? service
                    : new Login(db.ownerUser(), password(config, "database.ownerPasswordFile", db.ownerPasswordFile()));
            return open(db.url(), owner, service, null);
        }
        Path dir = config.resolve(db.embedded() == null ? "var/ca-db" : db.embedded());
        EmbeddedServer pg;
        try {
            pg = EmbeddedServer.start(dir, "ca", 0, dir.getParent().resolve(dir.getFileName() + "-run"));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage()
                    + " (is another ca command using it?)");
        }
        try {
            return open(pg.jdbcUrl(), new Login(pg.owner().user(), pg.owner().password()),
                    new Login(pg.service().user(), pg.service().password()), pg);
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    private static String password(CaConfig config, String setting, String file) {
        if (file == null) {
            return "";
        }
        try {
            return Files.readString(config.resolve(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new ConfigException("cannot read " + setting + " " + file + ": " + e.getMessage());
        }
    }

    /**
     * Opens a database at a JDBC URL (tests and external servers): migrates it as {@code owner}, checks that it
     * commits durably, and pools connections as {@code service}. With one login for both (an old configuration
     * without database.ownerUser) it works, and warns that the CA could then rewrite its own records.
     */
    public static CaDatabase open(String url, Login owner, Login service, EmbeddedServer embedded) {
        migrate(simple(url, owner));
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(service.user());
        hc.setPassword(service.password());
        hc.setMaximumPoolSize(8);
        hc.setAutoCommit(false);
        hc.setPoolName("ca");
        hc.addDataSourceProperty("reWriteBatchedInserts", "true"); // one round trip per batch of inserts
        hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new ConfigException("cannot connect to the CA database at " + url + " as " + service.user() + ": "
                    + e.getMessage());
        }
        try (Connection c = ds.getConnection()) {
            DurableSettings settings = DurableSettings.of(c);
            c.rollback();
            if (!settings.acceptable()) {
                throw new ConfigException(settings.refusalMessage(url));
            }
            settings.warnings().forEach(w -> LOG.warning("CA database " + url + ": " + w));
        } catch (SQLException e) {
            ds.close();
            throw new ConfigException("cannot read the settings of the CA database at " + url + ": " + e.getMessage());
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new CaDatabase(ds, url, owner, embedded, embedded == null ? url
                : "embedded PostgreSQL on port " + embedded.port() + " (passwords in " + embedded.passwordFile() + ")");
    }

    private static DataSource simple(String url, Login login) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(login.user());
        ds.setPassword(login.password());
        return ds;
    }

    static void migrate(DataSource ds) {
        dev.shomei.audit.AuditSchema.migrate(ds);
        Flyway.configure()
                .dataSource(ds)
                .locations("classpath:db/ca")
                .table("ca_schema_history")
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .load()
                .migrate();
    }

    /** The service role's connections: what the CA works with. */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Connections as the owner, for another secure-zone component's migrations in this database (the OCSP
     * presigner's tables). Never for records: those are written as the service role.
     */
    public DataSource ownerDataSource() {
        return simple(url, owner);
    }

    public String description() {
        return description;
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
