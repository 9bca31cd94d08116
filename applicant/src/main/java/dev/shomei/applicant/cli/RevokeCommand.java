package dev.shomei.applicant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shomei.applicant.application.ApplicationDocument;
import dev.shomei.applicant.card.MyNumberCard;
import dev.shomei.applicant.key.CurrentCertificate;
import dev.shomei.applicant.ra.RaClient;
import dev.shomei.applicant.ra.RaProblemException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code apply revoke}: a revocation request ({@code shomei-ra-revocation-request/1}) sent to
 * {@code POST /revocation-requests}, then followed until the CA confirms the revocation (or --wait runs out). It is
 * signed by one of two routes (docs/identity.md), in numbered steps that match docs/applicant.md ("Revoke"):
 * <ol>
 * <li>check the options: the reason, the application id, and one route only (card options, or --current-*);</li>
 * <li>open the signer: the My Number card (the RA accepts automatically when the card's identity, name, date of
 * birth and gender, is the one recorded with the application), or the certificate to be revoked and its key (the
 * second automatic route: the RA accepts a request that names only the certificate that signed it);</li>
 * <li>show what will be revoked; the applicant confirms;</li>
 * <li>sign the request and send it;</li>
 * <li>follow it until the CA has revoked the certificate (or --wait runs out).</li>
 * </ol>
 *
 * <p>Zone: the applicant's PC. Talks to the card or the current key (file or token), and the RA.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Ask the RA to revoke the certificate of an application, signed with your My Number card or,"
                + " when a --current-* option is given, with the certificate's own key (the files default to"
                + " certificate.pem and subscriber-key.pem).")
final class RevokeCommand implements Callable<Integer> {

    /** RFC 5280 section 5.3.1 reasons a subscriber may give (the CA's own, such as cACompromise, are not theirs). */
    static final List<String> REASONS = List.of("keyCompromise", "affiliationChanged", "superseded",
            "cessationOfOperation", "unspecified");

    @Mixin RaOptions ra;
    @Mixin CardOptions card;
    @Mixin CurrentKeyOptions current;
    @Mixin FollowOptions follow;

    @Option(names = "--application", paramLabel = "ID", required = true, description = "the application whose"
            + " certificate is to be revoked")
    String applicationId;

    @Option(names = "--reason", paramLabel = "REASON", required = true, description = "keyCompromise (the key may be"
            + " known to someone else), affiliationChanged, superseded, cessationOfOperation or unspecified")
    String reason;

    @Option(names = "--serial", paramLabel = "HEX", description = "the certificate's serial number (optional; with"
            + " --current-* it is the current certificate's)")
    String serial;

    @Option(names = {"-y", "--yes"}, description = "confirm without asking")
    boolean yes;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Terminal terminal = new Terminal(out);
        // Step 1: the options, and one route only.
        if (!REASONS.contains(reason)) {
            throw new UsageException("--reason '" + reason + "': use one of " + REASONS);
        }
        ApplyCli.requireId(applicationId, "--application");
        boolean withCertificate = current.given();
        if (withCertificate) {
            var parsed = spec.commandLine().getParseResult();
            List<String> cardOptions = CardOptions.NAMES.stream().filter(parsed::hasMatchedOption).toList();
            if (!cardOptions.isEmpty()) {
                throw new UsageException(String.join(", ", cardOptions) + " and --current-* name two signers: sign"
                        + " with your My Number card (card options) or with the current certificate's key"
                        + " (--current-*), not both");
            }
            current.check();
        }
        RaClient client = ra.client();
        // Steps 2 to 4: open the signer, show, confirm, sign (by the route chosen); then send.
        byte[] cms = withCertificate ? signWithCurrentCertificate(terminal, out) : signWithCard(terminal, out);
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
        // Step 5: follow.
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

    private byte[] signWithCard(Terminal terminal, PrintWriter out) throws Exception {
        // Step 2: the card.
        try (MyNumberCard myCard = card.open(terminal, out)) {
            // Step 3: what will be revoked.
            out.println("Revoke the certificate of application " + applicationId + " (reason " + reason
                    + (serial == null ? "" : ", serial " + serial) + "), signed by the card's certificate serial "
                    + myCard.certificate().getSerialNumber().toString(16) + ".");
            confirm(terminal, out);
            // Step 4: signed with the card.
            return myCard.sign(ApplicationDocument.revocationRequest(applicationId, reason, serial));
        }
    }

    /**
     * The certificate signs its own revocation: the RA accepts such a request only for that certificate (RFC 5280
     * section 5.3.1 reasons, the subscriber's; the RA's check is SubscriberRevocation). The serial is the
     * certificate's, so the request can name nothing else.
     */
    private byte[] signWithCurrentCertificate(Terminal terminal, PrintWriter out) throws Exception {
        // Step 2: the certificate and its key, which must match; the certificate valid now.
        CurrentCertificate signer = current.open(terminal, "sign its revocation",
                "revoke with your My Number card instead (without --current-*)");
        X509Certificate cert = signer.certificate();
        String own = cert.getSerialNumber().toString(16);
        if (serial != null && !own.equals(hexSerial(serial))) {
            throw new UsageException("--serial " + serial + " is not the serial of the current certificate (" + own
                    + "); a certificate signs only its own revocation: leave --serial out, or sign with the"
                    + " certificate it names (or with your My Number card)");
        }
        // Step 3: what will be revoked.
        out.println("Revoke this certificate (" + signer.where() + "), of application " + applicationId + ", reason "
                + reason + ":");
        out.println("  subject:     " + cert.getSubjectX500Principal().getName());
        out.println("  serial:      " + own);
        out.println("  valid until: " + cert.getNotAfter().toInstant());
        out.println("  issuer:      " + cert.getIssuerX500Principal().getName());
        out.println("It signs its own revocation request.");
        confirm(terminal, out);
        // Step 4: signed with the key of the certificate it revokes.
        return current.sign(signer, ApplicationDocument.revocationRequest(applicationId, reason, own));
    }

    private void confirm(Terminal terminal, PrintWriter out) throws UsageException, RefusedException {
        out.println("A revoked certificate cannot be used again; signatures it made stay verifiable as made"
                + " before the revocation.");
        if (!terminal.confirm("Sign and send this revocation request?", yes)) {
            throw new RefusedException("you declined; nothing was signed or sent");
        }
    }

    /** A serial as the RA reads it: hex, colons allowed, without leading zeros. */
    private static String hexSerial(String hex) throws UsageException {
        try {
            return new BigInteger(hex.replace(":", "").strip(), 16).toString(16);
        } catch (NumberFormatException e) {
            throw new UsageException("--serial '" + hex + "' is not a hexadecimal serial number", e);
        }
    }
}
