package dev.shomei.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A SoftHSM2 token private to one test, in its own temporary directory.
 *
 * <p>Zone: tests only. SoftHSM2 reads {@code SOFTHSM2_CONF} once, at {@code C_Initialize}, and never
 * rescans its token directory afterwards; the JVM cannot change its own environment. So the JVM's
 * {@code SOFTHSM2_CONF} names one file (set by surefire), and each token rewrites that file to point at
 * its own directory, initialises the token with {@code softhsm2-util}, and gets its own copy of the
 * module library: a library loaded from a new path is a new instance, whose {@code C_Initialize} reads
 * the file again. Tests therefore never share HSM state.
 */
public final class SoftHsmToken {

    public static final Path SYSTEM_MODULE = Path.of("/usr/lib/softhsm/libsofthsm2.so");
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Path directory;
    private final Path module;
    private final String label;
    private final String userPin;
    private final String soPin;

    private SoftHsmToken(Path directory, Path module, String label, String userPin, String soPin) {
        this.directory = directory;
        this.module = module;
        this.label = label;
        this.userPin = userPin;
        this.soPin = soPin;
    }

    /** Creates and initialises a fresh token with the given label and user PIN. */
    public static synchronized SoftHsmToken create(String label, String userPin) {
        try {
            if (!Files.isRegularFile(SYSTEM_MODULE)) {
                throw new IllegalStateException("SoftHSM2 is not installed: " + SYSTEM_MODULE
                        + " is missing (Debian: apt-get install softhsm2)");
            }
            String confVar = System.getenv("SOFTHSM2_CONF");
            if (confVar == null || confVar.isBlank()) {
                throw new IllegalStateException("SOFTHSM2_CONF is not set in the test JVM's environment;"
                        + " run the tests through Maven (surefire sets it) or bin/test");
            }
            Path conf = Path.of(confVar);
            Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")),
                    "softhsm-" + label + "-" + COUNTER.incrementAndGet() + "-");
            Path tokens = Files.createDirectories(dir.resolve("tokens"));
            Files.createDirectories(conf.toAbsolutePath().getParent());
            Files.writeString(conf, "directories.tokendir = " + tokens.toAbsolutePath() + "\n"
                    + "objectstore.backend = file\n" + "log.level = ERROR\n", StandardCharsets.UTF_8);
            String soPin = "so-" + userPin;
            run(conf, List.of("softhsm2-util", "--init-token", "--free", "--label", label,
                    "--pin", userPin, "--so-pin", soPin));
            Path module = dir.resolve("libsofthsm2.so");
            Files.copy(SYSTEM_MODULE, module, StandardCopyOption.REPLACE_EXISTING);
            return new SoftHsmToken(dir, module, label, userPin, soPin);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a SoftHSM2 token: " + e.getMessage(), e);
        }
    }

    private static void run(Path conf, List<String> command) throws IOException {
        // Output to a file and a deadline: a softhsm2-util that hangs fails the test instead of the build.
        Path log = Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir")), "softhsm2-util-", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SOFTHSM2_CONF", conf.toAbsolutePath().toString());
        Process p = pb.start();
        try {
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                throw new IllegalStateException(String.join(" ", command.subList(0, 2)) + " did not finish within 60 s: "
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command.subList(0, 2)) + " failed: "
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The PKCS#11 module this token is reachable through (a private copy of libsofthsm2.so). */
    public Path module() { return module; }

    public String label() { return label; }

    public String userPin() { return userPin; }

    public String soPin() { return soPin; }

    public Path directory() { return directory; }

    /** Writes the user PIN to a file readable only by its owner, as an operator would keep it. */
    public Path writePinFile() {
        try {
            Path f = directory.resolve("user.pin");
            Files.writeString(f, userPin + "\n", StandardCharsets.UTF_8);
            f.toFile().setReadable(false, false);
            f.toFile().setReadable(true, true);
            return f;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
