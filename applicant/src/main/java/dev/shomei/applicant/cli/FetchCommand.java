package dev.shomei.applicant.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code apply fetch ID}: saves the issued certificate (and its CA) once the CA has issued it, waiting up to --wait.
 *
 * <p>Zone: the applicant's PC. Reads from the RA; writes the certificate file (and the token with --key-token).
 */
@Command(name = "fetch", mixinStandardHelpOptions = true, description = "Save the issued certificate of an"
        + " application (waiting for it up to --wait).")
final class FetchCommand implements Callable<Integer> {

    @Mixin RaOptions ra;
    @Mixin FollowOptions follow;
    @Mixin KeyTokenOptions keyToken;

    @Parameters(paramLabel = "ID", description = "the application id")
    String id;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", defaultValue = "certificate.pem",
            description = "where to save the certificate and its CA (PEM; default: ${DEFAULT-VALUE})")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        keyToken.check();
        ApplyCli.requireId(id, "application");
        var client = ra.client();
        String status = StatusView.text(client.application(id).body(), "/status");
        if (follow.wait.isZero() && !status.equals("ISSUED")) {
            throw new PendingException("application " + id + " is " + status + ", without a certificate yet. "
                    + ApplyCli.hint(id, status));
        }
        return ApplyCli.followApplication(client, id, status, follow, out, null, w, keyToken, new Terminal(w));
    }
}
