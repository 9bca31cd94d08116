package dev.shomei.applicant.cli;

import dev.shomei.applicant.key.SubscriberKey;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The applicant's own PKCS#11 token for the subscriber key, instead of a key file.
 *
 * <p>Zone: the applicant's PC. Options only; the token PIN is read when needed and wiped.
 */
final class KeyTokenOptions {

    @Option(names = "--key-token", paramLabel = "LABEL", description = "generate the key in this token of yours"
            + " instead of a file (with --key-module and --key-label)")
    String token;

    @Option(names = "--key-module", paramLabel = "PATH", description = "the PKCS#11 module of --key-token")
    Path module;

    @Option(names = "--key-label", paramLabel = "LABEL", description = "the label of the new key (and later its"
            + " certificate) in --key-token")
    String label;

    @Option(names = "--key-pin-file", paramLabel = "FILE", description = "read --key-token's PIN from FILE instead"
            + " of asking")
    Path pinFile;

    boolean onToken() {
        return token != null;
    }

    void check() throws UsageException {
        if (token != null && (module == null || label == null)) {
            throw new UsageException("--key-token needs --key-module (its PKCS#11 module) and --key-label (the new"
                    + " key's label)");
        }
        if (token == null && (module != null || label != null || pinFile != null)) {
            throw new UsageException("--key-module, --key-label and --key-pin-file go with --key-token");
        }
    }

    /** Stores the issued certificate next to the key in the token, when the key is there. */
    void storeIfOnToken(List<X509Certificate> chain, PrintWriter out, Terminal terminal) throws Exception {
        if (!onToken()) {
            return;
        }
        char[] pin = terminal.secret("PIN of your token '" + token + "'", pinFile, false, "--key-pin-file");
        SubscriberKey.storeCertificateOnToken(module, token, label, pin, chain);
        out.println("Certificate stored next to the key '" + label + "' in token '" + token + "'");
    }
}
