package dev.shomei.publisher.bundle;

import java.util.List;

import dev.shomei.publisher.origin.LiveOcspIndex;

/**
 * The outcome of checking a bundle: either no refusals and every artifact verified, or the list of reasons it is
 * refused (the bundle is then refused whole; nothing of it is published).
 *
 * @param manifest       the manifest's header (its artifacts are not kept: there may be millions), or null
 * @param artifacts      the verified artifacts other than OCSP responses, without their bytes
 * @param ocspResponses  how many OCSP responses were verified
 * @param manifestSha256 SHA-256 of manifest.json as its signature was verified
 * @param index          the live OCSP index as this bundle changes it (accepted bundles only)
 */
public record Verification(Manifest manifest, List<VerifiedArtifact> artifacts, long ocspResponses, List<Refusal> refusals,
                           String manifestSha256, LiveOcspIndex index) {

    public boolean accepted() {
        return refusals.isEmpty();
    }

    /** Every verified artifact, OCSP responses included. */
    public long artifactCount() {
        return artifacts.size() + ocspResponses;
    }
}
