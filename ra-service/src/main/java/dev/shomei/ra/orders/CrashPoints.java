package dev.shomei.ra.orders;

import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * Named points in the RA's ingest of a CA result bundle ({@link Orders#ingest}) at which the fault suite stops the
 * RA (docs/faults.md), as ca-core's crash points do for the CA. In production nothing is installed and
 * {@link #reach} costs one volatile read.
 *
 * <p>Two ways to crash:
 * <ul>
 *   <li>in the RA's own JVM (a {@code @QuarkusTest}): a test {@link #install installs} an action that throws an
 *       {@link Error} (the transaction is rolled back, nothing of it commits) or kills PostgreSQL, or both;</li>
 *   <li>a real SIGKILL: an RA JVM started with {@code -Dshomei.crash.at=<point>} (optionally {@code <point>@<n>}, the
 *       n-th time it is reached) prints {@code shomei crash point <point> <detail>} on standard error and sends
 *       itself {@code kill -9}: no rollback, finally block or shutdown hook runs; PostgreSQL drops the open
 *       transaction with the connection.</li>
 * </ul>
 *
 * <p>Zone: online (ra-service). Touches nothing unless installed or the property is set; then it runs {@code kill}.
 */
public final class CrashPoints {

    /** The result bundle's signature verified and its order bundle found; nothing written. */
    public static final String INGEST_AFTER_VERIFY = "ra-ingest-after-verify";
    /**
     * The n-th result applied and sent to PostgreSQL (the application or revocation request, the order, its ISSUANCE
     * or REVOCATION book entry, the notice in the outbox and its NOTICE book entry), its audit entry not yet.
     */
    public static final String INGEST_AFTER_RECORD = "ra-ingest-after-record";
    /** The n-th result's audit entry appended; the transaction open. */
    public static final String INGEST_AFTER_AUDIT_APPEND = "ra-ingest-after-audit-append";
    /** Every result applied, the order bundle marked answered, all sent to PostgreSQL; not committed. */
    public static final String INGEST_BEFORE_COMMIT = "ra-ingest-before-commit";
    /** Committed; the CA's HTTP request not yet answered (the CA sees no answer and delivers the bundle again). */
    public static final String INGEST_AFTER_COMMIT = "ra-ingest-after-commit";

    private static volatile BiConsumer<String, String> action = fromSystemProperty();

    private CrashPoints() {}

    /** Called by the RA at a named point; {@code detail} names what is in flight (an order id, a bundle id). */
    public static void reach(String point, String detail) {
        BiConsumer<String, String> a = action;
        if (a != null) {
            a.accept(point, detail);
        }
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
