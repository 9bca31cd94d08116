package dev.shomei.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * A range of entries exported for an auditor, each with its hash and its RFC 9162 inclusion proof
 * against one checkpoint, so that the export can be verified offline with only that checkpoint and the
 * log's public key ({@link AuditVerifier#verify(AuditExport, Checkpoint)}).
 *
 * <p>Two formats: JSON Lines (a header object, then one object per entry) and CSV (one header row of
 * column names, then one row per entry; the origin and root come from the checkpoint). In CSV every
 * present text value is quoted, so an empty unquoted field means "absent" and {@code ""} means empty.
 * Hashes are lowercase hex; the root in the JSONL header is base64, as in the checkpoint.
 *
 * <p>Zone: all. Reads the audit tables through {@link AuditLog}; writes only to the writer it is given.
 */
public final class AuditExport {

    public static final String FORMAT = "shomei-audit-export/v1";
    static final List<String> CSV_COLUMNS = List.of("seq", "time", "actor_kind", "actor_id", "actor_authentication",
            "actor_version", "policy_id", "policy_digest", "action", "subject", "detail_sha256", "prev_hash",
            "entry_hash", "tree_size", "inclusion_proof");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    public enum Format {
        JSONL, CSV;

        public static Format parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("export format must be jsonl or csv, found '" + s + "'");
            }
        }
    }

    /** One exported entry and its audit path in the tree of the export's size. */
    public record ExportedEntry(AuditEntry entry, List<byte[]> inclusionProof) {
        public ExportedEntry {
            inclusionProof = MerkleTree.copy(inclusionProof);
        }

        @Override
        public List<byte[]> inclusionProof() {
            return MerkleTree.copy(inclusionProof);
        }
    }

    private final Format format;
    private final String origin;
    private final long treeSize;
    private final byte[] rootHash;
    private final List<ExportedEntry> entries;

    /** As {@link #read(Path)} makes it; package-private so that the verifier's tests can build exports in memory. */
    AuditExport(Format format, String origin, long treeSize, byte[] rootHash, List<ExportedEntry> entries) {
        this.format = format;
        this.origin = origin;
        this.treeSize = treeSize;
        this.rootHash = rootHash;
        this.entries = List.copyOf(entries);
    }

    public Format format() {
        return format;
    }

    /** The log's origin as the export states it; null for CSV, which takes it from the checkpoint. */
    public String origin() {
        return origin;
    }

    /** The tree size the inclusion proofs are for: the checkpoint the export was made against. */
    public long treeSize() {
        return treeSize;
    }

    /** The root hash the export states (JSONL), or null (CSV). */
    public byte[] rootHash() {
        return rootHash == null ? null : rootHash.clone();
    }

    public List<ExportedEntry> entries() {
        return entries;
    }

    // ---- writing ----

    /**
     * Writes entries {@code from..to} (inclusive) with inclusion proofs against {@code checkpoint}, which
     * must cover them.
     *
     * @return the number of entries written
     */
    public static long write(Connection c, AuditLog log, Checkpoint checkpoint, long from, long to, Format format,
                             Writer out) {
        if (from < 0 || to < from) {
            throw new AuditException("export range " + from + ".." + to + " is empty or negative");
        }
        if (to >= checkpoint.treeSize()) {
            throw new AuditException("entries up to " + to + " are not all covered by the checkpoint of size "
                    + checkpoint.treeSize() + " (entries 0.." + (checkpoint.treeSize() - 1)
                    + "): export up to --to " + (checkpoint.treeSize() - 1) + " or wait for the next checkpoint");
        }
        MerkleTree tree = log.tree(c, checkpoint.treeSize());
        if (!java.security.MessageDigest.isEqual(tree.rootHash(checkpoint.treeSize()), checkpoint.rootHash())) {
            throw new AuditException("the stored entries do not give the root of the checkpoint of size "
                    + checkpoint.treeSize() + "; run `audit verify` before exporting");
        }
        try {
            if (format == Format.JSONL) {
                ObjectNode h = JSON.createObjectNode();
                h.put("format", FORMAT);
                h.put("origin", checkpoint.origin());
                h.put("treeSize", checkpoint.treeSize());
                h.put("rootHash", checkpoint.rootBase64());
                h.put("from", from);
                h.put("to", to);
                out.write(JSON.writeValueAsString(h));
                out.write('\n');
            } else {
                out.write(String.join(",", CSV_COLUMNS));
                out.write('\n');
            }
            long written = 0;
            // In batches, so a large range is never held in memory at once.
            for (long start = from; start <= to; start += 10_000) {
                long end = Math.min(to, start + 9_999);
                List<AuditEntry> batch = log.entries(c, start, end);
                if (batch.size() != end - start + 1) {
                    throw new AuditException("entries " + start + ".." + end + " are not all stored (found "
                            + batch.size() + "); run `audit verify`");
                }
                for (AuditEntry e : batch) {
                    List<byte[]> proof = tree.proveInclusion(e.seq(), checkpoint.treeSize()).hashes();
                    out.write(format == Format.JSONL ? jsonLine(e, proof) : csvLine(e, checkpoint.treeSize(), proof));
                    out.write('\n');
                    written++;
                }
            }
            out.flush();
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the export: " + e.getMessage(), e);
        }
    }

    private static String jsonLine(AuditEntry e, List<byte[]> proof) throws JsonProcessingException {
        Actor a = e.event().actor();
        ObjectNode n = JSON.createObjectNode();
        n.put("seq", e.seq());
        n.put("time", Checkpoint.TIME.format(e.time()));
        n.put("actorKind", a.kind().name());
        n.put("actorId", a.id());
        n.put("actorAuthentication", a.authentication());
        n.put("actorVersion", a.version());
        n.put("policyId", a.policyId());
        n.put("policyDigest", a.policyDigest());
        n.put("action", e.event().action());
        n.put("subject", e.event().subject());
        n.put("detailSha256", HEX.formatHex(e.event().detailSha256()));
        n.put("prevHash", HEX.formatHex(e.prevHash()));
        n.put("entryHash", HEX.formatHex(e.entryHash()));
        ArrayNode p = n.putArray("inclusionProof");
        proof.forEach(h -> p.add(HEX.formatHex(h)));
        return JSON.writeValueAsString(n);
    }

    private static String csvLine(AuditEntry e, long treeSize, List<byte[]> proof) {
        Actor a = e.event().actor();
        List<String> f = new ArrayList<>();
        f.add(Long.toString(e.seq()));
        f.add(Checkpoint.TIME.format(e.time()));
        f.add(a.kind().name());
        f.add(quote(a.id()));
        f.add(quote(a.authentication()));
        f.add(quote(a.version()));
        f.add(quote(a.policyId()));
        f.add(quote(a.policyDigest()));
        f.add(quote(e.event().action()));
        f.add(quote(e.event().subject()));
        f.add(HEX.formatHex(e.event().detailSha256()));
        f.add(HEX.formatHex(e.prevHash()));
        f.add(HEX.formatHex(e.entryHash()));
        f.add(Long.toString(treeSize));
        f.add(String.join(";", proof.stream().map(HEX::formatHex).toList()));
        return String.join(",", f);
    }

    private static String quote(String s) {
        return s == null ? "" : "\"" + s.replace("\"", "\"\"") + "\"";
    }

    // ---- reading ----

    /**
     * Reads an export file, detecting the format from its first character ({@code {} for JSONL).
     *
     * @throws IllegalArgumentException naming the line and field that cannot be read
     */
    public static AuditExport read(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        if (text.isEmpty()) {
            throw new IllegalArgumentException(file + " is empty: not an audit export");
        }
        return text.charAt(0) == '{' ? readJsonl(text) : readCsv(text);
    }

    private static AuditExport readJsonl(String text) {
        String[] lines = text.split("\n");
        JsonNode h = json(1, lines[0]);
        if (!FORMAT.equals(h.path("format").asText())) {
            throw new IllegalArgumentException("line 1: the header's format must be '" + FORMAT + "'");
        }
        String origin = text(1, h, "origin", false);
        long size = number(1, h, "treeSize");
        byte[] root;
        try {
            root = Base64.getDecoder().decode(text(1, h, "rootHash", false));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("line 1: rootHash is not base64");
        }
        List<ExportedEntry> entries = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            int lineNo = i + 1;
            JsonNode n = json(lineNo, lines[i]);
            List<byte[]> proof = new ArrayList<>();
            JsonNode p = n.get("inclusionProof");
            if (p == null || !p.isArray()) {
                throw new IllegalArgumentException("line " + lineNo + ": inclusionProof must be an array of hex hashes");
            }
            for (JsonNode x : p) {
                proof.add(hex(lineNo, "inclusionProof", x.asText()));
            }
            entries.add(new ExportedEntry(entry(lineNo, number(lineNo, n, "seq"), text(lineNo, n, "time", false),
                    text(lineNo, n, "actorKind", false), text(lineNo, n, "actorId", false),
                    text(lineNo, n, "actorAuthentication", true), text(lineNo, n, "actorVersion", true),
                    text(lineNo, n, "policyId", true), text(lineNo, n, "policyDigest", true),
                    text(lineNo, n, "action", false), text(lineNo, n, "subject", false),
                    text(lineNo, n, "detailSha256", false), text(lineNo, n, "prevHash", false),
                    text(lineNo, n, "entryHash", false)), proof));
        }
        return new AuditExport(Format.JSONL, origin, size, root, entries);
    }

    private static JsonNode json(int line, String s) {
        try {
            JsonNode n = JSON.readTree(s);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("line " + line + " is not a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("line " + line + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(int line, JsonNode n, String field, boolean nullable) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (nullable) {
                return null;
            }
            throw new IllegalArgumentException("line " + line + ": field " + field + " is missing");
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("line " + line + ": field " + field + " must be a string");
        }
        return v.asText();
    }

    private static long number(int line, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber()) {
            throw new IllegalArgumentException("line " + line + ": field " + field + " must be a whole number");
        }
        return v.asLong();
    }

    private static byte[] hex(int line, String field, String s) {
        try {
            return HEX.parseHex(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("line " + line + ": " + field + " is not hex: '" + s + "'");
        }
    }

    private static AuditEntry entry(int line, long seq, String time, String kind, String actorId, String auth,
                                     String version, String policyId, String policyDigest, String action,
                                     String subject, String detail, String prev, String hash) {
        try {
            Instant t = Instant.from(Checkpoint.TIME.parse(time));
            Actor actor = new Actor(Actor.Kind.valueOf(kind), actorId, auth, version, policyId, policyDigest);
            AuditEvent event = new AuditEvent(actor, action, subject, hex(line, "detail_sha256", detail));
            return new AuditEntry(seq, t, event, hex(line, "prev_hash", prev), hex(line, "entry_hash", hash));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("line " + line + ": time '" + time + "' is not like 2026-01-31T23:59:59.000000Z");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("line " + line + " (entry " + seq + "): " + e.getMessage(), e);
        }
    }

    private static AuditExport readCsv(String text) {
        List<List<String>> rows = Csv.parse(text);
        if (rows.isEmpty() || !rows.getFirst().equals(CSV_COLUMNS)) {
            throw new IllegalArgumentException("line 1 must be the CSV header " + String.join(",", CSV_COLUMNS));
        }
        List<ExportedEntry> entries = new ArrayList<>();
        long size = -1;
        for (int i = 1; i < rows.size(); i++) {
            List<String> r = rows.get(i);
            int line = i + 1;
            if (r.size() != CSV_COLUMNS.size()) {
                throw new IllegalArgumentException("row " + line + " has " + r.size() + " fields, expected "
                        + CSV_COLUMNS.size());
            }
            long seq;
            long rowSize;
            try {
                seq = Long.parseLong(r.get(0));
                rowSize = Long.parseLong(r.get(13));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("row " + line + ": seq and tree_size must be whole numbers");
            }
            if (size != -1 && rowSize != size) {
                throw new IllegalArgumentException("row " + line + ": tree_size " + rowSize + " differs from the first"
                        + " row's " + size + "; an export is made against one checkpoint");
            }
            size = rowSize;
            List<byte[]> proof = new ArrayList<>();
            if (r.get(14) != null && !r.get(14).isEmpty()) {
                for (String h : r.get(14).split(";", -1)) {
                    proof.add(hex(line, "inclusion_proof", h));
                }
            }
            entries.add(new ExportedEntry(entry(line, seq, r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6),
                    r.get(7), r.get(8), r.get(9), r.get(10), r.get(11), r.get(12)), proof));
        }
        return new AuditExport(Format.CSV, null, Math.max(size, 0), null, entries);
    }

    /** RFC 4180 CSV, keeping "absent" (empty, unquoted: null) apart from "empty" (quoted: ""). */
    static final class Csv {
        static List<List<String>> parse(String text) {
            List<List<String>> rows = new ArrayList<>();
            List<String> row = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            boolean inQuotes = false;
            int i = 0;
            while (i < text.length()) {
                char ch = text.charAt(i);
                if (inQuotes) {
                    if (ch == '"') {
                        if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                            field.append('"');
                            i++;
                        } else {
                            inQuotes = false;
                        }
                    } else {
                        field.append(ch);
                    }
                } else if (ch == '"' && field.isEmpty() && !quoted) {
                    inQuotes = true;
                    quoted = true;
                } else if (ch == ',') {
                    row.add(value(field, quoted));
                    field.setLength(0);
                    quoted = false;
                } else if (ch == '\n' || ch == '\r') {
                    if (ch == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                        i++;
                    }
                    row.add(value(field, quoted));
                    rows.add(row);
                    row = new ArrayList<>();
                    field.setLength(0);
                    quoted = false;
                } else {
                    field.append(ch);
                }
                i++;
            }
            if (inQuotes) {
                throw new IllegalArgumentException("CSV ends inside a quoted field (row " + (rows.size() + 1) + ")");
            }
            if (!field.isEmpty() || quoted || !row.isEmpty()) {
                row.add(value(field, quoted));
                rows.add(row);
            }
            return rows;
        }

        private static String value(StringBuilder field, boolean quoted) {
            return !quoted && field.isEmpty() ? null : field.toString();
        }
    }
}
