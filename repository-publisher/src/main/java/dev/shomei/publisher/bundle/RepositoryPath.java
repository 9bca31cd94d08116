package dev.shomei.publisher.bundle;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * What a path in the repository may look like. Paths become file names on the filesystem origin, object keys on
 * S3 and URL paths at the edge, so one rule serves all three: '/'-separated segments of letters and digits (any
 * script: a CP/CPS may well be named in Japanese), '.', '_' and '-', no segment starting with '.' (no "..", no
 * hidden files, nothing that collides with the origin's own .staging/.previous names), and no name ending in
 * the header sidecar suffix.
 */
public final class RepositoryPath {

    private static final Pattern SEGMENT = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}._-]*");
    private static final String SIDECAR_SUFFIX = ".headers";

    private RepositoryPath() {
    }

    public static boolean isPlain(String path) {
        return path != null && !path.isEmpty() && !path.endsWith(SIDECAR_SUFFIX)
                && Arrays.stream(path.split("/", -1)).allMatch(s -> SEGMENT.matcher(s).matches());
    }
}
