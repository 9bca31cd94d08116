package dev.shomei.ra.books;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.VerificationReport;
import dev.shomei.audit.cli.AuditCli;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RA anchors its audit log: checkpoints signed with its own key in the HSM (not the order-signing key),
 * stored, and written with their consistency proof to the publish directory, where `audit monitor` checks them.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class AuditCheckpointTest {

    @Inject
    AuditCheckpointSchedule checkpoints;
    @Inject
    AuditTrail trail;

    @TempDir
    Path dir;

    private void appendEvents(int n) {
        for (int i = 0; i < n; i++) {
            int k = i;
            QuarkusTransaction.requiringNew().run(() -> trail.append(Actor.system("ra-service", "test"),
                    "test.event", "test:" + k, ("event " + k).getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void checkpointsAreSignedWithTheRasOwnKeyPublishedAndMonitored() throws Exception {
        checkpoints.signIfGrown(); // whatever other tests of this application left unanchored
        appendEvents(3);
        Checkpoint first = checkpoints.signIfGrown().orElseThrow();
        assertThat(first.keyName()).endsWith("object=ra-audit-checkpoint");
        assertThat(checkpoints.signIfGrown()).as("nothing new to sign").isEmpty();

        Path publish = Path.of(ConfigProvider.getConfig().getValue("ra.audit.publish-directory", String.class));
        Path cpFile = publish.resolve(AuditCheckpointSchedule.CHECKPOINT_FILE);
        assertThat(Files.readString(cpFile)).isEqualTo(first.text());
        Path key = Files.writeString(dir.resolve("ra-audit.pem"), dev.shomei.audit.TrustedKeys.toPem(
                checkpoints.signer().orElseThrow().publicKey()));
        Path state = dir.resolve("monitor");
        // A monitor outside the operator's control: first sight, then the next checkpoint with its published proof.
        assertThat(monitor(state, key, cpFile, null)).contains("RESULT: CONSISTENT");
        Path firstCopy = Files.copy(cpFile, dir.resolve("first.txt"));

        appendEvents(4);
        Checkpoint second = checkpoints.signIfGrown().orElseThrow();
        assertThat(second.treeSize()).isGreaterThan(first.treeSize());
        String out = monitor(state, key, cpFile, publish.resolve(AuditCheckpointSchedule.PROOF_FILE));
        assertThat(out).contains("consistent with the checkpoint of size " + first.treeSize(), "RESULT: CONSISTENT");

        // The database verifies against its checkpoints and against the published ones.
        var config = ConfigProvider.getConfig();
        try (Connection c = java.sql.DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class))) {
            VerificationReport r = new AuditVerifier(List.of(checkpoints.signer().orElseThrow().publicKey()))
                    .verify(c, List.of(Checkpoint.parse(Files.readString(firstCopy)), Checkpoint.parse(Files.readString(cpFile))));
            assertThat(r.ok()).as(r.render()).isTrue();
        }
    }

    private static String monitor(Path state, Path key, Path checkpoint, Path proof) {
        StringWriter out = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("monitor", "--state", state.toString(), "--trusted-key",
                key.toString(), "--checkpoint", checkpoint.toString()));
        if (proof != null) {
            args.addAll(List.of("--proof", proof.toString()));
        }
        int code = AuditCli.execute(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
        assertThat(code).as(out.toString()).isZero();
        return out.toString();
    }
}
