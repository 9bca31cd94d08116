package dev.shomei.publisher.origin;

import java.io.IOException;
import java.util.Optional;

/**
 * The CDN origin the publisher pushes to. Two exist: a directory a web server (or the edge) serves, and
 * S3-compatible object storage.
 *
 * <p>The contract both keep: a publication is {@link #stage staged} object by object as the bundle is verified
 * (each object written and read back, none of it live), and only {@link Staging#commit} makes it live, the live
 * manifest last; if anything fails before, or the bundle is refused, {@link Staging#close} discards the staging
 * and relying parties still see the previous release (the exact guarantee of each kind is in its class comment
 * and in the module README). Nothing of a publication is held in memory but the object being written.
 */
public interface Origin {

    /**
     * Keeps other publishers off this origin until closed: reading what is live, checking against it and
     * switching must not interleave with another publication. Fails at once (no waiting) if another holds it.
     */
    PublisherLock lock() throws IOException;

    /** A held {@link #lock()}. */
    interface PublisherLock extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    /** The live manifest on the origin; {@link LiveManifest#empty()} before the first publication. */
    LiveManifest liveManifest() throws IOException;

    /** The bytes of a live object (e.g. a shard of the live OCSP index), or empty if it is not live. */
    Optional<byte[]> readLive(String path) throws IOException;

    /** Starts a publication of this bundle; callers hold {@link #lock()}. */
    Staging stage(String bundleId) throws IOException;

    /** A publication being prepared: nothing of it is live until {@link #commit}. */
    interface Staging extends AutoCloseable {
        /** Writes one object into the staging area and checks it by read-back; not live. */
        void put(OriginObject object) throws IOException;

        /**
         * Makes every staged object live, {@code liveManifest} last (the commit point); on any failure the live
         * release is left as it was, or the exception says exactly what is live.
         */
        void commit(OriginObject liveManifest) throws IOException;

        /** Discards the staging area unless committed; never fails the caller. */
        @Override
        void close();
    }

    /** Where this origin is, for messages. */
    String describe();
}
