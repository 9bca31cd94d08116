package dev.shomei.ca.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.shomei.ca.approval.ActKind;
import dev.shomei.ca.approval.ApprovalPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Configuration changes under quorum (CP/CPS §5.2.2, §6.5.1; docs/key-ceremony.md): the settings that decide what
 * the CA certifies and who may approve, in a canonical text ({@code shomei-ca-config/v1}, one {@code name=value} line
 * each, referenced files by SHA-256), its SHA-256, and the record of the approved ones. With
 * {@code approvals.quorum.configuration} set, the CA refuses to open with a configuration whose digest is not the
 * last approved one, naming the settings that changed.
 *
 * <p>Zone: secure. Reads the configuration and the files it names; touches the approved_configuration table only.
 */
public final class ApprovedConfiguration {

    /** The last approved configuration. */
    public record Approved(long id, String sha256, String canonical, Set<String> approverFingerprints, int quorum,
                           String approvedBy, Instant approvedAt) {}

    private static final ObjectMapper JSON = JsonMapper.builder()
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .build();

    private ApprovedConfiguration() {}

    /** Whether the configuration puts its own changes under a quorum. */
    public static boolean required(CaConfig cfg) {
        return ApprovalPolicy.of(cfg).quorum(ActKind.CONFIGURATION).isPresent();
    }

    /**
     * The canonical text of what matters: HSM token and production setting, the issuing key, the profiles, which of
     * them orders may use, the trusted RA certificates, the approvers, quorums and roles, the CRL and root CRL
     * intervals, the audit checkpoint and status document keys, the root key's label and token, the repository URLs. Database settings and PIN sources are left out (they decide nothing certified).
     */
    public static String canonical(CaConfig cfg) {
        Map<String, String> lines = new TreeMap<>();
        CaConfig.Hsm h = cfg.hsm();
        if (h != null) {
            lines.put("hsm.token", String.valueOf(h.token()));
            lines.put("hsm.production", String.valueOf(Boolean.TRUE.equals(h.production())));
            lines.put("hsm.softwareTokenOverride", String.valueOf(h.softwareTokenOverride()));
            lines.put("hsm.keyBackup", String.valueOf(h.keyBackup()));
        }
        lines.put("issuingKey", String.valueOf(cfg.issuingKey()));
        lines.put("profiles", json(cfg.profiles()));
        lines.put("orders.allowedProfiles", json(cfg.orderProfiles()));
        List<String> ra = new ArrayList<>();
        if (cfg.orders() != null && cfg.orders().trustedRaCertificates() != null) {
            for (String f : cfg.orders().trustedRaCertificates()) {
                ra.add(fileSha256(cfg.resolve(f), "orders.trustedRaCertificates"));
            }
        }
        lines.put("orders.trustedRaCertificates", String.join(",", ra.stream().sorted().toList()));
        lines.put("orders.maxBundleBytes", String.valueOf(cfg.maxOrderBundleBytes()));
        ApprovalPolicy policy = ApprovalPolicy.of(cfg);
        lines.put("approvals.approvers", policy.approvers().stream()
                .map(a -> a.name() + "|" + a.role() + "|" + a.fingerprint()).sorted().collect(Collectors.joining(",")));
        CaConfig.Approvals a = cfg.approvals();
        lines.put("approvals.quorum", json(a == null || a.quorum() == null ? Map.of() : a.quorum()));
        lines.put("approvals.requireRoles", json(a == null || a.requireRoles() == null ? Map.of() : a.requireRoles()));
        lines.put("approvals.maxValidityHours", String.valueOf(policy.maxValidity().toHours()));
        lines.put("crl.nextUpdateHours", String.valueOf(cfg.crlNextUpdateHours()));
        lines.put("crl.auditCheckpointKey", String.valueOf(cfg.crl() == null ? null : cfg.crl().auditCheckpointKey()));
        // The key that signs the secure zone's status documents (one key, one purpose: docs/monitoring.md).
        lines.put("status.signingKey", String.valueOf(cfg.status() == null ? null : cfg.status().signingKey()));
        lines.put("ceremony.rootCrlNextUpdateDays", String.valueOf(cfg.ceremony() == null ? null
                : cfg.ceremony().rootCrlNextUpdateDays()));
        // The root key that signs the ARL and new CA certificates (ca root-crl, ca renew-issuing): which key, on which token.
        lines.put("ceremony.root.label", String.valueOf(cfg.ceremony() == null || cfg.ceremony().root() == null ? null
                : cfg.ceremony().root().label()));
        lines.put("ceremony.rootToken", String.valueOf(cfg.separateRootToken() ? cfg.ceremony().rootToken().token() : null));
        lines.put("repository", json(cfg.repositoryOrEmpty()));
        StringBuilder sb = new StringBuilder("shomei-ca-config/v1\n");
        lines.forEach((k, v) -> sb.append(k).append('=').append(v.replace("\n", "\\n")).append('\n'));
        return sb.toString();
    }

    public static String sha256(String canonical) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The names of the settings whose lines differ between two canonical texts. */
    public static List<String> changed(String before, String after) {
        Map<String, String> b = parse(before);
        Map<String, String> a = parse(after);
        List<String> out = new ArrayList<>();
        for (String k : new java.util.TreeSet<>(union(b.keySet(), a.keySet()))) {
            if (!java.util.Objects.equals(b.get(k), a.get(k))) {
                out.add(k);
            }
        }
        return out;
    }

    public static Optional<Approved> latest(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, sha256, canonical, approver_fingerprints, quorum,"
                + " approved_by, approved_at FROM approved_configuration ORDER BY id DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new Approved(rs.getLong(1), rs.getString(2), rs.getString(3),
                    Set.copyOf(Arrays.asList(rs.getString(4).split(","))), rs.getInt(5), rs.getString(6),
                    rs.getTimestamp(7).toInstant()));
        }
    }

    public static void record(Connection c, CaConfig cfg, String canonical, String approvedBy, String actId, Instant now)
            throws SQLException {
        ApprovalPolicy policy = ApprovalPolicy.of(cfg);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO approved_configuration (sha256, canonical,"
                + " approver_fingerprints, quorum, approved_by, act_id, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, sha256(canonical));
            ps.setString(2, canonical);
            ps.setString(3, policy.approvers().stream().map(ApprovalPolicy.Approver::fingerprint)
                    .collect(Collectors.joining(",")));
            ps.setInt(4, policy.quorum(ActKind.CONFIGURATION).orElseThrow());
            ps.setString(5, approvedBy);
            ps.setString(6, actId);
            ps.setTimestamp(7, Timestamp.from(now));
            ps.executeUpdate();
        }
    }

    /**
     * Refuses to run with a configuration other than the last approved one, when changes need a quorum. The message
     * names the settings that changed and how to approve them.
     */
    public static void check(CaConfig cfg, Connection c) throws SQLException {
        if (!required(cfg)) {
            return;
        }
        String now = canonical(cfg);
        Optional<Approved> last = latest(c);
        if (last.isEmpty()) {
            throw new ConfigException("approvals.quorum.configuration is set but no configuration has been approved yet:"
                    + " approve this one first (ca approval request --out act.json -- config-approve; each approver"
                    + " signs; ca config-approve --approvals ...)");
        }
        if (!last.get().sha256().equals(sha256(now))) {
            throw new ConfigException("the CA configuration differs from the one approved at " + last.get().approvedAt()
                    + " by " + last.get().approvedBy() + " (SHA-256 " + last.get().sha256() + "): changed "
                    + changed(last.get().canonical(), now) + "; a change needs approvals.quorum.configuration:"
                    + " ca approval request --out act.json -- config-approve, then ca config-approve --approvals ..."
                    + " (or restore the approved configuration)");
        }
    }

    private static Map<String, String> parse(String canonical) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : canonical.split("\n")) {
            int i = line.indexOf('=');
            if (i > 0) {
                m.put(line.substring(0, i), line.substring(i + 1));
            }
        }
        return m;
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the configuration canonically: " + e.getMessage(), e);
        }
    }

    private static String fileSha256(Path p, String setting) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new ConfigException(setting + ": cannot read " + p + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
