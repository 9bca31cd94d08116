package dev.shomei.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An embedded PostgreSQL of its own that a test can crash and start again on the same data directory, for the
 * fault suite (docs/faults.md). Set up like {@link TestDatabase}'s server (durable commits, scram-sha-256
 * passwords only, owner/service/auditor roles) with one database, on one port for its whole life so that the JDBC
 * URL a CA was configured with stays valid across restarts. The port is one the server bound itself at the first
 * start ({@link ServerPort}), never one found by binding and releasing a socket.
 *
 * <p>{@link #crash()} is a real crash: SIGKILL to the postmaster and every backend at once; no shutdown
 * checkpoint, no clean exit. {@link #restart()} starts PostgreSQL again on the same data directory, which
 * replays its write-ahead log: what was committed is there, nothing else.
 *
 * <p>Zone: tests only. Starts and kills PostgreSQL processes it started; writes under {@code java.io.tmpdir}.
 */
public final class RestartableDatabase implements AutoCloseable {

    private final Path dir;
    private final Path data;
    private final int port;
    private final String superuserPassword;
    private final TestDatabase.Database database;
    private EmbeddedPostgres postgres;
    private int crashes;

    private RestartableDatabase(Path dir, int port, String superuserPassword, TestDatabase.Database database) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
        this.superuserPassword = superuserPassword;
        this.database = database;
    }

    /**
     * Initialises and starts a server with one database whose name starts with {@code prefix}, on a port the server
     * binds itself ({@link ServerPort}); the port is kept for {@link #restart()}.
     */
    public static RestartableDatabase start(String prefix) {
        try {
            return ServerPort.start(port -> startOn(prefix, port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a restartable embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static RestartableDatabase startOn(String prefix, int port) throws IOException {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "restartable-pg-");
        String superPw = TestDatabase.randomPassword();
        TestDatabase.writePrivate(dir.resolve("superuser.password"), superPw + "\n");
        String rolePw = TestDatabase.randomPassword();
        String base = "jdbc:postgresql://127.0.0.1:" + port + "/";
        String name = (prefix.replaceAll("[^a-z0-9_]", "_") + "_" + ProcessHandle.current().pid()).toLowerCase();
        RestartableDatabase r = new RestartableDatabase(dir, port, superPw, new TestDatabase.Database(base + name,
                TestDatabase.OWNER, rolePw, TestDatabase.SERVICE, rolePw, TestDatabase.AUDITOR, rolePw));
        try {
            r.postgres = r.builder()
                    // initdb -A trust is zonky's default; these later options win: passwords only, never trust.
                    .setLocaleConfig("auth", "scram-sha-256")
                    .setLocaleConfig("pwfile", dir.resolve("superuser.password").toString())
                    .start();
        } catch (IOException e) {
            throw ServerPort.failure(e, port, r.data, r.log());
        }
        try {
            TestDatabase.createRoles(base + "postgres", "postgres", superPw, rolePw, "restartable embedded");
            try (Connection c = DriverManager.getConnection(base + "postgres", "postgres", superPw);
                 Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE " + name + " OWNER " + TestDatabase.OWNER);
            }
            return r;
        } catch (SQLException | RuntimeException e) {
            r.close();
            throw new IOException("the restartable PostgreSQL started on port " + port + " but setting it up failed: "
                    + e.getMessage(), e);
        }
    }

    private Path log() {
        return dir.resolve("postgresql.log");
    }

    private EmbeddedPostgres.Builder builder() {
        return ServerPort.listenOn(TestDatabase.durable(EmbeddedPostgres.builder()), port, log())
                .setOverrideWorkingDirectory(dir.toFile())
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "100")
                .setConnectConfig("password", superuserPassword)
                .setRegisterShutdownHook(false);
    }

    public TestDatabase.Database database() {
        return database;
    }

    /** How many times this server was crashed. */
    public int crashes() {
        return crashes;
    }

    /**
     * SIGKILL to the postmaster and all its children, then waits (30 s at most) until they are gone. Every
     * connection breaks; uncommitted transactions are lost, committed ones are in the WAL.
     */
    public void crash() {
        long pid = postmasterPid();
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow(() ->
                new IllegalStateException("PostgreSQL's postmaster " + pid + " is not running"));
        List<ProcessHandle> all = new java.util.ArrayList<>(postmaster.descendants().toList());
        all.add(0, postmaster);
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("PostgreSQL process " + p.pid() + " did not die within 30 s", e);
            }
        }
        // pg_ctl stop finds no server (zonky logs that as SEVERE, with a stack trace: silenced here, it is the point),
        // then zonky releases its lock on the data directory so that restart() can take it.
        java.util.logging.Logger zonky = java.util.logging.Logger.getLogger(EmbeddedPostgres.class.getName());
        java.util.logging.Level level = zonky.getLevel();
        zonky.setLevel(java.util.logging.Level.OFF);
        try {
            postgres.close();
        } catch (IOException | RuntimeException e) {
            // expected: the server is already dead
        } finally {
            zonky.setLevel(level);
        }
        postgres = null;
        crashes++;
    }

    /**
     * Starts PostgreSQL again on the same data directory and port (crash recovery replays the WAL). The port is the
     * one the JDBC URL names, so there is no other to try: if another process took it while the server was down,
     * this fails with the server's own error.
     */
    public void restart() {
        if (postgres != null) {
            throw new IllegalStateException("the server is running; crash() it first");
        }
        try {
            // zonky's lock on the data directory from the previous start is released when it is closed in crash().
            postgres = builder().start();
        } catch (IOException e) {
            IOException why = ServerPort.failure(e, port, data, log());
            throw new IllegalStateException("cannot restart the embedded PostgreSQL on " + data + " and port " + port
                    + ": " + why.getMessage(), why);
        }
    }

    public boolean running() {
        return postgres != null;
    }

    private long postmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().strip());
        } catch (IOException e) {
            throw new IllegalStateException("no postmaster.pid in " + data + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server for good (immediately: the data directory is thrown away with the test). */
    @Override
    public void close() {
        if (postgres != null) {
            crash();
        }
    }
}
