package dev.shomei.publisher;

import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.Refusal;
import dev.shomei.publisher.bundle.Verification;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The publisher's inbox: the directory the bundles from the secure zone arrive in ({@code publisher watch}).
 *
 * <p>Online zone. Holds no key. Reads the inbox, writes only the origin (through {@link Publisher}) and the inbox's
 * own {@code published/} and {@code refused/} directories.
 *
 * <p>A bundle is ready when its marker is there: a bundle {@code NAME} (a directory, or a {@code NAME.tar} file) is
 * taken only once the empty file {@code NAME.ready} exists beside it. Whatever brings bundles (the presigner's loop
 * writing into the same directory, a one-way transfer) creates the marker after the bundle is complete, so a bundle
 * still arriving is never read. Ready bundles are taken in name order (names carry the time they were made):
 * <ol>
 *   <li>read and verified as {@code publisher publish} does, against what is live on the origin;</li>
 *   <li>accepted: published; the bundle and its marker move to {@code published/};</li>
 *   <li>refused (a bad signature, a CRL number that does not increase, a file missing or extra, an unreadable
 *       bundle, a marker without a bundle): nothing is published; the bundle and its marker move to
 *       {@code refused/} with {@code NAME.refusal.txt} saying when and why, and the next bundle is taken;</li>
 *   <li>the origin fails: the bundle stays in the inbox, and the same bundle is tried first next time (a later
 *       bundle must not overtake it: each bundle carries what changed since the previous one).</li>
 * </ol>
 */
public final class Inbox {

    /** The marker's suffix. */
    public static final String READY = ".ready";

    /** What became of one ready bundle. */
    public record Outcome(String name, boolean published, List<String> reasons) {}

    private final Path dir;
    private final Path publishedDir;
    private final Path refusedDir;
    private final Publisher publisher;
    private final Clock clock;

    public Inbox(Path dir, Path publishedDir, Path refusedDir, Publisher publisher, Clock clock) {
        this.dir = dir;
        this.publishedDir = publishedDir;
        this.refusedDir = refusedDir;
        this.publisher = publisher;
        this.clock = clock;
    }

    public Path directory() {
        return dir;
    }

    /** The names of the bundles whose marker is there, oldest name first. */
    public List<String> ready() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> markers = Files.newDirectoryStream(dir, "*" + READY)) {
            for (Path m : markers) {
                String file = m.getFileName().toString();
                if (!file.startsWith(".") && Files.isRegularFile(m, LinkOption.NOFOLLOW_LINKS)) {
                    names.add(file.substring(0, file.length() - READY.length()));
                }
            }
        }
        names.sort(null);
        return names;
    }

    /**
     * Takes one ready bundle (steps 1 to 3). An {@link IOException} is the origin's failure (step 4): nothing moved,
     * the bundle is tried again.
     */
    public Outcome take(String name) throws IOException {
        Path marker = dir.resolve(name + READY);
        Path bundle = dir.resolve(name);
        if (!Files.exists(bundle, LinkOption.NOFOLLOW_LINKS)) {
            Path tar = dir.resolve(name + ".tar");
            bundle = Files.exists(tar, LinkOption.NOFOLLOW_LINKS) ? tar : null;
        }
        if (bundle != null && (sameFile(bundle, publishedDir) || sameFile(bundle, refusedDir))) {
            // A marker naming the inbox's own published/ or refused/ directory: never read or moved as a bundle.
            return refuse(name, null, marker, List.of("the marker " + marker.getFileName() + " names the inbox's own "
                    + bundle.getFileName() + " directory, not a bundle"));
        }
        if (bundle == null) {
            return refuse(name, null, marker, List.of("the marker " + marker.getFileName() + " is there but no bundle "
                    + name + " (nor " + name + ".tar): the transfer must create the marker after the bundle"));
        }
        if (Files.isSymbolicLink(bundle)) {
            return refuse(name, bundle, marker, List.of(bundle.getFileName() + " is a symbolic link; a bundle is plain files"));
        }
        // Step 1: read. What cannot be read is this bundle's fault, not the origin's.
        PublicationBundle read;
        try {
            read = PublicationBundle.read(bundle);
        } catch (IOException | RuntimeException e) {
            return refuse(name, bundle, marker, List.of("the bundle cannot be read: " + e.getMessage()));
        }
        // Step 2: verify and publish (an origin failure throws from here, and nothing moves).
        Verification v = publisher.publish(read);
        if (!v.accepted()) {
            List<String> reasons = new ArrayList<>();
            for (Refusal r : v.refusals()) {
                reasons.add(r.toString());
            }
            return refuse(name, bundle, marker, reasons);
        }
        // The marker first: a crash between the two leaves a bundle without a marker, which is never taken again.
        Files.createDirectories(publishedDir);
        move(marker, publishedDir);
        move(bundle, publishedDir);
        return new Outcome(name, true, List.of());
    }

    private Outcome refuse(String name, Path bundle, Path marker, List<String> reasons) throws IOException {
        Files.createDirectories(refusedDir);
        StringBuilder why = new StringBuilder("bundle " + name + " refused at " + clock.instant() + "; nothing of it was"
                + " published:\n");
        for (String r : reasons) {
            why.append("  ").append(r).append('\n');
        }
        Files.writeString(refusedDir.resolve(name + ".refusal.txt"), why, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        move(marker, refusedDir);
        if (bundle != null) {
            move(bundle, refusedDir);
        }
        return new Outcome(name, false, reasons);
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    /** Within one filesystem: a rename; a name taken by an earlier bundle of the same name is replaced. */
    private static void move(Path p, Path to) throws IOException {
        Path target = to.resolve(p.getFileName());
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            try (var walk = Files.walk(target)) {
                for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
        Files.move(p, target, StandardCopyOption.REPLACE_EXISTING);
    }
}
