package dev.shomei.ca.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The CA's PostgreSQL: an embedded server persisting under a data directory (the default), or an
 * external one by configuration. Migrations run on open.
 *
 * <p>Zone: secure. Holds the CA's records, never key material.
 */
public final class CaDatabase implements AutoCloseable {

    private final HikariDataSource dataSource;
    private final EmbeddedPostgres embedded;
    private final String description;

    private CaDatabase(HikariDataSource dataSource, EmbeddedPostgres embedded, String description) {
        this.dataSource = dataSource;
        this.embedded = embedded;
        this.description = description;
    }

    public static CaDatabase open(CaConfig config) {
        CaConfig.Database db = config.database() == null ? new CaConfig.Database("var/ca-db", null, null, null)
                : config.database();
        if (db.url() != null && !db.url().isBlank()) {
            String password = "";
            if (db.passwordFile() != null) {
                try {
                    password = Files.readString(config.resolve(db.passwordFile()), StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    throw new ConfigException("cannot read database.passwordFile " + db.passwordFile() + ": " + e.getMessage());
                }
            }
            return open(db.url(), db.user() == null ? "ca" : db.user(), password, null);
        }
        Path dir = config.resolve(db.embedded() == null ? "var/ca-db" : db.embedded());
        try {
            Files.createDirectories(dir);
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dir)
                    .setCleanDataDirectory(false)
                    .setOverrideWorkingDirectory(dir.getParent().resolve(dir.getFileName() + "-run").toFile())
                    .start();
            return open("jdbc:postgresql://localhost:" + pg.getPort() + "/postgres", "postgres", "postgres", pg);
        } catch (IOException e) {
            throw new ConfigException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage()
                    + " (is another ca command using it?)");
        }
    }

    /** Opens a database at a JDBC URL (tests and external servers) and migrates it. */
    public static CaDatabase open(String url, String user, String password, EmbeddedPostgres embedded) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        hc.setPassword(password);
        hc.setMaximumPoolSize(8);
        hc.setAutoCommit(false);
        hc.setPoolName("ca");
        hc.addDataSourceProperty("reWriteBatchedInserts", "true"); // one round trip per batch of inserts
        hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new ConfigException("cannot connect to the CA database at " + url + " as " + user + ": "
                    + e.getMessage());
        }
        migrate(ds);
        return new CaDatabase(ds, embedded, embedded == null ? url : "embedded PostgreSQL on port " + embedded.getPort());
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

    public DataSource dataSource() {
        return dataSource;
    }

    public String description() {
        return description;
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                // the server is being stopped on exit; its data directory is intact
            }
        }
    }
}
