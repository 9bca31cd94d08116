package dev.shomei.publisher.origin;

import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.fault.CrashPoints;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A filesystem origin: a directory that a web server (or {@code publisher edge}) serves.
 *
 * <pre>
 * ROOT/current -> releases/&lt;bundleId&gt;     symbolic link; the web server's document root is ROOT/current
 * ROOT/releases/&lt;bundleId&gt;/...            one complete repository per publication (+ .headers sidecars)
 * ROOT/releases/.staging-&lt;bundleId&gt;-N      a publication being prepared; never served
 * </pre>
 *
 * <p>Guarantee: a release is built complete in a staging directory (the previous release hard-linked in, the
 * bundle's objects written over it through temporary files and renames, so the live release's files are never
 * opened for writing), every object is read back and compared, and then {@code current} is replaced by one
 * rename(2) of a new symbolic link, which POSIX makes atomic: a request sees the old release or the new one,
 * never a mix. Anything that fails before that rename deletes the staging directory and leaves {@code current}
 * untouched. A file already open by the web server keeps its old content (hard links, not rewrites).
 *
 * <p>Online zone. Writes only under ROOT. One publisher at a time: {@link #lock()} locks ROOT/.publish.lock
 * (an OS lock: released when the process dies, so a killed publisher leaves nothing to clean up).
 */
public class FileSystemOrigin implements Origin {

    static final String CURRENT = "current";
    static final String RELEASES = "releases";
    private static final int KEEP_PREVIOUS_RELEASES = 3;

    private final Path root;

    public FileSystemOrigin(Path root) {
        this.root = root.toAbsolutePath();
    }

    @Override
    public String describe() {
        return root.toString();
    }

    /** The directory of the live release, if anything was ever published. */
    public Optional<Path> liveRelease() throws IOException {
        Path current = root.resolve(CURRENT);
        if (!Files.isSymbolicLink(current)) {
            return Optional.empty();
        }
        return Optional.of(root.resolve(Files.readSymbolicLink(current)).normalize());
    }

    @Override
    public LiveManifest liveManifest() throws IOException {
        Optional<Path> live = liveRelease();
        if (live.isEmpty() || !Files.exists(live.get().resolve(LiveManifest.PATH))) {
            return LiveManifest.empty();
        }
        return LiveManifest.parse(Files.readAllBytes(live.get().resolve(LiveManifest.PATH)));
    }

    @Override
    public PublisherLock lock() throws IOException {
        Files.createDirectories(root);
        Path lockPath = root.resolve(".publish.lock");
        FileChannel channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            // Held by another publisher in this same JVM.
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("another publisher holds " + lockPath + "; wait for it to finish");
        }
        FileLock held = lock;
        return () -> {
            held.release();
            channel.close();
        };
    }

    @Override
    public Optional<byte[]> readLive(String path) throws IOException {
        Optional<Path> live = liveRelease();
        if (live.isEmpty()) {
            return Optional.empty();
        }
        Path file = live.get().resolve(path);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        return Optional.of(Files.readAllBytes(file));
    }

    /**
     * Whether an object gets a header sidecar. An OCSP response does not: its headers follow from the response
     * itself (RFC 5019 §6.2: Last-Modified = thisUpdate, Expires = nextUpdate, the ETag its SHA-256), which is how
     * the edge serves it, and a sidecar each would double the files (and inodes) of a repository of millions.
     */
    public static boolean hasSidecar(String path) {
        return OcspPath.parse(path).isEmpty() && OcspPath.fromFlat(path).isEmpty();
    }

    /** Callers hold {@link #lock()} (the publisher does, around reading what is live and publishing). */
    @Override
    public Staging stage(String bundleId) throws IOException {
        Files.createDirectories(root.resolve(RELEASES));
        // Under the lock nothing else is staging: leftovers are from a publisher that was killed part-way.
        removeLeftovers();
        Optional<Path> previous = liveRelease();
        Path staging = root.resolve(RELEASES).resolve(".staging-" + bundleId + "-" + System.nanoTime());
        try {
            // Step 1: the new release starts as the previous one (bundles may be incremental), by hard links.
            Files.createDirectories(staging);
            if (previous.isPresent()) {
                linkTree(previous.get(), staging);
            }
        } catch (IOException | RuntimeException e) {
            deleteTree(staging);
            throw failedBeforeSwitch(bundleId, previous, e);
        }
        return new FsStaging(bundleId, previous, staging);
    }

    private PublicationFailedException failedBeforeSwitch(String bundleId, Optional<Path> previous, Exception e) {
        String hint = "";
        if (String.valueOf(e.getMessage()).contains("No space left on device") && root.toFile().getUsableSpace() > (1L << 30)) {
            // ext4 without the large_dir feature refuses new names in a directory of ~9M entries (its hash index is
            // full), and says ENOSPC: every response of an issuer key is in one directory.
            hint = " (the disk has " + (root.toFile().getUsableSpace() >> 30) + " GB free: a directory's index may be"
                    + " full; ext4 needs the large_dir feature for more than ~9 million responses of one issuer key,"
                    + " see the repository-publisher README)";
        }
        return new PublicationFailedException("publication of bundle " + bundleId + " to " + root
                + " failed before the switch; the live release is unchanged ("
                + previous.map(Path::toString).orElse("nothing published yet") + "): " + e.getMessage() + hint, e);
    }

    /**
     * Step 2 is {@link #put}: each object and its header sidecar written into the staging directory as the bundle is
     * verified. Step 3 runs beside it: each written file is read back, compared and fsynced on
     * {@value #SYNC_THREADS} threads (the filesystem journal commits concurrent fsyncs together, where one fsync
     * per file in turn costs a journal commit each: at 8 ms under load, 20,000 responses took 266 s), at most a few
     * files behind the writer, so the heap holds only those. Step 4 is {@link #commit}: the live manifest, the
     * directories' fsyncs, the switch.
     */
    private final class FsStaging implements Staging {
        private final String bundleId;
        private final Optional<Path> previous;
        private final Path staging;
        private final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(SYNC_THREADS, r -> {
            Thread t = new Thread(r, "origin-sync");
            t.setDaemon(true);
            return t;
        });
        private final java.util.ArrayDeque<java.util.concurrent.Future<?>> pending = new java.util.ArrayDeque<>();
        private final java.util.Set<Path> dirs = new java.util.HashSet<>();
        private boolean committed;

        FsStaging(String bundleId, Optional<Path> previous, Path staging) {
            this.bundleId = bundleId;
            this.previous = previous;
            this.staging = staging;
        }

        @Override
        public void put(OriginObject o) throws IOException {
            try {
                Path target = staging.resolve(o.path());
                if (!target.normalize().startsWith(staging)) {
                    throw new IOException("object path " + o.path() + " leaves the release directory");
                }
                for (Path d = target.getParent(); d.startsWith(staging) && dirs.add(d); d = d.getParent()) {
                    // every directory from the object's up to the staging root, once
                }
                OriginObject.Body body = o.body();
                byte[] content = body.size() <= OriginObject.IN_MEMORY ? body.bytes() : null;
                if (content != null) {
                    writeFile(target, content);
                } else {
                    writeLarge(target, body);
                }
                byte[] headers = hasSidecar(o.path()) ? o.headers().toJson() : null;
                if (headers != null) {
                    writeFile(sidecar(target), headers);
                } else {
                    // A release written before responses lost their sidecars: the old one would describe old bytes.
                    Files.deleteIfExists(sidecar(target));
                }
                pending.add(pool.submit(() -> {
                    readBackAndSync(target, content, body.size(), o.headers().sha256());
                    if (headers != null) {
                        readBackAndSync(sidecar(target), headers, headers.length, null);
                    }
                    return null;
                }));
                while (pending.size() > 4 * SYNC_THREADS) {
                    await(pending.removeFirst());
                }
            } catch (IOException | RuntimeException e) {
                throw failedBeforeSwitch(bundleId, previous, e);
            }
        }

        @Override
        public void commit(OriginObject liveManifest) throws IOException {
            put(liveManifest);
            try {
                // Step 3's end: every file read back and durable, then the directories (a rename is durable once
                // its directory is), all before the switch; a disk that lies is caught before anything is live.
                while (!pending.isEmpty()) {
                    await(pending.removeFirst());
                }
                for (Path d : dirs) {
                    syncDirectory(d);
                }
            } catch (IOException | RuntimeException e) {
                throw failedBeforeSwitch(bundleId, previous, e);
            }
            // Step 4: name the release and switch 'current' to it with one atomic rename.
            Path released = uniqueReleaseDir(bundleId);
            Path link = root.resolve(".current-" + System.nanoTime());
            try {
                Files.move(staging, released, StandardCopyOption.ATOMIC_MOVE);
                Files.createSymbolicLink(link, root.relativize(released));
                CrashPoints.reach(CrashPoints.PUBLISH_BEFORE_SWITCH, released.getFileName().toString());
                switchCurrent(link);
                committed = true;
                CrashPoints.reach(CrashPoints.PUBLISH_AFTER_SWITCH, released.getFileName().toString());
                syncDirectory(root);
            } catch (IOException | RuntimeException e) {
                if (!committed) {
                    Files.deleteIfExists(link);
                    deleteTree(Files.exists(released) ? released : staging);
                    throw new PublicationFailedException("switching " + root.resolve(CURRENT) + " to bundle " + bundleId
                            + " failed; the live release is unchanged: " + e.getMessage(), e);
                }
                throw e;
            }
            // Step 5: keep a few previous releases (an operator can switch back by hand), delete older ones.
            pruneReleases(released, previous.orElse(null));
        }

        @Override
        public void close() {
            pool.shutdownNow();
            if (!committed) {
                deleteTree(staging);
            }
        }
    }

    private void removeLeftovers() throws IOException {
        try (Stream<Path> list = Files.list(root.resolve(RELEASES))) {
            list.filter(p -> p.getFileName().toString().startsWith(".staging-")).forEach(FileSystemOrigin::deleteTree);
        }
        try (Stream<Path> list = Files.list(root)) {
            for (Path p : list.filter(p -> p.getFileName().toString().startsWith(".current-")).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Makes the rename of 'current' durable (POSIX: a rename is persisted by an fsync of the directory). */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every filesystem lets a directory be opened for fsync; the switch itself already happened.
        }
    }

    /** The atomic switch; a seam so a test can make it fail. */
    protected void switchCurrent(Path newLink) throws IOException {
        try {
            Files.move(newLink, root.resolve(CURRENT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the filesystem of " + root + " cannot rename atomically; use a local POSIX filesystem", e);
        }
    }

    /** {@link #writeFile} for a body too large for one array (the manifest of a bundle of millions of responses). */
    private static void writeLarge(Path target, OriginObject.Body body) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(".tmp-" + target.getFileName());
        try (java.io.InputStream in = body.open()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Writes a file through a temporary sibling, fsync and rename, so a hard-linked file of the live release
     * is replaced, not modified. A seam for tests that interrupt a publication part-way.
     */
    protected void writeFile(Path target, byte[] content) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(".tmp-" + target.getFileName());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            // In two halves so that the fault suite can kill the publisher with half a file on disk.
            int half = content.length / 2;
            var buf = java.nio.ByteBuffer.wrap(content, 0, half);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            CrashPoints.reach(CrashPoints.PUBLISH_DURING_WRITE, target.getFileName().toString());
            buf = java.nio.ByteBuffer.wrap(content, half, content.length - half);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static final int SYNC_THREADS = 16;

    /** Reads a staged file back and compares it (bytes when in memory, else size and SHA-256), then fsyncs it. */
    private static void readBackAndSync(Path file, byte[] expected, long size, String sha256) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            boolean same;
            if (expected != null) {
                byte[] back = new byte[(int) Math.min(ch.size(), Integer.MAX_VALUE - 16)];
                var buf = java.nio.ByteBuffer.wrap(back);
                while (buf.hasRemaining() && ch.read(buf) >= 0) {
                    // read to the end
                }
                same = ch.size() == expected.length && Arrays.equals(back, expected) && (sha256 == null || sha256(back).equals(sha256));
            } else {
                same = ch.size() == size && sha256(java.nio.channels.Channels.newInputStream(ch)).equals(sha256);
            }
            if (!same) {
                throw new IOException("read-back of " + file + " differs from what was written");
            }
            ch.force(true);
        }
    }

    private static void await(java.util.concurrent.Future<?> f) throws IOException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the staged release durable", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        }
    }

    static Path sidecar(Path file) {
        return file.resolveSibling(file.getFileName() + ObjectHeaders.SIDECAR_SUFFIX);
    }

    private Path uniqueReleaseDir(String bundleId) {
        Path dir = root.resolve(RELEASES).resolve(bundleId);
        for (int n = 2; Files.exists(dir, LinkOption.NOFOLLOW_LINKS); n++) {
            // The same bundle published again (e.g. after a failed attempt elsewhere): a new directory each time.
            dir = root.resolve(RELEASES).resolve(bundleId + "-" + n);
        }
        return dir;
    }

    private static void linkTree(Path from, Path to) throws IOException {
        Path fannedOut = null;
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String relative = from.relativize(p).toString();
                Path target = to.resolve(relative);
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(target);
                    continue;
                }
                if (relative.endsWith(ObjectHeaders.SIDECAR_SUFFIX) && OcspPath.fromFlat(relative.substring(0,
                        relative.length() - ObjectHeaders.SIDECAR_SUFFIX.length())).isPresent()) {
                    continue; // an older release's sidecar of a response: the edge derives those headers now
                }
                Optional<String> moved = OcspPath.fromFlat(relative);
                if (moved.isPresent()) {
                    // A release published before the fan-out: its responses move to ocsp/<ikh>/<2 hex>/ here, once.
                    target = to.resolve(moved.get());
                    if (!target.getParent().equals(fannedOut)) {
                        fannedOut = Files.createDirectories(target.getParent());
                    }
                }
                try {
                    Files.createLink(target, p);
                } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private void pruneReleases(Path keep, Path previous) {
        try (Stream<Path> list = Files.list(root.resolve(RELEASES))) {
            List<Path> old = new ArrayList<>(list.filter(p -> !p.equals(keep) && !p.getFileName().toString().startsWith(".")).toList());
            old.sort(Comparator.comparing(FileSystemOrigin::modified).reversed());
            for (Path p : old.subList(Math.min(KEEP_PREVIOUS_RELEASES, old.size()), old.size())) {
                deleteTree(p);
            }
        } catch (IOException e) {
            // Pruning is housekeeping; the publication itself succeeded.
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Deletes a tree depth-first as it walks it (a staging directory of millions of files must not be listed into
     * memory first: a failed 10M publication ran out of heap here).
     */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a)
                        throws IOException {
                    Files.deleteIfExists(file);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | RuntimeException e) {
            // Best effort: a leftover staging directory is never served and is named as such.
        }
    }

    static String sha256(java.io.InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
