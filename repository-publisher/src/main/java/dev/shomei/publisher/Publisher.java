package dev.shomei.publisher;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import dev.shomei.publisher.bundle.BundleVerifier;
import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.Manifest;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.PublicationSigners;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.bundle.VerifiedArtifact;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.ObjectHeaders;
import dev.shomei.publisher.origin.Origin;
import dev.shomei.publisher.origin.OriginObject;
import dev.shomei.publisher.origin.Release;

/**
 * Publishes a verified publication bundle to the CDN origin:
 * <ol>
 *   <li>take the origin's publisher lock, and read what is live from the origin's live manifest;</li>
 *   <li>verify the bundle against the configured CA certificates and that live state (refuse it whole on any
 *       finding);</li>
 *   <li>give every artifact its content type and cache headers;</li>
 *   <li>let the origin stage, read back and switch, the manifest and then the live manifest last.</li>
 * </ol>
 *
 * <p>Online zone. Holds no private key; reads the bundle and writes only to the configured origin.
 */
public final class Publisher {

    private final BundleVerifier verifier;
    private final Origin origin;
    private final Clock clock;
    private final Duration maxAgeCap;

    /**
     * @param maxAgeCap upper bound of Cache-Control max-age: how long a CDN may keep an object without asking
     *                  the origin again, even when nextUpdate is further away
     */
    public Publisher(CaCertificates cas, PublicationSigners signers, Origin origin, Clock clock, Duration maxAgeCap) {
        this.verifier = new BundleVerifier(cas, signers, clock);
        this.origin = origin;
        this.clock = clock;
        this.maxAgeCap = maxAgeCap;
    }

    /** Steps 1-2 only: whether this bundle would be published now. Writes nothing. */
    public Verification check(PublicationBundle bundle) throws IOException {
        return verifier.verify(bundle, origin.liveManifest());
    }

    /**
     * Verifies and, when accepted, publishes. A refused bundle is returned with its refusals and nothing is
     * written; an origin failure throws (see {@link Origin#publish} for what is live afterwards).
     */
    public Verification publish(PublicationBundle bundle) throws IOException {
        // Step 0: one publisher at a time, from reading what is live to switching.
        try (Origin.PublisherLock lock = origin.lock()) {
            // Step 1: what is live now.
            LiveManifest live = origin.liveManifest();
            // Step 2: every check, before anything is pushed.
            Verification verification = verifier.verify(bundle, live);
            if (!verification.accepted()) {
                return verification;
            }
            // Step 3: objects with their headers; Step 4: the origin's staged switch.
            origin.publish(release(bundle, verification, live));
            return verification;
        }
    }

    private Release release(PublicationBundle bundle, Verification v, LiveManifest live) {
        Instant now = clock.instant();
        Manifest manifest = v.manifest();
        Instant created = createdAt(manifest, now);
        List<OriginObject> objects = new ArrayList<>();
        List<LiveManifest.Entry> entries = new ArrayList<>();
        for (VerifiedArtifact a : v.artifacts()) {
            // RFC 5019 §6.2: Last-Modified = thisUpdate, Expires = nextUpdate for dated artifacts.
            Instant lastModified = a.thisUpdate() != null ? a.thisUpdate() : created;
            objects.add(new OriginObject(a.path(), a.content(),
                    ObjectHeaders.of(a.contentType(), a.sha256(), lastModified, a.nextUpdate(), now, maxAgeCap)));
            entries.add(new LiveManifest.Entry(a.path(), a.kind().label(), a.contentType(), a.sha256(), a.content().length,
                    a.crlNumber(), a.crlIssuer(), a.serial(), str(a.thisUpdate()), str(a.nextUpdate()), manifest.bundleId()));
        }
        // The signed manifest goes up after every artifact it lists, so whoever finds it finds its artifacts.
        objects.add(new OriginObject(PublicationBundle.MANIFEST_SIGNATURE, bundle.manifestSignature(),
                ObjectHeaders.uncached("application/pkcs7-signature", sha256(bundle.manifestSignature()), created)));
        objects.add(new OriginObject(PublicationBundle.MANIFEST, bundle.manifestJson(),
                ObjectHeaders.uncached("application/json", sha256(bundle.manifestJson()), created)));
        byte[] liveJson = live.merge(manifest.bundleId(), now, entries).toJson();
        OriginObject liveObject = new OriginObject(LiveManifest.PATH, liveJson,
                ObjectHeaders.uncached("application/json", sha256(liveJson), now));
        return new Release(manifest.bundleId(), objects, liveObject);
    }

    private static Instant createdAt(Manifest m, Instant fallback) {
        try {
            return Instant.parse(m.createdAt());
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
