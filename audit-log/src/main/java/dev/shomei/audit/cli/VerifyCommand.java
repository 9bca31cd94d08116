package dev.shomei.audit.cli;

import dev.shomei.audit.AuditExport;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.VerificationReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code audit verify}: the whole log in the database, or an export file offline against a checkpoint.
 *
 * <p>Zone: all; also on an auditor's machine. Reads the audit tables or the given files only.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify the log: hash chain, Merkle tree, checkpoint signatures, forks and consistency.",
                "With --export and --checkpoint, verify an exported file offline instead (no database)."})
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--trusted-key", required = true, paramLabel = "PEM",
            description = "PEM public key or certificate of a checkpoint signer (repeatable)")
    List<Path> trustedKeys;

    @Option(names = "--export", paramLabel = "FILE", description = "an export written by `audit export` (jsonl or csv)")
    Path export;

    @Option(names = "--checkpoint", paramLabel = "FILE", description = {"with --export: the checkpoint to verify it against;",
            "without: published checkpoints the database must also agree with (repeatable)"})
    List<Path> checkpoints = List.of();

    @Override
    public Integer call() {
        AuditVerifier verifier = new AuditVerifier(Keys.load(trustedKeys));
        VerificationReport report;
        if (export != null) {
            if (checkpoints.size() != 1) {
                throw new ParameterException(spec.commandLine(), "offline verification needs both --export and one --checkpoint");
            }
            if (db.given()) {
                throw new ParameterException(spec.commandLine(), "give either database options or --export, not both");
            }
            report = verifier.verify(readExport(), readCheckpoint(checkpoints.getFirst()));
            report = relabel(report, "export " + export + " against checkpoint " + checkpoints.getFirst());
        } else {
            List<Checkpoint> published = checkpoints.stream().map(this::readCheckpoint).toList();
            try (Connection c = db.connect(spec)) {
                report = verifier.verify(c, published);
            } catch (SQLException e) {
                throw new AuditCli.ConfigurationError("database error: " + e.getMessage(), e);
            }
        }
        spec.commandLine().getOut().print(report.render());
        return report.ok() ? AuditCli.OK : AuditCli.VERIFICATION_FAILED;
    }

    private AuditExport readExport() {
        try {
            return AuditExport.read(export);
        } catch (IOException e) {
            throw new AuditCli.ConfigurationError("cannot read --export " + export + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new dev.shomei.audit.AuditException("--export " + export + " is not a valid audit export: "
                    + e.getMessage(), e);
        }
    }

    private Checkpoint readCheckpoint(Path checkpoint) {
        String text;
        try {
            text = Files.readString(checkpoint, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AuditCli.ConfigurationError("cannot read --checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
        try {
            return Checkpoint.parse(text);
        } catch (IllegalArgumentException e) {
            throw new AuditCli.ConfigurationError("--checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    private static VerificationReport relabel(VerificationReport r, String source) {
        return new VerificationReport(source, r.origin(), r.entriesChecked(), r.checkpointsChecked(), r.passed(),
                r.problems(), r.moreProblems());
    }
}
