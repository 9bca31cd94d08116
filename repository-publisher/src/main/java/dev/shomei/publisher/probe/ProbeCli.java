package dev.shomei.publisher.probe;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.probe.RelyingPartyProbe.Finding;
import dev.shomei.publisher.probe.RelyingPartyProbe.OcspSummary;
import dev.shomei.publisher.probe.RelyingPartyProbe.Report;
import dev.shomei.publisher.probe.RelyingPartyProbe.Severity;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code probe}: an independent relying party's check of the CDN (docs/monitoring.md). Fetches every CRL and the
 * oldest OCSP responses from a filesystem CDN origin or over HTTP, verifies them against the CA certificates, and
 * alerts when one is stale or about to lapse: a log line per problem, the exit code, and Prometheus metrics in a
 * file for node_exporter's textfile collector.
 *
 * <p>Exit codes: 0 everything fresh; 1 CRITICAL (lapsed, signature invalid, unreadable or missing); 2 usage or
 * configuration error; 3 the origin could not be read (no live manifest, unreachable); 4 WARNING only (about to
 * lapse, or past half its validity).
 *
 * <p>Runs outside the platform's trust: holds no key, needs only the CA certificates and read access to the CDN.
 */
@Command(name = "probe", mixinStandardHelpOptions = true, version = "shomei probe 0.1.0",
        description = "Fetch CRLs and OCSP responses from the CDN as a relying party would; alert when one is stale.")
public final class ProbeCli implements Callable<Integer> {

    public static final int OK = 0;
    public static final int CRITICAL = 1;
    public static final int USAGE = 2;
    public static final int IO = 3;
    public static final int WARNING = 4;

    @Option(names = "--origin-dir", description = "a filesystem CDN origin (publisher publish --origin-dir): read DIR/current")
    Path originDir;

    @Option(names = "--base-url", description = "the CDN or edge over HTTP, e.g. http://127.0.0.1:8180/")
    URI baseUrl;

    @Option(names = "--ca-cert", required = true, description = "trusted CA certificate, PEM or DER (repeatable: issuing and root)")
    List<Path> caCerts;

    @Option(names = "--crl", description = "a CRL path to check (repeatable); default: every CRL the live manifest lists")
    List<String> crls = new ArrayList<>();

    @Option(names = "--ocsp", description = "an OCSP response path to check (repeatable); default: the oldest in the live manifest")
    List<String> ocsp = new ArrayList<>();

    @Option(names = "--crl-warn-before", defaultValue = "PT8H",
            description = "warn when a CRL's nextUpdate is closer than this (ISO-8601, default ${DEFAULT-VALUE})")
    Duration crlWarnBefore;

    @Option(names = "--ocsp-warn-before", defaultValue = "PT24H",
            description = "warn when an OCSP response's nextUpdate is closer than this (default ${DEFAULT-VALUE})")
    Duration ocspWarnBefore;

    @Option(names = "--ocsp-sample", defaultValue = "1000",
            description = "at most this many OCSP responses per run, the oldest first (default ${DEFAULT-VALUE})")
    int ocspSample;

    @Option(names = "--metrics-out", description = "write Prometheus metrics here (node_exporter textfile collector, *.prom)")
    Path metricsOut;

    @Option(names = "--quiet", description = "print only problems and the summary line")
    boolean quiet;

    Clock clock = Clock.systemUTC();

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cl = new CommandLine(new ProbeCli());
        cl.setExecutionExceptionHandler((e, c, p) -> {
            System.err.println("probe: " + e.getMessage());
            return e instanceof IOException ? IO : USAGE;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        if ((originDir == null) == (baseUrl == null)) {
            System.err.println("probe: give exactly one of --origin-dir and --base-url");
            return USAGE;
        }
        if (crlWarnBefore.isNegative() || ocspWarnBefore.isNegative() || ocspSample < 1) {
            System.err.println("probe: --crl-warn-before and --ocsp-warn-before must not be negative, --ocsp-sample at least 1");
            return USAGE;
        }
        CaCertificates cas;
        try {
            cas = CaCertificates.load(caCerts);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("probe: --ca-cert: " + e.getMessage());
            return USAGE;
        }
        RelyingPartyProbe.Source source = originDir != null ? originSource(originDir) : httpSource(baseUrl, cas);
        Report report;
        try {
            report = new RelyingPartyProbe(cas, new RelyingPartyProbe.Settings(crlWarnBefore, ocspWarnBefore,
                    ocspSample), clock).run(source, crls, ocsp);
        } catch (IOException e) {
            System.out.println("probe: CRITICAL " + source.describe() + ": " + e.getMessage());
            writeMetrics(null, source.describe());
            return IO;
        }
        for (Finding f : report.findings()) {
            if (f.severity() != Severity.OK || !quiet) {
                System.out.println("probe: " + f.severity() + " " + f.path() + ": " + f.message());
            }
        }
        for (OcspSummary s : report.ocsp()) {
            System.out.println("probe: OCSP " + s.issuer() + ": " + s.checked() + " checked, " + s.pastHalfValidity()
                    + " past half validity, " + s.lapsed() + " lapsed, oldest thisUpdate " + s.oldestThisUpdate());
        }
        Severity worst = report.worst();
        System.out.println("probe: " + worst + " — " + report.findings().size() + " artifact(s) from " + report.source()
                + ": " + report.count(Severity.CRITICAL) + " critical, " + report.count(Severity.WARNING) + " warning");
        writeMetrics(report, source.describe());
        return worst == Severity.CRITICAL ? CRITICAL : worst == Severity.WARNING ? WARNING : OK;
    }

    /** Prometheus text exposition format 0.0.4; written to a temporary file and moved, so no half file is read. */
    private void writeMetrics(Report report, String source) throws IOException {
        if (metricsOut == null) {
            return;
        }
        StringBuilder m = new StringBuilder();
        gauge(m, "shomei_probe_last_run_timestamp_seconds", "when the probe last ran");
        m.append("shomei_probe_last_run_timestamp_seconds ").append(seconds(clock.instant())).append('\n');
        gauge(m, "shomei_probe_success", "1 when every artifact checked verifies and is fresh");
        m.append("shomei_probe_success ").append(report != null && report.worst() == Severity.OK ? 1 : 0).append('\n');
        gauge(m, "shomei_probe_origin_up", "1 when the origin's live manifest could be read");
        m.append("shomei_probe_origin_up{source=\"").append(label(source)).append("\"} ").append(report == null ? 0 : 1)
                .append('\n');
        if (report != null) {
            gauge(m, "shomei_probe_problems", "artifacts found stale or invalid, by severity");
            m.append("shomei_probe_problems{severity=\"critical\"} ").append(report.count(Severity.CRITICAL)).append('\n');
            m.append("shomei_probe_problems{severity=\"warning\"} ").append(report.count(Severity.WARNING)).append('\n');
            gauge(m, "shomei_probe_crl_next_update_timestamp_seconds", "nextUpdate of each CRL on the CDN");
            for (Finding f : report.findings()) {
                if (f.kind().equals("crl") && f.nextUpdate() != null) {
                    m.append("shomei_probe_crl_next_update_timestamp_seconds{path=\"").append(label(f.path()))
                            .append("\",issuer=\"").append(label(f.issuer())).append("\"} ")
                            .append(seconds(f.nextUpdate())).append('\n');
                }
            }
            gauge(m, "shomei_probe_crl_number", "cRLNumber of each CRL on the CDN");
            for (Finding f : report.findings()) {
                if (f.kind().equals("crl") && f.crlNumber() != null) {
                    m.append("shomei_probe_crl_number{path=\"").append(label(f.path())).append("\"} ")
                            .append(f.crlNumber()).append('\n');
                }
            }
            gauge(m, "shomei_probe_ocsp_checked", "OCSP responses checked, per issuer");
            gauge(m, "shomei_probe_ocsp_past_half_validity", "OCSP responses checked that are past half their validity");
            gauge(m, "shomei_probe_ocsp_lapsed", "OCSP responses checked that are past nextUpdate");
            gauge(m, "shomei_probe_ocsp_earliest_next_update_timestamp_seconds", "the earliest nextUpdate among them");
            gauge(m, "shomei_probe_ocsp_oldest_this_update_timestamp_seconds", "the oldest thisUpdate among them");
            for (OcspSummary s : report.ocsp()) {
                String l = "{issuer=\"" + label(s.issuer()) + "\"} ";
                m.append("shomei_probe_ocsp_checked").append(l).append(s.checked()).append('\n');
                m.append("shomei_probe_ocsp_past_half_validity").append(l).append(s.pastHalfValidity()).append('\n');
                m.append("shomei_probe_ocsp_lapsed").append(l).append(s.lapsed()).append('\n');
                if (s.earliestNextUpdate() != null) {
                    m.append("shomei_probe_ocsp_earliest_next_update_timestamp_seconds").append(l)
                            .append(seconds(s.earliestNextUpdate())).append('\n');
                    m.append("shomei_probe_ocsp_oldest_this_update_timestamp_seconds").append(l)
                            .append(seconds(s.oldestThisUpdate())).append('\n');
                }
            }
        }
        Path dir = metricsOut.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".probe-", ".tmp");
        Files.writeString(tmp, m, StandardCharsets.UTF_8);
        Files.move(tmp, metricsOut, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void gauge(StringBuilder m, String name, String help) {
        m.append("# HELP ").append(name).append(' ').append(help).append('\n');
        m.append("# TYPE ").append(name).append(" gauge\n");
    }

    private static String seconds(Instant i) {
        return Long.toString(i.getEpochSecond());
    }

    private static String label(String s) {
        return s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A filesystem CDN origin: what its web server serves, DIR/current/PATH. */
    static RelyingPartyProbe.Source originSource(Path root) {
        return new RelyingPartyProbe.Source() {
            @Override
            public byte[] fetch(String path) throws IOException {
                Path file = root.resolve("current").resolve(path).normalize();
                if (!file.startsWith(root.resolve("current").normalize())) {
                    throw new FileNotFoundException(path + " is outside the origin");
                }
                try {
                    return Files.readAllBytes(file);
                } catch (NoSuchFileException e) {
                    throw new FileNotFoundException(path + " (" + file + ")");
                }
            }

            @Override
            public String describe() {
                return root.toString();
            }
        };
    }

    /** A repository path of a pre-signed response: ocsp/<SHA-1 issuerKeyHash>/<serial>.der (the bundle layout). */
    private static final java.util.regex.Pattern OCSP_PATH =
            java.util.regex.Pattern.compile("ocsp/([0-9a-f]{40})/(?:[0-9a-f]{1,2}/)?([0-9a-f]+)\\.der");

    /**
     * The CDN over HTTP(S), as a relying party fetches it: CRLs by their path; an OCSP response by asking the
     * responder for that certificate (RFC 6960 Appendix A.1 GET, SHA-1 CertID as RFC 5019 section 2.1.1 asks),
     * never by the response's file path, which the edge does not serve.
     */
    static RelyingPartyProbe.Source httpSource(URI base, CaCertificates cas) {
        URI b = URI.create(base.toString().endsWith("/") ? base.toString() : base + "/");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        return new RelyingPartyProbe.Source() {
            @Override
            public byte[] fetch(String path) throws IOException {
                java.util.regex.Matcher m = OCSP_PATH.matcher(path);
                if (m.matches()) {
                    path = "ocsp/" + java.net.URLEncoder.encode(java.util.Base64.getEncoder().encodeToString(
                            ocspRequest(cas, m.group(1), m.group(2))), StandardCharsets.US_ASCII);
                }
                try {
                    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(b.resolve(path))
                            .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = r.body()) {
                        // A CRL of a million entries is some 40 MB; nothing larger is read.
                        byte[] body = in.readNBytes(256 * 1024 * 1024);
                        if (r.statusCode() == 404) {
                            throw new FileNotFoundException(path + " (HTTP 404)");
                        }
                        if (r.statusCode() != 200) {
                            throw new IOException("GET " + b.resolve(path) + " answered " + r.statusCode());
                        }
                        return body;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }

            @Override
            public String describe() {
                return b.toString();
            }
        };
    }

    private static byte[] ocspRequest(CaCertificates cas, String keyHashHex, String serialHex) throws IOException {
        CaCertificates.CaCertificate ca = cas.bySha1KeyHash(java.util.HexFormat.of().parseHex(keyHashHex))
                .orElseThrow(() -> new FileNotFoundException("ocsp/" + keyHashHex + ": no --ca-cert has this key hash"));
        try {
            return new org.bouncycastle.cert.ocsp.OCSPReqBuilder().addRequest(new org.bouncycastle.cert.ocsp.CertificateID(
                    new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build()
                            .get(org.bouncycastle.cert.ocsp.CertificateID.HASH_SHA1),
                    new org.bouncycastle.cert.jcajce.JcaX509CertificateHolder(ca.certificate()),
                    new java.math.BigInteger(serialHex, 16))).build().getEncoded();
        } catch (org.bouncycastle.operator.OperatorCreationException | org.bouncycastle.cert.ocsp.OCSPException
                 | java.security.cert.CertificateEncodingException e) {
            throw new IOException("cannot make an OCSP request: " + e.getMessage(), e);
        }
    }
}
