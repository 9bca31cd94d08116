package dev.shomei.evidence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;

/**
 * The figures for a period [from, to): what the RA decided and on what grounds, what J-LIS answered, what the CA
 * issued and revoked, and how fresh the repository's CRLs and OCSP responses are. Every figure is a plain count or
 * duration computed by one query the auditor can read in this file (docs/auditor-guide.md lists them).
 *
 * <p>Zone: the operator's side. Reads the RA's and CA's tables and the repository directory; writes nothing.
 */
public final class Statistics {

    private final Connection ra;
    private final Connection ca;
    private final Path repository;

    /** @param ca the CA database or null; @param repository the repository (CDN origin) directory or null */
    public Statistics(Connection ra, Connection ca, Path repository) {
        this.ra = ra;
        this.ca = ca;
        this.repository = repository;
    }

    public Map<String, Object> compute(Instant from, Instant to, Instant now) throws SQLException, IOException {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("from", from.toString());
        s.put("to", to.toString());
        Map<String, Object> app = new LinkedHashMap<>();
        app.put("received", count(ra, "SELECT count(*) FROM application WHERE received_at >= ? AND received_at < ?", from, to));
        app.put("byStatus", groups(ra, "SELECT status, count(*) FROM application WHERE received_at >= ? AND received_at < ?"
                + " GROUP BY 1 ORDER BY 1", from, to));
        // The outcome an application ended with: its latest decision (a referral is followed by an officer's).
        app.put("byFinalOutcome", groups(ra, "SELECT d.outcome, count(*) FROM application a JOIN decision d ON d.id = a.decision_id"
                + " WHERE a.received_at >= ? AND a.received_at < ? GROUP BY 1 ORDER BY 1", from, to));
        s.put("applications", app);

        Map<String, Object> dec = new LinkedHashMap<>();
        dec.put("total", count(ra, "SELECT count(*) FROM decision WHERE decided_at >= ? AND decided_at < ?", from, to));
        dec.put("byKindAndOutcome", groups(ra, "SELECT subject_kind || ' ' || outcome, count(*) FROM decision"
                + " WHERE decided_at >= ? AND decided_at < ? GROUP BY 1 ORDER BY 1", from, to));
        dec.put("byDecider", groups(ra, "SELECT CASE actor_kind WHEN 'SYSTEM' THEN 'system ' || coalesce(policy_id, '?')"
                + " ELSE 'officer ' || actor_id END || ' ' || outcome, count(*) FROM decision"
                + " WHERE decided_at >= ? AND decided_at < ? GROUP BY 1 ORDER BY 1", from, to));
        dec.put("byFinding", groups(ra, "SELECT (r ->> 'code') || ' ' || d.outcome, count(*) FROM decision d,"
                + " jsonb_array_elements(d.reasons::jsonb) r WHERE d.decided_at >= ? AND d.decided_at < ?"
                + " GROUP BY 1 ORDER BY 1", from, to));
        dec.put("perDay", groups(ra, "SELECT to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ' ' || outcome, count(*)"
                + " FROM decision WHERE decided_at >= ? AND decided_at < ? GROUP BY 1 ORDER BY 1", from, to));
        s.put("decisions", dec);

        // Time from receipt to the decision the application ended with, by who decided it.
        Map<String, Object> ttd = new LinkedHashMap<>();
        for (String kind : List.of("SYSTEM", "PERSON")) {
            List<Double> secs = new ArrayList<>();
            try (PreparedStatement st = ra.prepareStatement("SELECT extract(epoch FROM d.decided_at - a.received_at)"
                    + " FROM application a JOIN decision d ON d.id = a.decision_id WHERE a.received_at >= ?"
                    + " AND a.received_at < ? AND d.actor_kind = ?")) {
                st.setTimestamp(1, Timestamp.from(from));
                st.setTimestamp(2, Timestamp.from(to));
                st.setString(3, kind);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        secs.add(rs.getDouble(1));
                    }
                }
            }
            Collections.sort(secs);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("count", secs.size());
            t.put("medianSeconds", secs.isEmpty() ? null : secs.get(secs.size() / 2));
            t.put("p90Seconds", secs.isEmpty() ? null : secs.get(Math.min(secs.size() - 1, (int) Math.ceil(secs.size() * 0.9) - 1)));
            t.put("maxSeconds", secs.isEmpty() ? null : secs.get(secs.size() - 1));
            ttd.put(kind.equals("SYSTEM") ? "system" : "officer", t);
        }
        s.put("timeToDecision", ttd);

        s.put("jlisAnswers", groups(ra, "SELECT k || ' ' || coalesce(src, 'NONE') || ' ' || coalesce(st, 'NOT_CHECKED'), count(*) FROM ("
                + " SELECT 'application' k, revocation_source src, revocation_status st FROM application"
                + "  WHERE received_at >= ? AND received_at < ?"
                + " UNION ALL SELECT 'revocation-request', revocation_source, revocation_status FROM revocation_request"
                + "  WHERE received_at >= ? AND received_at < ? AND initiated_by = 'APPLICANT') x GROUP BY 1 ORDER BY 1",
                from, to, from, to));
        s.put("revocationRequests", groups(ra, "SELECT initiated_by || ' ' || reason || ' ' || status, count(*)"
                + " FROM revocation_request WHERE received_at >= ? AND received_at < ? GROUP BY 1 ORDER BY 1", from, to));

        if (ca != null) {
            Map<String, Object> certs = new LinkedHashMap<>();
            certs.put("issued", count(ca, "SELECT count(*) FROM certificate WHERE issued_at >= ? AND issued_at < ?", from, to));
            certs.put("revoked", count(ca, "SELECT count(*) FROM revocation WHERE revoked_at >= ? AND revoked_at < ?", from, to));
            certs.put("expired", count(ca, "SELECT count(*) FROM certificate WHERE not_after >= ? AND not_after < ?", from, to));
            certs.put("revokedByReason", groups(ca, "SELECT reason::text, count(*) FROM revocation WHERE revoked_at >= ?"
                    + " AND revoked_at < ? GROUP BY 1 ORDER BY 1", from, to));
            certs.put("revokedByInitiator", groups(ca, "SELECT CASE WHEN requested_by LIKE 'RA order %' THEN 'RA order'"
                    + " ELSE requested_by END, count(*) FROM revocation WHERE revoked_at >= ? AND revoked_at < ?"
                    + " GROUP BY 1 ORDER BY 1", from, to));
            certs.put("issuedPerDay", groups(ca, "SELECT to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*)"
                    + " FROM certificate WHERE issued_at >= ? AND issued_at < ? GROUP BY 1 ORDER BY 1", from, to));
            s.put("certificates", certs);
            s.put("crlFreshness", crlFreshness(from, to, now));
        }
        if (repository != null) {
            s.put("repository", repository(now));
        }
        return s;
    }

    /**
     * From the CA's own CRL records: the largest delay between a revocation and the first CRL that listed it, the
     * revocations no CRL lists yet, and every moment a CRL's nextUpdate passed before the next CRL was signed
     * (RFC 5280 §5.1.2.5: relying parties would have had no current CRL).
     */
    private Map<String, Object> crlFreshness(Instant from, Instant to, Instant now) throws SQLException {
        Map<String, Object> f = new LinkedHashMap<>();
        try (PreparedStatement st = ca.prepareStatement("SELECT max(greatest(0, extract(epoch FROM c.this_update - r.recorded_at)))"
                + " FROM revocation r JOIN certificate x ON x.serial = r.serial"
                + " JOIN crl c ON c.issuer_label = x.issuer_label AND c.crl_number = r.first_crl_number"
                + " WHERE r.revoked_at >= ? AND r.revoked_at < ?")) {
            st.setTimestamp(1, Timestamp.from(from));
            st.setTimestamp(2, Timestamp.from(to));
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                f.put("largestRevocationToCrlSeconds", rs.getObject(1) == null ? null : rs.getDouble(1));
            }
        }
        f.put("revocationsOnNoCrlYet", count(ca, "SELECT count(*) FROM revocation WHERE first_crl_number IS NULL"
                + " AND revoked_at >= ? AND revoked_at < ?", from, to));
        List<Map<String, Object>> lapses = new ArrayList<>();
        try (var st = ca.createStatement(); var rs = st.executeQuery(
                "SELECT issuer_label, crl_number, this_update, next_update FROM crl ORDER BY issuer_label, crl_number")) {
            String label = null;
            Instant prevNext = null;
            long prevNumber = 0;
            while (rs.next()) {
                Instant thisUpdate = rs.getTimestamp(3).toInstant();
                if (rs.getString(1).equals(label) && prevNext != null && thisUpdate.isAfter(prevNext)) {
                    lapses.add(Map.of("issuer", label, "afterCrl", prevNumber, "from", prevNext.toString(),
                            "until", thisUpdate.toString()));
                }
                label = rs.getString(1);
                prevNumber = rs.getLong(2);
                prevNext = rs.getTimestamp(4).toInstant();
            }
            if (prevNext != null && now.isAfter(prevNext)) {
                lapses.add(Map.of("issuer", label, "afterCrl", prevNumber, "from", prevNext.toString(), "until", "now"));
            }
        }
        f.put("crlLapses", lapses);
        return f;
    }

    /** The repository as relying parties see it: every CRL and OCSP response, and whether it is current. */
    private Map<String, Object> repository(Instant now) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        List<Map<String, Object>> crls = new ArrayList<>();
        Path crlDir = repository.resolve("crl");
        if (Files.isDirectory(crlDir)) {
            try (Stream<Path> files = Files.list(crlDir)) {
                for (Path p : files.sorted().toList()) {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("path", repository.relativize(p).toString());
                    try {
                        X509CRL crl = Digests.crl(Files.readAllBytes(p));
                        c.put("thisUpdate", crl.getThisUpdate().toInstant().toString());
                        c.put("nextUpdate", crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant().toString());
                        c.put("entries", crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size());
                        c.put("current", crl.getNextUpdate() != null && crl.getNextUpdate().toInstant().isAfter(now));
                    } catch (Exception e) {
                        c.put("error", "unreadable CRL: " + e.getMessage());
                    }
                    crls.add(c);
                }
            }
        }
        r.put("crls", crls);
        Map<String, Integer> ocspStatus = new TreeMap<>();
        int lapsed = 0;
        Instant oldest = null;
        Path ocspDir = repository.resolve("ocsp");
        if (Files.isDirectory(ocspDir)) {
            try (Stream<Path> files = Files.walk(ocspDir)) {
                for (Path p : files.filter(f -> f.toString().endsWith(".der")).toList()) {
                    try {
                        BasicOCSPResp b = (BasicOCSPResp) new OCSPResp(Files.readAllBytes(p)).getResponseObject();
                        SingleResp single = b.getResponses()[0];
                        CertificateStatus cs = single.getCertStatus();
                        ocspStatus.merge(cs == CertificateStatus.GOOD ? "good" : cs instanceof RevokedStatus ? "revoked"
                                : "unknown", 1, Integer::sum);
                        Instant next = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
                        if (next == null || !next.isAfter(now)) {
                            lapsed++;
                        }
                        Instant tu = single.getThisUpdate().toInstant();
                        oldest = oldest == null || tu.isBefore(oldest) ? tu : oldest;
                    } catch (Exception e) {
                        ocspStatus.merge("unreadable", 1, Integer::sum);
                    }
                }
            }
        }
        r.put("ocspResponses", ocspStatus);
        r.put("ocspPastNextUpdate", lapsed);
        r.put("ocspOldestThisUpdate", oldest == null ? null : oldest.toString());
        r.put("ocspOldestAgeSeconds", oldest == null ? null : Duration.between(oldest, now).toSeconds());
        return r;
    }

    static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement st = prepare(c, sql, args); ResultSet rs = st.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static Map<String, Long> groups(Connection c, String sql, Object... args) throws SQLException {
        Map<String, Long> m = new LinkedHashMap<>();
        try (PreparedStatement st = prepare(c, sql, args); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                m.put(rs.getString(1), rs.getLong(2));
            }
        }
        return m;
    }

    static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement st = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Instant t) {
                st.setTimestamp(i + 1, Timestamp.from(t));
            } else {
                st.setObject(i + 1, args[i]);
            }
        }
        return st;
    }
}
