package dev.shomei.evidence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.VerificationReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The whole pack, in the order an investigator reads it (docs/auditor-guide.md):
 * <pre>
 * out/report.html, out/report.json      the report and its JSON twin
 * out/sample/candidates.json            every decision of the period with its stratum (to re-derive the sample)
 * out/sample/sample.json                the seed checkpoint and the sample drawn from it
 * out/packages/&lt;decisionId&gt;/            one evidence package per sampled decision
 * </pre>
 *
 * <p>Zone: the operator's side. Reads the RA's and CA's databases and the repository; writes only under {@code out}.
 */
public final class EvidencePack {

    /** What the pack is made of. {@code ca} and {@code repository} may be null. */
    public record Inputs(Connection ra, Connection ca, Path repository, Instant from, Instant to, Checkpoint seed,
                         int perStratum, PackageExporter.Sources sources, PackageVerifier.Trust trust) {}

    /** @param ok false when a package failed, the reconciliation found a discrepancy, or an audit log failed */
    public record Outcome(Map<String, Object> report, boolean ok, Path directory) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private EvidencePack() {}

    public static List<Sample.Candidate> candidates(Connection ra, Instant from, Instant to) throws SQLException {
        List<Sample.Candidate> list = new ArrayList<>();
        try (var st = Statistics.prepare(ra, "SELECT id, subject_kind, outcome, actor_kind, actor_id, policy_id FROM decision"
                + " WHERE decided_at >= ? AND decided_at < ? ORDER BY decided_at, id", from, to); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                String decider = "SYSTEM".equals(rs.getString(4)) ? "system " + rs.getString(6) : "officer " + rs.getString(5);
                list.add(new Sample.Candidate(rs.getString(1), rs.getString(2), rs.getString(3), decider));
            }
        }
        return list;
    }

    public static Outcome make(Inputs in, Path out, Instant now) throws IOException, SQLException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("format", "shomei-evidence-report/v1");
        report.put("period", in.from() + "/" + in.to());
        report.put("generatedAt", now.toString());
        boolean ok = true;

        // Step 1: statistics.
        report.put("statistics", new Statistics(in.ra(), in.ca(), in.repository()).compute(in.from(), in.to(), now));

        // Step 2: the sample, seeded by a published checkpoint's root hash.
        List<Sample.Candidate> candidates = candidates(in.ra(), in.from(), in.to());
        Sample.Drawn drawn = Sample.draw(in.seed().rootHash(), candidates, in.perStratum());
        Files.createDirectories(out.resolve("sample"));
        Files.write(out.resolve("sample/candidates.json"), JSON.writeValueAsBytes(candidates));
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("algorithm", "per stratum (subjectKind / outcome / decider), order by HMAC-SHA256(key = seed,"
                + " message = UTF-8 lowercase decision id) as unsigned bytes, take the first perStratum");
        sample.put("seedCheckpoint", in.seed().text());
        sample.put("seedHex", drawn.seedHex());
        sample.put("perStratum", drawn.perStratum());
        sample.put("stratumSizes", drawn.stratumSizes());
        sample.put("chosen", drawn.chosen());
        Files.write(out.resolve("sample/sample.json"), JSON.writeValueAsBytes(sample));
        report.put("sample", sample);

        // Step 3: a package per sampled decision, each re-verified as the auditor would.
        Map<String, Object> packages = new LinkedHashMap<>();
        PackageExporter exporter = new PackageExporter(in.ra(), in.ca(), in.sources());
        PackageVerifier verifier = new PackageVerifier(in.trust());
        for (String id : drawn.all()) {
            Map<String, Object> v = new LinkedHashMap<>();
            try {
                Path dir = exporter.export(UUID.fromString(id), out.resolve("packages"));
                PackageVerifier.Verdict verdict = verifier.verify(dir);
                v.put("verdict", verdict.ok() ? "VERIFIED" : "FAILED");
                v.put("failures", verdict.failures().stream().map(Check::toString).toList());
                v.put("warnings", verdict.checks().stream().filter(c -> c.status() == Check.Status.WARN)
                        .map(Check::toString).toList());
                ok &= verdict.ok();
            } catch (RuntimeException e) {
                v.put("verdict", "FAILED");
                v.put("failures", List.of("export: " + e.getMessage()));
                ok = false;
            }
            packages.put(id, v);
        }
        report.put("packages", packages);

        // Step 4: the audit logs, whole.
        Map<String, Object> audit = new LinkedHashMap<>();
        audit.put("ra", auditLog(in.ra(), in.trust().raAuditKeys()));
        if (in.ca() != null) {
            audit.put("ca", auditLog(in.ca(), in.trust().caAuditKeys()));
        }
        for (Object a : audit.values()) {
            ok &= Boolean.TRUE.equals(((Map<?, ?>) a).get("ok"));
        }
        report.put("auditVerification", audit);

        // Step 5: reconciliation.
        if (in.ca() != null) {
            Reconciliation.Result rec = new Reconciliation(in.ra(), in.ca(), in.repository()).run(now);
            report.put("reconciliation", reconciliation(rec));
            ok &= rec.ok();
        }
        report.put("controls", Controls.table(report));
        report.put("ok", ok);
        Report.write(report, out);
        return new Outcome(report, ok, out);
    }

    public static Map<String, Object> reconciliation(Reconciliation.Result rec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("counts", rec.counts());
        m.put("manualActs", rec.manualActs());
        m.put("discrepancies", rec.discrepancies().stream().map(Reconciliation.Discrepancy::toString).toList());
        m.put("publicationHistory", rec.publicationHistory());
        List<Map<String, Object>> delays = new ArrayList<>();
        for (Reconciliation.PublicationDelay d : rec.publicationDelays()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("serial", d.serial());
            x.put("acceptedBy", d.acceptedBy());
            x.put("acceptedAt", d.acceptedAt().toString());
            x.put("crlAt", d.crlAt() == null ? null : d.crlAt().toString());
            x.put("crlDelaySeconds", d.crlDelaySeconds());
            x.put("ocspAt", d.ocspAt() == null ? null : d.ocspAt().toString());
            x.put("ocspDelaySeconds", d.ocspDelaySeconds());
            x.put("upperBound", d.upperBound());
            delays.add(x);
        }
        m.put("publicationDelays", delays);
        return m;
    }

    private static Map<String, Object> auditLog(Connection c, Collection<PublicKey> keys) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (keys.isEmpty()) {
            m.put("ok", false);
            m.put("result", "not verified: no trusted checkpoint key given");
            return m;
        }
        try {
            // The verifier reads the log in one snapshot of its own; end the read-only transaction our queries opened.
            if (!c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot end the read transaction before verifying the audit log", e);
        }
        VerificationReport r = new AuditVerifier(keys).verify(c);
        m.put("ok", r.ok());
        m.put("origin", r.origin());
        m.put("entries", r.entriesChecked());
        m.put("checkpoints", r.checkpointsChecked());
        m.put("problems", r.problems().stream().map(p -> p.kind() + " " + p.message()).toList());
        return m;
    }
}
