package dev.shomei.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
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
 * <p>The server is set up the way production is (docs/database.md): the embedded one commits durably
 * ({@code fsync}, {@code synchronous_commit}, {@code full_page_writes} on) and accepts only
 * scram-sha-256 password logins. Every database is owned by an owner role that runs the migrations;
 * the services log in as a separate service role (member of {@value #SERVICE_ROLE} and
 * {@value #AUDIT_WRITER_ROLE}), and auditors as a reader role, as a DBA would set them up.
 *
 * <p>Zone: tests only.
 */
public final class TestDatabase {

    /** The group role migrations grant the services' privileges to (docs/database.md). */
    public static final String SERVICE_ROLE = "shomei_service";
    public static final String AUDIT_WRITER_ROLE = "shomei_audit_writer";
    public static final String AUDIT_READER_ROLE = "shomei_audit_reader";
    static final String OWNER = "shomei_test_owner";
    static final String SERVICE = "shomei_test_service";
    static final String AUDITOR = "shomei_test_auditor";

    /**
     * Connection details of one fresh database. {@link #user()} owns it (run migrations as it);
     * {@link #serviceUser()} is what a service connects as; {@link #auditorUser()} only reads the audit log.
     */
    public record Database(String jdbcUrl, String user, String password, String serviceUser, String servicePassword,
                           String auditorUser, String auditorPassword) {
        /** As the owner. */
        public PGSimpleDataSource dataSource() {
            return dataSource(user, password);
        }

        /** As the owner. */
        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, user, password);
        }

        public PGSimpleDataSource serviceDataSource() {
            return dataSource(serviceUser, servicePassword);
        }

        public Connection connectAsService() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, serviceUser, servicePassword);
        }

        public Connection connectAsAuditor() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, auditorUser, auditorPassword);
        }

        private PGSimpleDataSource dataSource(String u, String p) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(jdbcUrl);
            ds.setUser(u);
            ds.setPassword(p);
            return ds;
        }
    }

    private record Server(String adminUrl, String baseUrl, String user, String password, String kind,
                          String rolePassword) {}

    /**
     * System property: when {@code true}, the embedded server loads {@code pg_stat_statements} (for benchmarks that
     * say which statement costs what; never in the test run).
     */
    public static final String STATEMENT_STATISTICS = "shomei.test.pg-statement-statistics";

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static Server server;

    private TestDatabase() {}

    /** A new, empty database whose name starts with the given prefix, owned by the owner role. */
    public static synchronized Database create(String prefix) {
        Server s = server();
        String name = (prefix.replaceAll("[^a-z0-9_]", "_") + "_" + ProcessHandle.current().pid() + "_"
                + COUNTER.incrementAndGet()).toLowerCase();
        try (Connection c = DriverManager.getConnection(s.adminUrl(), s.user(), s.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name + " OWNER " + OWNER);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name + " on " + s.kind()
                    + " PostgreSQL: " + e.getMessage(), e);
        }
        return new Database(s.baseUrl() + name, OWNER, s.rolePassword(), SERVICE, s.rolePassword(), AUDITOR,
                s.rolePassword());
    }

    /**
     * Drops {@code db} (its connections ended first) and checkpoints, so that its files and most of its WAL leave the
     * disk: for a benchmark whose later steps need the space (the 10M publication).
     */
    public static synchronized void drop(Database db) {
        Server s = server();
        String name = db.jdbcUrl().substring(db.jdbcUrl().lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        try (Connection c = DriverManager.getConnection(s.adminUrl(), s.user(), s.password());
             Statement st = c.createStatement()) {
            st.execute("DROP DATABASE " + name + " WITH (FORCE)");
            st.execute("CHECKPOINT");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop test database " + name + ": " + e.getMessage(), e);
        }
    }

    /** Which kind of server the tests run against: external, testcontainers or embedded. */
    public static synchronized String kind() {
        return server().kind();
    }

    /**
     * The server's administrator (a superuser on the embedded server) connected to {@code db}: for tests that
     * play an attacker with full rights, e.g. one who switches the append-only triggers off.
     */
    public static synchronized Connection connectAsSuperuser(Database db) throws SQLException {
        Server s = server();
        return DriverManager.getConnection(db.jdbcUrl(), s.user(), s.password());
    }

    private static Server server() {
        if (server == null) {
            server = start();
            createRoles(server);
        }
        return server;
    }

    private static Server start() {
        String url = System.getenv("SHOMEI_TEST_DB_URL");
        if (url != null && !url.isBlank()) {
            // e.g. jdbc:postgresql://localhost:5432/postgres; its durability settings are the operator's.
            String user = envOr("SHOMEI_TEST_DB_USER", "postgres");
            String password = envOr("SHOMEI_TEST_DB_PASSWORD", "");
            // Fixed, so that test runs sharing the server do not overwrite each other's role passwords.
            return new Server(url, url.substring(0, url.lastIndexOf('/') + 1), user, password, "external",
                    envOr("SHOMEI_TEST_ROLE_PASSWORD", "shomei-test-only"));
        }
        if (dockerAvailable()) {
            PostgreSQLContainer pg = new PostgreSQLContainer("postgres:17-alpine");
            pg.start();
            String jdbc = pg.getJdbcUrl();
            String base = jdbc.substring(0, jdbc.lastIndexOf('/') + 1);
            return new Server(jdbc, base, pg.getUsername(), pg.getPassword(), "testcontainers", randomPassword());
        }
        try {
            return ServerPort.start(TestDatabase::startEmbedded);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start an embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    /** One attempt on {@code port}, in a data directory of its own (ServerPort retries on a fresh one). */
    private static Server startEmbedded(int port) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "embedded-pg-");
        Path data = dir.resolve("data");
        Path log = dir.resolve("postgresql.log");
        String superuserPassword = randomPassword();
        // initdb reads the superuser's password from a file; kept 0600 next to the data directory.
        Path pwfile = dir.resolve("superuser.password");
        writePrivate(pwfile, superuserPassword + "\n");
        EmbeddedPostgres pg;
        try {
            EmbeddedPostgres.Builder builder = durable(EmbeddedPostgres.builder());
            if (Boolean.getBoolean(STATEMENT_STATISTICS)) {
                // Benchmarks only: what each SQL statement costs the server (docs/benchmarks.md, the RA section).
                builder.setServerConfig("shared_preload_libraries", "pg_stat_statements")
                        .setServerConfig("pg_stat_statements.track", "all")
                        .setServerConfig("track_io_timing", "on")
                        .setServerConfig("track_wal_io_timing", "on");
            }
            pg = ServerPort.listenOn(builder, port, log)
                    .setOverrideWorkingDirectory(dir.toFile())
                    .setDataDirectory(data)
                    .setServerConfig("max_connections", "300")
                    // initdb -A trust is zonky's default; these later options win: passwords only, never trust.
                    .setLocaleConfig("auth", "scram-sha-256")
                    .setLocaleConfig("pwfile", pwfile.toString())
                    .setConnectConfig("password", superuserPassword)
                    .setRegisterShutdownHook(false)
                    .start();
        } catch (IOException e) {
            throw ServerPort.failure(e, port, data, log);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopImmediately(data, pg), "test-postgresql-stop"));
        String base = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/";
        return new Server(base + "postgres", base, "postgres", superuserPassword, "embedded", randomPassword());
    }

    /**
     * Stops the throwaway test server without its shutdown checkpoint (SIGQUIT, PostgreSQL's immediate shutdown):
     * with fsync on, writing back every test database at exit took longer than surefire waits for a fork. The
     * data directory is discarded, so nothing is lost that matters; while the tests ran, every commit was durable.
     */
    private static void stopImmediately(Path data, EmbeddedPostgres pg) {
        try {
            String pid = Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.UTF_8).getFirst().strip();
            Process kill = new ProcessBuilder("kill", "-QUIT", pid).redirectErrorStream(true).start();
            if (kill.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                java.util.Optional<ProcessHandle> postmaster = ProcessHandle.of(Long.parseLong(pid));
                if (postmaster.isPresent()) {
                    postmaster.get().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                }
                return;
            }
            kill.destroyForcibly();
        } catch (Exception e) {
            // fall back to zonky's orderly stop below
        }
        try {
            pg.close();
        } catch (Exception ignored) {
            // the JVM is exiting; the data directory is under target/
        }
    }

    /**
     * The settings every database this project starts must have (docs/database.md): a commit reported to
     * the caller is on disk. zonky passes {@code -F} (fsync off) to the server; {@code -c fsync=on} comes
     * after it on the command line and wins.
     */
    public static EmbeddedPostgres.Builder durable(EmbeddedPostgres.Builder b) {
        return b.setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("password_encryption", "scram-sha-256");
    }

    /** The owner, service and auditor login roles and the group roles the migrations grant to. */
    private static void createRoles(Server s) {
        createRoles(s.adminUrl(), s.user(), s.password(), s.rolePassword(), s.kind());
    }

    static void createRoles(String adminUrl, String adminUser, String adminPassword, String rolePassword, String kind) {
        String pw = rolePassword.replace("'", "''");
        try (Connection c = DriverManager.getConnection(adminUrl, adminUser, adminPassword);
             Statement st = c.createStatement()) {
            for (String group : List.of(SERVICE_ROLE, AUDIT_WRITER_ROLE, AUDIT_READER_ROLE)) {
                createRole(st, group, "NOLOGIN");
            }
            createRole(st, OWNER, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB");
            createRole(st, SERVICE, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB");
            createRole(st, AUDITOR, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB");
            for (String login : List.of(OWNER, SERVICE, AUDITOR)) {
                st.execute("ALTER ROLE " + login + " PASSWORD '" + pw + "'");
            }
            st.execute("GRANT " + SERVICE_ROLE + ", " + AUDIT_WRITER_ROLE + " TO " + SERVICE);
            st.execute("GRANT " + AUDIT_READER_ROLE + " TO " + AUDITOR);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the test roles on " + kind + " PostgreSQL (the admin"
                    + " user needs CREATEROLE): " + e.getMessage(), e);
        }
    }

    private static void createRole(Statement st, String role, String options) throws SQLException {
        // DO blocks cannot take parameters; the names are constants of this class.
        st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role + "') THEN"
                + " CREATE ROLE " + role + " " + options + "; END IF;"
                + " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
    }

    static String randomPassword() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static void writePrivate(Path file, String content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.UTF_8);
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
