package dev.shomei.applicant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shomei.applicant.application.ApplicationDocument;
import dev.shomei.applicant.card.MyNumberCard;
import dev.shomei.applicant.ra.RaClient;
import dev.shomei.applicant.ra.RaProblemException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code apply revoke}: a revocation request ({@code shomei-ra-revocation-request/1}) signed with the same My Number
 * card, sent to {@code POST /revocation-requests}, then followed until the CA confirms the revocation (or --wait
 * runs out). The RA accepts it automatically when the card's identity (name, date of birth, gender) is the one
 * recorded with the application.
 *
 * <p>Zone: the applicant's PC. Talks to the card and the RA.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Ask the RA to revoke the certificate of an application, signed with your My Number card.")
final class RevokeCommand implements Callable<Integer> {

    /** RFC 5280 section 5.3.1 reasons a subscriber may give (the CA's own, such as cACompromise, are not theirs). */
    static final List<String> REASONS = List.of("keyCompromise", "affiliationChanged", "superseded",
            "cessationOfOperation", "unspecified");

    @Mixin RaOptions ra;
    @Mixin CardOptions card;
    @Mixin FollowOptions follow;

    @Option(names = "--application", paramLabel = "ID", required = true, description = "the application whose"
            + " certificate is to be revoked")
    String applicationId;

    @Option(names = "--reason", paramLabel = "REASON", required = true, description = "keyCompromise (the key may be"
            + " known to someone else), affiliationChanged, superseded, cessationOfOperation or unspecified")
    String reason;

    @Option(names = "--serial", paramLabel = "HEX", description = "the certificate's serial number (optional)")
    String serial;

    @Option(names = {"-y", "--yes"}, description = "confirm without asking")
    boolean yes;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Terminal terminal = new Terminal(out);
        if (!REASONS.contains(reason)) {
            throw new UsageException("--reason '" + reason + "': use one of " + REASONS);
        }
        ApplyCli.requireId(applicationId, "--application");
        RaClient client = ra.client();
        byte[] cms;
        try (MyNumberCard myCard = card.open(terminal, out)) {
            out.println("Revoke the certificate of application " + applicationId + " (reason " + reason
                    + (serial == null ? "" : ", serial " + serial) + "), signed by the card's certificate serial "
                    + myCard.certificate().getSerialNumber().toString(16) + ".");
            out.println("A revoked certificate cannot be used again; signatures it made stay verifiable as made"
                    + " before the revocation.");
            if (!terminal.confirm("Sign and send this revocation request?", yes)) {
                throw new RefusedException("you declined; nothing was signed or sent");
            }
            cms = myCard.sign(ApplicationDocument.revocationRequest(applicationId, reason, serial));
        }
        out.println("Sending the revocation request to " + client.base() + "revocation-requests ...");
        out.flush();
        JsonNode view;
        try {
            view = client.submitRevocationRequest(cms).body();
        } catch (RaProblemException p) {
            out.println("The RA refused the revocation request (HTTP " + p.status() + ", " + p.code() + "):");
            out.println("  " + p.title() + ": " + p.detail());
            out.flush();
            throw new RefusedException(p.title() + " (" + p.code() + ")");
        }
        StatusView.describeRevocation(view, out);
        String id = StatusView.text(view, "/revocationRequestId");
        String status = StatusView.text(view, "/status");
        long deadline = System.nanoTime() + follow.wait.toNanos();
        while (true) {
            switch (status) {
                case "REVOKED" -> {
                    out.println("The CA has revoked the certificate.");
                    return ExitCodes.OK;
                }
                case "REJECTED" -> throw new RefusedException("revocation request " + id + " was rejected");
                case "CA_REFUSED" -> throw new RefusedException("the CA refused revocation request " + id);
                default -> { }
            }
            if (follow.wait.isZero()) {
                out.println(status.equals("APPROVED") ? "Approved: the CA revokes the certificate when it executes the"
                        + " RA's order. Follow it with: apply status --revocation " + id
                        : "Follow it with: apply status --revocation " + id);
                return ExitCodes.OK;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new PendingException("revocation request " + id + " is still " + status + " after "
                        + ApplyCli.human(follow.wait) + "; follow it with: apply status --revocation " + id);
            }
            Thread.sleep(Math.min(follow.pollInterval.toMillis(), Math.max(1, left / 1_000_000)));
            String now = StatusView.text(client.revocationRequest(id).body(), "/status");
            if (!now.equals(status)) {
                out.println("status: " + now);
                out.flush();
            }
            status = now;
        }
    }
}
