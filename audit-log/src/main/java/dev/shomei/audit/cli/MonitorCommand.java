package dev.shomei.audit.cli;

import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.CheckpointMonitor;
import dev.shomei.audit.ConsistencyProof;
import dev.shomei.audit.PublishedProof;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code audit monitor}: checks newly published checkpoints against the ones seen before, as a Certificate
 * Transparency monitor does, and remembers them in a state directory. Run by anyone, e.g. from cron after
 * fetching {@code audit/checkpoint.txt} and {@code audit/consistency.txt} from the repository.
 *
 * <p>Zone: all; meant for parties outside the operator's control. Reads the given files (and, if given, the
 * log's database as a reader); writes only the state directory.
 */
@Command(name = "monitor", mixinStandardHelpOptions = true,
        description = {"Check published checkpoints against those seen before (RFC 9162 §2.1.4 consistency proofs),",
                "keep them in --state, and report a rewritten or forked history (exit 1)."})
final class MonitorCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions db;

    @Option(names = "--state", required = true, paramLabel = "DIR", description = "where the checkpoints seen are kept")
    Path state;

    @Option(names = "--trusted-key", required = true, paramLabel = "PEM",
            description = "PEM public key or certificate of a checkpoint signer (repeatable)")
    List<Path> trustedKeys;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "a published checkpoint (repeatable)")
    List<Path> checkpoints;

    @Option(names = "--proof", paramLabel = "FILE",
            description = "a published consistency proof (shomei-audit-consistency/v1, repeatable)")
    List<Path> proofs = List.of();

    @Override
    public Integer call() {
        CheckpointMonitor monitor = new CheckpointMonitor(state, Keys.load(trustedKeys));
        List<PublishedProof> published = proofs.stream().map(this::readProof).toList();
        // Oldest first, so that each one is checked against its predecessor.
        List<Checkpoint> incoming = new ArrayList<>(checkpoints.stream().map(this::readCheckpoint).toList());
        incoming.sort(Comparator.comparingLong(Checkpoint::treeSize));
        PrintWriter out = spec.commandLine().getOut();
        Connection c = db.given() ? db.connect(spec) : null;
        try {
            CheckpointMonitor.ProofSource source = (origin, first, second) -> {
                for (PublishedProof p : published) {
                    if (p.origin().equals(origin) && p.proof().firstSize() == first && p.proof().secondSize() == second) {
                        return Optional.of(p.proof());
                    }
                }
                return c == null ? Optional.empty() : fromDatabase(c, origin, first, second);
            };
            boolean ok = true;
            boolean undecided = false;
            for (Checkpoint cp : incoming) {
                CheckpointMonitor.Observation o = monitor.observe(cp, source);
                out.println((o.outcome().ok ? "OK    " : o.outcome() == CheckpointMonitor.Outcome.NO_PROOF ? "??    "
                        : "FAIL  ") + o.message());
                ok &= o.outcome().ok || o.outcome() == CheckpointMonitor.Outcome.NO_PROOF;
                undecided |= o.outcome() == CheckpointMonitor.Outcome.NO_PROOF;
            }
            out.println(!ok ? "RESULT: FAILED, the log's history was rewritten or forked"
                    : undecided ? "RESULT: UNDECIDED, a consistency proof is missing" : "RESULT: CONSISTENT");
            return !ok ? AuditCli.VERIFICATION_FAILED : undecided ? AuditCli.USAGE : AuditCli.OK;
        } finally {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // read-only use; nothing to roll back
                }
            }
        }
    }

    private static Optional<ConsistencyProof> fromDatabase(Connection c, String origin, long first, long second) {
        try {
            long size = new AuditLog(origin).size(c);
            if (size < second) {
                // The database no longer holds what the checkpoint covered: its proof cannot be made.
                return Optional.of(new ConsistencyProof(first, second, List.of()));
            }
            return Optional.of(new AuditLog(origin).proveConsistency(c, first, second));
        } catch (RuntimeException e) {
            throw new AuditCli.ConfigurationError("cannot compute a consistency proof from the database: " + e.getMessage(), e);
        }
    }

    private Checkpoint readCheckpoint(Path file) {
        try {
            return Checkpoint.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AuditCli.ConfigurationError("cannot read --checkpoint " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--checkpoint " + file + ": " + e.getMessage());
        }
    }

    private PublishedProof readProof(Path file) {
        try {
            return PublishedProof.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AuditCli.ConfigurationError("cannot read --proof " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--proof " + file + ": " + e.getMessage());
        }
    }
}
