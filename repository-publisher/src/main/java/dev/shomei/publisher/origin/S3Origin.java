package dev.shomei.publisher.origin;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * An S3-compatible object storage origin (path-style access, credentials from the standard AWS environment
 * variables).
 *
 * <pre>
 * PREFIX&lt;path&gt;                           live objects, what the CDN fetches
 * PREFIX.staging/&lt;bundleId&gt;/&lt;path&gt;      a publication being prepared
 * PREFIX.previous/&lt;bundleId&gt;/&lt;path&gt;     the live version each switched key had before, kept for rollback
 * </pre>
 *
 * <p>Guarantee. S3 has no multi-object transaction, so the switch cannot be atomic; what holds instead:
 * <ol>
 *   <li>Every object is uploaded to staging and read back in full (bytes, SHA-256 and metadata) before any live
 *       key is touched. A failure there deletes the staging keys; live is unchanged.</li>
 *   <li>The switch copies staged → live key by key (each PUT/COPY is atomic per object, so a reader gets a
 *       complete old or complete new object, never a torn one), the live manifest last; before a key is
 *       overwritten its live version is copied to PREFIX.previous/.</li>
 *   <li>If a copy fails, every key already switched is restored from PREFIX.previous/ (or deleted if it did not
 *       exist before), newest first; the live manifest is the last key and so is still the previous one.</li>
 *   <li>During the switch window a reader may see some new and some old objects. Each of them is a complete,
 *       verified, signed artifact (the new CRL has a higher number, each new OCSP response is not older), so a
 *       relying party can get an older answer, never a wrong or unsigned one.</li>
 *   <li>If the rollback itself fails (the store went away), the exception names each key that could not be
 *       restored; re-running the same bundle completes the publication (identical bytes pass the checks).</li>
 * </ol>
 *
 * <p>Online zone. Touches only keys under PREFIX in the configured bucket.
 */
public final class S3Origin implements Origin {

    private static final String STAGING = ".staging/";
    private static final String PREVIOUS = ".previous/";
    private static final String LOCK = ".publish.lock";

    private final S3Client s3;
    private final String bucket;
    private final String prefix;

    public S3Origin(S3Client s3, String bucket, String prefix) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix == null || prefix.isEmpty() || prefix.endsWith("/") ? nullToEmpty(prefix) : prefix + "/";
    }

    /** A client for an S3-compatible endpoint with path-style access; credentials from AWS_ACCESS_KEY_ID /
     * AWS_SECRET_ACCESS_KEY (or the aws.accessKeyId / aws.secretAccessKey system properties). */
    public static S3Client client(URI endpoint, String region) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(region))
                .forcePathStyle(true)
                .credentialsProvider(AwsCredentialsProviderChain.of(
                        EnvironmentVariableCredentialsProvider.create(), SystemPropertyCredentialsProvider.create()))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                // Many S3-compatible stores do not implement the SDK's default trailing CRC checksums; the
                // publisher compares SHA-256 on read-back itself.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    @Override
    public String describe() {
        return "s3://" + bucket + "/" + prefix;
    }

    /**
     * A lock object created with a conditional PUT (If-None-Match: *), which S3 and compatible stores make
     * atomic: of two publishers, one creates it and the other gets 412. There is no automatic expiry: a
     * publisher killed while holding it leaves it, and the error says which key to delete once the operator
     * has made sure no publication is running.
     */
    @Override
    public PublisherLock lock() throws IOException {
        String key = prefix + LOCK;
        // The token makes the PUT idempotent: if the SDK retries after a first attempt that did create the lock
        // (the response was lost), the 412 that follows names our own token, and we do hold it.
        String token = java.util.UUID.randomUUID().toString();
        String holder = "{\"since\":\"" + Instant.now() + "\",\"pid\":" + ProcessHandle.current().pid()
                + ",\"token\":\"" + token + "\"}";
        try {
            s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*")
                    .contentType("application/json").build(), RequestBody.fromString(holder));
        } catch (S3Exception e) {
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                String held;
                try {
                    held = get(key).asUtf8String();
                } catch (SdkException r) {
                    held = "(unreadable)";
                }
                if (held.equals(holder)) {
                    return release(key);
                }
                throw new IOException("another publisher holds " + describe() + LOCK + " " + held
                        + "; wait for it, or delete that key if no publisher is running", e);
            }
            throw new IOException("cannot create the publisher lock " + describe() + LOCK + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("cannot create the publisher lock " + describe() + LOCK + ": " + e.getMessage(), e);
        }
        return release(key);
    }

    private PublisherLock release(String key) {
        return () -> {
            try {
                s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build());
            } catch (SdkException e) {
                throw new IOException("cannot release the publisher lock " + describe() + LOCK
                        + "; delete that key by hand: " + e.getMessage(), e);
            }
        };
    }

    @Override
    public LiveManifest liveManifest() throws IOException {
        try {
            return LiveManifest.parse(get(prefix + LiveManifest.PATH).asByteArray());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return LiveManifest.empty();
            }
            throw new IOException("cannot read " + describe() + LiveManifest.PATH + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("cannot read " + describe() + LiveManifest.PATH + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<byte[]> readLive(String path) throws IOException {
        try {
            return Optional.of(get(prefix + path).asByteArray());
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw new IOException("cannot read " + describe() + path + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new IOException("cannot read " + describe() + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Staging stage(String bundleId) {
        return new S3Staging(bundleId);
    }

    /** A staged object: what the switch copies, and what it checks the live key against afterwards. */
    private record Staged(String path, String sha256, long size) { }

    /**
     * Steps 1-2 per object ({@link #put}): upload to staging and read back in full. Steps 3-4 in {@link #commit}.
     * What it keeps in memory is each staged object's path and digest, for the switch.
     */
    private final class S3Staging implements Staging {
        private final String bundleId;
        private final String staging;
        private final String previous;
        private final List<Staged> staged = new ArrayList<>();
        private boolean switching;

        S3Staging(String bundleId) {
            this.bundleId = bundleId;
            this.staging = prefix + STAGING + bundleId + "/";
            this.previous = prefix + PREVIOUS + bundleId + "/";
        }

        @Override
        public void put(OriginObject o) throws IOException {
            String key = staging + o.path();
            try {
                // Step 1: upload to staging.
                S3Origin.this.put(key, o);
                staged.add(new Staged(o.path(), o.headers().sha256(), o.body().size()));
                // Step 2: read it back in full and compare bytes (SHA-256) and metadata.
                try (ResponseInputStream<GetObjectResponse> back = s3.getObject(
                        GetObjectRequest.builder().bucket(bucket).key(key).build())) {
                    String sha = FileSystemOrigin.sha256(back);
                    if (!sha.equals(o.headers().sha256()) || !o.headers().sha256().equals(back.response().metadata().get("sha256"))
                            || !sameMediaType(o.headers().contentType(), back.response().contentType())) {
                        throw new IOException("read-back of " + key + " differs from what was uploaded (SHA-256 "
                                + sha + ", content type " + back.response().contentType() + ")");
                    }
                }
            } catch (IOException | SdkException e) {
                throw new PublicationFailedException("publication of bundle " + bundleId + " to " + describe()
                        + " failed while staging; no live object was touched: " + e.getMessage(), e);
            }
        }

        @Override
        public void commit(OriginObject liveManifest) throws IOException {
            put(liveManifest);
            switching = true;
            // Step 3: switch staged → live key by key, the live manifest last, keeping each previous version.
            record Switched(String liveKey, String backupKey) { }
            List<Switched> switched = new ArrayList<>();
            try {
                for (Staged o : staged) {
                    String live = prefix + o.path();
                    String backup = exists(live) ? previous + o.path() : null;
                    if (backup != null) {
                        copy(live, backup);
                    }
                    switched.add(new Switched(live, backup));
                    copy(staging + o.path(), live);
                    HeadObjectResponse head = s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(live).build());
                    if (!o.sha256().equals(head.metadata().get("sha256")) || head.contentLength() != o.size()) {
                        throw new IOException("live " + live + " does not carry the staged object after the copy");
                    }
                }
            } catch (IOException | SdkException e) {
                // Step 3b: roll back, newest first.
                List<String> notRestored = new ArrayList<>();
                for (int i = switched.size() - 1; i >= 0; i--) {
                    Switched s = switched.get(i);
                    try {
                        if (s.backupKey() != null) {
                            copy(s.backupKey(), s.liveKey());
                        } else {
                            s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(s.liveKey()).build());
                        }
                    } catch (SdkException | IOException r) {
                        notRestored.add(s.liveKey());
                    }
                }
                deleteStaged();
                if (notRestored.isEmpty()) {
                    deleteQuietly(switched.stream().map(Switched::backupKey).filter(k -> k != null).toList());
                }
                String state = notRestored.isEmpty()
                        ? "every switched key was restored; the live repository is as it was"
                        : "these live keys could not be restored and may hold the new version: " + notRestored
                          + " (previous versions are under " + previous + "); re-run the same bundle to complete it";
                throw new PublicationFailedException("switching bundle " + bundleId + " live on " + describe()
                        + " failed after " + switched.size() + " of " + staged.size() + " objects (" + e.getMessage() + "); " + state, e);
            }
            // Step 4: clean up staging and the kept previous versions; the publication is complete.
            deleteStaged();
            deleteQuietly(switched.stream().map(Switched::backupKey).filter(k -> k != null).toList());
        }

        private void deleteStaged() {
            deleteQuietly(staged.stream().map(o -> staging + o.path()).toList());
        }

        @Override
        public void close() {
            if (!switching) {
                deleteStaged();
            }
        }
    }

    private void put(String key, OriginObject o) {
        ObjectHeaders h = o.headers();
        Map<String, String> meta = new HashMap<>();
        meta.put("sha256", h.sha256());
        // S3 sets Last-Modified and ETag itself; the artifact's own values travel as metadata for the CDN.
        meta.put("this-update", h.lastModified());
        if (h.expires() != null) {
            meta.put("next-update", h.expires());
        }
        var req = PutObjectRequest.builder().bucket(bucket).key(key)
                .contentType(h.contentType())
                .cacheControl(h.cacheControl())
                .metadata(meta);
        if (h.expires() != null) {
            req.expires(Instant.parse(h.expires()));
        }
        OriginObject.Body body = o.body();
        s3.putObject(req.build(), RequestBody.fromContentProvider(() -> {
            try {
                return body.open();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, body.size(), h.contentType()));
    }

    private ResponseBytes<GetObjectResponse> get(String key) {
        return s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build(), ResponseTransformer.toBytes());
    }

    private void copy(String from, String to) throws IOException {
        s3.copyObject(CopyObjectRequest.builder()
                .sourceBucket(bucket).sourceKey(from)
                .destinationBucket(bucket).destinationKey(to)
                .metadataDirective(MetadataDirective.COPY)
                .build());
    }

    private boolean exists(String key) {
        try {
            s3.headObject(HeadObjectRequest.builder().bucket(bucket).key(key).build());
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private void deleteQuietly(List<String> keys) {
        for (String k : keys) {
            try {
                s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(k).build());
            } catch (SdkException e) {
                // Leftover staging/previous keys are never fetched by the CDN (their names start with '.').
            }
        }
    }

    /** RFC 9110 §8.3.1: type, subtype and parameter names are case-insensitive; some stores drop the space after ';'. */
    static boolean sameMediaType(String a, String b) {
        return b != null && a.replace(" ", "").equalsIgnoreCase(b.replace(" ", ""));
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
