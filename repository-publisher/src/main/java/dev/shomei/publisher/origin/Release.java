package dev.shomei.publisher.origin;

import java.util.List;

/**
 * What one publication puts on the origin, in upload order: the verified artifacts, then manifest.p7s and
 * manifest.json, then {@link LiveManifest#PATH} (the commit point: it is written last).
 */
public record Release(String bundleId, List<OriginObject> objects, OriginObject liveManifest) {

    /** Every object in upload order, the live manifest last. */
    public List<OriginObject> inUploadOrder() {
        var all = new java.util.ArrayList<>(objects);
        all.add(liveManifest);
        return all;
    }
}
