package dev.shomei.ca.cli;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderBundleProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ca orders}: execute RA-signed order bundles carried into the CA room as files, and re-export a
 * completed bundle's result. Zone: secure.
 */
@Command(name = "orders", description = "Execute RA order bundles (docs/order-bundles.md).",
        subcommands = {OrdersCommand.Import.class, OrdersCommand.Pull.class, OrdersCommand.StoredResult.class,
                OrdersCommand.Undelivered.class})
final class OrdersCommand {
    @ParentCommand CaCli parent;

    @Command(name = "import", description = "Execute an order bundle file; write the signed result bundle.")
    static final class Import implements Callable<Integer> {
        @ParentCommand OrdersCommand orders;
        @Option(names = "--bundle", required = true, description = "the RA-signed order bundle (CMS, DER)") Path bundle;
        @Option(names = "--result-out", required = true, description = "where to write the CA-signed result bundle") Path out;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = orders.parent.loadConfig();
            if (!Files.isRegularFile(bundle)) {
                throw new dev.shomei.ca.orders.OrderBundleException("order bundle file " + bundle + " not found");
            }
            // The file came from the online zone: read no more than orders.maxBundleBytes of it.
            long max = cfg.maxOrderBundleBytes();
            byte[] content;
            try (java.io.InputStream in = Files.newInputStream(bundle)) {
                content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            }
            if (content.length > max) {
                throw new dev.shomei.ca.orders.OrderBundleException("order bundle file " + bundle + " is larger than"
                        + " orders.maxBundleBytes (" + max + " bytes); it is not read");
            }
            try (CertificateAuthority ca = orders.parent.open(cfg, null)) {
                OrderBundleProcessor.Result r = ca.orderProcessor().process(content);
                // Committed: a crash from here on leaves the result in the database (ca orders result --bundle-id).
                dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.AFTER_COMMIT_BEFORE_RESULT_FILE,
                        r.bundleId());
                dev.shomei.ca.io.AtomicFiles.write(out, r.resultBundle());
                System.out.println("order bundle " + r.bundleId() + ": " + r.issued() + " issued, " + r.revoked()
                        + " revoked, " + r.refused() + " refused" + (r.repeated() > 0 ? " (" + r.repeated()
                        + " executed earlier, answered with their first result)" : "") + "; result bundle written to " + out);
            }
            return 0;
        }
    }

    @Command(name = "pull", description = "Pull order bundles from the RA (outbound HTTPS, client certificate) and post"
            + " the results back: one pass with --once, else a loop every orders.pull.intervalSeconds.")
    static final class Pull implements Callable<Integer> {
        @ParentCommand OrdersCommand orders;
        @Option(names = "--once", description = "one pass, then exit (non-zero if the RA could not be reached)") boolean once;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = orders.parent.loadConfig();
            try (CertificateAuthority ca = orders.parent.open(cfg, null)) {
                java.net.http.HttpClient http = dev.shomei.ca.orders.OrderPuller.client(cfg);
                boolean[] statusWarned = {false};
                dev.shomei.ca.orders.OrderPuller puller = new dev.shomei.ca.orders.OrderPuller(
                        dev.shomei.ca.orders.OrderPuller.url(cfg), http,
                        ca.orderProcessor(), ca.database().dataSource(), cfg.maxOrderBundleBytes(), System.out::println);
                if (once) {
                    dev.shomei.ca.orders.OrderPuller.Pass p = puller.pass();
                    boolean crl = crlIfDue(cfg, ca);
                    publicationDue(ca, p, crl, false);
                    StatusCommand.pushAfterPass(ca, http, p, statusWarned);
                    System.out.println("pull: executed " + p.executed() + " bundle(s), delivered " + p.delivered()
                            + " result(s)" + (p.problem() == null ? "" : "; " + p.problem()));
                    return p.problem() == null ? 0 : SecureZoneCommandLine.FAILURE;
                }
                Integer seconds = cfg.orders().pull().intervalSeconds();
                System.out.println("pulling from " + cfg.orders().pull().url() + " every " + (seconds == null ? 60 : seconds) + " s");
                System.out.println("CSR proof of possession verified by " + dev.shomei.pkcs11.NativeVerification.engine());
                java.time.Duration interval = java.time.Duration.ofSeconds(seconds == null ? 60 : seconds);
                boolean first = true;
                while (!Thread.currentThread().isInterrupted()) {
                    // Nothing one pass meets (a database or HSM outage, a bad answer from the RA) ends the loop:
                    // it is reported, and the next pass tries again (docs/order-bundles.md).
                    try {
                        dev.shomei.ca.orders.OrderPuller.Pass p = puller.pass();
                        if (p.problem() != null) {
                            System.out.println("pull: " + p.problem());
                        }
                        boolean crl = crlIfDue(cfg, ca);
                        publicationDue(ca, p, crl, first);
                        first = false;
                        StatusCommand.pushAfterPass(ca, http, p, statusWarned);
                    } catch (RuntimeException e) {
                        System.out.println("pull: this pass failed (" + e.getMessage() + "); the next pass tries again");
                    }
                    Thread.sleep(interval.toMillis());
                }
            }
            return 0;
        }
    }

    /**
     * After revocations (or at half the CRL's validity) the pull loop issues the next CRL itself; CrlIssuer signs
     * an audit checkpoint with it, which the next publication bundle carries. Like {@code ca crl}, it signs none for
     * a generation the root revoked (docs/crl.md, "A revoked generation"): the pass fails by name and is recorded.
     */
    static boolean crlIfDue(CaConfig cfg, CertificateAuthority ca) {
        String why = ca.crlIssuer().dueReason();
        if (why != null) {
            CaCli.refuseRevokedGeneration(cfg, ca, cfg.issuingKeyLabel(), "orders pull");
            var crl = ca.crlIssuer().issue();
            System.out.println("CRL " + crl.record().number() + " issued (" + why + "), " + crl.record().entries() + " entries,"
                    + " audit checkpoint of " + crl.checkpoint().treeSize() + " entries signed with it");
            return true;
        }
        return false;
    }

    /**
     * A pass that revoked, or after which a CRL was issued, starts the publication cycle now (the presigner's loop
     * listens, docs/operations.md "Revocation to the edge"), instead of leaving it to the next scheduled cycle. A
     * signal that cannot be sent fails nothing: the presigner's own interval still publishes.
     */
    static void publicationDue(CertificateAuthority ca, dev.shomei.ca.orders.OrderPuller.Pass p, boolean crl, boolean first) {
        if (!dev.shomei.ca.orders.PublicationTrigger.due(p, crl, first)) {
            return;
        }
        java.util.List<String> reasons = new java.util.ArrayList<>();
        if (p.revoked() > 0) {
            reasons.add(p.revoked() + " revoked");
        }
        if (crl) {
            reasons.add("CRL issued");
        }
        if (reasons.isEmpty()) {
            reasons.add("the pull loop started");
        }
        String why = String.join(", ", reasons);
        try {
            dev.shomei.ca.orders.PublicationTrigger.signal(ca.database().dataSource(), why);
            System.out.println("publication cycle signalled (" + why + ")");
        } catch (java.sql.SQLException e) {
            System.out.println("pull: the publication cycle could not be signalled (" + e.getMessage() + "); the"
                    + " presigner's interval publishes instead");
        }
    }

    @Command(name = "undelivered", description = "List the result bundles the RA has not taken: waiting for the next"
            + " pull, or refused by the RA for good (with its answer).")
    static final class Undelivered implements Callable<Integer> {
        @ParentCommand OrdersCommand orders;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = orders.parent.loadConfig();
            try (CertificateAuthority ca = orders.parent.open(cfg, null)) {
                var list = dev.shomei.ca.orders.OrderPuller.undelivered(ca.database().dataSource());
                for (var u : list) {
                    System.out.println(u.bundleId() + "  completed " + u.completedAt() + (u.refusedAt() == null
                            ? "  waiting for delivery" : "  REFUSED by the RA at " + u.refusedAt() + ": " + u.refusal()));
                }
                System.out.println(list.size() + " result bundle(s) not delivered; write one with"
                        + " 'ca orders result --bundle-id ID --out FILE'");
            }
            return 0;
        }
    }

    @Command(name = "result", description = "Write the stored result bundle of a completed order bundle again.")
    static final class StoredResult implements Callable<Integer> {
        @ParentCommand OrdersCommand orders;
        @Option(names = "--bundle-id", required = true) String bundleId;
        @Option(names = "--out", required = true) Path out;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = orders.parent.loadConfig();
            try (CertificateAuthority ca = orders.parent.open(cfg, null)) {
                dev.shomei.ca.io.AtomicFiles.write(out, ca.orderProcessor().storedResult(bundleId));
                System.out.println("result bundle of " + bundleId + " written to " + out);
            }
            return 0;
        }
    }
}
