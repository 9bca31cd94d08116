package dev.shomei.applicant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code apply status ID}: an application's status (or, with --revocation, a revocation request's).
 *
 * <p>Zone: the applicant's PC. Reads from the RA only.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show an application's status, its"
        + " decision and certificate (or a revocation request's with --revocation).")
final class StatusCommand implements Callable<Integer> {

    @Mixin RaOptions ra;

    @Parameters(paramLabel = "ID", description = "the application id (or revocation request id)")
    String id;

    @Option(names = "--revocation", description = "ID is a revocation request")
    boolean revocation;

    @Option(names = "--json", description = "print the RA's JSON document as it is")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ApplyCli.requireId(id, revocation ? "revocation request" : "application");
        var client = ra.client();
        JsonNode view = revocation ? client.revocationRequest(id).body() : client.application(id).body();
        if (json) {
            out.println(view.toPrettyString());
        } else if (revocation) {
            StatusView.describeRevocation(view, out);
        } else {
            StatusView.describeApplication(view, out);
        }
        out.flush();
        return ExitCodes.OK;
    }
}
