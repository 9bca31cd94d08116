package dev.shomei.ca.io;

import dev.shomei.ca.fault.CrashPoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes a signed artifact so that its name holds either the old content or the whole new content, never a
 * part, even if the process or the machine stops in the middle (docs/faults.md): Step 1, write to a hidden
 * temporary name in the same directory ({@code .<name>.partial}, which no publisher picks up); Step 2, fsync it;
 * Step 3, rename it over the target (atomic within one file system, POSIX rename(2)); Step 4, fsync the directory
 * so that the rename itself survives a power loss.
 *
 * <p>Zone: any (secure-zone commands use it for CRLs, result bundles, checkpoints). Writes only the target and
 * its temporary sibling.
 */
public final class AtomicFiles {

    private AtomicFiles() {}

    public static void write(Path target, byte[] content) throws IOException {
        write(target, content, null);
    }

    /**
     * @param crashPoint a {@link CrashPoints} name reached half-way through the write (the fault suite's
     *                   "during the write"), or null
     */
    public static void write(Path target, byte[] content, String crashPoint) throws IOException {
        Path tmp = temporary(target);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE); OutputStream out = Channels.newOutputStream(ch)) {
            int half = content.length / 2;
            out.write(content, 0, half);
            out.flush();
            if (crashPoint != null) {
                CrashPoints.reach(crashPoint, target.toString());
            }
            out.write(content, half, content.length - half);
            out.flush();
            ch.force(true);
        }
        publish(tmp, target);
    }

    /** Copies a file (a large CRL) under the same rules. */
    public static void copy(Path source, Path target, String crashPoint) throws IOException {
        Path tmp = temporary(target);
        long size = Files.size(source);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE); OutputStream out = Channels.newOutputStream(ch);
             InputStream in = Files.newInputStream(source)) {
            out.write(in.readNBytes((int) Math.min(size / 2, Integer.MAX_VALUE)));
            out.flush();
            if (crashPoint != null) {
                CrashPoints.reach(crashPoint, target.toString());
            }
            in.transferTo(out);
            out.flush();
            ch.force(true);
        }
        publish(tmp, target);
    }

    public static void writeString(Path target, String content) throws IOException {
        write(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** The temporary sibling: same directory (so the rename is atomic), hidden, never a name a reader expects. */
    static Path temporary(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        return dir.resolve("." + abs.getFileName() + ".partial");
    }

    private static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot replace " + target + " atomically (" + e.getMessage() + "); nothing was"
                    + " written to it", e);
        }
        syncDirectory(target.toAbsolutePath().getParent());
    }

    /** fsync(2) of a directory: opening it read-only and forcing works on Linux; elsewhere it is a no-op. */
    static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the rename is still atomic, only its durability is the OS's.
        }
    }
}
