package dev.shomei.audit.cli;

import dev.shomei.audit.AuditExport;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code audit export}: writes a range of entries with their hashes and inclusion proofs, plus the
 * checkpoint they are proven against, so an auditor can verify them offline.
 *
 * <p>Zone: all. Reads the audit tables; writes only the --out file and its .checkpoint companion.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export entries for an auditor, with entry hashes and inclusion proofs.",
                "Verify offline with: audit verify --export FILE --checkpoint FILE.checkpoint --trusted-key KEY"})
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--from", paramLabel = "SEQ", description = "first entry (default 0)")
    long from;

    @Option(names = "--to", paramLabel = "SEQ", description = "last entry, inclusive (default: the last entry the"
            + " checkpoint covers)")
    Long to;

    @Option(names = "--format", required = true, paramLabel = "jsonl|csv")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE")
    Path out;

    @Option(names = "--tree-size", paramLabel = "N", description = "prove against the stored checkpoint of this size"
            + " instead of the latest (e.g. the one the auditor already holds)")
    Long treeSize;

    @Override
    public Integer call() {
        AuditExport.Format f;
        try {
            f = AuditExport.Format.parse(format);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--format: " + e.getMessage());
        }
        PrintWriter console = spec.commandLine().getOut();
        try (Connection c = db.connect(spec)) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            AuditLog log = new AuditLog(ProveCommand.origin(c));
            Optional<Checkpoint> found = treeSize == null ? log.latestCheckpoint(c) : log.checkpointOfSize(c, treeSize);
            Checkpoint cp = found.orElseThrow(() -> new AuditCli.ConfigurationError(treeSize == null
                    ? "the log has no checkpoint yet: nothing can be proven" : "no checkpoint of size " + treeSize + " is stored"));
            long last = to != null ? to : cp.treeSize() - 1;
            Path cpFile = out.resolveSibling(out.getFileName() + ".checkpoint");
            long written;
            try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                written = AuditExport.write(c, log, cp, from, last, f, w);
            } catch (IOException e) {
                throw new AuditCli.ConfigurationError("cannot write --out " + out + ": " + e.getMessage(), e);
            }
            try {
                Files.writeString(cpFile, cp.text(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new AuditCli.ConfigurationError("cannot write " + cpFile + ": " + e.getMessage(), e);
            }
            c.rollback();
            console.println("wrote " + written + " entries (" + from + ".." + last + ") of log " + cp.origin() + " to "
                    + out + " (" + f.name().toLowerCase() + ")");
            console.println("inclusion proofs are against the checkpoint of tree size " + cp.treeSize() + ", root "
                    + cp.rootHex() + ", saved in " + cpFile);
            console.println("verify offline: audit verify --export " + out + " --checkpoint " + cpFile
                    + " --trusted-key <the log's public key>");
            return AuditCli.OK;
        } catch (SQLException e) {
            throw new AuditCli.ConfigurationError("database error: " + e.getMessage(), e);
        }
    }
}
