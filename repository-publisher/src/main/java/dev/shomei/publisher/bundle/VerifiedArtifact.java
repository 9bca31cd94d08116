package dev.shomei.publisher.bundle;

import java.time.Instant;

/**
 * An artifact that passed every check, with the values taken from the artifact itself (not only the manifest).
 * thisUpdate/nextUpdate are set for CRLs and OCSP responses; crlNumber/crlIssuer for CRLs; serial for OCSP.
 * {@code content} is null once the artifact has been handed on (a {@link Verification} lists artifacts without
 * their bytes); {@code size} stays.
 */
public record VerifiedArtifact(String path, ArtifactKind kind, String contentType, byte[] content, String sha256,
                               Instant thisUpdate, Instant nextUpdate, Long crlNumber, String crlIssuer,
                               String serial, long size) {

    public VerifiedArtifact(String path, ArtifactKind kind, String contentType, byte[] content, String sha256,
                            Instant thisUpdate, Instant nextUpdate, Long crlNumber, String crlIssuer, String serial) {
        this(path, kind, contentType, content, sha256, thisUpdate, nextUpdate, crlNumber, crlIssuer, serial, content.length);
    }
}
