package dev.shomei.ra.database;

import dev.shomei.audit.database.EmbeddedServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;
import org.jboss.logging.Logger;

/**
 * The out-of-the-box database: an embedded PostgreSQL (audit-log's EmbeddedServer: durable commits, password
 * logins only, passwords in {@code <data directory>.pgpass}) whose data persists under
 * {@code ra.database.data-directory}, listening on localhost only. It is a low-ordinal config source, so any
 * configured {@code quarkus.datasource.jdbc.url} wins, and it starts the server only when the datasource
 * actually asks for its URL. The service connects as {@code ra_service}; Flyway migrates as {@code ra_owner}.
 *
 * <p>Zone: online (ra-service). Starts a local PostgreSQL process and writes its data directory.
 */
public final class EmbeddedDatabase implements ConfigSource {

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    private static final String URL = "quarkus.datasource.jdbc.url";
    private static final String USER = "quarkus.datasource.username";
    private static final String PASSWORD = "quarkus.datasource.password";
    private static final String OWNER = "quarkus.flyway.username";
    private static final String OWNER_PASSWORD = "quarkus.flyway.password";
    /** Below application.properties (250) and everything else: only a default. */
    static final int ORDINAL = 50;

    private final String dataDirectory;
    private final int port;
    private volatile EmbeddedServer server;

    EmbeddedDatabase(String dataDirectory, int port) {
        this.dataDirectory = dataDirectory;
        this.port = port;
    }

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(URL, USER, PASSWORD, OWNER, OWNER_PASSWORD);
    }

    @Override
    public Map<String, String> getProperties() {
        // Listing properties must not start a server; only getValue does.
        return Map.of();
    }

    @Override
    public String getValue(String name) {
        return switch (name) {
            case URL -> start().jdbcUrl();
            case USER -> start().service().user();
            case PASSWORD -> start().service().password();
            case OWNER -> start().owner().user();
            case OWNER_PASSWORD -> start().owner().password();
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

    private synchronized EmbeddedServer start() {
        if (server == null) {
            Path dir = Path.of(dataDirectory).toAbsolutePath();
            try {
                server = EmbeddedServer.start(dir, "ra", port, null);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the embedded PostgreSQL in " + dir + " on port "
                        + port + " (" + e.getMessage() + "); free the port or set ra.database.port, or configure"
                        + " an external database with quarkus.datasource.jdbc.url", e);
            }
            LOG.infof("embedded PostgreSQL on localhost:%d, data in %s, passwords in %s", server.port(), dir,
                    server.passwordFile());
            EmbeddedServer started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "ra-embedded-postgresql-stop"));
        }
        return server;
    }
}
