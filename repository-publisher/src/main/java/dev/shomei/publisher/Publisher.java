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
import dev.shomei.publisher.origin.LiveOcspIndex;

/**
 * Publishes a verified publication bundle to the CDN origin:
 * <ol>
 *   <li>take the origin's publisher lock, and read what is live from the origin's live manifest;</li>
 *   <li>verify the bundle against the configured CA certificates and that live state (refuse it whole on any
 *       finding), as a stream: one artifact at a time, in path order;</li>
 *   <li>stage each verified artifact with its content type and cache headers as it comes by (nothing of it live),
 *       and the shards of the live OCSP index it changes;</li>
 *   <li>if the bundle was accepted, stage the signed manifest and let the origin read back and switch, the live
 *       manifest last; if it was refused, discard the staging.</li>
 * </ol>
 * Memory does not grow with the bundle: a bundle of ten million responses is published in a 256 MB heap.
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

    /**
     * Reports, every few seconds of a long publication, how much of the bundle has been verified and staged, the
     * rate and the time left, on {@code out} (the command line's standard error).
     */
    public Publisher withProgress(java.io.PrintWriter out) {
        verifier.withProgress(progress(out, "publish", "verified and staged"));
        return this;
    }

    /** Progress lines: "publish:  35% of the bundle read, 350,112 artifacts verified and staged, 9,812/s, ETA 1m10s". */
    public static BundleVerifier.Progress progress(java.io.PrintWriter out, String what, String done) {
        return (n, fraction, seconds) -> {
            double rate = n / Math.max(seconds, 1e-9);
            long eta = fraction > 0 ? Math.round(seconds * (1 - fraction) / fraction) : -1;
            out.printf("%s: %3.0f%% of the bundle read, %,d artifacts %s, %,.0f/s%s%n", what, fraction * 100, n, done,
                    rate, eta < 0 ? "" : String.format(", ETA %dm%02ds", eta / 60, eta % 60));
            out.flush();
        };
    }

    /** Steps 1-2 only: whether this bundle would be published now. Writes nothing. */
    public Verification check(PublicationBundle bundle) throws IOException {
        LiveManifest live = origin.liveManifest();
        return verifier.verify(bundle, live, m -> new LiveOcspIndex(live, origin, null, clock.instant(), m.bundleId()), a -> { });
    }

    /**
     * Verifies and, when accepted, publishes. A refused bundle is returned with its refusals and nothing is
     * written; an origin failure throws (see {@link Origin.Staging#commit} for what is live afterwards).
     */
    public Verification publish(PublicationBundle bundle) throws IOException {
        // Step 0: one publisher at a time, from reading what is live to switching.
        try (Origin.PublisherLock lock = origin.lock()) {
            // Step 1: what is live now.
            LiveManifest live = origin.liveManifest();
            Instant now = clock.instant();
            Origin.Staging[] staging = new Origin.Staging[1];
            Instant[] created = new Instant[1];
            try {
                // Step 2: every check; Step 3: each verified artifact staged with its headers as it comes by (nothing
                // of it live), the live OCSP index's changed shards beside them.
                Verification v = verifier.verify(bundle, live, m -> {
                    created[0] = createdAt(m, now);
                    staging[0] = origin.stage(m.bundleId());
                    return new LiveOcspIndex(live, origin, staging[0]::put, now, m.bundleId());
                }, a -> staging[0].put(object(a, now, created[0])));
                if (!v.accepted()) {
                    return v;
                }
                // Step 4: the signed manifest after every artifact it lists, then the live manifest: the switch.
                byte[] p7s = bundle.manifestSignature();
                staging[0].put(new OriginObject(PublicationBundle.MANIFEST_SIGNATURE, p7s,
                        ObjectHeaders.uncached("application/pkcs7-signature", sha256(p7s), created[0])));
                staging[0].put(new OriginObject(PublicationBundle.MANIFEST, manifestBody(bundle),
                        ObjectHeaders.uncached("application/json", v.manifestSha256(), created[0])));
                List<LiveManifest.Entry> entries = new ArrayList<>();
                for (VerifiedArtifact a : v.artifacts()) {
                    entries.add(new LiveManifest.Entry(a.path(), a.kind().label(), a.contentType(), a.sha256(), a.size(),
                            a.crlNumber(), a.crlIssuer(), a.serial(), str(a.thisUpdate()), str(a.nextUpdate()), v.manifest().bundleId()));
                }
                entries.addAll(v.index().finish());
                byte[] liveJson = live.merge(v.manifest().bundleId(), now, entries, v.index().dropped()).toJson();
                staging[0].commit(new OriginObject(LiveManifest.PATH, liveJson,
                        ObjectHeaders.uncached("application/json", sha256(liveJson), now)));
                return v;
            } finally {
                if (staging[0] != null) {
                    staging[0].close();
                }
            }
        }
    }

    /** RFC 5019 §6.2: Last-Modified = thisUpdate, Expires = nextUpdate for dated artifacts. */
    private OriginObject object(VerifiedArtifact a, Instant now, Instant created) {
        Instant lastModified = a.thisUpdate() != null ? a.thisUpdate() : created;
        return new OriginObject(a.path(), a.content(),
                ObjectHeaders.of(a.contentType(), a.sha256(), lastModified, a.nextUpdate(), now, maxAgeCap));
    }

    private static OriginObject.Body manifestBody(PublicationBundle bundle) {
        return new OriginObject.Body() {
            @Override
            public long size() {
                return bundle.manifestSize();
            }

            @Override
            public java.io.InputStream open() throws IOException {
                return bundle.openManifest();
            }
        };
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
