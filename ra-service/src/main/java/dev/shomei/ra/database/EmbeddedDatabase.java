package dev.shomei.ra.database;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.jboss.logging.Logger;

/**
 * The out-of-the-box database: an embedded PostgreSQL (io.zonky binaries) whose data persists under
 * {@code ra.database.data-directory}, listening on localhost only. It is a low-ordinal config source, so any
 * configured {@code quarkus.datasource.jdbc.url} wins, and it starts the server only when the datasource
 * actually asks for its URL.
 *
 * <p>Zone: online (ra-service). Starts a local PostgreSQL process and writes its data directory.
 */
public final class EmbeddedDatabase implements ConfigSource {

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    private static final String URL = "quarkus.datasource.jdbc.url";
    private static final String USER = "quarkus.datasource.username";
    private static final String PASSWORD = "quarkus.datasource.password";
    /** Below application.properties (250) and everything else: only a default. */
    static final int ORDINAL = 50;

    private final String dataDirectory;
    private final int port;
    private volatile EmbeddedPostgres server;

    EmbeddedDatabase(String dataDirectory, int port) {
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(URL, USER, PASSWORD);
    }

    @Override
    public Map<String, String> getProperties() {
        // Listing properties must not start a server; only getValue does.
        return Map.of();
    }

    @Override
    public String getValue(String name) {
        return switch (name) {
            case URL -> "jdbc:postgresql://localhost:" + start().getPort() + "/postgres";
            case USER -> "postgres";
            case PASSWORD -> "postgres";
            default -> null;
        };
    }

    @Override
    public String getName() {
        return "ra-embedded-postgresql";
    }

    @Override
    public int getOrdinal() {
        return ORDINAL;
    }

    private synchronized EmbeddedPostgres start() {
        if (server == null) {
            File dir = new File(dataDirectory).getAbsoluteFile();
            try {
                server = EmbeddedPostgres.builder()
                        .setDataDirectory(dir)
                        .setCleanDataDirectory(false)
                        .setPort(port)
                        .start();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the embedded PostgreSQL in " + dir + " on port "
                        + port + " (" + e.getMessage() + "); free the port or set ra.database.port, or configure"
                        + " an external database with quarkus.datasource.jdbc.url", e);
            }
            LOG.infof("embedded PostgreSQL on localhost:%d, data in %s", port, dir);
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (Exception ignored) {
                    // exiting; PostgreSQL recovers from its WAL at the next start
                }
            }, "ra-embedded-postgresql-stop"));
        }
        return server;
    }
}
