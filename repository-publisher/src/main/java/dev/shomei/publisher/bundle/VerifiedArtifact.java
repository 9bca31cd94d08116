package dev.shomei.publisher.bundle;

import java.time.Instant;

/**
 * An artifact that passed every check, with the values taken from the artifact itself (not only the manifest).
 * thisUpdate/nextUpdate are set for CRLs and OCSP responses; crlNumber/crlIssuer for CRLs; serial for OCSP.
 */
public record VerifiedArtifact(String path, ArtifactKind kind, String contentType, byte[] content, String sha256,
                               Instant thisUpdate, Instant nextUpdate, Long crlNumber, String crlIssuer,
                               String serial) {
}
