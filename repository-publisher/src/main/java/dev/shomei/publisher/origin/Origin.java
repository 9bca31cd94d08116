package dev.shomei.publisher.origin;

import java.io.IOException;

/**
 * The CDN origin the publisher pushes to. Two exist: a directory a web server (or the edge) serves, and
 * S3-compatible object storage.
 *
 * <p>The contract both keep: {@link #publish} stages every object, reads each back and compares it, and only
 * then makes the release live; if it throws, relying parties still see the previous release (the exact
 * guarantee of each kind is in its class comment and in the module README).
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

    /** Stages, verifies by read-back and switches live; on any failure the live release is left as it was. */
    void publish(Release release) throws IOException;

    /** Where this origin is, for messages. */
    String describe();
}
