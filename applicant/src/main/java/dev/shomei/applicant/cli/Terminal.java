package dev.shomei.applicant.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;

/**
 * Everything the command asks of the applicant: PINs and passphrases (from the console without echo, from a file
 * for automation, or one line of standard input) and confirmations. Secrets are char arrays that callers wipe;
 * they are never echoed, logged or kept.
 *
 * <p>Zone: the applicant's PC. Reads the console, standard input and the files named on the command line.
 */
final class Terminal {

    private final PrintWriter out;
    private final Console console;
    private BufferedReader stdin;

    Terminal(PrintWriter out) {
        this.out = out;
        this.console = interactive();
    }

    /**
     * The console if standard input and output are a terminal. Since JDK 22 System.console() answers even when they
     * are redirected; Console.isTerminal() (JDK 22, read reflectively: this code targets 21) tells them apart.
     */
    private static Console interactive() {
        Console c = System.console();
        if (c == null) {
            return null;
        }
        try {
            return (boolean) Console.class.getMethod("isTerminal").invoke(c) ? c : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return c;
        }
    }

    /** A secret from {@code file} (its first line), from standard input, or asked on the console. */
    char[] secret(String prompt, Path file, boolean fromStdin, String fileOption) throws UsageException {
        if (file != null) {
            return firstLine(file, fileOption);
        }
        if (fromStdin) {
            try {
                String line = stdin().readLine();
                if (line == null || line.isEmpty()) {
                    throw new UsageException("standard input is empty; write the secret as its first line");
                }
                return line.toCharArray();
            } catch (IOException e) {
                throw new UsageException("cannot read standard input: " + e.getMessage(), e);
            }
        }
        if (console == null) {
            throw new UsageException("no terminal to ask for the " + prompt + " on; give it with " + fileOption
                    + " (a file readable only by you)");
        }
        char[] s = console.readPassword("%s: ", prompt);
        if (s == null || s.length == 0) {
            throw new UsageException("no " + prompt + " entered");
        }
        return s;
    }

    /** A new passphrase: from a file, or typed twice on the console. */
    char[] newPassphrase(Path file) throws UsageException {
        if (file != null) {
            char[] p = firstLine(file, "--key-passphrase-file");
            requireLength(p);
            return p;
        }
        if (console == null) {
            throw new UsageException("no terminal to ask for the key's passphrase on; give it with"
                    + " --key-passphrase-file");
        }
        char[] first = console.readPassword("Passphrase for the new key (at least 12 characters): ");
        char[] second = console.readPassword("The same passphrase again: ");
        try {
            if (first == null || !Arrays.equals(first, second)) {
                throw new UsageException("the two passphrases differ; nothing was generated");
            }
            requireLength(first);
            return first;
        } finally {
            if (second != null) {
                Arrays.fill(second, '\0');
            }
        }
    }

    private static void requireLength(char[] p) throws UsageException {
        if (p.length < 12) {
            Arrays.fill(p, '\0');
            throw new UsageException("the key's passphrase is " + p.length + " characters; use at least 12 (it"
                    + " protects the key file if it is copied)");
        }
    }

    /** Asks a yes/no question; {@code --yes} answers it in advance (the applicant has read the text). */
    boolean confirm(String question, boolean yes) throws UsageException {
        if (yes) {
            out.println(question + " yes (--yes)");
            out.flush();
            return true;
        }
        if (console == null) {
            throw new UsageException("no terminal to confirm on; read what is shown above and pass --yes to"
                    + " confirm it");
        }
        out.flush();
        String answer = console.readLine("%s [y/N] ", question);
        return answer != null && (answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"));
    }

    private char[] firstLine(Path file, String option) throws UsageException {
        try {
            warnIfShared(file);
            byte[] bytes = Files.readAllBytes(file);
            try {
                CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
                int end = 0;
                while (end < cb.limit() && cb.get(end) != '\n' && cb.get(end) != '\r') {
                    end++;
                }
                char[] line = new char[end];
                cb.get(line);
                Arrays.fill(cb.array(), '\0');
                if (line.length == 0) {
                    throw new UsageException(option + " " + file + " is empty; write the secret as its first line");
                }
                return line;
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        } catch (IOException e) {
            throw new UsageException(option + " " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private void warnIfShared(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
                out.println("warning: " + file + " is readable by other users; chmod 600 it");
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not a POSIX file system: nothing to check.
        }
    }

    private BufferedReader stdin() {
        if (stdin == null) {
            stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        return stdin;
    }
}
