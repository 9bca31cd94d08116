package dev.shomei.applicant.cli;

import dev.shomei.applicant.card.CardException;
import dev.shomei.applicant.key.CurrentCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The subscriber's current certificate from this CA and its key (the second automatic route, docs/identity.md):
 * the files {@code apply} wrote, or the applicant's own token where {@code apply fetch --key-token} stored the
 * certificate next to the key. {@code apply renew} signs the renewal with it; {@code apply revoke} signs the
 * revocation request with it instead of the card when one of these options is given.
 *
 * <p>Zone: the applicant's PC. Options, and the opening of the key: the passphrase or PIN is read when needed and
 * wiped; nothing secret is printed.
 */
final class CurrentKeyOptions {

    /** The options' names: giving any of them on {@code apply revoke} chooses this route over the card. */
    static final List<String> NAMES = List.of("--current-cert", "--current-key", "--current-passphrase-file",
            "--current-key-token", "--current-key-module", "--current-key-label", "--current-key-pin-file");

    @Option(names = "--current-cert", paramLabel = "FILE", defaultValue = "certificate.pem",
            description = "your current certificate from this CA, as apply saved it (default: ${DEFAULT-VALUE})")
    Path certificate;

    @Option(names = "--current-key", paramLabel = "FILE", defaultValue = "subscriber-key.pem",
            description = "its key file, as apply wrote it (default: ${DEFAULT-VALUE})")
    Path keyFile;

    @Option(names = "--current-passphrase-file", paramLabel = "FILE", description = "read the current key's"
            + " passphrase from FILE instead of asking")
    Path passphraseFile;

    @Option(names = "--current-key-token", paramLabel = "LABEL", description = "the current key is in this token of"
            + " yours, with its certificate next to it (instead of --current-cert/--current-key)")
    String token;

    @Option(names = "--current-key-module", paramLabel = "PATH", description = "the PKCS#11 module of"
            + " --current-key-token")
    Path module;

    @Option(names = "--current-key-label", paramLabel = "LABEL", description = "the label of the current key in"
            + " --current-key-token")
    String label;

    @Option(names = "--current-key-pin-file", paramLabel = "FILE", description = "read --current-key-token's PIN"
            + " from FILE instead of asking")
    Path pinFile;

    @Spec(Spec.Target.MIXEE) CommandSpec command;

    /** True if the command line names the current certificate or key (the defaults alone do not count). */
    boolean given() {
        var parsed = command.commandLine().getParseResult();
        return NAMES.stream().anyMatch(parsed::hasMatchedOption);
    }

    boolean onToken() {
        return token != null;
    }

    /** The combinations that cannot work, before anything is read or generated. */
    void check() throws UsageException {
        if (onToken() && (module == null || label == null)) {
            throw new UsageException("--current-key-token needs --current-key-module and --current-key-label");
        }
        if (!onToken() && (module != null || label != null || pinFile != null)) {
            throw new UsageException("--current-key-module, --current-key-label and --current-key-pin-file go with"
                    + " --current-key-token");
        }
    }

    /**
     * Opens the current key (decrypted with its passphrase, or logged in to the token) and its certificate, and
     * checks that the key is the certificate's and that the certificate is valid now: an expired certificate signs
     * nothing the RA accepts ({@code subscriber-certificate-not-current}).
     *
     * @param purpose what the key is to sign, for the messages ("renew itself", "sign its revocation")
     * @param otherwise what to do instead when the certificate is not valid now
     */
    CurrentCertificate open(Terminal terminal, String purpose, String otherwise) throws UsageException,
            CardException, RefusedException {
        check();
        CurrentCertificate current;
        try {
            if (onToken()) {
                char[] pin = terminal.secret("PIN of your token '" + token + "'", pinFile, false,
                        "--current-key-pin-file");
                current = CurrentCertificate.fromToken(module, token, label, pin);
            } else {
                if (!Files.exists(certificate)) {
                    throw new UsageException("--current-cert " + certificate + " does not exist; give your current"
                            + " certificate (the file apply or apply fetch saved)");
                }
                if (!Files.exists(keyFile)) {
                    throw new UsageException("--current-key " + keyFile + " does not exist; give the key file"
                            + " written when the certificate was applied for");
                }
                char[] passphrase = terminal.secret("passphrase of " + keyFile, passphraseFile, false,
                        "--current-passphrase-file");
                current = CurrentCertificate.fromFiles(certificate, keyFile, passphrase);
            }
        } catch (CurrentCertificate.KeyFileException e) {
            throw new UsageException(e.getMessage(), e);
        }
        var cert = current.certificate();
        if (!current.validAt(Instant.now())) {
            throw new RefusedException("the certificate (serial " + cert.getSerialNumber().toString(16) + ") is valid"
                    + " from " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant() + ", not"
                    + " now; an expired certificate cannot " + purpose + ": " + otherwise);
        }
        return current;
    }

    /** Signs with the opened key; a token's failure is a card-class error, a file's a usage error. */
    byte[] sign(CurrentCertificate current, byte[] content) throws CardException, UsageException {
        try {
            return current.sign(content);
        } catch (CurrentCertificate.KeyFileException e) {
            if (onToken()) {
                throw new CardException(e.getMessage(), e);
            }
            throw new UsageException(e.getMessage(), e);
        }
    }
}
