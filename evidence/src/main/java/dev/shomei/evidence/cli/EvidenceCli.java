package dev.shomei.evidence.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.TrustedKeys;
import dev.shomei.audit.database.EmbeddedServer;
import dev.shomei.evidence.Digests;
import dev.shomei.evidence.EvidencePack;
import dev.shomei.evidence.PackageExporter;
import dev.shomei.evidence.PackageVerifier;
import dev.shomei.evidence.Reconciliation;
import dev.shomei.evidence.Sample;
import dev.shomei.evidence.Statistics;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code evidence} command (bin/evidence): {@code report} makes the whole pack; {@code package}, {@code verify},
 * {@code sample}, {@code stats} and {@code reconcile} do one part each. {@code verify} and {@code sample --candidates}
 * need no database and no network: they are what the auditor runs on the exported data.
 * Exit codes: 0 verified / no discrepancy, 1 verification failed or discrepancies found, 2 usage or configuration.
 *
 * <p>Zone: the operator's side (report, package, stats, reconcile: read-only database connections) and the
 * auditor's machine (verify, sample). Database passwords come from files and are never printed.
 */
@Command(name = "evidence", mixinStandardHelpOptions = true, version = "evidence (shomei) 0.1",
        description = "Statistics, reproducible samples, evidence packages, offline re-verification and reconciliation"
                + " for the designated investigation body.",
        subcommands = {EvidenceCli.ReportCommand.class, EvidenceCli.PackageCommand.class, EvidenceCli.VerifyCommand.class,
                EvidenceCli.SampleCommand.class, EvidenceCli.StatsCommand.class, EvidenceCli.ReconcileCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:verified / no discrepancy", "1:verification failed or discrepancies found",
                "2:usage or configuration error"})
public final class EvidenceCli implements Runnable {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public void run() {
        throw new IllegalArgumentException("name a command: report, package, verify, sample, stats or reconcile");
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new EvidenceCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("evidence: " + e.getMessage());
            return USAGE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** One database: URL, user, password file (or the password itself, for an embedded server started here). */
    static final class Db {
        String url;
        String user;
        Path passwordFile;
        String password;

        Connection connect(String which) {
            if (url == null || user == null) {
                throw new IllegalArgumentException("--" + which + "-db-url and --" + which + "-db-user are required");
            }
            if (!url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("--" + which + "-db-url must be a PostgreSQL JDBC URL, found '" + url + "'");
            }
            Properties p = new Properties();
            p.setProperty("user", user);
            p.setProperty("readOnly", "true");
            // pgJDBC's default readOnlyMode=transaction ignores readOnly under autocommit: every statement could write.
            p.setProperty("readOnlyMode", "always");
            try {
                if (password != null) {
                    p.setProperty("password", password);
                } else if (passwordFile != null) {
                    p.setProperty("password", Files.readString(passwordFile, StandardCharsets.UTF_8).replaceAll("[\\r\\n]+$", ""));
                }
                Connection c = DriverManager.getConnection(url, p);
                c.setReadOnly(true);
                return c;
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --" + which + "-db-password-file " + passwordFile, e);
            } catch (SQLException e) {
                throw new IllegalArgumentException("cannot connect to " + url + " as " + user + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * The RA's and (optionally) the CA's databases. The CA's may be its embedded PostgreSQL (a data directory), which
     * runs only while a ca command does: it is started here for the command and stopped by {@link #close()}.
     */
    static final class Databases implements AutoCloseable {
        @Option(names = "--ra-db-url", paramLabel = "JDBC-URL", description = "the RA's database") String raUrl;
        @Option(names = "--ra-db-user", paramLabel = "USER") String raUser;
        @Option(names = "--ra-db-password-file", paramLabel = "FILE") Path raPassword;
        @Option(names = "--ca-db-url", paramLabel = "JDBC-URL", description = "the CA's database (optional for package)") String caUrl;
        @Option(names = "--ca-db-user", paramLabel = "USER") String caUser;
        @Option(names = "--ca-db-password-file", paramLabel = "FILE") Path caPassword;
        @Option(names = "--ca-embedded", paramLabel = "DIR", description = "instead of --ca-db-url: the CA's embedded"
                + " PostgreSQL data directory (database.embedded of ca.yaml), started for this command and stopped"
                + " after; no ca command may run meanwhile") Path caEmbedded;
        private EmbeddedServer caServer;

        Connection ra() {
            Db d = new Db();
            d.url = raUrl;
            d.user = raUser;
            d.passwordFile = raPassword;
            return d.connect("ra");
        }

        Connection caOrNull() {
            if (caEmbedded != null) {
                return embeddedCa();
            }
            if (caUrl == null) {
                return null;
            }
            Db d = new Db();
            d.url = caUrl;
            d.user = caUser;
            d.passwordFile = caPassword;
            return d.connect("ca");
        }

        private Connection embeddedCa() {
            if (caUrl != null) {
                throw new IllegalArgumentException("give the CA's database with --ca-db-url or --ca-embedded, not both");
            }
            if (!Files.isRegularFile(caEmbedded.resolve("postgresql.conf"))) {
                throw new IllegalArgumentException("--ca-embedded " + caEmbedded + " is not a PostgreSQL data directory"
                        + " (no postgresql.conf); give the directory that database.embedded of the CA's ca.yaml names");
            }
            Path dir = caEmbedded.toAbsolutePath().normalize();
            try {
                // As ca-core's CaDatabase starts it: database "ca", the binaries unpacked next to the data.
                caServer = EmbeddedServer.start(dir, "ca", 0, dir.getParent().resolve(dir.getFileName() + "-run"));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("cannot start the CA's embedded PostgreSQL in " + dir + ": "
                        + e.getMessage() + " (is a ca command using it?)", e);
            }
            Db d = new Db();
            d.url = caServer.jdbcUrl();
            d.user = caServer.service().user();
            d.password = caServer.service().password();
            return d.connect("ca");
        }

        /** Stops the CA's embedded PostgreSQL if this command started it. */
        @Override
        public void close() {
            if (caServer != null) {
                caServer.close();
                caServer = null;
            }
        }
    }

    /** What the auditor trusts, from outside the package. */
    static final class TrustOptions {
        @Option(names = "--ra-audit-key", paramLabel = "PEM", description = "the RA's published checkpoint key (repeatable)")
        List<Path> raAuditKeys = List.of();
        @Option(names = "--ca-audit-key", paramLabel = "PEM", description = "the CA's published checkpoint key (repeatable)")
        List<Path> caAuditKeys = List.of();
        @Option(names = "--jlis-pin", paramLabel = "SHA256", description = "a J-LIS signing CA generation's SHA-256 (repeatable)")
        List<String> jlisPins = List.of();
        @Option(names = "--ca-pin", paramLabel = "SHA256", description = "the issuing CA certificate's published SHA-256 hash value")
        List<String> caPins = List.of();
        @Option(names = "--ra-order-signer-pin", paramLabel = "SHA256", description = "the RA order-signing certificate's SHA-256")
        List<String> orderSignerPins = List.of();

        PackageVerifier.Trust trust() throws IOException {
            return new PackageVerifier.Trust(keys(raAuditKeys), keys(caAuditKeys), pins(jlisPins), pins(caPins),
                    pins(orderSignerPins));
        }

        private static List<PublicKey> keys(List<Path> files) throws IOException {
            List<PublicKey> k = new ArrayList<>();
            for (Path p : files) {
                k.addAll(TrustedKeys.read(p));
            }
            return k;
        }

        private static Set<String> pins(List<String> pins) {
            Set<String> s = new HashSet<>();
            pins.forEach(p -> s.add(Digests.normalise(p)));
            return s;
        }
    }

    /** The operator's copies of what the RA records only by digest. */
    static final class SourceOptions {
        @Option(names = "--jlis-ca", paramLabel = "CERT", description = "a J-LIS signing CA generation (DER or PEM, repeatable)")
        List<Path> jlisCas = List.of();
        @Option(names = "--policy", paramLabel = "JSON", description = "an approval policy file the RA has used (repeatable)")
        List<Path> policies = List.of();
        @Option(names = "--ra-audit-key-file", paramLabel = "PEM", description = "copied into packages as keys/ra-audit.pem")
        Path raKey;
        @Option(names = "--ca-audit-key-file", paramLabel = "PEM", description = "copied into packages as keys/ca-audit.pem")
        Path caKey;

        PackageExporter.Sources sources() throws IOException {
            List<X509Certificate> cas = new ArrayList<>();
            for (Path p : jlisCas) {
                try (var in = Files.newInputStream(p)) {
                    for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        cas.add((X509Certificate) c);
                    }
                } catch (java.security.GeneralSecurityException e) {
                    throw new IllegalArgumentException("--jlis-ca " + p + ": not a certificate: " + e.getMessage(), e);
                }
            }
            List<byte[]> pol = new ArrayList<>();
            for (Path p : policies) {
                pol.add(Files.readAllBytes(p));
            }
            return new PackageExporter.Sources(cas, pol, raKey == null ? null : Files.readAllBytes(raKey),
                    caKey == null ? null : Files.readAllBytes(caKey));
        }
    }

    static final class Period {
        @Option(names = "--from", required = true, paramLabel = "INSTANT", description = "start of the period (ISO-8601, inclusive)")
        Instant from;
        @Option(names = "--to", required = true, paramLabel = "INSTANT", description = "end of the period (exclusive)")
        Instant to;
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Make the pack: report.html + report.json, the sample and its evidence packages.")
    static final class ReportCommand implements Callable<Integer> {
        @Mixin Databases db;
        @Mixin Period period;
        @Mixin TrustOptions trust;
        @Mixin SourceOptions sources;
        @Option(names = "--repository", paramLabel = "DIR", description = "the repository (CDN origin) directory") Path repository;
        @Option(names = "--seed-checkpoint", required = true, paramLabel = "FILE",
                description = "a published audit checkpoint signed after the period closed: its root hash seeds the sample")
        Path seed;
        @Option(names = "--per-stratum", defaultValue = "5", paramLabel = "N") int perStratum;
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Databases dbs = db;
            try (dbs; Connection ra = dbs.ra(); Connection ca = dbs.caOrNull()) {
                Checkpoint cp = Checkpoint.parse(Files.readString(seed, StandardCharsets.UTF_8));
                EvidencePack.Outcome o = EvidencePack.make(new EvidencePack.Inputs(ra, ca, repository, period.from, period.to,
                        cp, perStratum, sources.sources(), trust.trust()), out, Instant.now());
                spec.commandLine().getOut().println("evidence pack: " + out.resolve("report.html").toAbsolutePath()
                        + (o.ok() ? " (all checks passed)" : " (FAILED checks or discrepancies: see the report)"));
                return o.ok() ? OK : FAILED;
            }
        }
    }

    @Command(name = "package", mixinStandardHelpOptions = true, description = "Write the evidence package of decisions.")
    static final class PackageCommand implements Callable<Integer> {
        @Mixin Databases db;
        @Mixin SourceOptions sources;
        @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
        @Parameters(paramLabel = "DECISION-ID", arity = "1..*") List<UUID> decisions;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Databases dbs = db;
            try (dbs; Connection ra = dbs.ra(); Connection ca = dbs.caOrNull()) {
                PackageExporter e = new PackageExporter(ra, ca, sources.sources());
                for (UUID id : decisions) {
                    spec.commandLine().getOut().println(e.export(id, out));
                }
            }
            return OK;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Re-verify evidence packages offline (no database, no network).")
    static final class VerifyCommand implements Callable<Integer> {
        @Mixin TrustOptions trust;
        @Parameters(paramLabel = "PACKAGE-DIR", arity = "1..*", description = "a package, or a directory of packages") List<Path> dirs;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PackageVerifier v = new PackageVerifier(trust.trust());
            boolean ok = true;
            for (Path d : dirs) {
                if (!Files.isDirectory(d)) {
                    throw new IllegalArgumentException(d + " is not a directory: give an evidence package (a directory"
                            + " holding manifest.json) or a directory of packages");
                }
                List<Path> packages = Files.isRegularFile(d.resolve("manifest.json")) ? List.of(d)
                        : list(d);
                for (Path p : packages) {
                    PackageVerifier.Verdict verdict = v.verify(p);
                    spec.commandLine().getOut().print(verdict.render());
                    ok &= verdict.ok();
                }
            }
            return ok ? OK : FAILED;
        }

        private static List<Path> list(Path d) throws IOException {
            try (Stream<Path> s = Files.list(d)) {
                return s.filter(p -> Files.isRegularFile(p.resolve("manifest.json"))).sorted().toList();
            }
        }
    }

    @Command(name = "sample", mixinStandardHelpOptions = true, description = "Draw the reproducible sample: from the RA's"
            + " database, or offline from an exported candidates.json.")
    static final class SampleCommand implements Callable<Integer> {
        @ArgGroup(exclusive = false) Databases db;
        @Option(names = "--candidates", paramLabel = "JSON", description = "sample/candidates.json from a pack") Path candidates;
        @Option(names = "--from", paramLabel = "INSTANT") Instant from;
        @Option(names = "--to", paramLabel = "INSTANT") Instant to;
        @Option(names = "--seed-checkpoint", required = true, paramLabel = "FILE") Path seed;
        @Option(names = "--per-stratum", defaultValue = "5", paramLabel = "N") int perStratum;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Checkpoint cp = Checkpoint.parse(Files.readString(seed, StandardCharsets.UTF_8));
            List<Sample.Candidate> list;
            if (candidates != null) {
                list = List.of(JSON.readValue(candidates.toFile(), Sample.Candidate[].class));
            } else {
                if (db == null || from == null || to == null) {
                    throw new IllegalArgumentException("give --candidates FILE, or the RA database with --from and --to");
                }
                try (Connection ra = db.ra()) {
                    list = EvidencePack.candidates(ra, from, to);
                }
            }
            Sample.Drawn d = Sample.draw(cp.rootHash(), list, perStratum);
            spec.commandLine().getOut().println(JSON.writeValueAsString(d));
            return OK;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Print the statistics of a period as JSON.")
    static final class StatsCommand implements Callable<Integer> {
        @Mixin Databases db;
        @Mixin Period period;
        @Option(names = "--repository", paramLabel = "DIR") Path repository;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Databases dbs = db;
            try (dbs; Connection ra = dbs.ra(); Connection ca = dbs.caOrNull()) {
                spec.commandLine().getOut().println(JSON.writeValueAsString(
                        new Statistics(ra, ca, repository).compute(period.from, period.to, Instant.now())));
            }
            return OK;
        }
    }

    @Command(name = "reconcile", mixinStandardHelpOptions = true,
            description = "Reconcile RA ↔ CA ↔ repository; exits 1 when anything does not add up.")
    static final class ReconcileCommand implements Callable<Integer> {
        @Mixin Databases db;
        @Option(names = "--repository", paramLabel = "DIR", description = "the publisher's origin root (its releases"
                + " give each revocation's publication delay), one release, or a directory with crl/ and ocsp/")
        Path repository;
        @Option(names = "--max-publication-delay", paramLabel = "DURATION", defaultValue = "PT24H",
                description = "bound on the delay from accepting a revocation to the repository's CRL and OCSP"
                        + " stating it (ISO-8601; default ${DEFAULT-VALUE})")
        java.time.Duration maxPublicationDelay;
        @Option(names = "--out", paramLabel = "FILE", description = "also write the result (JSON) to FILE")
        Path out;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Databases dbs = db;
            try (dbs; Connection ra = dbs.ra(); Connection ca = dbs.caOrNull()) {
                if (ca == null) {
                    throw new IllegalArgumentException("reconcile needs the CA database: --ca-db-url and --ca-db-user");
                }
                Reconciliation.Result r = new Reconciliation(ra, ca, repository, maxPublicationDelay).run(Instant.now());
                String json = JSON.writeValueAsString(EvidencePack.reconciliation(r));
                spec.commandLine().getOut().println(json);
                if (out != null) {
                    Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
                }
                return r.ok() ? OK : FAILED;
            }
        }
    }

}
