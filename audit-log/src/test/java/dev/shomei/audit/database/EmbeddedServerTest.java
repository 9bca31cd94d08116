package dev.shomei.audit.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.testsupport.ServerPort;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL that ra-service and ca-core start by default (and the quickstart runs on): durable
 * commits, password logins only, the passwords in a 0600 file, and separate owner and service roles.
 */
class EmbeddedServerTest {

    @TempDir
    Path dir;

    @Test
    void aNewServerCommitsDurablyAndNeedsAPassword() throws Exception {
        Path data = dir.resolve("ca-db");
        try (EmbeddedServer s = EmbeddedServer.start(data, "ca", 0, dir.resolve("run"))) {
            try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.service().user(), s.service().password());
                 Statement st = c.createStatement()) {
                assertThat(show(st, "fsync")).isEqualTo("on");
                assertThat(show(st, "synchronous_commit")).isEqualTo("on");
                assertThat(show(st, "full_page_writes")).isEqualTo("on");
                DurableSettings d = DurableSettings.of(c);
                assertThat(d.refusals()).isEmpty();
                assertThat(d.warnings()).isEmpty();
            }
            for (String user : new String[] {"postgres", "ca_owner", "ca_service"}) {
                assertThatThrownBy(() -> DriverManager.getConnection(s.jdbcUrl(), user, null).close()).as(user)
                        .isInstanceOf(SQLException.class).hasMessageContaining("password");
                assertThatThrownBy(() -> DriverManager.getConnection(s.jdbcUrl(), user, "guess").close()).as(user)
                        .hasMessageContaining("password authentication failed");
            }
            assertThat(s.passwordFile()).isEqualTo(dir.resolve("ca-db.pgpass"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.passwordFile()))).isEqualTo("rw-------");
            assertThat(Files.readString(s.passwordFile())).contains("*:*:*:ca_service:" + s.service().password());
            try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.owner().user(), s.owner().password());
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ca'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ca_owner");
            }
        }
        // The same directory again: same passwords, data kept.
        try (EmbeddedServer s = EmbeddedServer.start(data, "ca", 0, dir.resolve("run"))) {
            DriverManager.getConnection(s.jdbcUrl(), s.owner().user(), s.owner().password()).close();
        }
    }

    @Test
    void anOldTrustingDataDirectoryIsMadeToRequirePasswords() throws Exception {
        Path data = dir.resolve("ra-db");
        // What earlier versions left behind: zonky's defaults, trust for every local login.
        try (EmbeddedPostgres old = ServerPort.start(() -> EmbeddedPostgres.builder().setCleanDataDirectory(false)
                .setOverrideWorkingDirectory(dir.resolve("run").toFile()), data, dir.resolve("old.log"))) {
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + old.getPort() + "/postgres", "postgres", null).close();
        }
        try (EmbeddedServer s = EmbeddedServer.start(data, "ra", 0, dir.resolve("run"))) {
            assertThatThrownBy(() -> DriverManager.getConnection(s.jdbcUrl(), "postgres", null).close())
                    .hasMessageContaining("password");
            DriverManager.getConnection(s.jdbcUrl(), s.service().user(), s.service().password()).close();
        }
    }

    @Test
    void anyPortIsOneTheServerBindsItselfAndATakenCandidateIsPassedOver() throws Exception {
        Path data = dir.resolve("ca-db");
        try (java.net.ServerSocket held = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            java.util.List<Integer> tried = new java.util.ArrayList<>();
            java.util.Iterator<Integer> candidates = java.util.List.of(held.getLocalPort(), 20_000 + (int) (ProcessHandle
                    .current().pid() % 12_000)).iterator();
            try (EmbeddedServer s = EmbeddedServer.start(data, "ca", 0, dir.resolve("run"), () -> {
                int p = candidates.hasNext() ? candidates.next() : 20_000 + tried.size();
                tried.add(p);
                return p;
            })) {
                assertThat(tried.getFirst()).isEqualTo(held.getLocalPort());
                assertThat(s.port()).isNotEqualTo(held.getLocalPort()).isEqualTo(tried.getLast());
                try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.owner().user(), s.owner().password());
                     Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_database()")) {
                    rs.next();
                    assertThat(rs.getString(1)).isEqualTo("ca");
                }
            }
            // The server's own words for the taken port are in its log, next to the data directory.
            assertThat(Files.readString(dir.resolve("ca-db.log"))).contains("Address already in use");
        }
    }

    private static String show(Statement st, String setting) throws SQLException {
        try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
