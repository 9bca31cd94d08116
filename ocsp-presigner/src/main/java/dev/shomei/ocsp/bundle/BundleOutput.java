package dev.shomei.ocsp.bundle;

import dev.shomei.ca.issuance.CaOperationException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Where {@link PublicationBundle} puts a bundle's files (docs/publication-bundle.md, "Layout"): a directory, or one
 * tar file when the output's name ends in {@code .tar}. The artifacts arrive in path order, then manifest.json
 * (streamed to {@link #manifestFile()} while the artifacts are written), then manifest.p7s.
 *
 * <p>Zone: secure. Writes only the output (and, for a tar, {@code <out>.partial} and
 * {@code <out>.manifest.json.partial} beside it).
 */
abstract sealed class BundleOutput implements AutoCloseable permits BundleOutput.Directory, BundleOutput.Tar {

    /** Whether {@code out} names the tar form. */
    static boolean isTar(Path out) {
        Path name = out.getFileName();
        return name != null && name.toString().endsWith(".tar");
    }

    /** Step 1 of a bundle: refuses an output that is already there; creates what the writing needs. */
    static BundleOutput open(Path out, Instant createdAt) throws IOException {
        return isTar(out) ? Tar.open(out, createdAt) : Directory.open(out);
    }

    /** The bundle as the caller named it. */
    abstract Path path();

    /** One artifact (in path order). */
    abstract void artifact(String path, byte[] content) throws IOException;

    /** Where manifest.json is streamed while the artifacts are written. */
    abstract Path manifestFile();

    /** manifest.json is complete (its file closed): a tar takes it as its next entry. */
    abstract void manifestDone() throws IOException;

    /** manifest.p7s, the last thing written: afterwards the bundle is whole at {@link #path()}. */
    abstract void signature(byte[] p7s) throws IOException;

    /** After an ordinary failure (not a crash): takes away what is unfinished, where that is safe. */
    abstract void abandon();

    @Override
    public abstract void close() throws IOException;

    /** The directory form: each artifact a file under {@code out}, as before the tar form existed. */
    static final class Directory extends BundleOutput {
        private final Path out;

        private Directory(Path out) {
            this.out = out;
        }

        static Directory open(Path out) throws IOException {
            if (Files.exists(out)) {
                try (Stream<Path> s = Files.list(out)) {
                    if (s.findAny().isPresent()) {
                        throw new CaOperationException("output directory " + out + " is not empty; give a new"
                                + " directory for each bundle");
                    }
                }
            }
            Files.createDirectories(out);
            return new Directory(out);
        }

        @Override
        Path path() {
            return out;
        }

        @Override
        void artifact(String path, byte[] content) throws IOException {
            Path file = out.resolve(path);
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        }

        @Override
        Path manifestFile() {
            return out.resolve("manifest.json");
        }

        @Override
        void manifestDone() {
        }

        @Override
        void signature(byte[] p7s) throws IOException {
            // Written last and atomically (docs/faults.md): a bundle directory has a whole signature or none, and
            // the publisher refuses a bundle without one, or with an artifact that does not match it.
            dev.shomei.ca.io.AtomicFiles.write(out.resolve("manifest.p7s"), p7s);
        }

        @Override
        void abandon() {
            // As before the tar form: a directory without manifest.p7s is refused by every verifier.
        }

        @Override
        public void close() {
        }
    }

    /**
     * The tar form: one POSIX tar (pax headers for long names and big numbers), regular-file entries only, paths
     * relative to the bundle root, mode 0644, mtime the bundle's createdAt; the artifacts, then manifest.json, then
     * manifest.p7s. Written to {@code <out>.partial} (held under an exclusive lock while it is written) and, once
     * fsynced, given its name by a link that fails if {@code <out>} exists: a {@code .tar} at {@code <out>} is always
     * whole. A {@code .partial} left by a crash was never given the name, nor recorded; the next write to the same
     * {@code <out>} takes it over, unless a live writer holds its lock.
     */
    static final class Tar extends BundleOutput {
        static final int MODE = 0100644;

        private final Path out;
        private final Path partial;
        private final Path manifest;
        private final FileChannel channel;
        private final FileLock lock;
        /** Under the tar stream (whose flush does not reach it): flushed by hand once the archive is finished. */
        private final BufferedOutputStream buffered;
        private final TarArchiveOutputStream tar;
        private final FileTime mtime;
        private boolean published;

        private Tar(Path out, Path partial, Path manifest, FileChannel channel, FileLock lock, Instant createdAt) {
            this.out = out;
            this.partial = partial;
            this.manifest = manifest;
            this.channel = channel;
            this.lock = lock;
            this.mtime = FileTime.from(createdAt);
            this.buffered = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
            this.tar = new TarArchiveOutputStream(buffered, "UTF-8");
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
        }

        static Tar open(Path out, Instant createdAt) throws IOException {
            if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                throw new CaOperationException("output file " + out + " already exists; give a new file name for"
                        + " each bundle");
            }
            Path abs = out.toAbsolutePath();
            Path dir = abs.getParent();
            Files.createDirectories(dir);
            Path partial = dir.resolve(abs.getFileName() + ".partial");
            Path manifest = dir.resolve(abs.getFileName() + ".manifest.json.partial");
            FileChannel ch = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (lock == null) {
                ch.close();
                throw new CaOperationException("another bundle is being written to " + partial + "; wait for it to"
                        + " finish, or give another output file");
            }
            try {
                // A .partial left by a crash (never renamed, never recorded) is taken over: emptied and rewritten.
                ch.truncate(0);
                Files.deleteIfExists(manifest);
                return new Tar(out, partial, manifest, ch, lock, createdAt);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        @Override
        Path path() {
            return out;
        }

        private TarArchiveEntry entry(String path, long size) {
            TarArchiveEntry e = new TarArchiveEntry(path, true);
            e.setMode(MODE);
            e.setSize(size);
            e.setLastModifiedTime(mtime);
            e.setUserId(0);
            e.setGroupId(0);
            e.setUserName("");
            e.setGroupName("");
            return e;
        }

        @Override
        void artifact(String path, byte[] content) throws IOException {
            tar.putArchiveEntry(entry(path, content.length));
            tar.write(content);
            tar.closeArchiveEntry();
        }

        @Override
        Path manifestFile() {
            return manifest;
        }

        @Override
        void manifestDone() throws IOException {
            tar.putArchiveEntry(entry("manifest.json", Files.size(manifest)));
            try (InputStream in = Files.newInputStream(manifest)) {
                in.transferTo(tar);
            }
            tar.closeArchiveEntry();
        }

        @Override
        void signature(byte[] p7s) throws IOException {
            tar.putArchiveEntry(entry("manifest.p7s", p7s.length));
            tar.write(p7s);
            tar.closeArchiveEntry();
            tar.finish();
            buffered.flush();
            channel.force(true);
            publish();
            Files.deleteIfExists(manifest);
        }

        /**
         * {@code <out>.partial} becomes {@code <out>}: a hard link (which fails if {@code <out>} appeared meanwhile,
         * where a rename would replace it), then the {@code .partial} name removed; the directory fsynced.
         */
        private void publish() throws IOException {
            boolean linked = false;
            try {
                Files.createLink(out, partial);
                linked = true;
            } catch (FileAlreadyExistsException e) {
                throw appeared();
            } catch (UnsupportedOperationException | FileSystemException e) {
                // A file system without hard links: a rename, after one more look.
                if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
                    throw appeared();
                }
                Files.move(partial, out, StandardCopyOption.ATOMIC_MOVE);
            }
            published = true;
            if (linked) {
                Files.delete(partial);
            }
            Path dir = out.toAbsolutePath().getParent();
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // Some platforms cannot open a directory; the rename is still atomic, only its durability is the OS's.
            }
        }

        private CaOperationException appeared() {
            return new CaOperationException("output file " + out + " appeared while the bundle was written (another"
                    + " writer?); nothing was recorded: write the bundle again to a new file");
        }

        @Override
        void abandon() {
            if (published) {
                return;
            }
            try {
                Files.deleteIfExists(manifest);
                Files.deleteIfExists(partial);
            } catch (IOException e) {
                // Left for the next write to the same output, which takes a .partial over.
            }
        }

        @Override
        public void close() throws IOException {
            try {
                if (lock.isValid()) {
                    lock.release();
                }
            } finally {
                channel.close();
            }
        }
    }
}
