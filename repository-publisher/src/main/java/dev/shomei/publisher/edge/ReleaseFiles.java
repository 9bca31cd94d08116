package dev.shomei.publisher.edge;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.shomei.publisher.bundle.RepositoryPath;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.ObjectHeaders;

/**
 * Read-only view of the live release of a filesystem origin, for the edge. Only files that have a header
 * sidecar are served: those were written by the publisher after verification; anything else in the directory
 * is not part of the repository.
 *
 * <p>Files are cached in memory per release. The live release is looked up at every request (one readlink),
 * so a publisher's switch of {@code current} is seen by the next request and the old cache is dropped.
 *
 * <p>Online zone (edge). Reads the filesystem origin; writes nothing.
 */
final class ReleaseFiles {

    /** Enough for every pre-signed response of a large CA at ~0.5 KB each; beyond it, files are read per request. */
    private static final int MAX_CACHED = 500_000;

    /** A servable file: its exact bytes and the headers the publisher stored with it. */
    record Served(byte[] content, ObjectHeaders headers) { }

    private record Snapshot(Path release, ConcurrentHashMap<String, Served> files) { }

    private final FileSystemOrigin origin;
    private volatile Snapshot snapshot = new Snapshot(null, new ConcurrentHashMap<>());

    ReleaseFiles(FileSystemOrigin origin) {
        this.origin = origin;
    }

    /** The live file at this repository path, or empty if there is none (or the path is not a plain one). */
    Optional<Served> get(String path) throws IOException {
        if (!RepositoryPath.isPlain(path)) {
            return Optional.empty();
        }
        Optional<Path> release = origin.liveRelease();
        if (release.isEmpty()) {
            return Optional.empty();
        }
        Snapshot s = snapshot;
        if (!release.get().equals(s.release())) {
            s = new Snapshot(release.get(), new ConcurrentHashMap<>());
            snapshot = s;
        }
        Served cached = s.files().get(path);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Served> read = read(release.get(), path);
        if (read.isPresent() && s.files().size() < MAX_CACHED) {
            // Unknown paths are not cached: random serials must not grow the heap.
            s.files().put(path, read.get());
        }
        return read;
    }

    private static Optional<Served> read(Path release, String path) throws IOException {
        Path file = release.resolve(path);
        Path sidecar = file.resolveSibling(file.getFileName() + ObjectHeaders.SIDECAR_SUFFIX);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(sidecar, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Served(Files.readAllBytes(file), ObjectHeaders.parse(Files.readAllBytes(sidecar))));
        } catch (NoSuchFileException e) {
            // The release was pruned between the readlink and the read: treat as absent, the next request sees the new one.
            return Optional.empty();
        }
    }
}
