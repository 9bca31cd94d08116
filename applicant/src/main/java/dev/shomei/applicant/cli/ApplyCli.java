package dev.shomei.applicant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shomei.applicant.application.ApplicationDocument;
import dev.shomei.applicant.card.CardException;
import dev.shomei.applicant.card.JpkiCertificate;
import dev.shomei.applicant.card.MyNumberCard;
import dev.shomei.applicant.card.WrongCertificateException;
import dev.shomei.applicant.key.KeyAlgorithm;
import dev.shomei.applicant.key.SubscriberKey;
import dev.shomei.applicant.ra.RaClient;
import dev.shomei.applicant.ra.RaProblemException;
import dev.shomei.applicant.ra.RaUnavailableException;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code apply}: the applicant's command (docs/applicant.md). Without a subcommand it applies for a certificate,
 * in numbered steps that match the guide:
 * <ol>
 * <li>check the options, read the consent document, prepare the RA connection (nothing touches the card yet);</li>
 * <li>open the My Number card with its signing PIN and choose its signing certificate ({@link MyNumberCard});</li>
 * <li>show the identity the card states, the consent document and the key plan; the applicant confirms;</li>
 * <li>generate the subscriber key: a passphrase-protected file or the applicant's own token ({@link SubscriberKey});</li>
 * <li>build the application ({@code shomei-ra-application/1}) and have the card sign it (CMS SignedData);</li>
 * <li>submit it to the RA ({@code POST /applications});</li>
 * <li>follow its status until the certificate is issued (or --wait runs out), then save the certificate.</li>
 * </ol>
 * Subcommands: {@code status}, {@code fetch}, {@code renew} (signed with the current certificate's key, no card),
 * {@code revoke}.
 *
 * <p>Zone: the applicant's PC. Talks to the card (PKCS#11), the RA (HTTPS) and the files named on the command line.
 */
@Command(name = "apply", mixinStandardHelpOptions = true, version = "shomei apply 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Apply for a signature certificate with your My Number card, follow the application, fetch"
                + " the certificate; renew it with its own key; or revoke it.", "",
            "Exit codes: 0 done, 1 refused, 2 usage, 3 card, 4 network/RA unavailable, 5 not finished within --wait.",
            "Guide: docs/applicant.md"},
        subcommands = {StatusCommand.class, FetchCommand.class, RenewCommand.class, RevokeCommand.class})
public final class ApplyCli implements Callable<Integer> {

    private static final Set<String> FINAL = Set.of("ISSUED", "REJECTED", "CA_REFUSED");

    @Mixin RaOptions ra;
    @Mixin CardOptions card;
    @Mixin FollowOptions follow;

    @Option(names = "--consent", paramLabel = "FILE|URL", description = "the RA's consent document you agree to"
            + " (a file, or an https:// address); it is shown before you sign and its SHA-256 is signed")
    String consent;

    @Option(names = "--consent-id", paramLabel = "ID", description = "the consent document's id at the RA"
            + " (default: the file name without extension, e.g. consent-2026-04)")
    String consentId;

    @Option(names = "--key-out", paramLabel = "FILE", defaultValue = "subscriber-key.pem",
            description = "write the new private key here, encrypted with a passphrase (default: ${DEFAULT-VALUE})")
    Path keyOut;

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "EC-P256",
            description = "EC-P256, EC-P384, RSA-2048 or RSA-3072 (default: ${DEFAULT-VALUE})")
    String keyType;

    @Option(names = "--key-passphrase-file", paramLabel = "FILE", description = "read the key's passphrase from"
            + " FILE instead of asking twice")
    Path keyPassphraseFile;

    @Mixin KeyTokenOptions keyToken;

    @Option(names = "--claim-name", paramLabel = "NAME", description = "claim this name instead of the card's")
    String claimName;

    @Option(names = "--claim-birth-date", paramLabel = "YYYY-MM-DD", description = "claim this date of birth instead"
            + " of the card's")
    String claimBirthDate;

    @Option(names = "--claim-gender", paramLabel = "male|female|not-known", description = "claim this gender instead"
            + " of the card's")
    String claimGender;

    @Option(names = "--claim-address", paramLabel = "ADDRESS", description = "claim this address instead of the"
            + " card's")
    String claimAddress;

    @Option(names = "--notice-email", paramLabel = "ADDRESS", description = "where the RA e-mails a notice of every"
            + " issuance, renewal and revocation of your certificates, with a code to object (docs/holders.md)")
    String noticeEmail;

    @Option(names = {"-y", "--yes"}, description = "confirm what is shown without asking (you have read it)")
    boolean yes;

    @Option(names = "--cert-out", paramLabel = "FILE", defaultValue = "certificate.pem",
            description = "save the issued certificate and its CA here (default: ${DEFAULT-VALUE})")
    Path certOut;

    @Option(names = "--save-application", paramLabel = "FILE", description = "also keep the signed application"
            + " (DER CMS); sending the same file again is safe")
    Path saveApplication;

    @Option(names = "--id-out", paramLabel = "FILE", description = "write the application id to FILE")
    Path idOut;

    @Spec CommandSpec spec;
    PrintWriter out;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(run(out, err, args));
    }

    /** Runs the command with the shared error reporting and exit codes; returns the exit code. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new ApplyCli());
        cl.setOut(out).setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code = exitCode(e);
            boolean expected = e instanceof RefusedException || e instanceof RaProblemException
                    || e instanceof WrongCertificateException || e instanceof UsageException
                    || e instanceof IllegalArgumentException || e instanceof CardException
                    || e instanceof RaUnavailableException || e instanceof PendingException;
            String kind = !expected ? "failed" : switch (code) {
                case ExitCodes.REFUSED -> "refused";
                case ExitCodes.USAGE -> "usage";
                case ExitCodes.CARD -> "card";
                case ExitCodes.NETWORK -> "network";
                case ExitCodes.PENDING -> "not finished";
                default -> "failed";
            };
            out.flush();
            String name = cmd.getCommandName().equals("apply") ? "apply" : "apply " + cmd.getCommandName();
            err.println(name + ": " + kind + ": " + e.getMessage());
            if (!expected || Boolean.getBoolean("shomei.trace")) {
                e.printStackTrace(err);
            }
            err.flush();
            return code;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("apply: usage: " + ex.getMessage());
            ex.getCommandLine().usage(err);
            err.flush();
            return ExitCodes.USAGE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Expected failures map to their codes; anything else is reported as "failed" with its trace, exit 1. */
    static int exitCode(Exception e) {
        if (e instanceof RefusedException || e instanceof RaProblemException || e instanceof WrongCertificateException) {
            return ExitCodes.REFUSED;
        }
        if (e instanceof UsageException || e instanceof IllegalArgumentException) {
            return ExitCodes.USAGE;
        }
        if (e instanceof CardException) {
            return ExitCodes.CARD;
        }
        if (e instanceof RaUnavailableException) {
            return ExitCodes.NETWORK;
        }
        if (e instanceof PendingException) {
            return ExitCodes.PENDING;
        }
        return ExitCodes.REFUSED;
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Terminal terminal = new Terminal(out);
        // Step 1: everything that can be checked without the card.
        KeyAlgorithm algorithm = KeyAlgorithm.parse(keyType);
        if (consent == null) {
            throw new UsageException("give the RA's consent document with --consent FILE|URL; read it: you agree to"
                    + " it by signing");
        }
        Submission.checkNewFiles(keyToken, keyOut, "Choose another file (the old key may belong to a certificate"
                + " you still use)", certOut);
        ApplicationDocument.Consent consentDoc = readConsent();
        RaClient client = ra.client();
        LocalDate birthOverride = null;
        if (claimBirthDate != null) {
            try {
                birthOverride = LocalDate.parse(claimBirthDate);
            } catch (DateTimeParseException e) {
                throw new UsageException("--claim-birth-date '" + claimBirthDate + "' is not a date; write YYYY-MM-DD");
            }
        }
        if (claimGender != null && !Set.of("male", "female", "not-known").contains(claimGender)) {
            throw new UsageException("--claim-gender '" + claimGender + "': use male, female or not-known");
        }

        byte[] cms;
        SubscriberKey key;
        // Step 2: the card.
        try (MyNumberCard myCard = card.open(terminal, out)) {
            // Step 3: what will be signed, confirmed by the applicant.
            JpkiCertificate.Identity onCard;
            try {
                onCard = JpkiCertificate.identity(myCard.certificate());
            } catch (IllegalArgumentException e) {
                throw new WrongCertificateException(e.getMessage());
            }
            if (onCard.birthDate() == null && birthOverride == null) {
                throw new UsageException("the date of birth on the card cannot be read as a date of its era; state"
                        + " yours with --claim-birth-date YYYY-MM-DD (the RA compares it with the card)");
            }
            JpkiCertificate.Identity claim = new JpkiCertificate.Identity(
                    claimName != null ? claimName : onCard.name(),
                    birthOverride != null ? birthOverride : onCard.birthDate(),
                    claimGender != null ? claimGender : onCard.gender(),
                    claimAddress != null ? claimAddress : onCard.address(), onCard.substitutes());
            out.println();
            out.println("Your signing certificate (token '" + myCard.tokenLabel() + "', serial "
                    + myCard.certificate().getSerialNumber().toString(16) + ", valid until "
                    + myCard.certificate().getNotAfter().toInstant() + ") states:");
            out.println("  name:          " + onCard.name() + (claimName != null ? "   -> you claim: " + claimName : ""));
            out.println("  date of birth: " + (onCard.birthDate() == null ? "(not readable)" : onCard.birthDate())
                    + (birthOverride != null ? "   -> you claim: " + birthOverride : ""));
            out.println("  gender:        " + onCard.gender() + (claimGender != null ? "   -> you claim: " + claimGender : ""));
            out.println("  address:       " + onCard.address()
                    + (claimAddress != null ? "   -> you claim: " + claimAddress : ""));
            if (onCard.substitutes()) {
                out.println("  note: the card marks characters of your name or address as substitutes (代替文字);"
                        + " an RA officer will check the application");
            }
            Submission.showConsentAndKeyPlan(out, consentDoc, algorithm, keyToken, keyOut, client,
                    " with the above, signed by your card");
            if (!terminal.confirm("Sign and send this application?", yes)) {
                throw new RefusedException("you declined; nothing was signed or sent");
            }
            // Step 4: the subscriber key.
            key = generateKey(terminal, algorithm);
            out.println("new key: " + key.where());
            // Step 5: the application, signed by the card.
            out.println("key device stated in the application: " + key.device());
            byte[] content = ApplicationDocument.application(key.csr(), claim, consentDoc, key.device(), noticeEmail);
            cms = myCard.sign(content);
        }
        Submission.saveSigned(cms, saveApplication, "--save-application", Submission.Kind.APPLICATION, out);
        // Step 6: submit.
        RaClient.Reply reply = Submission.submit(Submission.Kind.APPLICATION, cms, client, idOut, out);
        // Step 7: follow.
        return followApplication(client, StatusView.text(reply.body(), "/applicationId"),
                StatusView.text(reply.body(), "/status"), follow, certOut, key.publicKey(), out, keyToken, terminal);
    }

    /** Follows an application until the certificate is saved, it is refused, or --wait runs out. */
    static int followApplication(RaClient client, String id, String status, FollowOptions follow, Path certOut,
                                 java.security.PublicKey key, PrintWriter out, KeyTokenOptions keyToken,
                                 Terminal terminal)
            throws Exception {
        if (follow.wait.isZero() && !status.equals("ISSUED")) {
            out.println(hint(id, status));
            return ExitCodes.OK;
        }
        long deadline = System.nanoTime() + follow.wait.toNanos();
        String last = status;
        int quiet = 0;
        while (true) {
            if (status.equals("ISSUED")) {
                Optional<String> pem = client.certificate(id);
                if (pem.isPresent()) {
                    var chain = StatusView.save(pem.get(), certOut, key);
                    out.println("Certificate saved to " + certOut + ": " + chain.get(0).getSubjectX500Principal()
                            .getName() + ", serial " + chain.get(0).getSerialNumber().toString(16) + ", valid until "
                            + chain.get(0).getNotAfter().toInstant());
                    keyToken.storeIfOnToken(chain, out, terminal);
                    return ExitCodes.OK;
                }
            }
            if (status.equals("REJECTED")) {
                throw new RefusedException("application " + id + " was rejected");
            }
            if (status.equals("CA_REFUSED")) {
                throw new RefusedException("the CA refused to issue the certificate of application " + id);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new PendingException("application " + id + " is still " + status + " after "
                        + human(follow.wait) + ". " + hint(id, status));
            }
            Thread.sleep(Math.min(follow.pollInterval.toMillis(), Math.max(1, left / 1_000_000)));
            JsonNode view = client.application(id).body();
            status = StatusView.text(view, "/status");
            if (!status.equals(last)) {
                out.println("status: " + status);
                StatusView.describeApplication(view, out);
                last = status;
                quiet = 0;
            } else if (++quiet % 6 == 0) {
                out.println("  still " + status + " (" + human(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))
                        + " left of --wait)");
                out.flush();
            }
        }
    }

    /** Application and request ids are UUIDs; anything else never reaches the RA's URL. */
    static void requireId(String id, String what) throws UsageException {
        if (id == null || !id.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new UsageException(what + " '" + id + "' is not an id; ids are UUIDs such as"
                    + " 3f1c2e9a-8d4b-4c7e-9a21-5b6f0d1e2c3a");
        }
    }

    static String hint(String id, String status) {
        return switch (status) {
            case "APPROVED" -> "Approved: the certificate is issued when the CA executes the RA's order (the CA works"
                    + " offline, on its own schedule). Fetch it later with: apply fetch " + id;
            case "REFERRED" -> "Referred to an RA officer, who decides. Follow it with: apply status " + id;
            case "WAITING_FOR_JLIS" -> "Waiting for J-LIS to confirm your card's certificate; the RA retries on its"
                    + " own. Follow it with: apply status " + id;
            default -> "Follow it with: apply status " + id;
        };
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 120 ? (s / 60) + " min" : s + " s";
    }

    private SubscriberKey generateKey(Terminal terminal, KeyAlgorithm algorithm) throws Exception {
        return generateKey(terminal, algorithm, keyToken, keyOut, keyPassphraseFile);
    }

    /** The new subscriber key: in the applicant's token, or in a new passphrase-protected file. */
    static SubscriberKey generateKey(Terminal terminal, KeyAlgorithm algorithm, KeyTokenOptions keyToken, Path keyOut,
                                     Path keyPassphraseFile) throws Exception {
        if (keyToken.onToken()) {
            char[] pin = terminal.secret("PIN of your token '" + keyToken.token + "'", keyToken.pinFile, false,
                    "--key-pin-file");
            return SubscriberKey.generateOnToken(keyToken.module, keyToken.token, keyToken.label, pin, algorithm);
        }
        char[] passphrase = terminal.newPassphrase(keyPassphraseFile);
        try {
            return SubscriberKey.generateInFile(keyOut, algorithm, passphrase);
        } catch (IOException e) {
            throw new UsageException("cannot write the key to " + keyOut + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate the key: " + e.getMessage(), e);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    private ApplicationDocument.Consent readConsent() throws UsageException {
        return readConsent(consent, consentId, ra.timeout);
    }

    /** The consent document from a file or an http(s) address; its id defaults to the file name's stem. */
    static ApplicationDocument.Consent readConsent(String consent, String consentId, Duration timeout)
            throws UsageException {
        String id = consentId;
        byte[] text;
        String lower = consent.toLowerCase(Locale.ROOT);
        if (lower.startsWith("https://") || lower.startsWith("http://")) {
            try {
                HttpResponse<byte[]> r = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                        .connectTimeout(timeout).build().send(HttpRequest.newBuilder(URI.create(consent))
                                .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                if (r.statusCode() != 200) {
                    throw new UsageException("--consent " + consent + " answered HTTP " + r.statusCode());
                }
                text = r.body();
            } catch (IOException | IllegalArgumentException e) {
                throw new UsageException("cannot fetch the consent document " + consent + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UsageException("interrupted", e);
            }
        } else {
            try {
                text = Files.readAllBytes(Path.of(consent));
            } catch (IOException e) {
                throw new UsageException("--consent " + consent + " cannot be read: " + e.getMessage(), e);
            }
        }
        if (id == null) {
            String name = consent.replaceAll("[?#].*$", "");
            name = name.substring(name.lastIndexOf('/') + 1);
            id = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
        }
        if (id.isBlank()) {
            throw new UsageException("give the consent document's id with --consent-id");
        }
        return new ApplicationDocument.Consent(id, text);
    }
}
