package dev.shomei.publisher.fault;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named points in a publication at which the fault suite kills the publisher (docs/faults.md), as the CA's
 * crash points do for the secure zone. In production the property is not set and {@link #reach} costs one read
 * of a final field.
 *
 * <p>A publisher JVM started with {@code -Dshomei.crash.at=<point>} (optionally {@code <point>@<n>}, the n-th time
 * it is reached) prints {@code shomei crash point <point> <detail>} on standard error and sends itself
 * {@code kill -9}: no finally block, lock release, shutdown hook or buffered write runs.
 *
 * <p>Zone: online (repository-publisher). Touches nothing unless the property is set; then it runs {@code kill}.
 */
public final class CrashPoints {

    /** The n-th file of a release (object or header sidecar) half written to its temporary name. */
    public static final String PUBLISH_DURING_WRITE = "publish-during-write";
    /** Every file staged and read back, the release directory named, {@code current} not yet switched. */
    public static final String PUBLISH_BEFORE_SWITCH = "publish-before-switch";
    /** {@code current} switched; the directory not yet fsynced, old releases not pruned, the lock still held. */
    public static final String PUBLISH_AFTER_SWITCH = "publish-after-switch";

    private static final String TARGET;
    private static final int NTH;
    private static final AtomicInteger SEEN = new AtomicInteger();

    static {
        String spec = System.getProperty("shomei.crash.at");
        if (spec == null || spec.isBlank()) {
            TARGET = null;
            NTH = 0;
        } else {
            String[] parts = spec.strip().split("@", 2);
            TARGET = parts[0];
            NTH = parts.length > 1 ? Integer.parseInt(parts[1]) : 1;
        }
    }

    private CrashPoints() {}

    /** Called by the publisher at a named point; {@code detail} says what is in flight (a file name). */
    public static void reach(String point, String detail) {
        if (TARGET != null && TARGET.equals(point) && SEEN.incrementAndGet() == NTH) {
            killThisProcess(point, detail);
        }
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
