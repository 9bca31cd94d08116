package dev.shomei.audit.database;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.logging.Logger;

/**
 * The out-of-the-box PostgreSQL of a component (ra-service, ca-core): an embedded server (io.zonky binaries)
 * whose data persists in a directory, set up as docs/database.md requires of any server:
 * <ul>
 *   <li>durable: {@code fsync}, {@code synchronous_commit} and {@code full_page_writes} on (zonky passes
 *       {@code -F}, fsync off, to the server; the {@code -c} settings given here come after it and win);</li>
 *   <li>passwords only: scram-sha-256 for every connection in pg_hba.conf, never trust; the generated
 *       passwords are kept in {@code <data directory>.pgpass} (mode 0600, the libpq password file format, so
 *       {@code PGPASSFILE=var/ca-db.pgpass psql ...} works);</li>
 *   <li>least privilege: one database owned by the owner role {@code <name>_owner}, which runs the migrations;
 *       the service logs in as {@code <name>_service}, a member of shomei_service and shomei_audit_writer only.</li>
 * </ul>
 * A data directory made by an earlier version (trust authentication, no passwords) is upgraded in place on its
 * next start: passwords are set, then pg_hba.conf is rewritten and reloaded.
 *
 * <p>Zone: the component's own (online for the RA, secure for the CA). Starts a local PostgreSQL process; writes
 * its data directory and the password file next to it.
 */
public final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedServer.class.getName());
    private static final String SUPERUSER = "postgres";
    /**
     * Port 0 means any free port, which PostgreSQL binds itself: a candidate drawn from these, below Linux's
     * ephemeral range (32768–60999, where outgoing connections get their ports), and the next one if the server's
     * own bind finds it taken. No port is found by binding a socket and releasing it (zonky's own choice does that,
     * and another process could take the port in between).
     */
    private static final int FIRST_CANDIDATE = 20_000;
    private static final int LAST_CANDIDATE = 32_767;
    private static final int ATTEMPTS = 8;

    /** One login: a role and its password. */
    public record Login(String user, String password) {}

    private final EmbeddedPostgres postgres;
    private final String database;
    private final Login owner;
    private final Login service;
    private final Path passwordFile;

    private EmbeddedServer(EmbeddedPostgres postgres, String database, Login owner, Login service, Path passwordFile) {
        this.postgres = postgres;
        this.database = database;
        this.owner = owner;
        this.service = service;
        this.passwordFile = passwordFile;
    }

    /**
     * Starts (initialising on first use) the server in {@code dataDirectory}.
     *
     * @param name     the component: the database and the {@code <name>_owner}/{@code <name>_service} roles
     * @param port     the port on localhost, or 0 for any free one (one the server binds itself, see above)
     * @param workDir  where zonky unpacks the PostgreSQL binaries, or null for its default
     */
    public static EmbeddedServer start(Path dataDirectory, String name, int port, Path workDir) throws IOException {
        return start(dataDirectory, name, port, workDir,
                () -> ThreadLocalRandom.current().nextInt(FIRST_CANDIDATE, LAST_CANDIDATE + 1));
    }

    /** As above, with the candidates for port 0 drawn from {@code candidates}. */
    static EmbeddedServer start(Path dataDirectory, String name, int port, Path workDir, IntSupplier candidates)
            throws IOException {
        if (!name.matches("[a-z][a-z0-9_]{0,40}")) {
            throw new IllegalArgumentException("database name '" + name + "' must be lowercase letters, digits, _");
        }
        Path data = dataDirectory.toAbsolutePath().normalize();
        Files.createDirectories(data.getParent());
        Path pgpass = data.resolveSibling(data.getFileName() + ".pgpass");
        Map<String, String> passwords = readOrCreatePasswords(pgpass, List.of(SUPERUSER, name + "_owner", name + "_service"));
        String superPw = passwords.get(SUPERUSER);
        EmbeddedPostgres pg = null;
        List<String> taken = new ArrayList<>();
        while (pg == null) {
            int candidate = port > 0 ? port : candidates.getAsInt();
            try {
                pg = startOn(data, candidate, port == 0, superPw, workDir);
            } catch (PortTaken e) {
                taken.add(e.getMessage());
                if (taken.size() == ATTEMPTS) {
                    throw new IOException("the embedded PostgreSQL in " + data + " found each of " + ATTEMPTS
                            + " candidate ports taken: " + taken);
                }
            }
        }
        try {
            String admin = "jdbc:postgresql://localhost:" + pg.getPort() + "/postgres";
            Login owner = new Login(name + "_owner", passwords.get(name + "_owner"));
            Login service = new Login(name + "_service", passwords.get(name + "_service"));
            try (Connection c = DriverManager.getConnection(admin, SUPERUSER, superPw); Statement st = c.createStatement()) {
                requirePasswords(c, st, data, superPw);
                createRoles(st, owner, service);
                try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                    if (!rs.next()) {
                        st.execute("CREATE DATABASE " + name + " OWNER " + owner.user());
                    }
                }
                legacyDataWarning(st, name);
            }
            return new EmbeddedServer(pg, name, owner, service, pgpass);
        } catch (SQLException | RuntimeException e) {
            pg.close();
            throw new IOException("the embedded PostgreSQL in " + data + " started, but setting up its roles and"
                    + " database failed: " + e.getMessage(), e);
        }
    }

    /**
     * One start on {@code port}. With {@code anyPort}, the server's output goes to {@code <data directory>.log}, and
     * a start that fails because the server's own bind found the port taken throws {@link PortTaken} (the caller
     * tries another candidate); any other failure is reported with the end of that log.
     */
    private static EmbeddedPostgres startOn(Path data, int port, boolean anyPort, String superPw, Path workDir)
            throws IOException {
        boolean fresh = !Files.exists(data.resolve("postgresql.conf"));
        Path pwfile = null;
        Path log = data.resolveSibling(data.getFileName() + ".log");
        EmbeddedPostgres.Builder b = durable(EmbeddedPostgres.builder())
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setPort(port)
                // Used by zonky's readiness check; ignored by a server that still trusts (an old data directory).
                .setConnectConfig("password", superPw);
        if (anyPort) {
            b.setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        if (workDir != null) {
            b.setOverrideWorkingDirectory(workDir.toFile());
        }
        if (fresh) {
            // initdb -A trust is zonky's default; these options come after it and win.
            pwfile = Files.createTempFile(data.getParent(), ".initdb-", ".pw",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(pwfile, superPw + "\n", StandardCharsets.UTF_8);
            b.setLocaleConfig("auth", "scram-sha-256").setLocaleConfig("pwfile", pwfile.toString());
        }
        long logStart = anyPort && Files.exists(log) ? Files.size(log) : 0;
        List<String> pidBefore = postmasterPid(data);
        try {
            return b.start();
        } catch (IOException e) {
            if (!anyPort) {
                throw e;
            }
            stopLeftover(data, port, pidBefore);
            // zonky does not release its lock on <data>/epg-lock when a start fails, and a second lock on that file
            // in this JVM would throw; the next attempt locks a new file of that name.
            Files.deleteIfExists(data.resolve("epg-lock"));
            String said = logSince(log, logStart);
            if (said.contains("Address already in use") || said.contains("could not create any TCP/IP sockets")
                    || said.contains("could not create lock file \"/tmp/.s.PGSQL.")) {
                throw new PortTaken("port " + port + ": " + said.lines().filter(l -> l.contains("Address already in use"))
                        .map(String::strip).findFirst().orElse("could not create any TCP/IP sockets"));
            }
            List<String> lines = said.lines().toList();
            throw new IOException(e.getMessage() + "; the server's log (" + log + ") ends: "
                    + String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size())), e);
        } finally {
            if (pwfile != null) {
                Files.deleteIfExists(pwfile);
            }
        }
    }

    /** The server's own bind failed: its port is taken. */
    private static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private static String logSince(Path log, long offset) {
        try {
            byte[] all = Files.exists(log) ? Files.readAllBytes(log) : new byte[0];
            return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The lines of {@code <data>/postmaster.pid} (PID, data directory, start time, port, ...), or empty. */
    private static List<String> postmasterPid(Path data) {
        try {
            return Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Stops a postmaster this failed start left running (bound to one of localhost's addresses, or just slow): only
     * one whose postmaster.pid was written by this start (it differs from {@code before}) for this port, never a
     * server someone else runs on the directory.
     */
    private static void stopLeftover(Path data, int port, List<String> before) {
        try {
            List<String> now = postmasterPid(data);
            if (now.size() < 4 || now.equals(before) || !now.get(3).strip().equals(Integer.toString(port))) {
                return;
            }
            long pid = Long.parseLong(now.getFirst().strip());
            // A postgres process: a PID left in a stale file may since belong to something else.
            Optional<ProcessHandle> postmaster = ProcessHandle.of(pid)
                    .filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
            if (postmaster.isPresent()) {
                // SIGINT: PostgreSQL's fast shutdown (nothing was committed by this start).
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(pid)).redirectErrorStream(true).start();
                if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                    kill.destroyForcibly();
                }
                postmaster.get().onExit().get(60, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warning("could not stop the PostgreSQL a failed start left in " + data + ": " + e.getMessage());
        }
    }

    /** The durable settings (docs/database.md) on a zonky builder. */
    public static EmbeddedPostgres.Builder durable(EmbeddedPostgres.Builder b) {
        return b.setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("password_encryption", "scram-sha-256")
                .setServerConfig("listen_addresses", "localhost");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database;
    }

    public int port() {
        return postgres.getPort();
    }

    /** The role that owns the tables and runs the migrations. */
    public Login owner() {
        return owner;
    }

    /** The role the service connects as: no ownership, no DELETE, no TRUNCATE, no trigger control. */
    public Login service() {
        return service;
    }

    public Path passwordFile() {
        return passwordFile;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            // stopping on exit; PostgreSQL recovers from its WAL at the next start
        }
    }

    // An old data directory (trust for everyone) gets its superuser password first, then pg_hba.conf rewritten.
    private static void requirePasswords(Connection c, Statement st, Path data, String superPw) throws SQLException {
        long trusting;
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method NOT IN"
                + " ('scram-sha-256', 'reject')")) {
            rs.next();
            trusting = rs.getLong(1);
        }
        if (trusting == 0) {
            return;
        }
        st.execute("SET password_encryption = 'scram-sha-256'");
        st.execute("ALTER ROLE " + SUPERUSER + " PASSWORD '" + superPw.replace("'", "''") + "'");
        try {
            Files.writeString(data.resolve("pg_hba.conf"), """
                    # Written by Shomei (docs/database.md): password (scram-sha-256) logins only, local connections only.
                    # TYPE  DATABASE  USER  ADDRESS        METHOD
                    local   all       all                  scram-sha-256
                    host    all       all   127.0.0.1/32   scram-sha-256
                    host    all       all   ::1/128        scram-sha-256
                    """, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + data.resolve("pg_hba.conf") + ": " + e.getMessage(), e);
        }
        st.execute("SELECT pg_reload_conf()");
        LOG.warning("the embedded PostgreSQL in " + data + " accepted logins without a password; it now requires"
                + " scram-sha-256 passwords (kept in " + data.getFileName() + ".pgpass)");
    }

    private static void createRoles(Statement st, Login owner, Login service) throws SQLException {
        for (String group : List.of("shomei_service", "shomei_audit_writer", "shomei_audit_reader")) {
            createRole(st, group, "NOLOGIN");
        }
        createRole(st, owner.user(), "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
        createRole(st, service.user(), "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
        st.execute("SET password_encryption = 'scram-sha-256'");
        for (Login l : List.of(owner, service)) {
            st.execute("ALTER ROLE " + l.user() + " PASSWORD '" + l.password().replace("'", "''") + "'");
        }
        st.execute("GRANT shomei_service, shomei_audit_writer TO " + service.user());
    }

    private static void createRole(Statement st, String role, String options) throws SQLException {
        st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + role + "') THEN CREATE ROLE "
                + role + " " + options + "; END IF; END $$");
    }

    private static void legacyDataWarning(Statement st, String name) throws SQLException {
        // Before owner and service roles, the component kept its tables in database "postgres" as the superuser.
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
            rs.next();
            if (rs.getLong(1) > 0) {
                LOG.warning("database 'postgres' of this embedded server holds tables from an earlier version; the"
                        + " component now uses database '" + name + "' (owned by " + name + "_owner). Copy the"
                        + " records over with pg_dump/pg_restore if you need them (docs/database.md).");
            }
        }
    }

    private static Map<String, String> readOrCreatePasswords(Path pgpass, List<String> users) throws IOException {
        Map<String, String> pw = new LinkedHashMap<>();
        if (Files.exists(pgpass)) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(pgpass);
            if (perms.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                throw new IOException(pgpass + " holds the database passwords but others can read it; chmod 600 " + pgpass);
            }
            for (String line : Files.readAllLines(pgpass, StandardCharsets.UTF_8)) {
                String[] f = line.split(":", 5);
                if (f.length == 5 && !line.startsWith("#")) {
                    pw.put(f[3], f[4]);
                }
            }
        }
        boolean changed = false;
        for (String u : users) {
            if (!pw.containsKey(u)) {
                byte[] b = new byte[24];
                new SecureRandom().nextBytes(b);
                pw.put(u, HexFormat.of().formatHex(b));
                changed = true;
            }
        }
        if (changed) {
            StringBuilder s = new StringBuilder("# Generated by Shomei: passwords of the embedded PostgreSQL"
                    + " (hostname:port:database:username:password, libpq's password file format).\n");
            pw.forEach((u, p) -> s.append("*:*:*:").append(u).append(':').append(p).append('\n'));
            Files.createDirectories(pgpass.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(pgpass.toAbsolutePath().getParent(), ".pgpass-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, s.toString(), StandardCharsets.UTF_8);
            Files.move(tmp, pgpass, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return pw;
    }
}
