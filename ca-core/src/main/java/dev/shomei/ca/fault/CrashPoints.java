package dev.shomei.ca.fault;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Named points in the CA's signing and recording flows at which the fault suite stops the process
 * (docs/faults.md). In production nothing is installed and {@link #reach} costs one volatile read.
 *
 * <p>Two ways to crash:
 * <ul>
 *   <li>in the test's own JVM: a test {@link #install installs} an action, typically one that throws an
 *       {@link Error} (no {@code catch (RuntimeException)} of the CA swallows it), then discards every object of
 *       the CA and opens it again, as a restarted process would;</li>
 *   <li>a real SIGKILL: a child JVM started with {@code -Dshomei.crash.at=<point>} (optionally
 *       {@code <point>@<n>}, the n-th time it is reached) prints {@code shomei crash point <point>} on standard
 *       error and sends itself {@code kill -9}: no finally block, shutdown hook or buffered write runs.</li>
 * </ul>
 *
 * <p>Zone: secure (ca-core, ocsp-presigner). Touches nothing unless installed; the kill mode runs {@code kill}.
 */
public final class CrashPoints {

    /** The points, in the order a signing flow reaches them. */
    public static final String AFTER_INTENT = "after-intent";
    public static final String AFTER_HSM_SIGN = "after-hsm-sign";
    /** A certificate batch: reached before each certificate's signature (the HSM is part-way through the batch). */
    public static final String DURING_HSM_SIGN = "during-hsm-sign";
    public static final String BEFORE_COMMIT = "before-commit";
    public static final String AFTER_COMMIT_BEFORE_RESULT_FILE = "after-commit-before-result-file";
    public static final String DURING_CRL_WRITE = "during-crl-write";
    public static final String DURING_ORDER_INGEST = "during-order-ingest";
    public static final String DURING_AUDIT_APPEND = "during-audit-append";
    /** ocsp-presigner: a chunk of responses signed by the HSM, not yet recorded. */
    public static final String PRESIGN_AFTER_SIGN = "presign-after-sign";
    /** ocsp-presigner: a chunk's responses and audit entry written, the transaction open. */
    public static final String PRESIGN_BEFORE_COMMIT = "presign-before-commit";
    /** ocsp-presigner bundle: manifest.json and the artifacts written, manifest.p7s not yet. */
    public static final String BUNDLE_BEFORE_SIGNATURE = "bundle-before-signature";
    /** ocsp-presigner bundle: manifest.p7s written, the bundle's row (its last OCSP sequence) not committed. */
    public static final String BUNDLE_BEFORE_RECORD = "bundle-before-record";
    /** {@code ca orders pull}: an order bundle read from the RA, nothing of it executed. */
    public static final String PULL_AFTER_FETCH = "pull-after-fetch";
    /** {@code ca orders pull}: the bundle's orders executed and committed (result stored), the result not posted. */
    public static final String PULL_BEFORE_DELIVERY = "pull-before-delivery";
    /** {@code ca orders pull}: the RA took the result (2xx), the CA has not recorded it delivered. */
    public static final String PULL_AFTER_DELIVERY = "pull-after-delivery";

    private static volatile BiConsumer<String, String> action = fromSystemProperty();

    private CrashPoints() {}

    /**
     * Called by the CA at a named point; {@code detail} says what is in flight (serials, a CRL number) so that a
     * test can check afterwards that it was not lost.
     */
    public static void reach(String point, String detail) {
        BiConsumer<String, String> a = action;
        if (a != null) {
            a.accept(point, detail);
        }
    }

    public static void reach(String point) {
        reach(point, "");
    }

    /** Installs an action for every point reached (tests only); {@link #clear} removes it. */
    public static void install(BiConsumer<String, String> a) {
        action = Objects.requireNonNull(a);
    }

    public static void clear() {
        action = fromSystemProperty();
    }

    private static BiConsumer<String, String> fromSystemProperty() {
        String spec = System.getProperty("shomei.crash.at");
        if (spec == null || spec.isBlank()) {
            return null;
        }
        String[] parts = spec.strip().split("@", 2);
        String target = parts[0];
        int nth = parts.length > 1 ? Integer.parseInt(parts[1]) : 1;
        AtomicInteger seen = new AtomicInteger();
        return (point, detail) -> {
            if (point.equals(target) && seen.incrementAndGet() == nth) {
                killThisProcess(point, detail);
            }
        };
    }

    /** SIGKILL from outside the JVM's control, sent by this process to itself; waits to die. */
    private static void killThisProcess(String point, String detail) {
        System.err.println("shomei crash point " + point + (detail.isEmpty() ? "" : " " + detail));
        System.err.flush();
        try {
            Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(ProcessHandle.current().pid()))
                    .inheritIO().start();
            kill.waitFor(30, TimeUnit.SECONDS);
            Thread.sleep(TimeUnit.SECONDS.toMillis(60)); // the signal is on its way; never go on past the point
        } catch (IOException | InterruptedException e) {
            // kill is missing or we were interrupted: halt is the nearest thing (no hooks, no finally)
        }
        Runtime.getRuntime().halt(137);
    }
}
