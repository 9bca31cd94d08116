package dev.shomei.ra.safeguard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.ConfiguredFile;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the key's device and the channel are stored (JSON columns of {@code application} and
 * {@code revocation_request}) and what of them a decision's evidence carries: the device as stated, the client's
 * name and version, and the SHA-256 of the full channel record (User-Agent and address, which are personal data, stay
 * in the request's row and its APPLICATION book entry).
 *
 * <p>Zone: online (ra-service). Pure functions.
 */
public final class Safeguards {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Safeguards() {}

    public static String json(Map<String, Object> m) {
        try {
            return m == null ? null : JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Map<String, Object> read(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The decision evidence for a request with this device (may be null) and channel record (JSON, may be null). */
    public static Map<String, Object> evidence(String keyDeviceJson, String channelJson) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("keyDevice", keyDeviceJson == null ? Map.of("kind", "not-stated") : read(keyDeviceJson));
        e.putAll(channelEvidence(channelJson));
        return e;
    }

    /** The channel part of a decision's evidence: client, version and the digest of the full record. */
    public static Map<String, Object> channelEvidence(String channelJson) {
        Map<String, Object> e = new LinkedHashMap<>();
        if (channelJson != null) {
            Map<String, Object> c = read(channelJson);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("client", c.get("client"));
            summary.put("clientVersion", c.get("clientVersion"));
            summary.put("recordSha256", ConfiguredFile.sha256Hex(channelJson.getBytes(StandardCharsets.UTF_8)));
            e.put("channel", summary);
        }
        return e;
    }
}
