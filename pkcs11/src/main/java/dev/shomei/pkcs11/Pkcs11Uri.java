package dev.shomei.pkcs11;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A PKCS#11 URI (RFC 7512) naming a key: {@code pkcs11:token=ca;object=issuing-2026}, optionally with the
 * query attributes {@code module-path} (§2.3) and {@code pin-source} (§2.3: a URI, here {@code file:/path}
 * or this project's {@code env:NAME}). {@code pin-value} is refused: a PIN never travels in a URI or on a
 * command line.
 */
public record Pkcs11Uri(Map<String, String> pathAttributes, Map<String, String> queryAttributes) {

    public static Pkcs11Uri parse(String text) {
        if (text == null || !text.regionMatches(true, 0, "pkcs11:", 0, 7)) {
            throw new IllegalArgumentException("not a PKCS#11 URI (RFC 7512): '" + text
                    + "'; expected e.g. pkcs11:token=ca;object=issuing-2026");
        }
        String rest = text.substring(7);
        String path = rest;
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            path = rest.substring(0, q);
            query = rest.substring(q + 1);
        }
        Map<String, String> pathAttrs = attributes(path, ";", text);
        Map<String, String> queryAttrs = attributes(query, "&", text);
        if (queryAttrs.containsKey("pin-value")) {
            throw new IllegalArgumentException("pin-value is not accepted in a PKCS#11 URI: give the PIN through a"
                    + " pin-source (file:/path or env:NAME) or the hsm.pin setting");
        }
        return new Pkcs11Uri(Map.copyOf(pathAttrs), Map.copyOf(queryAttrs));
    }

    private static Map<String, String> attributes(String part, String separator, String whole) {
        Map<String, String> attrs = new LinkedHashMap<>();
        if (part.isEmpty()) {
            return attrs;
        }
        for (String pair : part.split(separator)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("malformed attribute '" + pair + "' in PKCS#11 URI " + whole);
            }
            String name = pair.substring(0, eq).toLowerCase(Locale.ROOT);
            if (attrs.put(name, decode(pair.substring(eq + 1), whole)) != null) {
                throw new IllegalArgumentException("attribute '" + name + "' appears twice in PKCS#11 URI " + whole);
            }
        }
        return attrs;
    }

    /** Percent-decoding (RFC 7512 §2.3: attribute values are percent-encoded UTF-8). */
    private static String decode(String value, String whole) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length()) {
                    throw new IllegalArgumentException("truncated percent-encoding in PKCS#11 URI " + whole);
                }
                out.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    public Optional<String> token() { return Optional.ofNullable(pathAttributes.get("token")); }

    public Optional<String> object() { return Optional.ofNullable(pathAttributes.get("object")); }

    public Optional<String> modulePath() { return Optional.ofNullable(queryAttributes.get("module-path")); }

    public Optional<String> pinSource() { return Optional.ofNullable(queryAttributes.get("pin-source")); }

    /** The key's label; a URI without {@code object=} cannot name a key. */
    public String requireObject() {
        return object().orElseThrow(() -> new IllegalArgumentException(
                "PKCS#11 URI " + this + " names no key: add object=<key label>"));
    }

    public static Pkcs11Uri of(String token, String object) {
        return new Pkcs11Uri(Map.of("token", token, "object", object), Map.of());
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("pkcs11:");
        sb.append(pathAttributes.containsKey("token") ? "token=" + encode(pathAttributes.get("token")) : "");
        pathAttributes.forEach((k, v) -> {
            if (!k.equals("token")) {
                sb.append(sb.length() > 7 ? ";" : "").append(k).append('=').append(encode(v));
            }
        });
        if (!queryAttributes.isEmpty()) {
            sb.append('?');
            queryAttributes.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '?' ? "" : "&")
                    .append(k).append('=').append(encode(v)));
        }
        return sb.toString();
    }

    private static String encode(String v) {
        StringBuilder sb = new StringBuilder();
        for (byte b : v.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            // RFC 7512 §2.3 pk11-res-avail / pk11-query-res-avail characters stay literal
            if (Character.isLetterOrDigit(c) && c < 128 || "-._~:[]@!$'()*+,=/".indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format("%02X", c));
            }
        }
        return sb.toString();
    }
}
