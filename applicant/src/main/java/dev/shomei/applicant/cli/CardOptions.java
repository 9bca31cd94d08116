package dev.shomei.applicant.cli;

import dev.shomei.applicant.card.CardException;
import dev.shomei.applicant.card.MyNumberCard;
import dev.shomei.applicant.card.WrongCertificateException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How to reach the My Number card and its signing PIN.
 *
 * <p>Zone: the applicant's PC. Options only; the PIN is read when the card asks for it and wiped after the login.
 */
final class CardOptions {

    /** The options' names, for a command that can sign without the card (apply revoke) to refuse a mix. */
    static final List<String> NAMES = List.of("--pkcs11-module", "--card-token", "--card-key", "--pin-file",
            "--pin-stdin");

    @Option(names = "--pkcs11-module", paramLabel = "PATH", description = "the card's PKCS#11 module (default:"
            + " OpenSC's, /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so)")
    Path module = MyNumberCard.DEFAULT_MODULE;

    @Option(names = "--card-token", paramLabel = "LABEL", description = "the card's token label (default: OpenSC's"
            + " '... (Digital Signature PIN)' token, or the only token)")
    String token;

    @Option(names = "--card-key", paramLabel = "LABEL", description = "the signing certificate's label on the token"
            + " (default: the one signing certificate found)")
    String keyLabel;

    @Option(names = "--pin-file", paramLabel = "FILE", description = "read the signing PIN from the first line of"
            + " FILE (automation; keep it readable only by you) instead of asking")
    Path pinFile;

    @Option(names = "--pin-stdin", description = "read the signing PIN from the first line of standard input")
    boolean pinStdin;

    MyNumberCard open(Terminal terminal, PrintWriter out) throws CardException, WrongCertificateException,
            UsageException {
        if (pinFile != null && pinStdin) {
            throw new UsageException("give the PIN with --pin-file or --pin-stdin, not both");
        }
        UsageException[] usage = new UsageException[1];
        try {
            out.println("Reading the My Number card (" + module + ")...");
            out.flush();
            return MyNumberCard.open(module, token, keyLabel, t -> {
                try {
                    return terminal.secret("Signing PIN of the My Number card (署名用電子証明書のパスワード, 6-16"
                            + " characters) for token '" + t.label() + "'", pinFile, pinStdin, "--pin-file");
                } catch (UsageException e) {
                    usage[0] = e;
                    throw new CardException(e.getMessage());
                }
            }, notice -> {
                out.println("warning: " + notice);
                out.flush();
            });
        } catch (CardException e) {
            if (usage[0] != null) {
                throw usage[0];
            }
            throw e;
        }
    }
}
