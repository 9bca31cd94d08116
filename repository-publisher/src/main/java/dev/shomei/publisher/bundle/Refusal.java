package dev.shomei.publisher.bundle;

/**
 * One reason a bundle is refused: the artifact path it concerns (or {@code manifest.json} / {@code manifest.p7s}
 * / the bundle directory), what is wrong with which value, and what to do about it.
 */
public record Refusal(String path, String reason) {
    @Override
    public String toString() {
        return path + ": " + reason;
    }
}
