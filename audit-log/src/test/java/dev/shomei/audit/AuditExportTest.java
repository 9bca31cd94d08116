package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports round-trip every field exactly, in both formats, including text that CSV must quote. */
class AuditExportTest {

    @TempDir
    Path dir;

    @Test
    void bothFormatsRoundTripAwkwardTextAndVerify() throws Exception {
        LogFixture f = LogFixture.create();
        List<AuditEvent> events = List.of(
                AuditEvent.of(Actor.person("Suzuki, \"Ichiro\"", "mTLS,\nline two"), "a,b", "\"quoted\"", new byte[] {1}),
                AuditEvent.of(new Actor(Actor.Kind.SYSTEM, "ra", "", "1", null, null), "empty-vs-absent", "", new byte[] {2}),
                AuditEvent.of(Actor.policy("ra", "2", "p;q", "00ff"), "x", "申請:1\r\n", new byte[] {3}));
        try (Connection c = f.connect()) {
            c.setAutoCommit(false);
            for (AuditEvent e : events) {
                f.log.append(c, e);
            }
            c.commit();
        }
        Checkpoint cp = f.checkpoint();
        for (AuditExport.Format format : AuditExport.Format.values()) {
            StringWriter w = new StringWriter();
            List<AuditEntry> stored;
            try (Connection c = f.connect()) {
                assertThat(AuditExport.write(c, f.log, cp, 0, 2, format, w)).isEqualTo(3);
                stored = f.log.entries(c, 0, 2);
            }
            Path file = Files.writeString(dir.resolve("export." + format), w.toString());
            AuditExport read = AuditExport.read(file);
            assertThat(read.format()).isEqualTo(format);
            assertThat(read.treeSize()).isEqualTo(3);
            assertThat(read.entries()).extracting(AuditExport.ExportedEntry::entry).as(format.name())
                    .containsExactlyElementsOf(stored);
            VerificationReport r = new AuditVerifier(List.of(f.keys.getPublic())).verify(read, cp);
            assertThat(r.ok()).as(r.render()).isTrue();
        }
    }

    @Test
    void unreadableExportsNameTheLine() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"),
                "{\"format\":\"shomei-audit-export/v1\",\"origin\":\"o\",\"treeSize\":1,\"rootHash\":\"AAAA\",\"from\":0,\"to\":0}\n"
                        + "{\"seq\":0}\n");
        assertThatThrownBy(() -> AuditExport.read(bad)).hasMessageContaining("line 2: inclusionProof must be an array");
        Path csv = Files.writeString(dir.resolve("bad.csv"), "seq,time\n1,2\n");
        assertThatThrownBy(() -> AuditExport.read(csv)).hasMessageContaining("line 1 must be the CSV header");
    }
}
