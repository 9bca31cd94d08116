package dev.shomei.publisher.edge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.RepositoryPath;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.ObjectHeaders;

/**
 * Read-only view of the live release of a filesystem origin, for the edge. Only files that have a header
 * sidecar are served, and OCSP responses at their paths, whose headers come from the response itself: those were
 * written by the publisher after verification; anything else in the directory is not part of the repository.
 *
 * <p>Files are cached in memory per release. The live release is looked up at every request (one readlink),
 * so a publisher's switch of {@code current} is seen by the next request and the old cache is dropped.
 *
 * <p>Online zone (edge). Reads the filesystem origin; writes nothing.
 */
final class ReleaseFiles {

    /** Enough for every pre-signed response of a large CA at ~0.5 KB each; beyond it, files are read per request. */
    private static final int MAX_CACHED = 500_000;

    /**
     * A servable file: its exact bytes and the headers the publisher stored with it, with what the edge sends for
     * them encoded once when the file is read (the entity headers are the same for every request; only
     * Cache-Control's max-age counts down, see {@link #cacheControl}).
     */
    static final class Served {
        private final byte[] content;
        private final ObjectHeaders headers;
        private final Instant expires;
        /** ETag, Last-Modified and Expires header lines: sent with a 200 and with a 304 (RFC 9110 §15.4.5). */
        private final byte[] validators;
        /** The Content-Type header line: sent with a 200 only. */
        private final byte[] contentType;
        private final boolean noCache;
        /** The last Cache-Control line sent, by its max-age: it changes once a second at most. */
        private volatile CacheControlLine lastCacheControl;

        private record CacheControlLine(long maxAge, byte[] line) { }

        Served(byte[] content, ObjectHeaders headers) {
            this.content = content;
            this.headers = headers;
            this.expires = headers.expiresInstant();
            StringBuilder v = new StringBuilder();
            v.append(line("ETag", headers.etag()));
            v.append(line("Last-Modified", ObjectHeaders.httpDate(Instant.parse(headers.lastModified()))));
            if (expires != null) {
                v.append(line("Expires", ObjectHeaders.httpDate(expires)));
            }
            this.validators = ascii(v.toString());
            this.contentType = ascii(line("Content-Type", headers.contentType()));
            this.noCache = "no-cache".equals(headers.cacheControl());
        }

        byte[] content() {
            return content;
        }

        ObjectHeaders headers() {
            return headers;
        }

        /** nextUpdate for CRLs and OCSP responses; null for undated artifacts. */
        Instant expires() {
            return expires;
        }

        byte[] validators() {
            return validators;
        }

        byte[] contentType() {
            return contentType;
        }

        /**
         * The Cache-Control header line for {@code now}: {@link ObjectHeaders#cacheControl} (max-age counting down
         * to nextUpdate, RFC 5019 §6.2), computed here from the already parsed nextUpdate.
         */
        byte[] cacheControl(Instant now, Duration maxAgeCap) {
            long maxAge;
            if (noCache) {
                maxAge = -1;
            } else {
                maxAge = maxAgeCap.toSeconds();
                if (expires != null) {
                    maxAge = Math.min(maxAge, Math.max(0, Duration.between(now, expires).toSeconds()));
                }
            }
            CacheControlLine last = lastCacheControl;
            if (last != null && last.maxAge() == maxAge) {
                return last.line();
            }
            String value = noCache ? headers.cacheControl() : "public, max-age=" + maxAge + ", no-transform, must-revalidate";
            byte[] line = ascii(line("Cache-Control", value));
            lastCacheControl = new CacheControlLine(maxAge, line);
            return line;
        }

        /** "Name: value\r\n". */
        private static String line(String name, String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                // RFC 9110 §5.5: no CR, LF or other controls in a field value. A sidecar is the publisher's, but
                // one damaged on disk must not split the response (header injection): it is a corrupt sidecar.
                if (c > 0xff || c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new IllegalArgumentException("the stored " + name + " contains a control character");
                }
            }
            return name + ": " + value + "\r\n";
        }

        private static byte[] ascii(String s) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private record Snapshot(Path release, ConcurrentHashMap<String, Served> files) { }

    private final FileSystemOrigin origin;
    private volatile Snapshot snapshot = new Snapshot(null, new ConcurrentHashMap<>());

    ReleaseFiles(FileSystemOrigin origin) {
        this.origin = origin;
    }

    /** The live file at this repository path, or empty if there is none (or the path is not a plain one). */
    Optional<Served> get(String path) throws IOException {
        Optional<Path> release = origin.liveRelease();
        if (release.isEmpty()) {
            return Optional.empty();
        }
        Snapshot s = snapshot;
        if (!release.get().equals(s.release())) {
            s = new Snapshot(release.get(), new ConcurrentHashMap<>());
            snapshot = s;
        }
        Served cached = s.files().get(path);
        if (cached != null) {
            // Only plain paths are ever cached (below): the check was made when it was read.
            return Optional.of(cached);
        }
        if (!RepositoryPath.isPlain(path)) {
            return Optional.empty();
        }
        Optional<Served> read = read(release.get(), path);
        if (read.isPresent() && s.files().size() < MAX_CACHED) {
            // Unknown paths are not cached: random serials must not grow the heap.
            s.files().put(path, read.get());
        }
        return read;
    }

    private static Optional<Served> read(Path release, String path) throws IOException {
        Path file = release.resolve(path);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            // Only on a miss: a release published before the fan-out has the response at its flat name (one
            // directory per issuer key); the next publication moves it.
            Optional<OcspPath.Id> response = OcspPath.parse(path);
            if (response.isEmpty()) {
                return Optional.empty();
            }
            file = release.resolve(OcspPath.beforeFanOut(response.get()));
        }
        Path sidecar = file.resolveSibling(file.getFileName() + ObjectHeaders.SIDECAR_SUFFIX);
        boolean needsSidecar = FileSystemOrigin.hasSidecar(path);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                || (needsSidecar && !Files.isRegularFile(sidecar, LinkOption.NOFOLLOW_LINKS))) {
            return Optional.empty();
        }
        try {
            byte[] content = Files.readAllBytes(file);
            ObjectHeaders headers = needsSidecar ? ObjectHeaders.parse(Files.readAllBytes(sidecar)) : ocspHeaders(path, content);
            try {
                return Optional.of(new Served(content, headers));
            } catch (RuntimeException e) {
                // A date that does not parse, a missing field, a control character: the sidecar is corrupt.
                throw new IOException("the header sidecar of " + path + " is not valid: " + e.getMessage(), e);
            }
        } catch (NoSuchFileException e) {
            // The release was pruned between the readlink and the read: treat as absent, the next request sees the new one.
            return Optional.empty();
        }
    }

    /**
     * A pre-signed OCSP response's headers, from the response itself (RFC 5019 §6.2): Last-Modified = thisUpdate,
     * Expires = nextUpdate, the ETag its SHA-256. The publisher writes no sidecar for responses.
     */
    static ObjectHeaders ocspHeaders(String path, byte[] content) throws IOException {
        try {
            org.bouncycastle.cert.ocsp.BasicOCSPResp basic = (org.bouncycastle.cert.ocsp.BasicOCSPResp)
                    new org.bouncycastle.cert.ocsp.OCSPResp(content).getResponseObject();
            org.bouncycastle.cert.ocsp.SingleResp single = basic.getResponses()[0];
            if (single.getNextUpdate() == null) {
                throw new IOException("it has no nextUpdate");
            }
            return new ObjectHeaders("application/ocsp-response", HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(content)),
                    single.getThisUpdate().toInstant().toString(), single.getNextUpdate().toInstant().toString(), null);
        } catch (IOException | RuntimeException | org.bouncycastle.cert.ocsp.OCSPException
                 | java.security.NoSuchAlgorithmException e) {
            throw new IOException(path + " in the live release is not a pre-signed OCSP response: " + e.getMessage(), e);
        }
    }
}
