package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `audit monitor`, run by someone outside the operator's control: it keeps the checkpoints it has seen and
 * accepts a new one only with a consistency proof; a rewritten or forked history is reported with exit code 1.
 * A rewritten history is played by a second database holding the same log's origin, signed with the same key
 * (an insider who holds the checkpoint key and rebuilt the log).
 */
class MonitorTest {

    @TempDir
    Path dir;

    private LogFixture.CliResult monitor(LogFixture f, Object... more) throws Exception {
        return LogFixture.cli(LogFixture.args("monitor", "--state", dir.resolve("state"), "--trusted-key",
                f.trustedKeyFile(dir), LogFixture.args(more)));
    }

    /** Writes what an operator publishes next to the CRLs: the checkpoint and the proof from the previous one. */
    private Path[] publish(LogFixture f, Checkpoint cp, String name) throws Exception {
        Path cpFile = Files.writeString(dir.resolve(name + ".checkpoint"), cp.text(), StandardCharsets.UTF_8);
        try (Connection c = f.connect()) {
            Path proofFile = Files.writeString(dir.resolve(name + ".proof"), f.log.proofFromPrevious(c, cp).text());
            return new Path[] {cpFile, proofFile};
        }
    }

    @Test
    void aGrowingLogIsAcceptedWithThePublishedProofs() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 5);
        Path[] first = publish(f, f.checkpoint(), "first");
        LogFixture.CliResult r = monitor(f, "--checkpoint", first[0]);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("first checkpoint of this log, stored", "RESULT: CONSISTENT");

        f.appendAll(5, 12);
        Path[] second = publish(f, f.checkpoint(), "second");
        r = monitor(f, "--checkpoint", second[0], "--proof", second[1]);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("checkpoint of size 12", "consistent with the checkpoint of size 5 seen before");
        // Seen again: nothing new.
        r = monitor(f, "--checkpoint", second[0]);
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("was seen before");
        assertThat(new CheckpointMonitor(dir.resolve("state"), List.of(f.keys.getPublic())).seen(LogFixture.ORIGIN))
                .containsOnlyKeys(5L, 12L);
    }

    @Test
    void theLogsDatabaseCanServeTheProofInstead() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 3);
        assertThat(monitor(f, "--checkpoint", publish(f, f.checkpoint(), "a")[0]).exitCode()).isZero();
        f.appendAll(3, 9);
        Path cp = publish(f, f.checkpoint(), "b")[0];
        LogFixture.CliResult r = monitor(f, "--checkpoint", cp, "--db-url", f.db.jdbcUrl(), "--db-user",
                f.db.auditorUser(), "--db-password-file", Files.writeString(dir.resolve("pw"), f.db.auditorPassword()));
        assertThat(r.exitCode()).as(r.all()).isZero();
        assertThat(r.out()).contains("consistent with the checkpoint of size 3");
    }

    @Test
    void aRewrittenHistoryIsReported() throws Exception {
        LogFixture real = LogFixture.create();
        real.appendAll(0, 5);
        assertThat(monitor(real, "--checkpoint", publish(real, real.checkpoint(), "real")[0]).exitCode()).isZero();

        // The same log name and key, but entry 2 differs: a history rebuilt after the fact, and extended.
        LogFixture rewritten = LogFixture.create(real.keys);
        rewritten.appendAll(0, 2);
        rewritten.appendAll(7, 8);
        rewritten.appendAll(3, 9);
        Path[] forged = publish(rewritten, rewritten.checkpoint(), "forged");
        // The best proof the forger can publish: from size 5 to 9 over the rewritten entries.
        try (Connection c = rewritten.connect()) {
            Files.writeString(forged[1], new PublishedProof(LogFixture.ORIGIN, rewritten.log.proveConsistency(c, 5, 9)).text());
        }
        LogFixture.CliResult r = monitor(real, "--checkpoint", forged[0], "--proof", forged[1]);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL  REWRITTEN: log " + LogFixture.ORIGIN + ": checkpoint of size 9",
                "not consistent with the checkpoint of size 5 seen before", "RESULT: FAILED");
        // A forged proof cannot help either: the proof from the rewritten database is checked against both roots.
        r = monitor(real, "--checkpoint", forged[0], "--db-url", rewritten.db.jdbcUrl(), "--db-user",
                rewritten.db.auditorUser(), "--db-password-file",
                Files.writeString(dir.resolve("pw"), rewritten.db.auditorPassword()));
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        // The forged checkpoint was not stored: the monitor still holds only the real one.
        assertThat(new CheckpointMonitor(dir.resolve("state"), List.of(real.keys.getPublic())).seen(LogFixture.ORIGIN))
                .containsOnlyKeys(5L);
    }

    @Test
    void aForkIsReported() throws Exception {
        LogFixture real = LogFixture.create();
        real.appendAll(0, 5);
        assertThat(monitor(real, "--checkpoint", publish(real, real.checkpoint(), "real")[0]).exitCode()).isZero();
        LogFixture other = LogFixture.create(real.keys);
        other.appendAll(1, 6);
        LogFixture.CliResult r = monitor(real, "--checkpoint", publish(other, other.checkpoint(), "other")[0]);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("FAIL  FORK: log " + LogFixture.ORIGIN + ": checkpoint of size 5",
                "the log signed two different histories");
    }

    @Test
    void aCheckpointByAnotherKeyIsRefusedAndAMissingProofIsNotAGuess() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 2);
        LogFixture stranger = LogFixture.create();
        stranger.appendAll(0, 2);
        LogFixture.CliResult r = monitor(f, "--checkpoint", publish(stranger, stranger.checkpoint(), "s")[0]);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("is not signed by a trusted key");

        assertThat(monitor(f, "--checkpoint", publish(f, f.checkpoint(), "a")[0]).exitCode()).isZero();
        f.appendAll(2, 4);
        r = monitor(f, "--checkpoint", publish(f, f.checkpoint(), "b")[0]);
        assertThat(r.exitCode()).as(r.all()).isEqualTo(2);
        assertThat(r.out()).contains("no consistency proof from size 2 to 4", "RESULT: UNDECIDED");
    }

    @Test
    void theProofFormatRoundTrips() throws Exception {
        LogFixture f = LogFixture.create();
        f.appendAll(0, 7);
        f.checkpoint();
        f.appendAll(7, 13);
        Checkpoint cp = f.checkpoint();
        try (Connection c = f.connect()) {
            PublishedProof p = f.log.proofFromPrevious(c, cp);
            assertThat(p.proof().firstSize()).isEqualTo(7);
            assertThat(PublishedProof.parse(p.text())).isEqualTo(p);
            assertThat(p.text()).startsWith("shomei-audit-consistency/v1\n" + LogFixture.ORIGIN + "\n7\n13\n");
        }
    }
}
