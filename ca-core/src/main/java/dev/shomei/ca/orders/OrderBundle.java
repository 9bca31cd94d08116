package dev.shomei.ca.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The content of an RA-signed order bundle (docs/order-bundles.md), parsed strictly: a missing or
 * malformed field refuses the whole bundle with a message naming the order and the field.
 */
public record OrderBundle(String bundleId, String createdAt, List<Order> orders) {

    public static final String FORMAT = "shomei-order-bundle/v1";

    /** One order: issue (profile + CSR) or revoke (serial + reason), with the RA decision behind it. */
    public record Order(String orderId, String type, String profile, byte[] csr, String serial, String reason,
                        String decisionId, String decisionSha256) {}

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
                            text(decision, "id", where + " decision"), text(decision, "sha256", where + " decision")));
                }
                case "revoke" -> list.add(new Order(id, type, null, null, text(o, "serial", where),
                        text(o, "reason", where), text(decision, "id", where + " decision"),
                        text(decision, "sha256", where + " decision")));
                default -> throw new OrderBundleException(where + " has unknown type '" + type + "' (issue or revoke)");
            }
        }
        return new OrderBundle(bundleId, root.path("createdAt").asText(""), List.copyOf(list));
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new OrderBundleException(where + ": field '" + field + "' is missing or empty");
        }
        return v.asText();
    }
}
