package dev.shomei.publisher.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A publication bundle as handed over by the secure zone: a directory (or a {@code .tar} of it) holding
 * manifest.json, manifest.p7s and the artifacts (docs/publication-bundle.md). Read whole into memory so that what is verified is exactly what is
 * uploaded (no re-read of a file that could change in between).
 *
 * <p>Online zone; reads the bundle directory only.
 */
public final class PublicationBundle {

    public static final String MANIFEST = "manifest.json";
    public static final String MANIFEST_SIGNATURE = "manifest.p7s";

    private final Path directory;
    private final byte[] manifestJson;
    private final byte[] manifestSignature;
    private final Map<String, byte[]> files;
    private final List<String> unreadable;

    private PublicationBundle(Path directory, byte[] manifestJson, byte[] manifestSignature, Map<String, byte[]> files,
                              List<String> unreadable) {
        this.directory = directory;
        this.manifestJson = manifestJson;
        this.manifestSignature = manifestSignature;
        this.files = files;
        this.unreadable = unreadable;
    }

    /**
     * Reads every regular file under the directory. Symbolic links and other non-regular entries are recorded
     * as unreadable (a bundle is plain files; a link could point outside it).
     */
    public static PublicationBundle read(Path directory) throws IOException {
        if (Files.isRegularFile(directory) && directory.getFileName().toString().endsWith(".tar")) {
            BundleTar.Entries tar = BundleTar.read(directory);
            Map<String, byte[]> files = new TreeMap<>(tar.files());
            byte[] manifest = files.remove(MANIFEST);
            byte[] signature = files.remove(MANIFEST_SIGNATURE);
            return new PublicationBundle(directory, manifest, signature, files, tar.nonRegular());
        }
        if (!Files.isDirectory(directory)) {
            throw new java.nio.file.NoSuchFileException(directory.toString(), null,
                    "bundle directory does not exist or is not a directory");
        }
        Map<String, byte[]> files = new TreeMap<>();
        List<String> unreadable = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(directory) || Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                String rel = directory.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    files.put(rel, Files.readAllBytes(p));
                } else {
                    unreadable.add(rel);
                }
            }
        }
        byte[] manifest = files.remove(MANIFEST);
        byte[] signature = files.remove(MANIFEST_SIGNATURE);
        return new PublicationBundle(directory, manifest, signature, files, unreadable);
    }

    public Path directory() {
        return directory;
    }

    /** manifest.json, or null when the bundle has none. */
    public byte[] manifestJson() {
        return manifestJson;
    }

    /** manifest.p7s, or null when the bundle has none. */
    public byte[] manifestSignature() {
        return manifestSignature;
    }

    /** Every other regular file, by path relative to the bundle root with '/' separators. */
    public Map<String, byte[]> files() {
        return files;
    }

    /** Entries that are not regular files (symbolic links, devices). */
    public List<String> unreadable() {
        return unreadable;
    }
}
