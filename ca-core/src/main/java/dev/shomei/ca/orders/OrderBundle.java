package dev.shomei.ca.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ca.profile.CertifiedSubject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The content of an RA-signed order bundle (docs/order-bundles.md), parsed strictly: a missing or
 * malformed field refuses the whole bundle with a message naming the order and the field.
 *
 * <p>Zone: secure. Pure parsing; the subject's values are checked by the profile when the order executes.
 */
public record OrderBundle(String bundleId, String createdAt, List<Order> orders) {

    public static final String FORMAT = "shomei-order-bundle/v1";

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
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new OrderBundleException("the order bundle's content is not JSON: " + e.getMessage());
        }
        if (root == null || !FORMAT.equals(text(root, "format", "bundle"))) {
            throw new OrderBundleException("the order bundle's format is not " + FORMAT);
        }
        String bundleId = text(root, "bundleId", "bundle");
        JsonNode orders = root.get("orders");
        if (orders == null || !orders.isArray() || orders.isEmpty()) {
            throw new OrderBundleException("order bundle " + bundleId + " has no orders");
        }
        List<Order> list = new ArrayList<>();
        for (JsonNode o : orders) {
            String id = text(o, "orderId", "an order of bundle " + bundleId);
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
                    list.add(new Order(id, type, text(o, "profile", where), csr, null, null,
                            text(decision, "id", where + " decision"), text(decision, "sha256", where + " decision"),
                            subject(o.get("subject"), where)));
                }
                case "revoke" -> list.add(new Order(id, type, null, null, text(o, "serial", where),
                        text(o, "reason", where), text(decision, "id", where + " decision"),
                        text(decision, "sha256", where + " decision"), null));
                default -> throw new OrderBundleException(where + " has unknown type '" + type + "' (issue or revoke)");
            }
        }
        return new OrderBundle(bundleId, root.path("createdAt").asText(""), List.copyOf(list));
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

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new OrderBundleException(where + ": field '" + field + "' is missing or empty");
        }
        return v.asText();
    }
}
