package dev.shomei.ca.approval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One exact act put to the approvers: what (kind), on which CA (the token holding its keys), with which
 * parameters, requested once (a random nonce) and valid within a time window. Approvers sign its canonical
 * text; the CA executes an act id at most once, so an approval can be neither moved to another act nor
 * replayed for the same one.
 *
 * <p>Canonical text ({@code shomei-act/v1}): one {@code name=value} line each, in this order: kind, ca, the
 * parameters sorted by name ({@code param.NAME=VALUE}), nonce, not-before, not-after (RFC 3339, UTC,
 * seconds). Values may not hold line breaks, so the text has exactly one reading.
 *
 * <p>Zone: secure (written and signed in the CA room). A value type.
 */
public record Act(ActKind kind, String ca, SortedMap<String, String> parameters, String nonce, Instant notBefore,
                  Instant notAfter) {

    public static final String FORMAT = "shomei-act/v1";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    public Act {
        parameters = new TreeMap<>(parameters);
        check("ca", ca);
        check("nonce", nonce);
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            if (!p.getKey().matches("[a-z][a-z0-9.-]*")) {
                throw new IllegalArgumentException("act parameter name '" + p.getKey()
                        + "' must be lower-case letters, digits, '.' or '-'");
            }
            check("parameter " + p.getKey(), p.getValue());
        }
        if (!notAfter.isAfter(notBefore)) {
            throw new IllegalArgumentException("act window is empty: not-after " + notAfter + " is not after not-before "
                    + notBefore);
        }
    }

    /** A new request for {@code kind} with these parameters, valid from now for {@code validity}. */
    public static Act request(ActKind kind, String ca, Map<String, String> parameters, Instant now, Duration validity) {
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        Instant from = now.truncatedTo(ChronoUnit.SECONDS);
        return new Act(kind, ca, new TreeMap<>(parameters), HexFormat.of().formatHex(n), from, from.plus(validity));
    }

    private static void check(String what, String value) {
        if (value == null || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("act " + what + " is missing or holds a line break");
        }
    }

    /** The text approvers sign. */
    public String canonicalText() {
        StringBuilder b = new StringBuilder(FORMAT).append('\n');
        b.append("kind=").append(kind.key()).append('\n');
        b.append("ca=").append(ca).append('\n');
        parameters.forEach((k, v) -> b.append("param.").append(k).append('=').append(v).append('\n'));
        b.append("nonce=").append(nonce).append('\n');
        b.append("not-before=").append(notBefore.truncatedTo(ChronoUnit.SECONDS)).append('\n');
        b.append("not-after=").append(notAfter.truncatedTo(ChronoUnit.SECONDS)).append('\n');
        return b.toString();
    }

    /** The act id: lower-case hex SHA-256 of the canonical text. */
    public String id() {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(canonicalText().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Whether this is the act the command was asked to do: same kind, CA and parameters. */
    public boolean sameActAs(ActKind k, String caLabel, Map<String, String> params) {
        return kind == k && ca.equals(caLabel) && parameters.equals(new TreeMap<>(params));
    }

    /** What differs from the act the command was asked to do, for the refusal message. */
    public String differenceFrom(ActKind k, String caLabel, Map<String, String> params) {
        if (kind != k) {
            return "it approves '" + kind.key() + "', not '" + k.key() + "'";
        }
        if (!ca.equals(caLabel)) {
            return "it is for the CA on token '" + ca + "', not '" + caLabel + "'";
        }
        TreeMap<String, String> asked = new TreeMap<>(params);
        for (String name : union(parameters.keySet(), asked.keySet())) {
            String a = parameters.get(name);
            String b = asked.get(name);
            if (a == null ? b != null : !a.equals(b)) {
                return "it approves " + name + "=" + (a == null ? "(absent)" : a) + ", this command has " + name + "="
                        + (b == null ? "(absent)" : b);
            }
        }
        return "none";
    }

    private static List<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.TreeSet<String> s = new java.util.TreeSet<>(a);
        s.addAll(b);
        return List.copyOf(s);
    }

    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("kind", kind.key());
        o.put("ca", ca);
        ObjectNode p = o.putObject("parameters");
        parameters.forEach(p::put);
        o.put("nonce", nonce);
        o.put("notBefore", notBefore.toString());
        o.put("notAfter", notAfter.toString());
        return o;
    }

    public String toJsonText() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Act fromJson(JsonNode o) {
        if (o == null || !FORMAT.equals(text(o, "format"))) {
            throw new IllegalArgumentException("not an act description (format must be " + FORMAT + ")");
        }
        TreeMap<String, String> params = new TreeMap<>();
        JsonNode p = o.get("parameters");
        if (p != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                params.put(e.getKey(), e.getValue().asText());
            }
        }
        try {
            return new Act(ActKind.parse(text(o, "kind")), text(o, "ca"), params, text(o, "nonce"),
                    Instant.parse(text(o, "notBefore")), Instant.parse(text(o, "notAfter")));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("act time window is not RFC 3339: " + e.getParsedString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("act description is malformed: " + e.getMessage());
        }
    }

    public static Act parse(String jsonText) {
        try {
            return fromJson(JSON.readTree(jsonText));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("act description is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        if (n == null || !n.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        return n.asText();
    }

    /** What an approver reads before signing. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("act:         ").append(kind.key()).append('\n');
        b.append("CA token:    ").append(ca).append('\n');
        parameters.forEach((k, v) -> b.append("  ").append(k).append(" = ").append(v).append('\n'));
        b.append("valid:       ").append(notBefore).append(" to ").append(notAfter).append('\n');
        b.append("act id:      ").append(id()).append('\n');
        return b.toString();
    }
}
