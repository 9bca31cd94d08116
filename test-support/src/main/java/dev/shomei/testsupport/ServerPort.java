package dev.shomei.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Gives an embedded PostgreSQL a port that PostgreSQL binds itself. No port is found by binding a socket and
 * releasing it (zonky's own choice when no port is set does that): between the release and the server's bind,
 * another test could take the port, and the connections meant for this server would reach that one.
 *
 * <p>A candidate is drawn at random from {@value #FIRST}–{@value #LAST}, below Linux's ephemeral range (32768–60999,
 * {@code net.ipv4.ip_local_port_range}), so no outgoing connection holds it. The server listens on 127.0.0.1 only
 * and without a Unix-domain socket ({@link #listenOn(EmbeddedPostgres.Builder, int, Path)}), so its one bind either
 * succeeds or it exits with "could not create any TCP/IP sockets". That error, in the server's own log, is what tells
 * a taken port from any other failure; then the next candidate is tried, on a fresh data directory (the caller's
 * {@link Attempt} makes one). Any other failure is reported at once with the log.
 *
 * <p>Zone: tests only. Reads the server's log; stops a server it failed to start.
 */
public final class ServerPort {

    static final int FIRST = 20_000;
    static final int LAST = 32_767;
    static final int ATTEMPTS = 8;

    /** One start on a given port; throws what {@link #failure} makes of the failure. */
    @FunctionalInterface
    public interface Attempt<T> {
        T start(int port) throws IOException;
    }

    /** The server's own bind failed: its port is taken. */
    public static final class PortTaken extends IOException {
        PortTaken(String message) {
            super(message);
        }
    }

    private ServerPort() {}

    /** Runs {@code attempt} on random candidate ports until one is started on a port no one else holds. */
    public static <T> T start(Attempt<T> attempt) throws IOException {
        return start(() -> ThreadLocalRandom.current().nextInt(FIRST, LAST + 1), attempt);
    }

    /**
     * Starts the server {@code builder} describes (whatever it says about the port, listen addresses and output is
     * overridden), with its data in {@code data}, on a port it binds itself; its output is appended to {@code log}.
     */
    public static EmbeddedPostgres start(Supplier<EmbeddedPostgres.Builder> builder, Path data, Path log)
            throws IOException {
        return start(port -> {
            try {
                return listenOn(builder.get(), port, log).setDataDirectory(data).start();
            } catch (IOException e) {
                throw failure(e, port, data, log);
            }
        });
    }

    static <T> T start(IntSupplier candidates, Attempt<T> attempt) throws IOException {
        List<String> taken = new ArrayList<>();
        for (int i = 0; i < ATTEMPTS; i++) {
            int port = candidates.getAsInt();
            try {
                return attempt.start(port);
            } catch (PortTaken e) {
                taken.add(e.getMessage());
            }
        }
        throw new IOException("PostgreSQL found each of " + ATTEMPTS + " candidate ports taken: " + taken);
    }

    /**
     * The settings that make a bind failure fatal and visible: one listen address, no Unix-domain socket (its lock
     * file in /tmp is shared by every server on the machine), and the server's output appended to {@code log}.
     */
    public static EmbeddedPostgres.Builder listenOn(EmbeddedPostgres.Builder b, int port, Path log) {
        return b.setPort(port)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("unix_socket_directories", "")
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    /**
     * What a failed start means: {@link PortTaken} when the server's log says its bind failed, else the failure with
     * the end of the log. Either way a postmaster still running in {@code data} (one that started too slowly for
     * zonky's wait) is stopped, so no server outlives a failed attempt.
     */
    public static IOException failure(IOException e, int port, Path data, Path log) {
        stopLeftover(data, port);
        releaseLock(data);
        String text = read(log);
        if (text.contains("could not create any TCP/IP sockets") || text.contains("Address already in use")) {
            return new PortTaken("port " + port + ": " + line(text, "Address already in use")
                    .orElse("could not create any TCP/IP sockets"));
        }
        return new IOException(e.getMessage() + "; the server's log (" + log + ") ends: " + tail(text), e);
    }

    private static void stopLeftover(Path data, int port) {
        Path pidFile = data.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            // Line 4 is the port: only the server this attempt started (test directories are the tests' own).
            if (lines.size() < 4 || !lines.get(3).strip().equals(Integer.toString(port))) {
                return;
            }
            long pid = Long.parseLong(lines.getFirst().strip());
            // A postgres process: a PID left in a stale file may since belong to something else.
            Optional<ProcessHandle> postmaster = ProcessHandle.of(pid)
                    .filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false));
            if (postmaster.isPresent()) {
                // SIGQUIT: PostgreSQL's immediate shutdown; the data directory is thrown away with the attempt.
                Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).redirectErrorStream(true).start();
                if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                    kill.destroyForcibly();
                }
                postmaster.get().onExit().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception ignored) {
            // best effort: the attempt has failed already, and that is what is reported
        }
    }

    /**
     * zonky locks {@code epg-lock} in the data directory and does not release the lock when its start fails; in this
     * JVM a second lock on that file would throw OverlappingFileLockException. Removing the file lets the next start
     * on this directory lock a new one (locks belong to the file, not its name).
     */
    private static void releaseLock(Path data) {
        try {
            Files.deleteIfExists(data.resolve("epg-lock"));
        } catch (IOException ignored) {
            // then the next start on this directory reports the lock itself
        }
    }

    static String read(Path log) {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static Optional<String> line(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).map(String::strip).findFirst();
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    }
}
