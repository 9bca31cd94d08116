package dev.shomei.evidence.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.audit.database.EmbeddedServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --ca-embedded}: the evidence command reads a CA whose records are in its embedded PostgreSQL (the
 * quickstart's), which runs only while a ca command does. The command starts it, reads it read-only as the service
 * role, and stops it again, so that the next ca command can start it.
 *
 * <p>Zone: tests only. A real embedded PostgreSQL in a temporary directory.
 */
class EmbeddedCaDatabaseTest {

    @TempDir
    Path dir;

    @Test
    void theCasEmbeddedDatabaseIsStartedReadOnlyForTheCommandAndStoppedAfter() throws Exception {
        Path data = dir.resolve("ca-db");
        // As ca-core leaves it: a data directory with the CA's database, its tables readable by the service role.
        try (EmbeddedServer ca = EmbeddedServer.start(data, "ca", 0, dir.resolve("ca-db-run"));
             Connection c = DriverManager.getConnection(ca.jdbcUrl(), ca.owner().user(), ca.owner().password());
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE certificate (serial text PRIMARY KEY)");
            st.execute("INSERT INTO certificate VALUES ('1a2b')");
            st.execute("GRANT SELECT, INSERT ON certificate TO shomei_service");
        }
        EvidenceCli.Databases dbs = new EvidenceCli.Databases();
        dbs.caEmbedded = data;

        try (dbs; Connection ca = dbs.caOrNull(); Statement st = ca.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT serial FROM certificate")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("1a2b");
            }
            // The evidence command never writes the CA's records, even where the role could.
            assertThatThrownBy(() -> st.execute("INSERT INTO certificate VALUES ('ffff')"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
        }

        // Stopped: the next ca command can start the server on the same data directory.
        try (EmbeddedServer again = EmbeddedServer.start(data, "ca", 0, dir.resolve("ca-db-run"))) {
            assertThat(again.port()).isPositive();
        }
    }

    @Test
    void aDirectoryThatIsNoDataDirectoryIsRefusedWithoutCreatingOne() {
        EvidenceCli.Databases dbs = new EvidenceCli.Databases();
        dbs.caEmbedded = dir.resolve("typo-ca-db");

        assertThatThrownBy(dbs::caOrNull).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("typo-ca-db", "postgresql.conf", "database.embedded");
        assertThat(dir.resolve("typo-ca-db")).doesNotExist();
    }
}
