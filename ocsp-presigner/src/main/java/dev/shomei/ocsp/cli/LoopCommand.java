package dev.shomei.ocsp.cli;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.orders.PublicationTrigger;
import dev.shomei.ocsp.bundle.BundleVerifier;
import dev.shomei.ocsp.config.PresignerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code presigner loop}: the publication cycle ({@code presigner presign}, then {@code presigner bundle} into the
 * outbox) run when the CA's pull loop signals that it revoked or issued a CRL ({@link PublicationTrigger}: a
 * PostgreSQL NOTIFY in the CA database), and at {@code --interval} in any case (responses past half their validity,
 * docs/operations.md "Schedules").
 *
 * <p>Zone: secure, beside the CA, on the same HSM token and CA database; no inbound port (the signal comes through
 * the database connection the presigner opens). Uses only the delegated responder and publication signer keys.
 *
 * <p>Each bundle reaches the outbox whole or not at all: it is written under {@code .NAME.partial}, renamed to
 * {@code NAME}, and only then is the empty marker {@code NAME.ready} created. Whatever carries the outbox to the
 * publisher's inbox copies the marker last, and {@code publisher watch} takes a bundle only once its marker is
 * there (docs/operations.md, "Revocation to the edge"). A {@code .partial} directory left by a crash is promoted
 * when it verifies (it may already be recorded as sent, so its responses would not ride in the next incremental
 * bundle) and deleted when it does not (it was not recorded; the next bundle carries its responses).
 */
@Command(name = "loop", description = "Run the publication cycle (presign, then an incremental bundle into --outbox)"
        + " whenever the CA's pull loop signals a revocation or a new CRL, and every --interval; runs until stopped.")
final class LoopCommand implements Callable<Integer> {

    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("'bundle-'yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** The connection LISTENing on the CA's channel (held for the loop's life: LISTEN lasts as long as the session). */
    private Connection listener;

    @ParentCommand PresignerCli parent;
    @Option(names = "--outbox", required = true, paramLabel = "DIR",
            description = "where each bundle is placed (DIR/NAME, then the marker DIR/NAME.ready)")
    Path outbox;
    @Option(names = "--interval", defaultValue = "PT1H", paramLabel = "DURATION", description = "a cycle at least this"
            + " often without a signal (ISO-8601, default ${DEFAULT-VALUE}): well inside half of validityHours and of the"
            + " CRL's nextUpdate")
    Duration interval;
    @Option(names = "--responder-label", description = "responder key label (default: responderKey in the configuration)")
    String responderLabel;
    @Option(names = "--ra-audit", paramLabel = "DIR", description = "the RA's audit publish directory, carried as audit/ra/")
    Path raAudit;
    @Option(names = "--once", description = "one cycle (after making ready or deleting what a stopped cycle left), then"
            + " exit: the same bundle and marker from a timer")
    boolean once;
    @Option(names = "--tar", description = "each bundle as one tar file (DIR/NAME.tar, marker DIR/NAME.ready) instead of"
            + " a directory of one file per artifact: what a transfer to the publisher's inbox carries most easily")
    boolean tar;
    @Option(names = "--push-status", description = "after each cycle, post the presigner's signed status to the RA, as"
            + " 'presigner status --push' (an unreachable RA fails nothing)")
    boolean pushStatus;

    @Override
    public Integer call() throws Exception {
        if (interval.isNegative() || interval.isZero()) {
            throw new dev.shomei.ca.config.ConfigException("--interval must be positive, e.g. PT1H; got " + interval);
        }
        PresignerConfig cfg = parent.loadConfig();
        Files.createDirectories(outbox);
        try (CertificateAuthority ca = PresignerCli.open(cfg.caConfig())) {
            recoverPartial(ca);
            if (once) {
                // A failed cycle fails the command (exit code by the error's kind, as 'presign' and 'bundle').
                cycle(ca, cfg, "--once");
                return 0;
            }
            System.out.println("presigner loop: bundles into " + outbox.toAbsolutePath() + "; a cycle on the CA's signal"
                    + " (" + PublicationTrigger.CHANNEL + ") and at least every " + interval);
            String reason = "the loop started";
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    // Step 1: listen before the cycle, so a signal sent while it runs starts the next one.
                    if (listener == null) {
                        listener = listen(ca);
                    }
                    // Step 2: the cycle. Nothing one cycle meets ends the loop: reported, tried again at the next wake.
                    try {
                        cycle(ca, cfg, reason);
                    } catch (RuntimeException e) {
                        System.out.println("presigner loop: this cycle failed (" + e.getMessage() + "); the next"
                                + " signal or the interval tries again");
                    }
                    // Step 3: wait for the signal or the interval.
                    reason = await(ca);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close(listener);
                listener = null;
            }
        }
        return 0;
    }

    /** One cycle: every due response, then one bundle made visible in the outbox with its marker. */
    private void cycle(CertificateAuthority ca, PresignerConfig cfg, String reason) {
        long t0 = System.nanoTime();
        System.out.println("cycle (" + reason + ") started " + Instant.now());
        long signed = PresignerCli.PresignCommand.presignAll(ca, cfg, responderLabel);
        long t1 = System.nanoTime();
        String name = NAME.format(Instant.now());
        // A directory is written as .NAME.partial; a tar as .NAME.tar (the tar writer itself goes through
        // .NAME.tar.partial and names .NAME.tar only once it is whole and signed). Both hidden until moved into place.
        String target = tar ? name + ".tar" : name;
        Path partial = outbox.resolve("." + (tar ? target : name + ".partial"));
        List<Path> pdfs = new ArrayList<>(cfg.cpsFiles());
        Path generated = CpsCommand.generateForBundle(cfg, parent.configFile());
        if (generated != null) {
            pdfs.add(generated);
        }
        try {
            PresignerCli.BundleCommand.write(ca, cfg, partial, pdfs, false, raAudit);
        } finally {
            CpsCommand.deleteGenerated(generated);
        }
        ready(partial, target, name);
        long t2 = System.nanoTime();
        System.out.printf("cycle done: %d response(s) signed in %d ms, bundle %s ready in %d ms (total %d ms)%n", signed,
                (t1 - t0) / 1_000_000, name, (t2 - t1) / 1_000_000, (t2 - t0) / 1_000_000);
        if (pushStatus) {
            push(ca);
        }
    }

    /**
     * Step 3 of the bundle's way out: rename into place ({@code target}: NAME, or NAME.tar), then the marker
     * NAME.ready (created last, empty).
     */
    private void ready(Path partial, String target, String name) {
        try {
            Files.move(partial, outbox.resolve(target), StandardCopyOption.ATOMIC_MOVE);
            try {
                Files.createFile(outbox.resolve(name + ".ready"));
            } catch (FileAlreadyExistsException e) {
                // Already marked (a promoted leftover with its marker): nothing to add.
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move bundle " + partial + " into place in " + outbox + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * What a crash left: a {@code .NAME.partial} directory or a {@code .NAME.tar} file that is whole (it verifies) goes
     * out, anything else is deleted. The tar writer's own {@code .partial} files are never a whole bundle (its whole
     * file is named {@code .NAME.tar} before they are removed): deleted.
     */
    private void recoverPartial(CertificateAuthority ca) throws IOException {
        BundleVerifier verifier = new BundleVerifier(List.of(ca.issuingSigner().certificate()));
        try (DirectoryStream<Path> left = Files.newDirectoryStream(outbox, ".bundle-*.tar*.partial")) {
            for (Path p : left) {
                Files.delete(p);
                System.out.println("presigner loop: deleted the unfinished tar " + p.getFileName()
                        + " left by a stopped cycle; the next bundle carries its responses");
            }
        }
        try (DirectoryStream<Path> left = Files.newDirectoryStream(outbox, "{.bundle-*.partial,.bundle-*.tar}")) {
            for (Path p : left) {
                String file = p.getFileName().toString();
                boolean isTar = file.endsWith(".tar");
                String name = file.substring(1, file.length() - (isTar ? ".tar" : ".partial").length());
                List<String> problems = verifier.verify(p, Clock.systemUTC().instant());
                if (problems.isEmpty()) {
                    ready(p, isTar ? name + ".tar" : name, name);
                    System.out.println("presigner loop: a whole bundle left by a stopped cycle is now ready: " + name);
                } else {
                    deleteTree(p);
                    System.out.println("presigner loop: deleted an unfinished bundle left by a stopped cycle (" + name
                            + ": " + problems.get(0) + "); the next bundle carries its responses");
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A connection of its own (held for the loop's life: LISTEN lasts as long as the session). */
    private static Connection listen(CertificateAuthority ca) {
        try {
            Connection c = ca.database().dataSource().getConnection();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("LISTEN " + PublicationTrigger.CHANNEL);
            }
            return c;
        } catch (SQLException e) {
            System.out.println("presigner loop: cannot listen for the CA's signal (" + e.getMessage() + "); cycles run"
                    + " at the interval until the database answers");
            return null;
        }
    }

    /**
     * Waits for a signal (its payloads joined, all pending ones taken at once) or the interval. Without a listening
     * connection (the database went away) it tries to listen again every few seconds, and once it does, answers at
     * once: a signal may have been sent meanwhile, so a cycle runs.
     */
    private String await(CertificateAuthority ca) throws InterruptedException {
        long deadline = System.nanoTime() + interval.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return "the interval (" + interval + ") passed";
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException();
            }
            if (listener == null) {
                TimeUnit.MILLISECONDS.sleep(Math.min(left / 1_000_000 + 1, 5_000));
                listener = listen(ca);
                if (listener != null) {
                    return "listening to the CA's signal again (one may have been missed)";
                }
                continue;
            }
            try {
                // At most 5 s per wait: an interrupt (shutdown) is seen promptly; 0 would mean "forever" in pgjdbc.
                PGNotification[] heard = listener.unwrap(PGConnection.class)
                        .getNotifications((int) Math.max(1, Math.min(left / 1_000_000, 5_000)));
                if (heard != null && heard.length > 0) {
                    List<String> why = new ArrayList<>();
                    for (PGNotification n : heard) {
                        why.add(n.getParameter().isEmpty() ? "signalled" : n.getParameter());
                    }
                    return "signalled by the CA: " + String.join("; ", why);
                }
            } catch (SQLException e) {
                System.out.println("presigner loop: the database connection was lost (" + e.getMessage() + "); listening"
                        + " again when it answers");
                close(listener);
                listener = null;
            }
        }
    }

    private static void close(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            // Closing a connection that is already gone.
        }
    }

    private static void push(CertificateAuthority ca) {
        try (Connection c = ca.database().dataSource().getConnection()) {
            var doc = dev.shomei.ocsp.status.OcspStatus.collect(c, Clock.systemUTC().instant());
            c.rollback();
            byte[] signed = dev.shomei.ca.status.StatusDocument.sign(doc, dev.shomei.ca.status.StatusDocument.signer(ca));
            var o = dev.shomei.ca.status.StatusPush.post(dev.shomei.ca.orders.OrderPuller.client(ca.config()),
                    dev.shomei.ca.orders.OrderPuller.url(ca.config()), signed);
            System.out.println(o.detail());
        } catch (Exception e) {
            System.out.println("presigner loop: the status was not pushed (" + e.getMessage() + ")");
        }
    }
}
