package dev.shomei.ca.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.orders.OrderPuller;
import dev.shomei.ca.status.CaStatus;
import dev.shomei.ca.status.StatusDocument;
import dev.shomei.ca.status.StatusPush;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code ca status}: the CA's status document (docs/monitoring.md), printed, written as signed CMS, or pushed to the
 * RA over the pull connection. The pull loop pushes one after every pass ({@link #pushAfterPass}).
 *
 * <p>Zone: secure. Reads the CA database, signs with the status signer (status.signingKey); outbound HTTPS only.
 */
@Command(name = "status", description = "Show the CA's status (CRLs per generation, checkpoints, HSM, orders); with"
        + " --push, sign it with the status signer (status.signingKey) and post it to the RA (orders.pull.url).")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand CaCli parent;
    @Option(names = "--push", description = "post the signed document to the RA (POST <orders.pull.url>/ca/status)")
    boolean push;
    @Option(names = "--out", description = "write the signed document (CMS, DER) to this file") Path out;

    @Override
    public Integer call() throws Exception {
        CaConfig cfg = parent.loadConfig();
        try (CertificateAuthority ca = parent.open(cfg, null)) {
            ObjectNode doc = CaStatus.collect(ca, Clock.systemUTC(), null);
            System.out.println(StatusDocument.pretty(doc));
            if (!push && out == null) {
                return 0;
            }
            byte[] signed = StatusDocument.sign(doc, StatusDocument.signer(ca));
            if (out != null) {
                Files.write(out, signed);
                System.out.println("signed status document written to " + out);
            }
            if (push) {
                StatusPush.Outcome o = StatusPush.post(OrderPuller.client(cfg), OrderPuller.url(cfg), signed);
                System.out.println(o.detail());
                return o.accepted() ? 0 : SecureZoneCommandLine.FAILURE;
            }
        }
        return 0;
    }

    /**
     * After a pull pass: the CA's status, signed, to the RA over the same connection. Never fails the pass; a CA
     * without a status signer says once per run that it pushes nothing.
     */
    static void pushAfterPass(CertificateAuthority ca, HttpClient http, OrderPuller.Pass pass, boolean[] warned) {
        if (ca.config().statusSigningKeyLabel() == null) {
            if (!warned[0]) {
                System.out.println("status: not pushed, status.signingKey is not set (docs/monitoring.md)");
                warned[0] = true;
            }
            return;
        }
        try {
            ObjectNode doc = CaStatus.collect(ca, Clock.systemUTC(),
                    new CaStatus.LastPull(Clock.systemUTC().instant(), pass));
            StatusPush.Outcome o = StatusPush.post(http, OrderPuller.url(ca.config()),
                    StatusDocument.sign(doc, StatusDocument.signer(ca)));
            if (!o.accepted()) {
                System.out.println("status: " + o.detail());
            }
        } catch (RuntimeException e) {
            System.out.println("status: not pushed (" + e.getMessage() + ")");
        }
    }
}
