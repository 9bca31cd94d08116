package dev.shomei.ca.cli;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CsrException;
import dev.shomei.ca.lint.LintException;
import dev.shomei.ca.orders.OrderBundleException;
import dev.shomei.pkcs11.HsmException;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/**
 * What the secure zone's commands ({@code ca}, {@code presigner}) share: one exit-code convention and one way
 * of reporting errors, so that operators and scripts read every tool the same way.
 * Exit codes: 0 done; 1 refused (the request or input was wrong); 2 configuration or usage error;
 * 3 HSM or database failure.
 */
public final class SecureZoneCommandLine {

    public static final int REFUSED = 1;
    public static final int CONFIG = 2;
    public static final int FAILURE = 3;

    private SecureZoneCommandLine() {}

    /** Runs {@code command} as the tool {@code tool} with the shared error handling; returns the exit code. */
    public static int execute(String tool, Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            int code = exitCode(e);
            String kind = switch (code) {
                case REFUSED -> "refused";
                case CONFIG -> "configuration error";
                default -> e instanceof HsmException ? "HSM error" : "failed";
            };
            cmd.getErr().println(tool + " " + cmd.getCommandName() + ": " + kind + ": " + e.getMessage());
            if (code == FAILURE && Boolean.getBoolean("shomei.trace")) {
                e.printStackTrace(cmd.getErr());
            }
            return code;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println(tool + ": " + ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return CONFIG;
        });
        return cl.execute(args);
    }

    static int exitCode(Exception e) {
        if (e instanceof CsrException || e instanceof CaOperationException || e instanceof LintException
                || e instanceof OrderBundleException) {
            return REFUSED;
        }
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return CONFIG;
        }
        return FAILURE;
    }

    private static volatile boolean ownsProcess;

    /** Called by a command's main(): the JVM is the command's own, so it may set the process-wide log level. */
    public static void ownProcess() {
        ownsProcess = true;
    }

    /**
     * Library diagnostics only with --verbose: operators see the tool's own lines. Only when the command owns the
     * JVM: run in-process (a test, a service embedding the CA), it leaves the host's logging alone.
     */
    public static void quietLogging(boolean verbose) {
        if (!ownsProcess) {
            return;
        }
        Level level = verbose ? Level.INFO : Level.WARNING;
        Logger.getLogger("").setLevel(level);
        for (var h : Logger.getLogger("").getHandlers()) {
            h.setLevel(level);
        }
    }
}
