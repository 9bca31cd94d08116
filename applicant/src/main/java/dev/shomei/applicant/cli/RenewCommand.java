package dev.shomei.applicant.cli;

import dev.shomei.applicant.application.ApplicationDocument;
import dev.shomei.applicant.key.CurrentCertificate;
import dev.shomei.applicant.key.KeyAlgorithm;
import dev.shomei.applicant.key.SubscriberKey;
import dev.shomei.applicant.ra.RaClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code apply renew}: renews the subscriber's current certificate without the My Number card, by the second
 * automatic route (docs/identity.md): a renewal ({@code shomei-ra-renewal/1}) signed with the current certificate's
 * key. In numbered steps that match docs/applicant.md ("Renew"):
 * <ol>
 * <li>check the options and read the consent document (nothing is decrypted or generated yet);</li>
 * <li>open the current key (file with its passphrase, or token) and its certificate; check that the key is the
 * certificate's and that the certificate is valid now;</li>
 * <li>show the certificate being renewed, the consent document and the key plan; the applicant confirms;</li>
 * <li>generate the new subscriber key (file or token), as {@code apply} does;</li>
 * <li>build the renewal and sign it with the current key (CMS SignedData, the current certificate included);</li>
 * <li>submit it ({@code POST /renewals});</li>
 * <li>follow the new application until the certificate is issued (or --wait runs out), then save it.</li>
 * </ol>
 * The renewed certificate states the identity of the certificate being renewed: the renewal carries none.
 *
 * <p>Zone: the applicant's PC. Talks to the RA (HTTPS), the key file or token, and the files named on the command
 * line.
 */
@Command(name = "renew", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Renew your certificate from this CA for a new key, signed with the current certificate's key"
                + " (no card needed while the certificate is valid and not revoked).",
            "The new certificate states the same identity as the current one."})
final class RenewCommand implements Callable<Integer> {

    @Mixin RaOptions ra;
    @Mixin FollowOptions follow;

    @Mixin CurrentKeyOptions current;

    @Option(names = "--consent", paramLabel = "FILE|URL", required = true, description = "the RA's consent document"
            + " you agree to (a file, or an https:// address); shown before you sign, its SHA-256 is signed")
    String consent;

    @Option(names = "--consent-id", paramLabel = "ID", description = "the consent document's id at the RA"
            + " (default: the file name without extension)")
    String consentId;

    @Option(names = "--key-out", paramLabel = "FILE", defaultValue = "renewed-key.pem",
            description = "write the NEW private key here, encrypted with a passphrase (default: ${DEFAULT-VALUE})")
    Path keyOut;

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "EC-P256",
            description = "EC-P256, EC-P384, RSA-2048 or RSA-3072 (default: ${DEFAULT-VALUE})")
    String keyType;

    @Option(names = "--key-passphrase-file", paramLabel = "FILE", description = "read the NEW key's passphrase from"
            + " FILE instead of asking twice")
    Path keyPassphraseFile;

    @Mixin KeyTokenOptions keyToken;

    @Option(names = {"-y", "--yes"}, description = "confirm what is shown without asking (you have read it)")
    boolean yes;

    @Option(names = "--cert-out", paramLabel = "FILE", defaultValue = "renewed-certificate.pem",
            description = "save the new certificate and its CA here (default: ${DEFAULT-VALUE})")
    Path certOut;

    @Option(names = "--save-renewal", paramLabel = "FILE", description = "also keep the signed renewal (DER CMS);"
            + " sending the same file again is safe")
    Path saveRenewal;

    @Option(names = "--id-out", paramLabel = "FILE", description = "write the new application's id to FILE")
    Path idOut;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Terminal terminal = new Terminal(out);
        // Step 1: everything that can be checked without a key.
        KeyAlgorithm algorithm = KeyAlgorithm.parse(keyType);
        current.check();
        Submission.checkNewFiles(keyToken, keyOut, "The renewal certifies a NEW key: choose another file (the"
                + " current key stays as it is)", certOut);
        ApplicationDocument.Consent consentDoc = ApplyCli.readConsent(consent, consentId, ra.timeout);
        RaClient client = ra.client();

        // Step 2: the current certificate and its key.
        CurrentCertificate currentCertificate = current.open(terminal, "renew itself",
                "apply again with your My Number card");
        var cert = currentCertificate.certificate();

        // Step 3: what will be signed, confirmed by the applicant.
        out.println();
        out.println("Renewing your certificate (" + currentCertificate.where() + "):");
        out.println("  subject:     " + cert.getSubjectX500Principal().getName());
        out.println("  serial:      " + cert.getSerialNumber().toString(16));
        out.println("  valid until: " + cert.getNotAfter().toInstant());
        out.println("  issuer:      " + cert.getIssuerX500Principal().getName());
        out.println("The new certificate states the same identity; it certifies a new key.");
        Submission.showConsentAndKeyPlan(out, consentDoc, algorithm, keyToken, keyOut, client,
                ", signed with the current key");
        if (!terminal.confirm("Sign and send this renewal?", yes)) {
            throw new RefusedException("you declined; nothing was signed or sent");
        }
        // Step 4: the new key.
        SubscriberKey key = ApplyCli.generateKey(terminal, algorithm, keyToken, keyOut, keyPassphraseFile);
        out.println("new key: " + key.where());
        // Step 5: the renewal, signed with the current key.
        byte[] cms = current.sign(currentCertificate, ApplicationDocument.renewal(key.csr(), consentDoc));
        Submission.saveSigned(cms, saveRenewal, "--save-renewal", Submission.Kind.RENEWAL, out);
        // Step 6: submit.
        RaClient.Reply reply = Submission.submit(Submission.Kind.RENEWAL, cms, client, idOut, out);
        if (!StatusView.text(reply.body(), "/renewsApplicationId").isEmpty()) {
            out.println("  renews application " + StatusView.text(reply.body(), "/renewsApplicationId"));
        }
        // Step 7: follow.
        return ApplyCli.followApplication(client, StatusView.text(reply.body(), "/applicationId"),
                StatusView.text(reply.body(), "/status"), follow, certOut, key.publicKey(), out, keyToken, terminal);
    }
}
