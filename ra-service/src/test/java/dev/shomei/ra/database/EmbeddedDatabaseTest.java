package dev.shomei.ra.database;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * The RA's out-of-the-box database, as the config source hands it to Quarkus: durable commits, password logins
 * only, the service login separate from the owner that Flyway migrates as.
 */
class EmbeddedDatabaseTest {

    @TempDir
    Path dir;

    @Test
    void theDefaultDatabaseIsDurableNeedsPasswordsAndSeparatesOwnerAndService() throws Exception {
        // Port 0: one the server binds itself (audit-log EmbeddedServer), never one found by binding and releasing.
        EmbeddedDatabase source = new EmbeddedDatabase(dir.resolve("ra-db").toString(), 0);
        String url = source.getValue("quarkus.datasource.jdbc.url");
        String service = source.getValue("quarkus.datasource.username");
        String owner = source.getValue("quarkus.flyway.username");
        assertThat(url).matches("jdbc:postgresql://localhost:[1-9][0-9]*/ra");
        assertThat(service).isEqualTo("ra_service");
        assertThat(owner).isEqualTo("ra_owner");
        try (Connection c = DriverManager.getConnection(url, service, source.getValue("quarkus.datasource.password"));
             Statement st = c.createStatement()) {
            for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
                try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
                    rs.next();
                    assertThat(rs.getString(1)).as(setting).isEqualTo("on");
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'ra'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(owner);
            }
        }
        DriverManager.getConnection(url, owner, source.getValue("quarkus.flyway.password")).close();
        for (String user : new String[] {"postgres", owner, service}) {
            assertThatThrownBy(() -> DriverManager.getConnection(url, user, null).close()).as(user)
                    .isInstanceOf(SQLException.class).hasMessageContaining("password");
        }
        Path pgpass = dir.resolve("ra-db.pgpass");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pgpass))).isEqualTo("rw-------");
    }
}
