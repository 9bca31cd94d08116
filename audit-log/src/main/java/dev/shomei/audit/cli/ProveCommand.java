package dev.shomei.audit.cli;

import dev.shomei.audit.AuditEntry;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.InclusionProof;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code audit prove --seq N}: prints an entry, the latest checkpoint and the entry's RFC 9162 inclusion
 * proof against it, and checks the proof.
 *
 * <p>Zone: all. Reads the audit tables and the given key files only.
 */
@Command(name = "prove", mixinStandardHelpOptions = true,
        description = "Print the inclusion proof (RFC 9162 §2.1.3) of one entry against the latest checkpoint.")
final class ProveCommand implements Callable<Integer> {

    private static final HexFormat HEX = HexFormat.of();

    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--seq", required = true, paramLabel = "N", description = "the entry's sequence number")
    long seq;

    @Option(names = "--tree-size", paramLabel = "N", description = "prove against the stored checkpoint of this size"
            + " instead of the latest")
    Long treeSize;

    @Option(names = "--trusted-key", paramLabel = "PEM", description = "also check the checkpoint's signature (repeatable)")
    List<Path> trustedKeys = List.of();

    @Override
    public Integer call() {
        List<PublicKey> keys = Keys.load(trustedKeys);
        PrintWriter out = spec.commandLine().getOut();
        try (Connection c = db.connect(spec)) {
            String origin = origin(c);
            AuditLog log = new AuditLog(origin);
            Optional<Checkpoint> found = treeSize == null ? log.latestCheckpoint(c) : log.checkpointOfSize(c, treeSize);
            if (found.isEmpty()) {
                throw new AuditCli.ConfigurationError(treeSize == null ? "the log has no checkpoint yet"
                        : "no checkpoint of size " + treeSize + " is stored");
            }
            Checkpoint cp = found.get();
            if (seq < 0 || seq >= cp.treeSize()) {
                throw new AuditCli.ConfigurationError("entry " + seq + " is not covered by the checkpoint of size "
                        + cp.treeSize() + " (entries 0.." + (cp.treeSize() - 1) + ")"
                        + (seq >= cp.treeSize() ? "; it will be by a later checkpoint" : ""));
            }
            AuditEntry e = log.entry(c, seq).orElseThrow(() -> new dev.shomei.audit.AuditException(
                    "entry " + seq + " is missing from the database; run `audit verify`"));
            InclusionProof proof = log.proveInclusion(c, seq, cp.treeSize());
            out.println("Inclusion proof for entry " + seq + " of log " + origin + " (RFC 9162 §2.1.3)");
            out.println();
            out.println("entry");
            out.println("  seq            " + e.seq());
            out.println("  time           " + e.time());
            var a = e.event().actor();
            out.println("  actor          " + a.kind() + " " + a.id()
                    + (a.authentication() != null ? " (authenticated by " + a.authentication() + ")" : "")
                    + (a.version() != null ? " version " + a.version() : "")
                    + (a.policyId() != null ? " policy " + a.policyId() + " sha256:" + a.policyDigest() : ""));
            out.println("  action         " + e.event().action());
            out.println("  subject        " + e.event().subject());
            out.println("  detail sha256  " + HEX.formatHex(e.event().detailSha256()));
            out.println("  entry hash     " + HEX.formatHex(e.entryHash()));
            boolean contentOk = e.hashMatchesContent();
            if (!contentOk) {
                out.println("  WARNING: the entry's content does not match its stored hash (run `audit verify`)");
            }
            out.println();
            out.println("checkpoint (tree size " + cp.treeSize() + ", root " + cp.rootHex() + ")");
            cp.text().lines().forEach(l -> out.println("  " + l));
            out.println();
            out.println("audit path: leaf index " + proof.leafIndex() + ", tree size " + proof.treeSize() + ", "
                    + proof.hashes().size() + " hashes (leaf to root)");
            List<byte[]> hashes = proof.hashes();
            for (int i = 0; i < hashes.size(); i++) {
                out.printf("  %2d  %s%n", i + 1, HEX.formatHex(hashes.get(i)));
            }
            out.println();
            boolean proofOk = proof.check(e.computeHash(), cp.rootHash());
            out.println("check: " + (proofOk ? "OK, the path leads from the entry's hash to the checkpoint's root"
                    : "FAILED, the path does not lead from the entry's hash to the checkpoint's root"));
            boolean signatureOk = true;
            if (keys.isEmpty()) {
                out.println("signature: not checked (give --trusted-key to check it)");
            } else {
                Optional<PublicKey> k = cp.signedBy(keys);
                signatureOk = k.isPresent();
                out.println("signature: " + (signatureOk ? "OK, signed by trusted key " + cp.keyName() + " "
                        + AuditVerifier.fingerprint(k.get()) : "FAILED, not signed by any trusted key"));
            }
            return proofOk && signatureOk && contentOk ? AuditCli.OK : AuditCli.VERIFICATION_FAILED;
        } catch (SQLException e) {
            throw new AuditCli.ConfigurationError("database error: " + e.getMessage(), e);
        }
    }

    static String origin(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT origin FROM audit_head WHERE id = 1")) {
            if (!rs.next() || rs.getString(1) == null) {
                throw new AuditCli.ConfigurationError("the database holds no audit log entries yet");
            }
            return rs.getString(1);
        }
    }
}
