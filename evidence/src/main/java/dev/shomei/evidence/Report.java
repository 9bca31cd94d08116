package dev.shomei.evidence;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pack handed to the designated investigation body: {@code report.json} (the machine-readable twin) and
 * {@code report.html}, which opens offline (no script, no external resource: charts are inline SVG). Both render the
 * same map: controls, statistics, sample, package verdicts, audit-log verification, reconciliation.
 *
 * <p>Zone: all. Writes the two files into the directory it is given.
 */
public final class Report {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String[] COLOURS = {"#2b6cb0", "#c05621", "#c53030", "#2f855a", "#6b46c1", "#718096"};

    private Report() {}

    public static void write(Map<String, Object> report, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("report.json"), JSON.writeValueAsBytes(report));
        Files.writeString(dir.resolve("report.html"), html(report), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    static String html(Map<String, Object> r) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
                + "<title>Evidence report ").append(esc(str(r.get("period")))).append("</title><style>"
                + "body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}"
                + ".MET,.VERIFIED,.PASS{color:#2f855a}.NOT_MET,.FAILED,.FAIL{color:#c53030}.HUMAN,.WARN{color:#b7791f}"
                + "</style></head><body>");
        b.append("<h1>Evidence report</h1><p>Period <span id=\"period\">").append(esc(str(r.get("period"))))
                .append("</span>, generated ").append(esc(str(r.get("generatedAt")))).append(". The JSON twin is report.json.</p>");

        b.append("<h2>Controls</h2><table id=\"controls\"><tr><th>#</th><th>Criterion</th><th>Citation</th><th>Status</th>"
                + "<th>Evidence</th><th>Needs a person</th></tr>");
        for (Map<String, Object> c : (List<Map<String, Object>>) r.getOrDefault("controls", List.of())) {
            b.append("<tr id=\"control-").append(esc(str(c.get("id")))).append("\"><td>").append(esc(str(c.get("id"))))
                    .append("</td><td>").append(esc(str(c.get("criterion")))).append("</td><td>")
                    .append(esc(str(c.get("citation")))).append("</td><td class=\"status ").append(esc(str(c.get("status"))))
                    .append("\">").append(esc(str(c.get("status")))).append("</td><td>").append(esc(str(c.get("evidence"))))
                    .append("</td><td>").append(esc(str(c.get("needsHuman")))).append("</td></tr>");
        }
        b.append("</table>");

        Map<String, Object> s = (Map<String, Object>) r.get("statistics");
        if (s != null) {
            b.append("<h2>Statistics</h2>");
            Map<String, Object> app = (Map<String, Object>) s.get("applications");
            b.append("<p>Applications received: <b id=\"applications-received\">").append(app.get("received")).append("</b></p>");
            table(b, "applications-by-final-outcome", "Applications by the outcome they ended with", (Map<String, Object>) app.get("byFinalOutcome"));
            Map<String, Object> dec = (Map<String, Object>) s.get("decisions");
            table(b, "decisions-by-decider", "Decisions by decider and outcome", (Map<String, Object>) dec.get("byDecider"));
            b.append(barChart("Decisions by decider", (Map<String, Object>) dec.get("byDecider")));
            table(b, "decisions-by-finding", "Findings in decisions (code, outcome)", (Map<String, Object>) dec.get("byFinding"));
            b.append(perDayChart((Map<String, Object>) dec.get("perDay")));
            Map<String, Object> ttd = (Map<String, Object>) s.get("timeToDecision");
            b.append("<h3>Time to decision (seconds)</h3><table id=\"time-to-decision\"><tr><th>decider</th><th>count</th>"
                    + "<th>median</th><th>90th percentile</th><th>max</th></tr>");
            for (var e : ttd.entrySet()) {
                Map<String, Object> t = (Map<String, Object>) e.getValue();
                b.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(t.get("count")).append("</td><td>")
                        .append(t.get("medianSeconds")).append("</td><td>").append(t.get("p90Seconds")).append("</td><td>")
                        .append(t.get("maxSeconds")).append("</td></tr>");
            }
            b.append("</table>");
            table(b, "jlis-answers", "J-LIS answers (kind, source, result)", (Map<String, Object>) s.get("jlisAnswers"));
            table(b, "revocation-requests", "Revocation requests (initiator, reason, status)", (Map<String, Object>) s.get("revocationRequests"));
            Map<String, Object> certs = (Map<String, Object>) s.get("certificates");
            if (certs != null) {
                b.append("<p>Certificates issued <b id=\"certificates-issued\">").append(certs.get("issued"))
                        .append("</b>, revoked <b id=\"certificates-revoked\">").append(certs.get("revoked"))
                        .append("</b>, expired <b id=\"certificates-expired\">").append(certs.get("expired")).append("</b></p>");
                table(b, "revoked-by-reason", "Revocations by RFC 5280 reason code", (Map<String, Object>) certs.get("revokedByReason"));
            }
            pre(b, "crl-freshness", "CRL freshness (the CA's records)", s.get("crlFreshness"));
            pre(b, "repository", "Repository (CRLs and OCSP responses as published)", s.get("repository"));
        }

        Map<String, Object> sample = (Map<String, Object>) r.get("sample");
        if (sample != null) {
            b.append("<h2>Sample</h2><p>Seed (checkpoint root) <code id=\"sample-seed\">").append(esc(str(sample.get("seedHex"))))
                    .append("</code>, ").append(sample.get("perStratum")).append(" per stratum; algorithm in docs/auditor-guide.md.</p>"
                    + "<table id=\"sample\"><tr><th>stratum</th><th>size</th><th>chosen</th></tr>");
            Map<String, Object> sizes = (Map<String, Object>) sample.get("stratumSizes");
            for (var e : ((Map<String, Object>) sample.get("chosen")).entrySet()) {
                b.append("<tr><td>").append(esc(e.getKey())).append("</td><td>").append(sizes.get(e.getKey()))
                        .append("</td><td>").append(esc(String.join(" ", (List<String>) e.getValue()))).append("</td></tr>");
            }
            b.append("</table>");
        }
        Map<String, Object> packages = (Map<String, Object>) r.get("packages");
        if (packages != null) {
            b.append("<h2>Evidence packages</h2><table id=\"packages\"><tr><th>decision</th><th>verdict</th><th>failed checks</th></tr>");
            for (var e : packages.entrySet()) {
                Map<String, Object> v = (Map<String, Object>) e.getValue();
                b.append("<tr><td>").append(esc(e.getKey())).append("</td><td class=\"").append(esc(str(v.get("verdict"))))
                        .append("\">").append(esc(str(v.get("verdict")))).append("</td><td>")
                        .append(esc(String.join("; ", (List<String>) v.getOrDefault("failures", List.of())))).append("</td></tr>");
            }
            b.append("</table>");
        }
        pre(b, "audit-verification", "Audit-log verification", r.get("auditVerification"));
        Map<String, Object> rec = (Map<String, Object>) r.get("reconciliation");
        if (rec != null) {
            List<Object> d = (List<Object>) rec.get("discrepancies");
            b.append("<h2>Reconciliation</h2><p>Discrepancies: <b id=\"discrepancies\">").append(d.size()).append("</b></p><ul>");
            d.forEach(x -> b.append("<li>").append(esc(str(x))).append("</li>"));
            b.append("</ul>");
            table(b, "reconciliation-counts", "Counts compared", (Map<String, Object>) rec.get("counts"));
            List<Map<String, Object>> delays = (List<Map<String, Object>>) rec.getOrDefault("publicationDelays", List.of());
            b.append("<h3>Revocations on the repository</h3><p>Publication history: ")
                    .append(esc(str(rec.get("publicationHistory")))).append("</p><table id=\"publication-delays\"><tr>"
                    + "<th>serial</th><th>accepted</th><th>by</th><th>on the CRL</th><th>delay (s)</th>"
                    + "<th>OCSP says revoked</th><th>delay (s)</th></tr>");
            for (Map<String, Object> x : delays) {
                String bound = Boolean.TRUE.equals(x.get("upperBound")) ? "≤ " : "";
                b.append("<tr><td>").append(esc(str(x.get("serial")))).append("</td><td>").append(esc(str(x.get("acceptedAt"))))
                        .append("</td><td>").append(esc(str(x.get("acceptedBy")))).append("</td><td>")
                        .append(esc(str(x.get("crlAt")))).append("</td><td class=\"n\">").append(esc(bound + str(x.get("crlDelaySeconds"))))
                        .append("</td><td>").append(esc(str(x.get("ocspAt")))).append("</td><td class=\"n\">")
                        .append(esc(bound + str(x.get("ocspDelaySeconds")))).append("</td></tr>");
            }
            b.append("</table>");
        }
        return b.append("</body></html>").toString();
    }

    private static void table(StringBuilder b, String id, String title, Map<String, Object> m) {
        if (m == null) {
            return;
        }
        b.append("<h3>").append(esc(title)).append("</h3><table id=\"").append(id).append("\">");
        m.forEach((k, v) -> b.append("<tr><td>").append(esc(k)).append("</td><td class=\"n\">").append(esc(str(v))).append("</td></tr>"));
        b.append("</table>");
    }

    private static void pre(StringBuilder b, String id, String title, Object o) {
        if (o == null) {
            return;
        }
        try {
            b.append("<h3>").append(esc(title)).append("</h3><pre id=\"").append(id).append("\">")
                    .append(esc(JSON.writeValueAsString(o))).append("</pre>");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A horizontal bar chart of counts, as inline SVG. */
    public static String barChart(String title, Map<String, Object> counts) {
        if (counts == null || counts.isEmpty()) {
            return "";
        }
        long max = counts.values().stream().mapToLong(v -> ((Number) v).longValue()).max().orElse(1);
        int h = 22 * counts.size() + 30;
        StringBuilder b = new StringBuilder("<svg role=\"img\" aria-label=\"" + esc(title) + "\" width=\"760\" height=\"" + h
                + "\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"0\" y=\"14\" font-size=\"13\">" + esc(title) + "</text>");
        int y = 24;
        int i = 0;
        for (var e : counts.entrySet()) {
            long v = ((Number) e.getValue()).longValue();
            int w = (int) Math.max(1, 400 * v / Math.max(1, max));
            b.append("<text x=\"0\" y=\"").append(y + 13).append("\" font-size=\"11\">").append(esc(e.getKey())).append("</text>")
                    .append("<rect x=\"320\" y=\"").append(y).append("\" width=\"").append(w).append("\" height=\"16\" fill=\"")
                    .append(COLOURS[i++ % COLOURS.length]).append("\"/><text x=\"").append(325 + w).append("\" y=\"")
                    .append(y + 13).append("\" font-size=\"11\" class=\"bar-value\">").append(v).append("</text>");
            y += 22;
        }
        return b.append("</svg>").toString();
    }

    /** Decisions per day, stacked by outcome, as inline SVG. Keys are "YYYY-MM-DD OUTCOME". */
    public static String perDayChart(Map<String, Object> perDay) {
        if (perDay == null || perDay.isEmpty()) {
            return "";
        }
        Map<String, Map<String, Long>> days = new TreeMap<>();
        List<String> outcomes = new ArrayList<>();
        perDay.forEach((k, v) -> {
            String[] p = k.split(" ", 2);
            days.computeIfAbsent(p[0], d -> new LinkedHashMap<>()).put(p[1], ((Number) v).longValue());
            if (!outcomes.contains(p[1])) {
                outcomes.add(p[1]);
            }
        });
        long max = days.values().stream().mapToLong(m -> m.values().stream().mapToLong(Long::longValue).sum()).max().orElse(1);
        int bar = Math.max(6, Math.min(40, 700 / Math.max(1, days.size())));
        StringBuilder b = new StringBuilder("<svg role=\"img\" aria-label=\"Decisions per day\" width=\"760\" height=\"260\""
                + " xmlns=\"http://www.w3.org/2000/svg\"><text x=\"0\" y=\"14\" font-size=\"13\">Decisions per day, by outcome</text>");
        int x = 40;
        for (var d : days.entrySet()) {
            int y = 220;
            for (int i = 0; i < outcomes.size(); i++) {
                long v = d.getValue().getOrDefault(outcomes.get(i), 0L);
                int h = (int) (180 * v / Math.max(1, max));
                y -= h;
                b.append("<rect x=\"").append(x).append("\" y=\"").append(y).append("\" width=\"").append(bar - 2)
                        .append("\" height=\"").append(h).append("\" fill=\"").append(COLOURS[i % COLOURS.length])
                        .append("\"><title>").append(esc(d.getKey() + " " + outcomes.get(i) + ": " + v)).append("</title></rect>");
            }
            b.append("<text x=\"").append(x).append("\" y=\"235\" font-size=\"9\">").append(esc(d.getKey().substring(5))).append("</text>");
            x += bar;
        }
        for (int i = 0; i < outcomes.size(); i++) {
            b.append("<rect x=\"").append(40 + 120 * i).append("\" y=\"245\" width=\"10\" height=\"10\" fill=\"")
                    .append(COLOURS[i % COLOURS.length]).append("\"/><text x=\"").append(54 + 120 * i)
                    .append("\" y=\"254\" font-size=\"10\">").append(esc(outcomes.get(i))).append("</text>");
        }
        return b.append("</svg>").toString();
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
