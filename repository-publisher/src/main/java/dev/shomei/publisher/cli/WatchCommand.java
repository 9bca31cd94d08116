package dev.shomei.publisher.cli;

import dev.shomei.publisher.Inbox;
import dev.shomei.publisher.Publisher;
import dev.shomei.publisher.origin.Origin;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code publisher watch}: publish each bundle as it arrives in the inbox ({@link Inbox}: a bundle is taken once its
 * {@code NAME.ready} marker is there; verified as {@code publisher publish} does; a refused one is set aside in
 * {@code refused/} with its reasons and the next one is taken).
 *
 * <p>Online zone. Holds no key. Reads the inbox, writes the origin and the inbox's {@code published/} and
 * {@code refused/}. Woken by the filesystem's change notification (inotify on Linux), and rescans every
 * {@code --rescan} in case a notification is missed (network filesystems send none).
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
        description = "Publish each bundle as it arrives in --inbox (taken once NAME.ready is there); runs until stopped.")
final class WatchCommand extends PublisherCli.Subcommand {
    @Option(names = "--inbox", required = true, paramLabel = "DIR") Path inbox;
    @Option(names = "--published-dir", paramLabel = "DIR", description = "where published bundles go (default INBOX/published)")
    Path publishedDir;
    @Option(names = "--refused-dir", paramLabel = "DIR", description = "where refused bundles go, each with NAME.refusal.txt"
            + " (default INBOX/refused)")
    Path refusedDir;
    @Option(names = "--rescan", defaultValue = "PT5S", paramLabel = "DURATION",
            description = "look at the inbox at least this often (ISO-8601, default ${DEFAULT-VALUE})")
    Duration rescan;
    @Option(names = "--retry", defaultValue = "PT10S", paramLabel = "DURATION",
            description = "after an origin failure, try the same bundle again after this long (default ${DEFAULT-VALUE})")
    Duration retry;
    @Option(names = "--once", description = "take what is ready now, then exit (1 if any bundle was refused)")
    boolean once;
    @CommandLine.Mixin PublisherCli.SignerOptions signer = new PublisherCli.SignerOptions();
    @CommandLine.ArgGroup(exclusive = false, multiplicity = "1") PublisherCli.OriginOptions origin;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(inbox)) {
            throw new IllegalArgumentException("--inbox " + inbox + " is not a directory");
        }
        Origin o = origin.open();
        Publisher publisher = new Publisher(ca.cas(), signer.signers(), o, clock, ca.maxAgeCap);
        Inbox box = new Inbox(inbox, publishedDir == null ? inbox.resolve("published") : publishedDir,
                refusedDir == null ? inbox.resolve("refused") : refusedDir, publisher, clock);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (once) {
            int refused = drain(box, o, out, err);
            return refused < 0 ? PublisherCli.IO_FAILURE : refused > 0 ? PublisherCli.REFUSED : PublisherCli.OK;
        }
        out.println("watching " + inbox.toAbsolutePath() + " for bundles (NAME + NAME" + Inbox.READY + "), publishing to "
                + o.describe());
        out.flush();
        try (WatchService watcher = inbox.getFileSystem().newWatchService()) {
            inbox.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            while (!Thread.currentThread().isInterrupted()) {
                boolean originFailed = drain(box, o, out, err) < 0;
                // Wait for the next arrival, the rescan, or (after an origin failure) the retry.
                var key = watcher.poll((originFailed ? retry : rescan).toMillis(), TimeUnit.MILLISECONDS);
                if (originFailed && key != null) {
                    // An arrival does not bring the origin back: wait out the retry.
                    TimeUnit.MILLISECONDS.sleep(retry.toMillis());
                }
                while (key != null) {
                    key.pollEvents();
                    key.reset();
                    key = watcher.poll();
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return PublisherCli.OK;
    }

    /** Takes every ready bundle in order; the number refused, or -1 when the origin failed (the rest wait). */
    private static int drain(Inbox box, Origin o, PrintWriter out, PrintWriter err) throws IOException {
        int refused = 0;
        for (String name : box.ready()) {
            long t0 = System.nanoTime();
            Inbox.Outcome r;
            try {
                r = box.take(name);
            } catch (IOException | software.amazon.awssdk.core.exception.SdkException e) {
                err.println("error: bundle " + name + " not published, the origin failed (" + e.getMessage() + "); it"
                        + " stays in the inbox and is tried again first");
                err.flush();
                return -1;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (r.published()) {
                out.println("published " + name + " to " + o.describe() + " in " + ms + " ms");
            } else {
                refused++;
                err.println("REFUSED " + name + ": " + r.reasons().size() + " reason(s); nothing was published; set"
                        + " aside with " + name + ".refusal.txt");
                r.reasons().forEach(s -> err.println("  " + s));
            }
            out.flush();
            err.flush();
        }
        return refused;
    }
}
