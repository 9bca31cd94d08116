package dev.shomei.audit.database;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.testsupport.ServerPort;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the RA and the CA check at start-up on an external PostgreSQL: they refuse fsync or synchronous_commit off
 * and warn about full_page_writes off and a superuser login, each message naming the setting and the fix. The
 * server here is zonky's default, which runs with fsync off (-F): exactly what must be refused.
 */
class DurableSettingsTest {

    @TempDir
    Path dir;

    @Test
    void unsafeSettingsAreRefusedOrWarnedAboutByName() throws Exception {
        try (EmbeddedPostgres pg = ServerPort.start(() -> EmbeddedPostgres.builder()
                        .setOverrideWorkingDirectory(dir.resolve("run").toFile()).setServerConfig("full_page_writes", "off"),
                dir.resolve("data"), dir.resolve("postgresql.log"));
             Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres",
                     "postgres", null);
             Statement st = c.createStatement()) {
            // zonky's defaults: fsync off (-F) and synchronous_commit off, both refused.
            DurableSettings s = DurableSettings.of(c);
            assertThat(s.acceptable()).isFalse();
            assertThat(s.refusals()).hasSize(2);
            assertThat(s.refusals().get(0)).contains("fsync is off", "set fsync = on");
            assertThat(s.refusals().get(1)).contains("synchronous_commit is off", "set synchronous_commit = on");
            assertThat(s.refusalMessage("db")).startsWith("refusing to use the database db: ").contains("docs/database.md");
            assertThat(s.warnings()).anySatisfy(w -> assertThat(w).contains("full_page_writes is off",
                    "set full_page_writes = on"));
            assertThat(s.warnings()).anySatisfy(w -> assertThat(w).contains("superuser postgres",
                    "connect as a member of shomei_service"));

            // synchronous_commit is checked as the session has it (per role or database settings included);
            // local still flushes the local WAL before COMMIT returns.
            st.execute("SET synchronous_commit = local");
            assertThat(DurableSettings.of(c).refusals()).singleElement().asString().contains("fsync is off");
        }
    }
}
