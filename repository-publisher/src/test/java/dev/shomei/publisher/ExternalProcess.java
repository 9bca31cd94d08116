package dev.shomei.publisher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Outside programs (openssl, tar, pdfsig, a second JVM) run by the tests, each with a deadline: a hung program
 * fails its test with its output instead of hanging the build. Output goes to a file, so a program that fills a
 * pipe cannot block either. Test scope only.
 */
public final class ExternalProcess {

    public record Result(int exit, String output) { }

    private ExternalProcess() {
    }

    public static Result run(Duration timeout, Path dir, List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("process-", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command + " did not finish within " + timeout + "; output so far:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    public static Result run(Duration timeout, Path dir, String... command) throws IOException, InterruptedException {
        return run(timeout, dir, List.of(command));
    }

    /** openssl with a 60 s deadline. */
    public static Result openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        return run(Duration.ofSeconds(60), dir, cmd);
    }

    /** The first line a long-running process prints (e.g. the edge's URL), or an AssertionError after the timeout. */
    public static String firstLine(Process p, Duration timeout) throws InterruptedException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return lines.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        try {
            return line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new AssertionError("the process printed no line within " + timeout);
        } catch (ExecutionException e) {
            throw new AssertionError("cannot read the process output: " + e.getCause(), e.getCause());
        }
    }
}
