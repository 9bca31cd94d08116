package dev.shomei.ra.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One RA instance as its own JVM: the built Quarkus application ({@code target/quarkus-app/quarkus-run.jar}, what
 * {@code bin/ra} runs), configured with system properties, on ports of its own. Several of them on one PostgreSQL
 * are RA replicas behind a load balancer (docs/operations.md, "Beyond one machine").
 *
 * <p>Zone: tests only. Runs in failsafe's integration-test phase, after the application is packaged. The instance
 * runs the packaged (production) build with the runtime profile {@code test} (simulated J-LIS trust anchors and
 * policy, given as files: the test resources are not in the packaged application).
 */
public final class RaInstance implements AutoCloseable {

    private static final Path APP = Path.of("target", "quarkus-app", "quarkus-run.jar");

    /** What Quarkus prints once it listens: the ports it bound (port 0 asks the kernel for free ones). */
    private static final Pattern LISTENING =
            Pattern.compile("Listening on: http://[^\\s:]+:(\\d+) and https://[^\\s:]+:(\\d+)");

    private final String name;
    private final Process process;
    private final Path log;
    public int httpPort;
    public int httpsPort;

    private RaInstance(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts an instance and returns once it listens (at most {@code startTimeout}).
     *
     * @param config the RA test environment's properties (RaTestEnvironment, CaCoreEnvironment) and any overrides
     */
    public static RaInstance start(String name, Map<String, String> config, Duration startTimeout) throws Exception {
        return start(name, config, startTimeout, TEST_JVM);
    }

    /** The tests' JVM options: small and quick to start (C1 only), several instances beside the build. */
    public static final List<String> TEST_JVM = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /** A benchmark's JVM options: the JVM's defaults (G1, both JIT compilers), as {@code bin/ra} runs it. */
    public static final List<String> BENCH_JVM = List.of("-Xmx1g");

    /** {@link #start(String, Map, Duration)} with these JVM options (heap, GC, JIT) instead of {@link #TEST_JVM}. */
    public static RaInstance start(String name, Map<String, String> config, Duration startTimeout, List<String> jvm)
            throws Exception {
        if (!Files.isRegularFile(APP)) {
            throw new IllegalStateException(APP.toAbsolutePath() + " is missing: the RA instances run the packaged"
                    + " application; run this test in the integration-test phase (./mvnw verify -pl ra-service)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvm);
        cmd.addAll(List.of("-Djava.io.tmpdir=" + Path.of("target").toAbsolutePath(),
                "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "-Dquarkus.profile=test", "-Dquarkus.log.file.enabled=false",
                // Port 0: the kernel gives each server a free port as it binds (never a port found by binding and
                // releasing one, which another process may take in between); the ports are read from the RA's log.
                "-Dquarkus.http.port=0", "-Dquarkus.http.ssl-port=0",
                "-Dquarkus.management.port=0", "-Dquarkus.http.host=localhost",
                "-Dquarkus.management.host=localhost"));
        // The test resources the %test profile names as classpath: resources, as files.
        Path res = Path.of("src", "test", "resources").toAbsolutePath();
        cmd.add("-Dra.jpki.signing-cas[0].path=" + res.resolve("jpki-test/sign-ca-2019.pem"));
        cmd.add("-Dra.jpki.signing-cas[1].path=" + res.resolve("jpki-test/sign-ca-2024.pem"));
        cmd.add("-Dra.policy.path=" + res.resolve("policy/approval-policy-test.json"));
        for (Map.Entry<String, String> e : config.entrySet()) {
            if (!e.getKey().startsWith("test.")) {
                cmd.add("-D" + e.getKey() + "=" + e.getValue());
            }
        }
        cmd.addAll(List.of("-jar", APP.toAbsolutePath().toString()));
        Path log = Path.of("target", "ra-instance-" + name + ".log").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        // SoftHSM2 reads its configuration from the environment: the RA's token (order signing, audit checkpoints).
        Path module = Path.of(config.get("ra.orders.signing.module"));
        Path conf = module.resolveSibling("softhsm2-" + name + ".conf");
        Files.writeString(conf, "directories.tokendir = " + module.resolveSibling("tokens") + "\n"
                + "objectstore.backend = file\nlog.level = ERROR\n", StandardCharsets.UTF_8);
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process process = pb.start();
        // Never outlive the test JVM, whatever ends it.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        RaInstance instance = new RaInstance(name, process, log);
        instance.awaitListening(startTimeout);
        return instance;
    }

    private void awaitListening(Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            Matcher m = LISTENING.matcher(out);
            if (m.find()) {
                httpPort = Integer.parseInt(m.group(1));
                httpsPort = Integer.parseInt(m.group(2));
                return;
            }
            if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                close();
                throw new IllegalStateException("RA instance " + name + (process.isAlive() ? " did not start within "
                        + timeout : " exited with " + process.exitValue()) + "; its output (" + log + "):\n" + tail(out));
            }
            process.waitFor(100, TimeUnit.MILLISECONDS);
        }
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    /** The instance's output so far (its log). */
    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private static String tail(String s) {
        return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
    }

    /** Stops the instance (SIGTERM, then SIGKILL after 20 s) and waits for it. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
