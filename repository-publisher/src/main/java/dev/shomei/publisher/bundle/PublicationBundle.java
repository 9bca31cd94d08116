package dev.shomei.publisher.bundle;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A publication bundle as handed over by the secure zone: a directory (or a {@code .tar} of it) holding
 * manifest.json, manifest.p7s and the artifacts (docs/publication-bundle.md). Opening it reads only its
 * structure: where manifest.json is, manifest.p7s itself, and (for a tar) that every entry is whole. The
 * artifacts are then read one at a time, in path order, by {@link #entries()}; manifest.json is read as a stream
 * by {@link #openManifest()}. So a bundle of millions of responses is verified and published in constant memory.
 *
 * <p>What is verified is exactly what is uploaded: each artifact's bytes are read once, checked, and those same
 * bytes are staged. manifest.json is read more than once (its signature, then its listing); its bytes are the ones
 * whose signature was verified unless the file is changed while the publisher runs, which the publisher detects
 * (every artifact must then still match the listing, and the manifest is staged by its verified SHA-256).
 *
 * <p>Online zone; reads the bundle only.
 */
public final class PublicationBundle {

    public static final String MANIFEST = "manifest.json";
    public static final String MANIFEST_SIGNATURE = "manifest.p7s";
    private static final long MAX_SIGNATURE = 1 << 20;

    /** One file of the bundle other than the manifest pair: its path and bytes, or null bytes if it is not a regular file. */
    public record Entry(String path, byte[] content) {
        public boolean regular() {
            return content != null;
        }
    }

    /** The artifacts in the order they are stored (path order for a directory; the writer's order for a tar). */
    public interface Entries extends Iterator<Entry>, AutoCloseable {
        @Override
        void close();

        /** How much of the bundle has been read, 0 to 1 (for progress reports). */
        double fraction();
    }

    private final Path directory;
    private final boolean tar;
    /** For a tar: the prefix ("top/") stripped from every name, or "". */
    private final String top;
    private final long manifestOffset;
    private final long manifestSize;
    private final byte[] manifestSignature;
    /** For a directory: every path but the manifest pair, sorted. */
    private final TreeSet<String> paths;
    /** For a tar whose entries are not in path order: every entry but the manifest pair, sorted by path. */
    private final List<Stored> sortedIndex;

    /** Where an entry of an unsorted tar is. */
    private record Stored(String path, long offset, long size, boolean regular) { }

    private PublicationBundle(Path directory, boolean tar, String top, long manifestOffset, long manifestSize,
                              byte[] manifestSignature, TreeSet<String> paths, List<Stored> sortedIndex) {
        this.sortedIndex = sortedIndex;
        this.directory = directory;
        this.tar = tar;
        this.top = top;
        this.manifestOffset = manifestOffset;
        this.manifestSize = manifestSize;
        this.manifestSignature = manifestSignature;
        this.paths = paths;
    }

    /**
     * Opens a bundle directory or {@code .tar}: for a tar, reads every header once (the data skipped), so a
     * truncated or malformed tar fails here with nothing verified; for a directory, lists its files. Symbolic links
     * and other non-regular entries are kept, to be refused by the verifier (a bundle is plain files; a link could
     * point outside it).
     */
    public static PublicationBundle read(Path path) throws IOException {
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".tar")) {
            return readTar(path);
        }
        if (!Files.isDirectory(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null,
                    "bundle directory does not exist or is not a directory");
        }
        TreeSet<String> paths = new TreeSet<>();
        long manifestSize = -1;
        byte[] signature = null;
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(path) || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                String rel = path.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                boolean regular = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
                if (rel.equals(MANIFEST) && regular) {
                    manifestSize = Files.size(p);
                } else if (rel.equals(MANIFEST_SIGNATURE) && regular) {
                    signature = readSmall(p);
                } else {
                    paths.add(rel);
                }
            }
        }
        return new PublicationBundle(path, false, "", 0, manifestSize, signature, paths, null);
    }

    private static byte[] readSmall(Path p) throws IOException {
        if (Files.size(p) > MAX_SIGNATURE) {
            throw new IOException(p + " is " + Files.size(p) + " bytes; a manifest signature is a few kilobytes");
        }
        return Files.readAllBytes(p);
    }

    private static PublicationBundle readTar(Path file) throws IOException {
        // One pass over the headers: where the manifest pair is, and whether every name is under one top directory.
        String firstSegment = null;
        boolean oneTop = true;
        boolean rootManifest = false;
        long[] manifestAt = null;
        long[] topManifestAt = null;
        byte[] signature = null;
        byte[] topSignature = null;
        boolean sorted = true;
        String previous = null;
        try (BundleTar t = new BundleTar(file)) {
            for (BundleTar.Header h; (h = t.next()) != null; ) {
                String name = h.name();
                int slash = name.indexOf('/');
                String segment = slash < 0 ? null : name.substring(0, slash + 1);
                if (firstSegment == null && !h.directory()) {
                    firstSegment = segment;
                }
                if (!h.directory() && (segment == null || !segment.equals(firstSegment))) {
                    oneTop = false;
                }
                String rel = segment == null ? name : name.substring(segment.length());
                boolean manifestName = name.equals(MANIFEST) || (segment != null && rel.equals(MANIFEST));
                boolean signatureName = name.equals(MANIFEST_SIGNATURE) || (segment != null && rel.equals(MANIFEST_SIGNATURE));
                if (h.regular() && manifestName) {
                    if (h.size() > BundleTar.MAX_MANIFEST) {
                        throw new IOException(file + ": " + name + " has an impossible size " + h.size());
                    }
                    long[] at = {h.dataOffset(), h.size()};
                    if (segment == null) {
                        rootManifest = true;
                        manifestAt = at;
                    } else {
                        topManifestAt = at;
                    }
                } else if (h.regular() && signatureName) {
                    byte[] p7s = t.read(MAX_SIGNATURE);
                    if (segment == null) {
                        signature = p7s;
                    } else {
                        topSignature = p7s;
                    }
                } else if (h.size() > BundleTar.MAX_ENTRY && !h.directory()) {
                    throw new IOException(file + ": entry '" + name + "' has an impossible size " + h.size());
                } else if (!h.directory()) {
                    sorted &= previous == null || name.compareTo(previous) > 0;
                    previous = name;
                }
            }
        }
        // A tar of "bundle/" holds "bundle/manifest.json": the bundle root is that directory.
        String top = !rootManifest && oneTop && firstSegment != null && topManifestAt != null ? firstSegment : "";
        long[] at = top.isEmpty() ? manifestAt : topManifestAt;
        return new PublicationBundle(file, true, top, at == null ? 0 : at[0], at == null ? -1 : at[1],
                top.isEmpty() ? signature : topSignature, null, sorted ? null : sortedIndex(file, top));
    }

    /**
     * A tar not written in path order (GNU tar of a bundle directory stores files in directory order): one more pass
     * over the headers lists every entry with its offset, sorted by path, and the artifacts are read from there.
     * That list is in memory (~100 bytes an entry); the presigner writes tars in path order, which need none.
     */
    private static List<Stored> sortedIndex(Path file, String top) throws IOException {
        List<Stored> index = new java.util.ArrayList<>();
        try (BundleTar t = new BundleTar(file)) {
            for (BundleTar.Header h; (h = t.next()) != null; ) {
                if (h.directory() || !h.name().startsWith(top)) {
                    continue;
                }
                String rel = h.name().substring(top.length());
                if (h.regular() && (rel.equals(MANIFEST) || rel.equals(MANIFEST_SIGNATURE))) {
                    continue;
                }
                index.add(new Stored(rel, h.dataOffset(), h.size(), h.regular()));
            }
        }
        index.sort(java.util.Comparator.comparing(Stored::path));
        return index;
    }

    public Path directory() {
        return directory;
    }

    /**
     * Whether the artifacts are read as a stream, with nothing of the bundle in memory: a tar written in path order
     * (as the presigner writes it). A directory, or a tar in another order, is read through a sorted list of its
     * names (~100 bytes an entry).
     */
    public boolean streamed() {
        return tar && sortedIndex == null;
    }

    public boolean hasManifest() {
        return manifestSize >= 0;
    }

    public long manifestSize() {
        return manifestSize;
    }

    /** manifest.json's bytes, streamed; each call reads it afresh. */
    public InputStream openManifest() throws IOException {
        if (!hasManifest()) {
            throw new IllegalStateException("the bundle has no " + MANIFEST);
        }
        if (!tar) {
            return Files.newInputStream(directory.resolve(MANIFEST));
        }
        FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ).position(manifestOffset);
        return new FilterInputStream(new java.io.BufferedInputStream(Channels.newInputStream(ch), 1 << 16)) {
            private long left = manifestSize;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }
        };
    }

    /** manifest.p7s, or null when the bundle has none. */
    public byte[] manifestSignature() {
        return manifestSignature;
    }

    /**
     * Every file but the manifest pair, in stored order, read one at a time. An I/O failure part-way is an
     * {@link UncheckedIOException}.
     */
    public Entries entries() throws IOException {
        return !tar ? directoryEntries() : sortedIndex == null ? tarEntries() : indexedTarEntries();
    }

    /** Reads one listed item as an entry. */
    private interface Reader<T> {
        Entry read(T item) throws IOException;
    }

    /** Entries from a sorted list (a directory's names, or an unsorted tar's index), read one at a time. */
    private static <T> Entries listed(java.util.Collection<T> items, Reader<T> reader, AutoCloseable resource) {
        Iterator<T> it = items.iterator();
        int total = items.size();
        return new Entries() {
            private int read;

            @Override
            public double fraction() {
                return total == 0 ? 1 : (double) read / total;
            }

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Entry next() {
                T item = it.next();
                read++;
                try {
                    return reader.read(item);
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }

            @Override
            public void close() {
                try {
                    resource.close();
                } catch (Exception e) {
                    // read-only
                }
            }
        };
    }

    private Entries indexedTarEntries() throws IOException {
        FileChannel ch = FileChannel.open(directory, StandardOpenOption.READ);
        return listed(sortedIndex, s -> {
            if (!s.regular()) {
                return new Entry(s.path(), null);
            }
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) s.size());
            while (buf.hasRemaining() && ch.read(buf, s.offset() + buf.position()) > 0) {
                // read the entry's data
            }
            if (buf.hasRemaining()) {
                throw new IOException(directory + " is truncated inside '" + s.path() + "'");
            }
            return new Entry(s.path(), buf.array());
        }, ch);
    }

    private Entries directoryEntries() {
        return listed(paths, rel -> {
            Path p = directory.resolve(rel);
            try {
                return new Entry(rel, Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.readAllBytes(p) : null);
            } catch (IOException e) {
                throw new IOException("cannot read " + p + ": " + e.getMessage(), e);
            }
        }, () -> { });
    }

    private Entries tarEntries() throws IOException {
        BundleTar t = new BundleTar(directory);
        // manifest.json is in the tar too (at the end, as the presigner writes it) but read apart: not counted.
        long size = Files.size(directory) - Math.max(0, manifestSize);
        return new Entries() {
            private Entry next;
            private boolean done;

            @Override
            public double fraction() {
                return size == 0 ? 1 : Math.min(1, (double) t.position() / size);
            }

            @Override
            public boolean hasNext() {
                if (next == null && !done) {
                    next = advance();
                    done = next == null;
                }
                return next != null;
            }

            private Entry advance() {
                try {
                    for (BundleTar.Header h; (h = t.next()) != null; ) {
                        if (h.directory() || !h.name().startsWith(top)) {
                            continue;
                        }
                        String rel = h.name().substring(top.length());
                        if (rel.equals(MANIFEST) || rel.equals(MANIFEST_SIGNATURE)) {
                            if (h.regular()) {
                                continue;
                            }
                        }
                        return new Entry(rel, h.regular() ? t.read(BundleTar.MAX_ENTRY) : null);
                    }
                    return null;
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }

            @Override
            public Entry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Entry e = next;
                next = null;
                return e;
            }

            @Override
            public void close() {
                try {
                    t.close();
                } catch (IOException e) {
                    // read-only
                }
            }
        };
    }
}
