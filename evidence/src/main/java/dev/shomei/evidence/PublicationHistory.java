package dev.shomei.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The repository as reconciliation reads it: the live tree relying parties fetch from, and, when the directory is a
 * publisher's origin (repository-publisher: {@code ROOT/current -> releases/<bundleId>}, each release a complete
 * repository with its {@code live-manifest.json} naming when it was published), the releases the origin still
 * keeps, oldest first. The history is what lets reconciliation say when a revocation first appeared on the CDN.
 *
 * <p>Accepted forms: the origin root (with {@code current} and {@code releases/}), one release directory (its
 * siblings are the history), or a plain directory holding {@code crl/} and {@code ocsp/} (no history).
 *
 * <p>Zone: the operator's side. Reads the directory; writes nothing.
 */
public final class PublicationHistory {

    /** One publication: the release directory and the time the publisher made it live. */
    public record Release(String bundleId, Instant publishedAt, Path directory) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path live;
    private final List<Release> releases;

    private PublicationHistory(Path live, List<Release> releases) {
        this.live = live;
        this.releases = List.copyOf(releases);
    }

    public static PublicationHistory of(Path repository) throws IOException {
        Path dir = repository;
        if (Files.isDirectory(repository.resolve("releases")) && Files.isDirectory(repository.resolve("current"))) {
            dir = repository.resolve("current");
        }
        Path real = dir.toRealPath();
        Path parent = real.getParent();
        List<Release> releases = new ArrayList<>();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("releases")) {
            try (Stream<Path> s = Files.list(parent)) {
                for (Path r : s.filter(Files::isDirectory).toList()) {
                    String name = r.getFileName().toString();
                    if (name.startsWith(".")) {
                        continue; // .staging-*: a publication being prepared, never served
                    }
                    Instant at = publishedAt(r);
                    if (at != null) {
                        releases.add(new Release(name, at, r));
                    }
                }
            }
        }
        releases.sort(Comparator.comparing(Release::publishedAt));
        return new PublicationHistory(dir, releases);
    }

    /** The tree relying parties fetch from now. */
    public Path live() {
        return live;
    }

    /** The releases the origin keeps, oldest first; empty for a plain directory. */
    public List<Release> releases() {
        return releases;
    }

    private static Instant publishedAt(Path release) {
        Path manifest = release.resolve("live-manifest.json");
        if (!Files.isRegularFile(manifest)) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(manifest.toFile());
            return Instant.parse(n.path("publishedAt").asText());
        } catch (IOException | DateTimeParseException e) {
            return null;
        }
    }
}
