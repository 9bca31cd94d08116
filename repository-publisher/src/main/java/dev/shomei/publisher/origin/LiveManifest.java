package dev.shomei.publisher.origin;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The publisher's record of what is live on the origin: every artifact relying parties can fetch, with the
 * values the next publication is checked against (CRL number per CRL issuer), except the OCSP responses: those
 * are listed in the shards of the live OCSP index ({@link LiveOcspIndex}), each of which has an entry here with
 * its SHA-256, its count and its oldest response. So this document stays small at any number of certificates.
 *
 * <p>Written by the publisher as the last object of every publication ({@value #PATH} at the origin root), so
 * the origin itself is the source of truth: a publisher with an empty disk, or a second publisher, reads it
 * back. Bundles may be incremental (only the OCSP responses re-signed since the last one), so this record is
 * cumulative: each publication merges the bundle's entries over the previous ones. Every value in it was
 * copied from a manifest whose signature the publisher verified, and from the artifact itself.
 *
 * <p>Online zone. A value type: reading and writing it on the origin is the origin's business.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LiveManifest(String format, String bundleId, String publishedAt, List<Entry> artifacts) {

    public static final String FORMAT = "shomei-live-manifest/v2";
    /** The format before the OCSP index: an entry per OCSP response. Read, and converted on the next publication. */
    static final String FORMAT_V1 = "shomei-live-manifest/v1";
    public static final String PATH = "live-manifest.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One live artifact. crlNumber/crlIssuer only for CRLs. For a shard of the live OCSP index (kind
     * {@value LiveOcspIndex#KIND}): count = its responses, serial and thisUpdate = its oldest response, nextUpdate =
     * the earliest nextUpdate among them. serial/thisUpdate of a single OCSP response only in a v1 document.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(String path, String kind, String contentType, String sha256, long size, Long crlNumber,
                        String crlIssuer, String serial, String thisUpdate, String nextUpdate, String bundleId, Long count) {

        public Entry(String path, String kind, String contentType, String sha256, long size, Long crlNumber,
                     String crlIssuer, String serial, String thisUpdate, String nextUpdate, String bundleId) {
            this(path, kind, contentType, sha256, size, crlNumber, crlIssuer, serial, thisUpdate, nextUpdate, bundleId, null);
        }
    }

    public static LiveManifest empty() {
        return new LiveManifest(FORMAT, null, null, List.of());
    }

    public static LiveManifest parse(byte[] json) throws IOException {
        LiveManifest m = JSON.readValue(json, LiveManifest.class);
        if (!FORMAT.equals(m.format()) && !FORMAT_V1.equals(m.format())) {
            throw new IOException(PATH + " on the origin has format '" + m.format() + "', expected '" + FORMAT
                    + "'; it was not written by this publisher version");
        }
        return m;
    }

    public byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("live manifest cannot be serialised", e);
        }
    }

    public Optional<Entry> entry(String path) {
        return artifacts.stream().filter(e -> e.path().equals(path)).findFirst();
    }

    /** The highest live CRL number of this CRL issuer (RFC 5280 §5.2.3: monotonically increasing per issuer). */
    public OptionalLong crlNumber(String crlIssuer) {
        return artifacts.stream()
                .filter(e -> "crl".equals(e.kind()) && crlIssuer.equals(e.crlIssuer()) && e.crlNumber() != null)
                .mapToLong(Entry::crlNumber).max();
    }

    /** The OCSP entries of a v1 document (one per response), which the first v2 publication moves into the index. */
    public List<Entry> legacyOcspEntries() {
        return artifacts.stream().filter(e -> "ocsp".equals(e.kind())).toList();
    }

    /**
     * This record with the given entries replacing those at the same paths, the entries at {@code dropped} paths
     * removed (index shards a publication emptied), and a v1 document's OCSP entries dropped.
     */
    public LiveManifest merge(String newBundleId, Instant publishedAt, List<Entry> entries, java.util.Set<String> dropped) {
        Map<String, Entry> byPath = new LinkedHashMap<>();
        artifacts.stream().filter(e -> !"ocsp".equals(e.kind()) && !dropped.contains(e.path()))
                .forEach(e -> byPath.put(e.path(), e));
        entries.forEach(e -> byPath.put(e.path(), e));
        List<Entry> merged = new ArrayList<>(byPath.values());
        merged.sort(Comparator.comparing(Entry::path));
        return new LiveManifest(FORMAT, newBundleId, publishedAt.toString(), merged);
    }
}
