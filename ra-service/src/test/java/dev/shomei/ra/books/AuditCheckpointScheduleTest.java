package dev.shomei.ra.books;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.audit.Actor;
import dev.shomei.audit.Checkpoint;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/** The scheduler signs a checkpoint by itself once entries were added (ra.audit.checkpoint-every). */
@QuarkusTest
@TestProfile(AuditCheckpointScheduleTest.EverySecond.class)
@WithTestResource(RaTestEnvironment.class)
class AuditCheckpointScheduleTest {

    public static class EverySecond implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ra.audit.checkpoint-every", "1s");
        }
    }

    @Inject
    AuditTrail trail;

    @Test
    void aCheckpointCoveringNewEntriesAppearsWithoutAnyoneAskingForIt() throws Exception {
        Path file = Path.of(ConfigProvider.getConfig().getValue("ra.audit.publish-directory", String.class))
                .resolve(AuditCheckpointSchedule.CHECKPOINT_FILE);
        Files.deleteIfExists(file); // other test classes publish to the same directory
        QuarkusTransaction.requiringNew().run(() -> trail.append(Actor.system("ra-service", "test"), "test.scheduled",
                "test:scheduled", "scheduled".getBytes(StandardCharsets.UTF_8)));
        long size;
        try (var c = BooksTest.connectAsService(); var st = c.createStatement();
             var rs = st.executeQuery("SELECT seq + 1 FROM audit_head")) {
            rs.next();
            size = rs.getLong(1);
        }
        // Poll with a deadline: the first run is 5 s after start, then every second.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        Checkpoint seen = null;
        while (Instant.now().isBefore(deadline)) {
            if (Files.exists(file)) {
                seen = Checkpoint.parse(Files.readString(file));
                if (seen.treeSize() >= size) {
                    break;
                }
            }
            Thread.sleep(200); // the polling interval; the deadline bounds the wait
        }
        assertThat(seen).as("a checkpoint was published within 60 s").isNotNull();
        assertThat(seen.treeSize()).isGreaterThanOrEqualTo(size);
        assertThat(seen.keyName()).endsWith("object=ra-audit-checkpoint");
        try (var c = BooksTest.connectAsService();
             var ps = c.prepareStatement("SELECT count(*) FROM audit_checkpoint WHERE checkpoint = ?")) {
            ps.setString(1, seen.text());
            try (var rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).as("the published checkpoint is this log's, stored").isEqualTo(1);
            }
        }
    }
}
