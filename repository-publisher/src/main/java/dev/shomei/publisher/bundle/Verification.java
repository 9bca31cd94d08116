package dev.shomei.publisher.bundle;

import java.util.List;

/**
 * The outcome of checking a bundle: either no refusals and every artifact verified, or the full list of
 * reasons it is refused (the bundle is then refused whole; nothing of it is published).
 */
public record Verification(Manifest manifest, List<VerifiedArtifact> artifacts, List<Refusal> refusals) {
    public boolean accepted() {
        return refusals.isEmpty();
    }
}
