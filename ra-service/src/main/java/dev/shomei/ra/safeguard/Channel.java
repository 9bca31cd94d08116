package dev.shomei.ra.safeguard;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a request arrived, as the RA saw it: the client's name and version (the {@value #CLIENT_HEADER} header, else
 * the first product of the User-Agent, RFC 9110 section 10.1.5), the User-Agent as sent, and the remote address
 * (the peer, or the client a trusted proxy names when forwarded-header handling is configured). Recorded with the
 * decision so an investigator can later ask "was it the holder?" (docs/holders.md). None of it is proof: a client
 * can say anything about itself; the address is what the RA's network saw.
 *
 * <p>Zone: online (ra-service). Value type.
 */
public record Channel(String client, String clientVersion, String userAgent, String remoteAddress) {

    /** Explicit client identification, e.g. {@code shomei-apply/0.1.0}; wins over the User-Agent. */
    public static final String CLIENT_HEADER = "X-Shomei-Client";
    /** Requests that did not come over HTTP (officer-internal, retries after a restart). */
    public static final Channel UNKNOWN = new Channel(null, null, null, null);
    static final int MAX = 256;

    public static Channel of(String clientHeader, String userAgent, String remoteAddress) {
        String product = clientHeader != null && !clientHeader.isBlank() ? clientHeader.strip()
                : userAgent == null ? "" : userAgent.strip().split("\\s+")[0];
        String name = product.isEmpty() ? null : product;
        String version = null;
        int slash = product.indexOf('/');
        if (slash > 0) {
            name = product.substring(0, slash);
            version = product.substring(slash + 1);
        }
        return new Channel(cut(name, 64), cut(version, 64), cut(userAgent, MAX), cut(remoteAddress, 64));
    }

    /** As recorded in the application or revocation request, and in the decision's evidence. */
    public Map<String, Object> record() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("client", client);
        m.put("clientVersion", clientVersion);
        m.put("userAgent", userAgent);
        m.put("remoteAddress", remoteAddress);
        return m;
    }

    public boolean known() {
        return remoteAddress != null || userAgent != null || client != null;
    }

    private static String cut(String s, int max) {
        if (s == null) {
            return null;
        }
        // Control characters would let a client forge lines in logs and exports.
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > max ? clean.substring(0, max) : clean;
    }
}
