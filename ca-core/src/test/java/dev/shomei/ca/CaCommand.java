package dev.shomei.ca;

import dev.shomei.ca.cli.CaCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/**
 * Runs the operator's {@code ca} command in-process, as an operator would type it, and keeps its exit code and what
 * it printed.
 *
 * <p>Zone: tests only.
 */
final class CaCommand {

    record Result(int exit, String out, String err) {}

    private CaCommand() {}

    static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Result(CaCli.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
