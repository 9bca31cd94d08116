package dev.shomei.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.ds.PGSimpleDataSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * A real PostgreSQL for tests, never a mock: an external server if {@code SHOMEI_TEST_DB_URL} is set,
 * else a Testcontainers PostgreSQL where a Docker engine is found, else an embedded PostgreSQL started
 * from a Maven artifact. One server per JVM; each {@link #create(String)} call gets a fresh database,
 * so tests never see each other's rows.
 *
 * <p>Zone: tests only.
 */
public final class TestDatabase {

    /** Connection details of one fresh database. */
    public record Database(String jdbcUrl, String user, String password) {
        public PGSimpleDataSource dataSource() {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(jdbcUrl);
            ds.setUser(user);
            ds.setPassword(password);
            return ds;
        }

        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, user, password);
        }
    }

    private record Server(String adminUrl, String baseUrl, String user, String password, String kind) {}

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static Server server;

    private TestDatabase() {}

    /** A new, empty database whose name starts with the given prefix. */
    public static synchronized Database create(String prefix) {
        Server s = server();
        String name = (prefix.replaceAll("[^a-z0-9_]", "_") + "_" + ProcessHandle.current().pid() + "_"
                + COUNTER.incrementAndGet()).toLowerCase();
        try (Connection c = DriverManager.getConnection(s.adminUrl(), s.user(), s.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name + " on " + s.kind()
                    + " PostgreSQL: " + e.getMessage(), e);
        }
        return new Database(s.baseUrl() + name, s.user(), s.password());
    }

    /** Which kind of server the tests run against: external, testcontainers or embedded. */
    public static synchronized String kind() {
        return server().kind();
    }

    private static Server server() {
        if (server == null) {
            server = start();
        }
        return server;
    }

    private static Server start() {
        String url = System.getenv("SHOMEI_TEST_DB_URL");
        if (url != null && !url.isBlank()) {
            // e.g. jdbc:postgresql://localhost:5432/postgres
            String user = envOr("SHOMEI_TEST_DB_USER", "postgres");
            String password = envOr("SHOMEI_TEST_DB_PASSWORD", "");
            return new Server(url, url.substring(0, url.lastIndexOf('/') + 1), user, password, "external");
        }
        if (dockerAvailable()) {
            PostgreSQLContainer pg = new PostgreSQLContainer("postgres:17-alpine");
            pg.start();
            String jdbc = pg.getJdbcUrl();
            String base = jdbc.substring(0, jdbc.lastIndexOf('/') + 1);
            return new Server(jdbc, base, pg.getUsername(), pg.getPassword(), "testcontainers");
        }
        try {
            Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "embedded-pg-");
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setOverrideWorkingDirectory(dir.toFile())
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", "off")
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (Exception ignored) {
                    // the JVM is exiting; the data directory is under target/
                }
            }));
            String base = "jdbc:postgresql://localhost:" + pg.getPort() + "/";
            return new Server(base + "postgres", base, "postgres", "postgres", "embedded");
        } catch (Exception e) {
            throw new IllegalStateException("cannot start an embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    private static String envOr(String name, String def) {
        String v = System.getenv(name);
        return v == null ? def : v;
    }
}
