package dev.shomei.ra.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.TrustedKeys;
import dev.shomei.evidence.EvidencePack;
import dev.shomei.evidence.PackageExporter;
import dev.shomei.evidence.Sample;
import dev.shomei.evidence.Statistics;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.books.AuditCheckpointSchedule;
import dev.shomei.ra.books.AuditTrail;
import dev.shomei.ra.jpki.JpkiTrustAnchors;
import dev.shomei.ra.problem.RaProblem;
import io.agroal.api.AgroalDataSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The auditor's view of the RA, computed by the evidence module's own code (the same figures, sample and packages as
 * {@code bin/evidence report}; docs/auditor-guide.md): statistics of a period, a sample drawn from the RA's latest
 * signed audit checkpoint, one decision's evidence package as a zip, and the reconciliation result of the last
 * evidence report.
 *
 * <p>The RA holds no connection to the CA's database (the CA is in the secure zone and opens no port), so the
 * statistics here are the RA's, packages lack the CA's audit entry, and the reconciliation (which needs the CA's
 * records) is shown from the report.json the operator made with {@code bin/evidence report} and installed at
 * {@code ra.console.reconciliation-report}.
 *
 * <p>Zone: online (ra-service), auditor-facing. Reads the RA's tables (read-only transactions) and that file; writes
 * one audit-log event per sample drawn and per package downloaded, and temporary files it deletes.
 */
@ApplicationScoped
public class AuditorEvidence {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    AgroalDataSource dataSource;
    @Inject
    JpkiTrustAnchors anchors;
    @Inject
    RaConfig config;
    @Inject
    AuditCheckpointSchedule checkpoints;
    @Inject
    AuditTrail audit;

    /** A sample as drawn, with the checkpoint that seeded it. */
    public record Drawn(Instant from, Instant to, Checkpoint seed, Sample.Drawn sample) {
        /** A checkpoint signed before the period ended could still have been steered (docs/auditor-guide.md). */
        public boolean seedBeforePeriodEnd() {
            return seed.time().isBefore(to);
        }
    }

    /** The evidence report's statistics of [from, to), for the RA (evidence.Statistics without the CA's database). */
    public Map<String, Object> statistics(Instant from, Instant to) {
        checkPeriod(from, to);
        return read(c -> new Statistics(c, null, null).compute(from, to, Instant.now()));
    }

    /**
     * Draws the sample of the decisions of [from, to) (evidence.Sample: per stratum, ordered by HMAC-SHA256 under
     * the seed) from the root hash of the RA's latest signed audit checkpoint, and records who drew it.
     */
    public Drawn sample(Instant from, Instant to, int perStratum, Actor auditor) {
        checkPeriod(from, to);
        if (perStratum < 1 || perStratum > 1000) {
            throw RaProblem.badRequest("sample-per-stratum", "Sample size out of range", "perStratum " + perStratum
                    + " is not between 1 and 1000").with("field", "perStratum");
        }
        Drawn d = read(c -> {
            Checkpoint seed = new AuditLog(origin(c)).latestCheckpoint(c).orElseThrow(() -> new RaProblem(409,
                    "sample-seed-missing", "No signed audit checkpoint", "the RA's audit log has no signed"
                    + " checkpoint yet, so there is no seed the operator cannot choose; wait for the next one"
                    + " (ra.audit.checkpoint-every)"));
            return new Drawn(from, to, seed, Sample.draw(seed.rootHash(), EvidencePack.candidates(c, from, to),
                    perStratum));
        });
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("from", from.toString());
        detail.put("to", to.toString());
        detail.put("perStratum", perStratum);
        detail.put("seedTreeSize", d.seed().treeSize());
        detail.put("seedRoot", d.seed().rootHex());
        detail.put("chosen", d.sample().all());
        record(auditor, "evidence.sample-drawn", "evidence:sample", detail);
        return d;
    }

    /** The audit log's origin line, as the log itself records it (as evidence.PackageExporter reads it). */
    private static String origin(Connection c) throws SQLException {
        try (var st = c.createStatement(); var rs = st.executeQuery("SELECT origin FROM audit_head WHERE id = 1")) {
            if (!rs.next()) {
                throw new RaProblem(409, "sample-seed-missing", "No audit log yet", "the RA's audit log is empty");
            }
            return rs.getString(1);
        }
    }

    /** The evidence package of one decision (evidence.PackageExporter), zipped, its download recorded. */
    public byte[] packageZip(UUID decisionId, Actor auditor) {
        Path tmp;
        try {
            tmp = Files.createTempDirectory("evidence-package-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make a temporary directory for the package", e);
        }
        try {
            Path dir = read(c -> {
                try (var st = c.prepareStatement("SELECT 1 FROM decision WHERE id = ?")) {
                    st.setObject(1, decisionId);
                    try (var rs = st.executeQuery()) {
                        if (!rs.next()) {
                            throw RaProblem.notFound("decision-not-found", "no decision " + decisionId
                                    + "; take decision ids from a sample");
                        }
                    }
                }
                try {
                    return new PackageExporter(c, null, sources()).export(decisionId, tmp);
                } catch (IllegalStateException e) {
                    throw new RaProblem(409, "evidence-package-incomplete", "Package cannot be made yet",
                            e.getMessage());
                }
            });
            byte[] zip = zip(dir, decisionId.toString());
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("decisionId", decisionId.toString());
            detail.put("zipSha256", ConfiguredFile.sha256Hex(zip));
            record(auditor, "evidence.package-exported", "decision:" + decisionId, detail);
            return zip;
        } finally {
            delete(tmp);
        }
    }

    /** The reconciliation section of the installed evidence report, with where it came from; empty if none. */
    public Optional<Map<String, Object>> reconciliation() {
        Optional<String> configured = config.console().reconciliationReport();
        if (configured.isEmpty()) {
            return Optional.empty();
        }
        Path file = Path.of(configured.get());
        try {
            byte[] bytes = Files.readAllBytes(file);
            Map<?, ?> report = JSON.readValue(bytes, Map.class);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("file", file.toString());
            out.put("sha256", ConfiguredFile.sha256Hex(bytes));
            out.put("period", String.valueOf(report.get("period")));
            out.put("generatedAt", String.valueOf(report.get("generatedAt")));
            Object rec = report.get("reconciliation");
            if (!(rec instanceof Map<?, ?>)) {
                throw new IOException("it has no reconciliation section (made without the CA's database?)");
            }
            out.put("reconciliation", rec);
            return Optional.of(out);
        } catch (IOException e) {
            throw new RaProblem(503, "reconciliation-report-unusable", "Reconciliation report unusable",
                    "ra.console.reconciliation-report = " + file + ": " + e.getMessage() + "; install the"
                            + " report.json that bin/evidence report wrote");
        }
    }

    /** The operator's copies the exporter needs: the installed J-LIS generations, the policy file, the audit key. */
    private PackageExporter.Sources sources() {
        List<java.security.cert.X509Certificate> generations = anchors.generations().stream()
                .map(JpkiTrustAnchors.Generation::certificate).toList();
        byte[] policy = ConfiguredFile.read("ra.policy.path", config.policy().path());
        byte[] raKey = checkpoints.signer().map(s -> TrustedKeys.toPem(s.publicKey()).getBytes(StandardCharsets.UTF_8))
                .orElse(null);
        return new PackageExporter.Sources(generations, List.of(policy), raKey, null);
    }

    private void record(Actor auditor, String action, String subject, Map<String, Object> detail) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(detail);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        QuarkusTransaction.requiringNew().run(() -> audit.append(auditor, action, subject, bytes));
    }

    private static void checkPeriod(Instant from, Instant to) {
        if (from == null || to == null || !from.isBefore(to)) {
            throw RaProblem.badRequest("period-malformed", "Period malformed", "the period needs from and to"
                    + " (ISO 8601 instants, e.g. 2026-10-01T00:00:00Z) with from before to").with("field", "from");
        }
    }

    private interface Query<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    /** One read-only transaction of its own (the evidence code reads with plain JDBC, as bin/evidence does). */
    private <T> T read(Query<T> q) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            try {
                return q.run(c);
            } finally {
                c.rollback();
                c.setReadOnly(false);
                c.setAutoCommit(true);
            }
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("reading the RA's records for the auditor failed: " + e.getMessage(), e);
        }
    }

    static Instant instant(String field, String value) {
        try {
            return Instant.parse(value.strip());
        } catch (RuntimeException e) {
            throw RaProblem.badRequest("period-malformed", "Malformed time", field + " '" + value + "' is not an"
                    + " ISO 8601 instant such as 2026-10-01T00:00:00Z").with("field", field);
        }
    }

    private static byte[] zip(Path dir, String root) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out); Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                z.putNextEntry(new ZipEntry(root + "/" + dir.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, z);
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot zip the evidence package: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A temporary directory left behind holds copies of what the database holds; the OS cleans tmp.
        }
    }
}
