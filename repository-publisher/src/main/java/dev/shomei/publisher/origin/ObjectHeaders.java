package dev.shomei.publisher.origin;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The HTTP headers an artifact is served with, and how caches may keep it (RFC 5019 §6, RFC 9111).
 *
 * <p>Stored with each object: as object metadata on S3, as a {@code <file>.headers} JSON sidecar on the filesystem
 * origin. {@code cacheControl} in a sidecar is the value at publication time, for a static server that copies
 * it; the edge recomputes max-age at every request from {@code expires}, so it shrinks towards nextUpdate.
 * Online zone; a value type.
 *
 * @param contentType  RFC 2585 / RFC 6960 Appendix C media type
 * @param sha256       lowercase hex SHA-256 of the content; the strong ETag is derived from it
 * @param lastModified thisUpdate for CRLs and OCSP responses (RFC 5019 §6.2), the bundle time otherwise
 * @param expires      nextUpdate for CRLs and OCSP responses (RFC 5019 §6.2); null for undated artifacts
 * @param cacheControl Cache-Control as computed when published
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectHeaders(String contentType, String sha256, String lastModified, String expires, String cacheControl) {

    /** Suffix of the filesystem origin's header sidecar files. */
    public static final String SIDECAR_SUFFIX = ".headers";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Headers for an artifact, with Cache-Control computed for {@code now}. */
    public static ObjectHeaders of(String contentType, String sha256, Instant lastModified, Instant expires,
                                   Instant now, Duration maxAgeCap) {
        ObjectHeaders h = new ObjectHeaders(contentType, sha256, lastModified.toString(),
                expires == null ? null : expires.toString(), null);
        return new ObjectHeaders(contentType, sha256, h.lastModified, h.expires, h.cacheControl(now, maxAgeCap));
    }

    /** Headers for an object that must always be revalidated (the manifests: they say what is current). */
    public static ObjectHeaders uncached(String contentType, String sha256, Instant lastModified) {
        return new ObjectHeaders(contentType, sha256, lastModified.toString(), null, "no-cache");
    }

    /** Strong entity tag from the SHA-256 of the exact bytes (RFC 9110 §8.8.3). */
    public String etag() {
        return "\"" + sha256 + "\"";
    }

    /**
     * RFC 5019 §6.2 / RFC 9111 §5.2.2: max-age no later than nextUpdate (a cache must not serve a response
     * past its validity), capped so a cache revalidates at least this often; public (one response for everyone),
     * no-transform (signed bytes must pass through a CDN unchanged), must-revalidate (never serve stale).
     */
    public String cacheControl(Instant now, Duration maxAgeCap) {
        if ("no-cache".equals(cacheControl)) {
            return cacheControl;
        }
        long maxAge = maxAgeCap.toSeconds();
        if (expires != null) {
            maxAge = Math.min(maxAge, Math.max(0, Duration.between(now, Instant.parse(expires)).toSeconds()));
        }
        return "public, max-age=" + maxAge + ", no-transform, must-revalidate";
    }

    public Instant expiresInstant() {
        return expires == null ? null : Instant.parse(expires);
    }

    /** An RFC 9110 §5.6.7 IMF-fixdate, as Last-Modified and Expires are written. */
    public static String httpDate(Instant instant) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC).format(instant);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("headers cannot be serialised", e);
        }
    }

    public static ObjectHeaders parse(byte[] json) throws IOException {
        return JSON.readValue(json, ObjectHeaders.class);
    }
}
