package dev.shomei.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A port another process holds is found taken by PostgreSQL's own bind, and the server starts on the next candidate;
 * a restart on a port taken in the meantime fails with the server's own error. The held ports are kept bound and
 * listening by this test for as long as it needs them taken.
 */
class ServerPortTest {

    @TempDir
    Path dir;

    private EmbeddedPostgres startIn(int port) throws IOException {
        Path data = dir.resolve("data-" + port);
        Path log = dir.resolve("postgresql-" + port + ".log");
        try {
            return ServerPort.listenOn(EmbeddedPostgres.builder(), port, log)
                    .setOverrideWorkingDirectory(dir.resolve("run").toFile())
                    .setDataDirectory(data)
                    .setRegisterShutdownHook(false)
                    .start();
        } catch (IOException e) {
            throw ServerPort.failure(e, port, data, log);
        }
    }

    @Test
    void aTakenPortIsToldByTheServersOwnBindAndTheNextCandidateIsUsed() throws Exception {
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Integer> tried = new ArrayList<>();
            int[] next = {held.getLocalPort()};
            EmbeddedPostgres pg = ServerPort.start(() -> {
                int p = next[0];
                next[0] = ThreadLocalRandom.current().nextInt(ServerPort.FIRST, ServerPort.LAST + 1);
                return p;
            }, port -> {
                tried.add(port);
                return startIn(port);
            });
            try (pg; Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.getPort()
                    + "/postgres", "postgres", null); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SHOW data_directory")) {
                assertThat(tried.getFirst()).isEqualTo(held.getLocalPort());
                assertThat(pg.getPort()).isNotEqualTo(held.getLocalPort()).isEqualTo(tried.getLast());
                // The server reached is the one started here, not whoever holds a port.
                rs.next();
                assertThat(Path.of(rs.getString(1))).isEqualTo(dir.resolve("data-" + pg.getPort()));
            }
        }
    }

    @Test
    void whenEveryCandidateIsTakenTheFailureSaysSoAfterAFewTries() {
        List<Integer> tried = new ArrayList<>();
        int[] next = {ServerPort.FIRST};
        assertThatThrownBy(() -> ServerPort.start(() -> next[0]++, p -> {
            tried.add(p);
            throw new ServerPort.PortTaken("port " + p + ": could not bind IPv4 address \"127.0.0.1\": Address already in use");
        })).isInstanceOf(IOException.class).hasMessageContaining("each of " + ServerPort.ATTEMPTS
                + " candidate ports taken").hasMessageContaining("port " + ServerPort.FIRST + ": could not bind");
        assertThat(tried).hasSize(ServerPort.ATTEMPTS).doesNotHaveDuplicates();
    }

    @Test
    void aFailureThatIsNotABindIsReportedWithTheServersLog() throws Exception {
        Path log = dir.resolve("other.log");
        java.nio.file.Files.writeString(log, "FATAL:  data directory \"/x\" has invalid permissions\n");
        IOException e = ServerPort.failure(new IOException("Gave up waiting for server to start after 10000ms"), 20001,
                dir.resolve("none"), log);
        assertThat(e).isNotInstanceOf(ServerPort.PortTaken.class)
                .hasMessageContaining("Gave up waiting").hasMessageContaining("has invalid permissions");
    }

    @Test
    void aRestartOnAPortTakenMeanwhileFailsWithTheServersOwnError() throws Exception {
        try (RestartableDatabase db = RestartableDatabase.start("port_taken")) {
            int port = Integer.parseInt(db.database().jdbcUrl().replaceAll(".*:(\\d+)/.*", "$1"));
            db.crash();
            try (ServerSocket taken = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                assertThatThrownBy(db::restart).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("port " + port).hasMessageContaining("Address already in use");
                assertThat(db.running()).isFalse();
            }
            db.restart();
            try (Connection c = db.database().connect()) {
                assertThat(c.isValid(5)).isTrue();
            }
        }
    }
}
