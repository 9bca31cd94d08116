package dev.shomei.ra.books;

import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.CheckpointSigner;
import dev.shomei.audit.PublishedProof;
import dev.shomei.ra.RaConfig;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Anchors the RA's audit log: on a schedule ({@code ra.audit.checkpoint-every}), signs a checkpoint of every
 * committed entry with the RA's own checkpoint key in its HSM, stores it, and writes it with its consistency
 * proof from the previous checkpoint to {@code ra.audit.publish-directory} for publication next to the CRLs.
 * Without a checkpoint, `audit verify` fails for a log with entries, and nobody outside could tell a rewritten
 * history from the real one (audit-log/README.md, `audit monitor`).
 *
 * <p>Zone: online (ra-service). Reads the audit tables and inserts into audit_checkpoint (as the service role);
 * signs in the HSM; writes the two files of the publish directory.
 */
@Startup
@ApplicationScoped
public class AuditCheckpointSchedule {

    private static final Logger LOG = Logger.getLogger(AuditCheckpointSchedule.class);
    public static final String CHECKPOINT_FILE = "checkpoint.txt";
    public static final String PROOF_FILE = "consistency.txt";

    private final AgroalDataSource dataSource;
    private final Optional<CheckpointSigner> signer;
    private final Optional<Path> publishDirectory;
    private final AuditLog log = new AuditLog(AuditTrail.ORIGIN);

    @Inject
    public AuditCheckpointSchedule(AgroalDataSource dataSource, RaConfig config) {
        this.dataSource = dataSource;
        // Opened at start-up, so that a wrong PIN or label stops the service before it takes requests.
        this.signer = config.audit().checkpointSigning().map(Pkcs11CheckpointSigner::new);
        this.publishDirectory = config.audit().publishDirectory().map(Path::of);
        if (signer.isEmpty()) {
            LOG.warn("ra.audit.checkpoint-signing is not set: the RA signs no audit checkpoints, so its audit log is"
                    + " not anchored and `audit verify` will fail once it has entries; configure the checkpoint key");
        }
    }

    @Scheduled(every = "${ra.audit.checkpoint-every:10m}", delay = 5, delayUnit = java.util.concurrent.TimeUnit.SECONDS,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void onSchedule() {
        if (signer.isEmpty()) {
            return;
        }
        try {
            signIfGrown();
        } catch (RuntimeException e) {
            // The next run tries again; nothing was stored or published.
            LOG.errorf("audit checkpoint not signed: %s", e.getMessage());
        }
    }

    /**
     * Signs, stores and publishes a checkpoint if entries were added since the latest one (or none exists yet for a
     * log with entries).
     *
     * @return the new checkpoint, or empty when there was nothing new to sign
     */
    public Optional<Checkpoint> signIfGrown() {
        CheckpointSigner s = signer.orElseThrow(() -> new IllegalStateException("ra.audit.checkpoint-signing is not"
                + " set: no key to sign audit checkpoints with"));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Optional<Checkpoint> latest = log.latestCheckpoint(c);
                long size = log.size(c);
                if (size == 0 || latest.isPresent() && latest.get().treeSize() == size) {
                    c.rollback();
                    return Optional.empty();
                }
                // Step 1: re-hash the new entries, sign with the HSM key, store (AuditLog.checkpoint).
                Checkpoint cp = log.checkpoint(c, s);
                PublishedProof proof = log.proofFromPrevious(c, cp);
                c.commit();
                // Step 2: publish; a crash here leaves the previous files, and the next run writes newer ones.
                publishDirectory.ifPresent(dir -> publish(dir, cp, proof));
                LOG.infof("audit checkpoint signed: %d entries, key %s", cp.treeSize(), cp.keyName());
                return Optional.of(cp);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot sign an audit checkpoint: " + e.getMessage(), e);
        }
    }

    public Optional<CheckpointSigner> signer() {
        return signer;
    }

    private static void publish(Path dir, Checkpoint cp, PublishedProof proof) {
        try {
            Files.createDirectories(dir);
            // The proof first: a monitor that sees the new checkpoint finds its proof already there.
            write(dir.resolve(PROOF_FILE), proof.text());
            write(dir.resolve(CHECKPOINT_FILE), cp.text());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit checkpoint to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), ".incoming-", ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
