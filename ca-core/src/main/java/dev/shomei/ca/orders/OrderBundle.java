package dev.shomei.ca.orders;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ca.profile.CertifiedSubject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The content of an RA-signed order bundle (docs/order-bundles.md), parsed strictly: duplicate JSON keys,
 * a missing format, bundle id or order list, or an order without an id (or with the id of another order of
 * the bundle) refuse the whole bundle; a missing or malformed field of one order refuses that order only
 * ({@link #invalid()}), with a message naming the order and the field.
 *
 * <p>Zone: secure. Pure parsing; the subject's values are checked by the profile when the order executes.
 */
public record OrderBundle(String bundleId, String createdAt, List<Order> orders, List<Invalid> invalid) {

    /** An order whose fields cannot be read; it is answered as refused with {@code reason}. */
    public record Invalid(String orderId, String decisionId, String decisionSha256, String reason) {}

    public static final String FORMAT = "shomei-order-bundle/v1";
    static final int MAX_ID_LENGTH = 128;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    /**
     * One order: issue (profile + CSR + the subject the RA verified) or revoke (serial + reason), with the RA decision
     * behind it. {@code subject} is null when an issue order states none (the profile then decides whether the CSR's
     * subject may be used; see CertificateProfile#subjectFrom).
     */
    public record Order(String orderId, String type, String profile, byte[] csr, String serial, String reason,
                        String decisionId, String decisionSha256, List<CertifiedSubject.Attribute> subject) {}

    static OrderBundle parse(byte[] json) {
        JsonNode root;
        try {
            // A signed document with a key twice means two readers may see two different orders (RFC 8259 §4).
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new OrderBundleException("the order bundle's content is not JSON: " + e.getMessage());
        }
        if (root == null || !FORMAT.equals(text(root, "format", "bundle"))) {
            throw new OrderBundleException("the order bundle's format is not " + FORMAT);
        }
        String bundleId = id(text(root, "bundleId", "bundle"), "bundleId");
        JsonNode orders = root.get("orders");
        if (orders == null || !orders.isArray() || orders.isEmpty()) {
            throw new OrderBundleException("order bundle " + bundleId + " has no orders");
        }
        List<Order> list = new ArrayList<>();
        List<Invalid> invalid = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (JsonNode o : orders) {
            String id = id(text(o, "orderId", "an order of bundle " + bundleId), "orderId");
            if (!ids.add(id)) {
                throw new OrderBundleException("order bundle " + bundleId + " has order id " + id + " more than once");
            }
            try {
                list.add(order(o, id));
            } catch (OrderBundleException e) {
                JsonNode d = o.path("decision");
                invalid.add(new Invalid(id, d.path("id").asText(""), d.path("sha256").asText(""), e.getMessage()));
            }
        }
        return new OrderBundle(bundleId, root.path("createdAt").asText(""), List.copyOf(list), List.copyOf(invalid));
    }

    private static Order order(JsonNode o, String id) {
        String where = "order " + id;
        JsonNode decision = o.get("decision");
        if (decision == null) {
            throw new OrderBundleException(where + " has no decision reference");
        }
        String type = text(o, "type", where);
        switch (type) {
            case "issue" -> {
                byte[] csr;
                try {
                    csr = Base64.getDecoder().decode(text(o, "csr", where));
                } catch (IllegalArgumentException e) {
                    throw new OrderBundleException(where + ": csr is not base64");
                }
                return new Order(id, type, text(o, "profile", where), csr, null, null,
                        text(decision, "id", where + " decision"), text(decision, "sha256", where + " decision"),
                        subject(o.get("subject"), where));
            }
            case "revoke" -> {
                return new Order(id, type, null, null, text(o, "serial", where),
                        text(o, "reason", where), text(decision, "id", where + " decision"),
                        text(decision, "sha256", where + " decision"), null);
            }
            default -> throw new OrderBundleException(where + " has unknown type '" + type + "' (issue or revoke)");
        }
    }

    /**
     * The subject an issue order states: {@code [{"type": "C", "value": "JP"}, {"type": "CN", "value": "..."}]}, one
     * RDN per element, most significant first. Its values are checked against the profile when the order executes.
     */
    private static List<CertifiedSubject.Attribute> subject(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw new OrderBundleException(where + ": field 'subject' must be a non-empty array of {type, value}");
        }
        List<CertifiedSubject.Attribute> out = new ArrayList<>();
        for (JsonNode a : node) {
            out.add(new CertifiedSubject.Attribute(text(a, "type", where + " subject"), text(a, "value", where + " subject")));
        }
        return List.copyOf(out);
    }

    /** Ids are database keys and go into every answer: short and printable (the RA's are UUID-based). */
    private static String id(String value, String field) {
        if (value.length() > MAX_ID_LENGTH || !value.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new OrderBundleException(field + " must be at most " + MAX_ID_LENGTH + " printable ASCII characters"
                    + " without spaces; the bundle is refused");
        }
        return value;
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new OrderBundleException(where + ": field '" + field + "' is missing or empty");
        }
        return v.asText();
    }
}
