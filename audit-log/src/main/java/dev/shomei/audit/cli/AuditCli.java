package dev.shomei.audit.cli;

import dev.shomei.audit.AuditException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code audit} command: {@code verify}, {@code prove} and {@code export} for operators and auditors;
 * {@code monitor} for anyone who watches the published checkpoints.
 * Exit codes: 0 verified / done, 1 verification failed, 2 usage or configuration error.
 *
 * <p>Zone: all; also on an auditor's machine. Reads the audit tables (connect as a member of
 * shomei_audit_reader), the key, checkpoint and export files named on the command line, and writes only
 * the export files it is asked to write. Never prints the database password.
 */
@Command(name = "audit", mixinStandardHelpOptions = true, version = "audit (shomei audit-log) 0.1",
        description = "Verify, prove and export a Shomei tamper-evident audit log.",
        subcommands = {VerifyCommand.class, ProveCommand.class, ExportCommand.class, MonitorCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:verified / done", "1:verification failed", "2:usage or configuration error"})
public final class AuditCli implements Runnable {

    public static final int OK = 0;
    public static final int VERIFICATION_FAILED = 1;
    public static final int USAGE = 2;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name a command: verify, prove, export or monitor");
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command in-process, writing to the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new AuditCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigurationError) {
                cmd.getErr().println("audit: " + e.getMessage());
                return USAGE;
            }
            if (e instanceof AuditException) {
                cmd.getErr().println("audit: " + e.getMessage());
                return VERIFICATION_FAILED;
            }
            throw e;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** A problem with the command's inputs (files, database settings): exit code 2. */
    static final class ConfigurationError extends RuntimeException {
        ConfigurationError(String message, Throwable cause) {
            super(message, cause);
        }

        ConfigurationError(String message) {
            super(message);
        }
    }
}
