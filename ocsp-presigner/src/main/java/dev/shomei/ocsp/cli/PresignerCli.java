package dev.shomei.ocsp.cli;

import dev.shomei.ca.cli.SecureZoneCommandLine;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ocsp.AuditedPresignerEvents;
import dev.shomei.ocsp.bundle.BundleVerifier;
import dev.shomei.ocsp.bundle.PublicationBundle;
import dev.shomei.ocsp.config.PresignerConfig;
import dev.shomei.ocsp.presign.OcspPresigner;
import dev.shomei.ocsp.presign.OcspResponseStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code presigner} command (ocsp-presigner/README.md): pre-sign OCSP responses, write publication
 * bundles, show status, verify a bundle. One-shot commands, no inbound port, run from a scheduler; and
 * {@code presigner loop} ({@link LoopCommand}), which runs the cycle when the CA's pull loop signals it.
 *
 * <p>Zone: secure, beside the CA, on the same HSM token and CA database. Uses only the delegated responder
 * and publication signer keys, never the CA keys. Exit codes as the {@code ca} command: 0 done; 1 refused
 * (non-empty output, no CRL yet, a bundle that does not verify); 2 configuration or usage error; 3 HSM or
 * database failure.
 */
@Command(name = "presigner", mixinStandardHelpOptions = true, version = "shomei presigner 0.1.0",
        description = "Pre-sign OCSP responses and write signed publication bundles (secure zone).",
        subcommands = {PresignerCli.PresignCommand.class, PresignerCli.BundleCommand.class,
                PresignerCli.StatusCommand.class, PresignerCli.VerifyCommand.class, CpsCommand.class, LoopCommand.class})
public final class PresignerCli {

    @Option(names = {"-c", "--config"}, description = "presigner configuration (default: $SHOMEI_PRESIGNER_CONFIG or ./presigner.yaml)")
    Path config;

    @Option(names = "--verbose", description = "log library diagnostics")
    boolean verbose;

    public static void main(String[] args) {
        SecureZoneCommandLine.ownProcess();
        System.exit(run(args));
    }

    public static int run(String... args) {
        return SecureZoneCommandLine.execute("presigner", new PresignerCli(), args);
    }

    PresignerConfig loadConfig() {
        SecureZoneCommandLine.quietLogging(verbose);
        return PresignerConfig.load(configFile());
    }

    Path configFile() {
        if (config != null) {
            return config;
        }
        String env = System.getenv("SHOMEI_PRESIGNER_CONFIG");
        return Path.of(env == null ? "presigner.yaml" : env);
    }

    /** Opens the CA (HSM login, database) acting as the presigner component. */
    static CertificateAuthority open(CaConfig cfg) {
        return CertificateAuthority.open(cfg, new AuditedCaEvents(AuditedPresignerEvents.caLog(cfg),
                AuditedPresignerEvents.system()), Clock.systemUTC());
    }

    static AuditedPresignerEvents audit(CaConfig cfg) {
        return new AuditedPresignerEvents(AuditedPresignerEvents.caLog(cfg), AuditedPresignerEvents.system());
    }

    static OcspPresigner presigner(CertificateAuthority ca, PresignerConfig cfg, String responderLabel, PrintStream progress) {
        return OcspPresigner.forCa(ca, responderLabel == null ? cfg.responderKey() : responderLabel,
                new OcspPresigner.Settings(cfg.validity(), cfg.chunkSizeOrDefault(), cfg.progressPercentOrDefault(), progress),
                audit(ca.config()), Clock.systemUTC());
    }

    @Command(name = "presign", description = "Sign a response for every unexpired certificate that is due"
            + " (none yet, past half its validity, revoked since, or signed by another responder).")
    static final class PresignCommand implements Callable<Integer> {
        @ParentCommand PresignerCli parent;
        @Option(names = "--responder-label", description = "responder key label (default: responderKey in the configuration)")
        String responderLabel;

        @Override
        public Integer call() {
            PresignerConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = open(cfg.caConfig())) {
                presignAll(ca, cfg, responderLabel);
            }
            return 0;
        }

        /** Every generation's due responses (also one step of {@code presigner loop}'s cycle); how many were signed. */
        static long presignAll(CertificateAuthority ca, PresignerConfig cfg, String responderLabel) {
            OcspPresigner.Result current = presigner(ca, cfg, responderLabel, System.err).run();
            report(ca, cfg, ca.config().issuingKeyLabel(), current);
            long signed = current.signed();
            // Older issuing generations after a renewal, each with the responder it certified.
            for (var g : cfg.generationResponders().entrySet()) {
                OcspPresigner.Result r = OcspPresigner.forGeneration(ca, g.getKey(), g.getValue(),
                        new OcspPresigner.Settings(cfg.validity(), cfg.chunkSizeOrDefault(),
                                cfg.progressPercentOrDefault(), System.err), audit(ca.config()), Clock.systemUTC()).run();
                report(ca, cfg, g.getKey(), r);
                signed += r.signed();
            }
            return signed;
        }

        private static void report(CertificateAuthority ca, PresignerConfig cfg, String generation, OcspPresigner.Result r) {
            System.out.printf("presign: %d response(s) signed (%d revoked) of %d due in %.1f s (%.0f/s);"
                    + " valid %d h, re-signed after %d h (issuer '%s')%n", r.signed(), r.revoked(), r.due(), r.seconds(),
                    r.perSecond(), cfg.validityHours(), cfg.validityHours() / 2, generation);
            if (r.signed() > 0) {
                // Which side limits a run: busy signer threads mean the HSM, a busy writer the database.
                System.out.printf("  thread-time: building + signing %.1f s on %d thread(s), recording %.1f s%n",
                        r.signingSeconds(), ca.token().config().parallelism(), r.recordingSeconds());
            }
        }
    }

    @Command(name = "bundle", description = "Write a signed publication bundle (docs/publication-bundle.md).")
    static final class BundleCommand implements Callable<Integer> {
        @ParentCommand PresignerCli parent;
        @Option(names = "--out", required = true, paramLabel = "DIR|FILE.tar", description = "a new or empty directory"
                + " for the bundle, or a new file whose name ends in .tar for the bundle as one tar file")
        Path out;
        @Option(names = "--cps", description = "a CP/CPS PDF to sign into the bundle (repeatable; adds to 'cps')")
        List<Path> cps = new ArrayList<>();
        @Option(names = "--full", description = "every valid OCSP response, not only those signed since the last bundle")
        boolean full;
        @Option(names = "--ra-audit", paramLabel = "DIR", description = "the RA's audit publish directory (checkpoint.txt,"
                + " consistency.txt), carried as audit/ra/")
        Path raAudit;

        @Override
        public Integer call() {
            PresignerConfig cfg = parent.loadConfig();
            List<Path> pdfs = new ArrayList<>(cfg.cpsFiles());
            pdfs.addAll(cps);
            // The CP/CPS generated from this configuration (docs/cp-cps.md), before the HSM is opened: a
            // configuration that does not match the template stops here, with nothing signed.
            Path generated = CpsCommand.generateForBundle(cfg, parent.configFile());
            if (generated != null) {
                pdfs.add(generated);
            }
            try (CertificateAuthority ca = open(cfg.caConfig())) {
                write(ca, cfg, out, pdfs, full, raAudit);
            } finally {
                CpsCommand.deleteGenerated(generated);
            }
            return 0;
        }

        /**
         * Writes one bundle into {@code out}, a directory or a {@code .tar} file (also one step of
         * {@code presigner loop}'s cycle, which writes directories).
         */
        static PublicationBundle.Written write(CertificateAuthority ca, PresignerConfig cfg, Path out, List<Path> pdfs,
                                               boolean full, Path raAudit) {
            PublicationBundle bundle = PublicationBundle.forCa(ca, cfg.publicationSignerKeyOrFail(),
                    AuditedPresignerEvents.caLog(ca.config()), audit(ca.config()), Clock.systemUTC());
            if (raAudit != null) {
                bundle.carryingRaAudit(raAudit);
            }
            PublicationBundle.Written w = bundle.write(out, pdfs, full);
            System.out.println("bundle " + w.bundleId() + " written to " + w.path() + ": " + w.artifacts()
                    + " artifact(s), " + w.ocspResponses() + " OCSP response(s)" + (full ? " (full)" : " (since the last bundle)"));
            System.out.println("manifest.json SHA-256: " + w.manifestSha256());
            return w;
        }
    }

    @Command(name = "status", description = "Count responses: good, revoked, missing, due now, lapsed (nextUpdate passed);"
            + " with --push, also sign the presigner's status document and post it to the RA (docs/monitoring.md).")
    static final class StatusCommand implements Callable<Integer> {
        @ParentCommand PresignerCli parent;
        @Option(names = "--responder-label", description = "responder key label (default: responderKey in the configuration)")
        String responderLabel;
        @Option(names = "--push", description = "sign the status document with the status signer (status.signingKey"
                + " in ca.yaml) and post it to the RA over the CA's pull connection (orders.pull in ca.yaml)")
        boolean push;

        @Override
        public Integer call() throws Exception {
            PresignerConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = open(cfg.caConfig());
                 Connection c = ca.database().dataSource().getConnection()) {
                OcspPresigner p = presigner(ca, cfg, responderLabel, System.err);
                OcspResponseStore.Counts n = p.store().counts(c, Clock.systemUTC().instant());
                c.rollback();
                System.out.println("unexpired certificates: " + n.certificates());
                System.out.println("responses good:         " + n.good());
                System.out.println("responses revoked:      " + n.revoked());
                System.out.println("without a response:     " + n.missing());
                System.out.println("due now:                " + n.due() + (n.due() > 0 ? " (run presign)" : ""));
                System.out.println("lapsed (nextUpdate passed): " + n.lapsed());
                if (push) {
                    var doc = dev.shomei.ocsp.status.OcspStatus.collect(c, Clock.systemUTC().instant());
                    c.rollback();
                    byte[] signed = dev.shomei.ca.status.StatusDocument.sign(doc,
                            dev.shomei.ca.status.StatusDocument.signer(ca));
                    var o = dev.shomei.ca.status.StatusPush.post(dev.shomei.ca.orders.OrderPuller.client(ca.config()),
                            dev.shomei.ca.orders.OrderPuller.url(ca.config()), signed);
                    System.out.println(o.detail());
                    return o.accepted() ? 0 : SecureZoneCommandLine.FAILURE;
                }
            }
            return 0;
        }
    }

    @Command(name = "verify", description = "Verify a bundle (a directory or a .tar file): manifest signature chains to"
            + " the given CA, artifacts listed in path order, every file listed with the right size and SHA-256, nothing"
            + " extra, no link. Needs no HSM or database.")
    static final class VerifyCommand implements Callable<Integer> {
        @Option(names = {"--dir", "--bundle"}, required = true, paramLabel = "DIR|FILE.tar",
                description = "the bundle: its directory, or its tar file")
        Path dir;
        @Option(names = "--ca", required = true, description = "trusted issuing CA certificate (PEM or DER; repeatable)")
        List<Path> cas;

        @Override
        public Integer call() throws IOException, CertificateException {
            List<X509Certificate> trusted = new ArrayList<>();
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Path p : cas) {
                if (!Files.isRegularFile(p)) {
                    throw new ConfigException("CA certificate file " + p + " not found");
                }
                trusted.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(Files.readAllBytes(p))));
            }
            List<String> problems = new BundleVerifier(trusted).verify(dir, Clock.systemUTC().instant());
            problems.forEach(s -> System.out.println("FAILED: " + s));
            if (!problems.isEmpty()) {
                throw new CaOperationException("bundle " + dir + " does not verify (" + problems.size() + " problem(s))");
            }
            System.out.println("bundle " + dir + " verifies: manifest signature, chain, path order, every file's size and"
                    + " SHA-256");
            return 0;
        }
    }
}
