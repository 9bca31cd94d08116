package dev.shomei.publisher.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import dev.shomei.publisher.Publisher;
import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.PublicationBundle;
import dev.shomei.publisher.bundle.PublicationSigners;
import dev.shomei.publisher.bundle.Refusal;
import dev.shomei.publisher.bundle.Verification;
import dev.shomei.publisher.bundle.VerifiedArtifact;
import dev.shomei.publisher.edge.RepositoryEdge;
import dev.shomei.publisher.origin.FileSystemOrigin;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.Origin;
import dev.shomei.publisher.origin.S3Origin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The {@code publisher} command: {@code verify}, {@code publish}, {@code watch} (publish on arrival,
 * {@link WatchCommand}) and {@code edge}.
 *
 * <p>Online zone. Holds no private key. Reads the bundle and the configured CA certificates; writes only to the
 * origin given on the command line; {@code edge} listens on the given address.
 *
 * <p>Exit codes: 0 done, 1 refused (each reason printed with its artifact path), 2 configuration or usage
 * error, 3 I/O failure (origin or bundle unreadable, publication interrupted: the message says what is live).
 */
@Command(name = "publisher", mixinStandardHelpOptions = true,
        description = "Verifies publication bundles, pushes them to the CDN origin, and serves the repository with a keyless OCSP edge.",
        subcommands = {PublisherCli.Verify.class, PublisherCli.Publish.class, WatchCommand.class, PublisherCli.Edge.class})
public final class PublisherCli {

    public static final int OK = 0;
    public static final int REFUSED = 1;
    public static final int CONFIG = 2;
    public static final int IO_FAILURE = 3;

    PublisherCli() {
    }

    public static void main(String[] args) {
        System.exit(run(Clock.systemUTC(), new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    public static int run(Clock clock, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new PublisherCli(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K command = CommandLine.defaultFactory().create(cls);
                if (command instanceof Subcommand sub) {
                    sub.clock = clock;
                }
                return command;
            }
        });
        cl.setOut(out).setErr(err);
        cl.setExitCodeExceptionMapper(e -> e instanceof IOException || e instanceof SdkException ? IO_FAILURE : CONFIG);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IOException || e instanceof SdkException) {
                err.println("error: " + e.getMessage());
                // E.g. a publisher lock that could not be released after the failure (the store went away): the
                // operator must know, or the next run's "another publisher holds" is a mystery.
                for (Throwable s : e.getSuppressed()) {
                    err.println("error: also: " + s.getMessage());
                }
                return IO_FAILURE;
            }
            if (e instanceof IllegalArgumentException) {
                err.println("configuration error: " + e.getMessage());
                return CONFIG;
            }
            throw e;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** What every subcommand has: the clock (injected, so tests can move time), its spec, the CA options. */
    abstract static class Subcommand implements Callable<Integer> {
        Clock clock = Clock.systemUTC();
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin CaOptions ca = new CaOptions();
    }

    /** Options every subcommand shares. */
    static class CaOptions {
        @Option(names = "--ca-cert", required = true, paramLabel = "FILE",
                description = "A configured CA certificate (PEM or DER): the issuing CA and the root. Repeat for each.")
        List<Path> caCerts;

        @Option(names = "--max-age-cap", defaultValue = "PT1H", paramLabel = "DURATION",
                description = "Upper bound of Cache-Control max-age (ISO-8601, default ${DEFAULT-VALUE}); max-age never passes nextUpdate.")
        Duration maxAgeCap;

        CaCertificates cas() throws IOException {
            return CaCertificates.load(caCerts);
        }
    }

    /** Who may sign what is published (docs/publication-bundle.md, "What is pinned"). */
    static class SignerOptions {
        @Option(names = "--publication-signer-cert", paramLabel = "FILE",
                description = "Pin the publication signer: its certificate (PEM or DER, as 'ca delegate --out' wrote it). Repeat during a rollover.")
        List<Path> certificates;

        @Option(names = "--publication-signer-key-sha256", paramLabel = "HEX",
                description = "Pin the publication signer by key: SHA-256 of its DER SubjectPublicKeyInfo (survives re-certification).")
        List<String> keySha256;

        @Option(names = "--publication-signer-eku", paramLabel = "OID", defaultValue = PublicationSigners.DEFAULT_EKU,
                description = "Extended key usage the publication signer certificate must carry (default ${DEFAULT-VALUE}).")
        String eku;

        @Option(names = "--cps-signer-cert", paramLabel = "FILE",
                description = "A certificate that may also sign the CP/CPS PDFs (PAdES), accepted byte for byte. Repeatable.")
        List<Path> cpsSigners;

        PublicationSigners signers() throws IOException {
            return PublicationSigners.of(PublicationSigners.load(certificates, "--publication-signer-cert"),
                    keySha256 == null ? List.of() : keySha256, eku,
                    PublicationSigners.load(cpsSigners, "--cps-signer-cert"));
        }
    }

    /** Where to publish: a directory or an S3 bucket. */
    static class OriginOptions {
        @Option(names = "--origin-dir", paramLabel = "DIR", description = "Filesystem origin: serve DIR/current.")
        Path originDir;
        @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3-compatible endpoint (path-style access).")
        URI s3Endpoint;
        @Option(names = "--s3-bucket", paramLabel = "BUCKET")
        String s3Bucket;
        @Option(names = "--s3-prefix", paramLabel = "PREFIX", defaultValue = "")
        String s3Prefix;
        @Option(names = "--s3-region", paramLabel = "REGION", defaultValue = "us-east-1")
        String s3Region;

        boolean given() {
            return originDir != null || s3Endpoint != null || s3Bucket != null;
        }

        Origin open() {
            if (originDir != null && (s3Endpoint != null || s3Bucket != null)) {
                throw new IllegalArgumentException("give either --origin-dir or --s3-endpoint/--s3-bucket, not both");
            }
            if (originDir != null) {
                return new FileSystemOrigin(originDir);
            }
            if (s3Endpoint == null || s3Bucket == null) {
                throw new IllegalArgumentException("an S3 origin needs both --s3-endpoint and --s3-bucket (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)");
            }
            S3Client client = S3Origin.client(s3Endpoint, s3Region);
            return new S3Origin(client, s3Bucket, s3Prefix);
        }
    }

    static void report(Verification v, Path bundle, PrintWriter out, PrintWriter err) {
        if (!v.accepted()) {
            err.println("REFUSED " + bundle + ": " + v.refusals().size() + " reason(s); nothing was published");
            for (Refusal r : v.refusals()) {
                err.println("  " + r);
            }
            return;
        }
        out.println("bundle " + v.manifest().bundleId() + ": " + v.artifactCount() + " artifacts verified ("
                + v.ocspResponses() + " OCSP responses)");
        for (VerifiedArtifact a : v.artifacts()) {
            if (a.crlNumber() != null) {
                out.println("  " + a.path() + ": CRL number " + a.crlNumber() + ", nextUpdate " + a.nextUpdate());
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check a bundle without publishing it (against the live origin if one is given).")
    static final class Verify extends Subcommand {
        @Option(names = "--bundle", required = true, paramLabel = "DIR") Path bundle;
        @CommandLine.Mixin SignerOptions signer = new SignerOptions();
        @CommandLine.ArgGroup(exclusive = false) OriginOptions origin;

        @Override
        public Integer call() throws IOException {
            CaCertificates cas = ca.cas();
            PublicationSigners signers = signer.signers();
            PublicationBundle b = PublicationBundle.read(bundle);
            Verification v;
            if (origin != null && origin.given()) {
                v = new Publisher(cas, signers, origin.open(), clock, ca.maxAgeCap).withProgress(spec.commandLine().getErr()).check(b);
            } else {
                v = new dev.shomei.publisher.bundle.BundleVerifier(cas, signers, clock)
                        .withProgress(Publisher.progress(spec.commandLine().getErr(), "verify", "verified"))
                        .verify(b, LiveManifest.empty());
            }
            report(v, bundle, spec.commandLine().getOut(), spec.commandLine().getErr());
            return v.accepted() ? OK : REFUSED;
        }
    }

    @Command(name = "publish", mixinStandardHelpOptions = true,
            description = "Verify a bundle and push it to the origin: objects staged and read back, then switched live, manifest last.")
    static final class Publish extends Subcommand {
        @Option(names = "--bundle", required = true, paramLabel = "DIR") Path bundle;
        @CommandLine.Mixin SignerOptions signer = new SignerOptions();
        @CommandLine.ArgGroup(exclusive = false, multiplicity = "1") OriginOptions origin;

        @Override
        public Integer call() throws IOException {
            CaCertificates cas = ca.cas();
            PublicationSigners signers = signer.signers();
            Origin o = origin.open();
            Verification v = new Publisher(cas, signers, o, clock, ca.maxAgeCap).withProgress(spec.commandLine().getErr())
                    .publish(PublicationBundle.read(bundle));
            PrintWriter out = spec.commandLine().getOut();
            report(v, bundle, out, spec.commandLine().getErr());
            if (v.accepted()) {
                out.println("published to " + o.describe());
            }
            return v.accepted() ? OK : REFUSED;
        }
    }

    @Command(name = "edge", mixinStandardHelpOptions = true,
            description = "Serve a filesystem origin over HTTP with the keyless OCSP edge at /ocsp (RFC 6960 POST and GET).")
    static final class Edge extends Subcommand {
        @Option(names = "--origin-dir", required = true, paramLabel = "DIR") Path originDir;
        @Option(names = "--port", defaultValue = "8180") int port;
        @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS") String bind;
        @Option(names = "--request-timeout", defaultValue = "PT10S", paramLabel = "DURATION",
                description = "Disconnect a client that takes longer than this to send one request (ISO-8601, whole seconds; default ${DEFAULT-VALUE}).")
        Duration requestTimeout;
        @Option(names = "--management-port", defaultValue = "-1", description = "Serve /q/health and /q/metrics"
                + " (Prometheus) on this port of --management-bind (docs/monitoring.md); off when not given.")
        int managementPort;
        @Option(names = "--management-bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS") String managementBind;

        @Override
        public Integer call() throws Exception {
            CaCertificates cas = ca.cas();
            // Before the edge starts: it takes its request time limit from here.
            RepositoryEdge.limitRequestTime(requestTimeout);
            RepositoryEdge edge = RepositoryEdge.start(new FileSystemOrigin(originDir), cas, new InetSocketAddress(bind, port),
                    clock, ca.maxAgeCap);
            dev.shomei.publisher.edge.EdgeManagement management = managementPort < 0 ? null
                    : dev.shomei.publisher.edge.EdgeManagement.start(edge, new FileSystemOrigin(originDir),
                            new InetSocketAddress(managementBind, managementPort));
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (management != null) {
                    management.close();
                }
                edge.close();
                stopped.countDown();
            }));
            PrintWriter out = spec.commandLine().getOut();
            out.println("edge serving " + originDir.toAbsolutePath().resolve("current") + " at " + edge.uri()
                    + " (OCSP: " + edge.uri().resolve("ocsp") + ")"
                    + (management == null ? "" : "; health and metrics at " + management.uri().resolve("q/metrics")));
            out.flush();
            stopped.await();
            return OK;
        }
    }
}
