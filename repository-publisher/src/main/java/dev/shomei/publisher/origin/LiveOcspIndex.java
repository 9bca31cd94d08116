package dev.shomei.publisher.origin;

import dev.shomei.publisher.bundle.OcspPath;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What OCSP responses are live, for the rollback check (a response must not be replaced by an older one): the
 * live OCSP index, kept on the origin beside the responses as shards
 * {@code live-ocsp/<issuerKeyHash>/<first three hex digits of the serial>.tsv}, each a sorted list of lines
 * {@code serial TAB thisUpdate TAB nextUpdate} (RFC 3339 times). The live manifest lists each shard with its
 * SHA-256, its count, its oldest response and its earliest nextUpdate.
 *
 * <p>A bundle lists its responses in path order, which is shard order, so a publication visits each shard once:
 * the shard is read from the origin (and checked against the live manifest's SHA-256) when the first response of
 * it comes by, updated, and written to the staging area when the stream leaves it. The heap holds one shard: serials
 * of 125–127 bits use ~1,800 of the 4,096 shards, about 5,500 lines each at 10M responses and 55,000 at 100M. Shards
 * the bundle does not touch stay as they are; two-digit shards of the earlier naming are spread when touched
 * ({@link #spreadTwoDigitShard}).
 *
 * <p>Online zone. Reads the live origin; writes only through the given sink (the publication's staging).
 */
public final class LiveOcspIndex {

    public static final String DIRECTORY = "live-ocsp/";
    public static final String KIND = "ocsp-index";
    public static final String CONTENT_TYPE = "text/tab-separated-values; charset=utf-8";

    /** One response's times. */
    public record Times(Instant thisUpdate, Instant nextUpdate) { }

    /** Where merged shards go; null when only checking. */
    public interface Sink {
        void put(OriginObject shard) throws IOException;
    }

    private final LiveManifest live;
    private final Origin origin;
    private final Sink sink;
    private final Instant now;
    private final String bundleId;
    /**
     * Lines that must move into their shard, by shard path: a v1 live manifest's per-response entries, and the lines of
     * a spread two-digit shard. This publication writes every shard named here.
     */
    private final Map<String, Map<String, Times>> legacy = new HashMap<>();
    private final Set<String> done = new HashSet<>();
    /** Two-digit shard paths already looked at for spreading (whether or not one was live). */
    private final Set<String> spread = new HashSet<>();
    /** The live two-digit shards this publication read and spread: their lines are all in {@link #legacy} now. */
    private final Set<String> spreadFromLive = new HashSet<>();
    /** Shards to write even if nothing of this publication lands in them (a spread two-digit shard). */
    private final Set<String> mustWrite = new HashSet<>();
    /** Shards left with no line (a spread two-digit shard whose serials all moved): dropped from the live manifest. */
    private final Set<String> dropped = new HashSet<>();
    private final List<LiveManifest.Entry> written = new ArrayList<>();
    private String shard;
    private TreeMap<String, Times> lines;
    private boolean changed;
    private boolean finished;

    /**
     * @param origin   where the live shards are read from; null for a bundle checked on its own (nothing is live)
     * @param bundleId the bundle being published, named in the entries of the shards it changes
     */
    public LiveOcspIndex(LiveManifest live, Origin origin, Sink sink, Instant now, String bundleId) {
        this.bundleId = bundleId;
        this.live = live;
        this.origin = origin;
        this.sink = sink;
        this.now = now;
        for (LiveManifest.Entry e : live.legacyOcspEntries()) {
            String[] parts = e.path().split("/");
            if (parts.length == 3 && e.serial() != null && e.thisUpdate() != null) {
                legacy.computeIfAbsent(shardPath(parts[1], e.serial()), k -> new TreeMap<>())
                        .put(e.serial(), new Times(Instant.parse(e.thisUpdate()),
                                e.nextUpdate() == null ? null : Instant.parse(e.nextUpdate())));
            }
        }
    }

    /** Hex digits of the serial that name its shard: at most 4,096 shards per issuer key. */
    public static final int SHARD_DIGITS = 3;

    /** The shard of this serial: {@code live-ocsp/<issuerKeyHash>/<first three hex digits of the serial>.tsv}. */
    public static String shardPath(String issuerKeyHash, String serial) {
        return DIRECTORY + issuerKeyHash + "/" + serial.substring(0, Math.min(SHARD_DIGITS, serial.length())) + ".tsv";
    }

    /** The live response's times for this serial, if one is live. Calls come in path order. */
    public Optional<Times> live(String issuerKeyHash, String serial) throws IOException {
        enter(issuerKeyHash, serial);
        return Optional.ofNullable(lines.get(serial));
    }

    /** Records a verified response of this publication. */
    public void put(String issuerKeyHash, String serial, Instant thisUpdate, Instant nextUpdate) throws IOException {
        enter(issuerKeyHash, serial);
        lines.put(serial, new Times(thisUpdate, nextUpdate));
        changed = true;
    }

    /** Shards this publication emptied: the live manifest drops them. */
    public Set<String> dropped() {
        return Set.copyOf(dropped);
    }

    /** Writes the last shard (and any a v1 manifest still held) and returns the live-manifest entries of every shard written. */
    public List<LiveManifest.Entry> finish() throws IOException {
        if (finished) {
            return written;
        }
        finished = true;
        leave();
        Set<String> rest = new java.util.TreeSet<>(legacy.keySet());
        rest.addAll(mustWrite);
        for (String path : rest) {
            enterPath(path);
            changed = true;
            leave();
        }
        return written;
    }

    private void enter(String issuerKeyHash, String serial) throws IOException {
        String path = shardPath(issuerKeyHash, serial);
        if (path.equals(shard)) {
            return;
        }
        leave();
        if (serial.length() >= 2) {
            spreadTwoDigitShard(issuerKeyHash, serial.substring(0, 2));
        }
        enterPath(path);
    }

    /**
     * Shards were once named by two hex digits; at 100M responses such a shard holds ~1.2M lines. Before any shard
     * under a live two-digit shard is read, that shard's lines are spread over their three-digit shards (this
     * publication writes them all), and the two-digit shard keeps only serials of two digits or is dropped.
     */
    private void spreadTwoDigitShard(String issuerKeyHash, String twoDigits) throws IOException {
        String path = DIRECTORY + issuerKeyHash + "/" + twoDigits + ".tsv";
        if (!spread.add(path) || live.entry(path).isEmpty() || done.contains(path)) {
            return;
        }
        TreeMap<String, Times> old = read(path);
        for (Map.Entry<String, Times> e : old.entrySet()) {
            String target = shardPath(issuerKeyHash, e.getKey());
            legacy.computeIfAbsent(target, k -> new TreeMap<>()).putIfAbsent(e.getKey(), e.getValue());
            mustWrite.add(target);
        }
        spreadFromLive.add(path);
        mustWrite.add(path);
    }

    private void enterPath(String path) throws IOException {
        if (!done.add(path)) {
            throw new IllegalStateException("OCSP responses out of path order: shard " + path + " was already written");
        }
        shard = path;
        lines = spreadFromLive.contains(path) ? new TreeMap<>() : read(path);
        Map<String, Times> old = legacy.remove(path);
        if (old != null) {
            old.forEach(lines::putIfAbsent);
        }
        changed = mustWrite.remove(path);
    }

    private TreeMap<String, Times> read(String path) throws IOException {
        TreeMap<String, Times> map = new TreeMap<>();
        Optional<LiveManifest.Entry> entry = live.entry(path);
        if (entry.isEmpty() || origin == null) {
            return map;
        }
        byte[] bytes = origin.readLive(path).orElseThrow(() -> new IOException("the live OCSP index shard " + path
                + " named in " + LiveManifest.PATH + " is missing from " + origin.describe()));
        if (!FileSystemOrigin.sha256(bytes).equals(entry.get().sha256())) {
            throw new IOException("the live OCSP index shard " + path + " on " + origin.describe()
                    + " does not match its SHA-256 in " + LiveManifest.PATH + "; the origin was changed outside the publisher");
        }
        return parse(path, bytes);
    }

    /** A shard's lines by serial. */
    public static TreeMap<String, Times> parse(String path, byte[] bytes) throws IOException {
        TreeMap<String, Times> map = new TreeMap<>();
        int n = 0;
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split("\t");
            try {
                map.put(f[0], new Times(Instant.parse(f[1]), Instant.parse(f[2])));
            } catch (RuntimeException e) {
                throw new IOException("the live OCSP index shard " + path + " line " + n + " is not 'serial TAB thisUpdate TAB nextUpdate'", e);
            }
        }
        return map;
    }

    /** Reads a live object; for the probe, which may read over HTTP. */
    public interface Fetch {
        byte[] fetch(String path) throws IOException;
    }

    /**
     * The paths of the {@code k} live OCSP responses with the oldest thisUpdate (they lapse first), oldest first:
     * shards are read in the order of their oldest response, until the next shard's oldest is newer than the
     * k-th found. A v1 live manifest's per-response entries count too.
     */
    public static List<String> oldestResponses(LiveManifest live, Fetch fetch, int k) throws IOException {
        record Candidate(String path, Instant thisUpdate) { }
        List<Candidate> found = new ArrayList<>();
        for (LiveManifest.Entry e : live.legacyOcspEntries()) {
            if (e.thisUpdate() != null) {
                found.add(new Candidate(e.path(), Instant.parse(e.thisUpdate())));
            }
        }
        List<LiveManifest.Entry> shards = new ArrayList<>(live.artifacts().stream()
                .filter(e -> KIND.equals(e.kind()) && e.thisUpdate() != null).toList());
        shards.sort(java.util.Comparator.comparing((LiveManifest.Entry e) -> Instant.parse(e.thisUpdate())));
        java.util.Comparator<Candidate> byAge = java.util.Comparator.comparing(Candidate::thisUpdate);
        for (LiveManifest.Entry shard : shards) {
            found.sort(byAge);
            if (found.size() >= k && Instant.parse(shard.thisUpdate()).isAfter(found.get(k - 1).thisUpdate())) {
                break;
            }
            String ikh = shard.path().substring(DIRECTORY.length(), shard.path().lastIndexOf('/'));
            parse(shard.path(), fetch.fetch(shard.path())).forEach((serial, t) ->
                    found.add(new Candidate(OcspPath.of(ikh, serial), t.thisUpdate())));
        }
        found.sort(byAge);
        return found.stream().limit(k).map(Candidate::path).toList();
    }

    private void leave() throws IOException {
        if (shard == null || !changed) {
            shard = null;
            return;
        }
        if (lines.isEmpty()) {
            dropped.add(shard);
            shard = null;
            lines = null;
            return;
        }
        StringBuilder text = new StringBuilder(lines.size() * 64);
        String oldest = null;
        Instant oldestThisUpdate = null;
        Instant earliestNext = null;
        for (Map.Entry<String, Times> e : lines.entrySet()) {
            Times t = e.getValue();
            text.append(e.getKey()).append('\t').append(t.thisUpdate()).append('\t').append(t.nextUpdate()).append('\n');
            if (oldestThisUpdate == null || t.thisUpdate().isBefore(oldestThisUpdate)) {
                oldestThisUpdate = t.thisUpdate();
                oldest = e.getKey();
            }
            if (t.nextUpdate() != null && (earliestNext == null || t.nextUpdate().isBefore(earliestNext))) {
                earliestNext = t.nextUpdate();
            }
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        String sha = FileSystemOrigin.sha256(bytes);
        if (sink != null) {
            sink.put(new OriginObject(shard, bytes, ObjectHeaders.uncached(CONTENT_TYPE, sha, now)));
        }
        written.add(new LiveManifest.Entry(shard, KIND, CONTENT_TYPE, sha, bytes.length, null, null, oldest,
                oldestThisUpdate.toString(), earliestNext == null ? null : earliestNext.toString(), bundleId, (long) lines.size()));
        shard = null;
        lines = null;
    }

    /** The live times of one response, read from the origin (for tests and tools; a publication uses the stream above). */
    public static Optional<Times> lookup(Origin origin, String issuerKeyHash, String serial) throws IOException {
        LiveManifest m = origin.liveManifest();
        return new LiveOcspIndex(m, origin, null, Instant.now(), null).live(issuerKeyHash, serial);
    }
}
