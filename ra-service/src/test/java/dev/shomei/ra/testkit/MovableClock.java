package dev.shomei.ra.testkit;

import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * The RA's clock in every {@code @QuarkusTest}: it replaces the production {@code Clock} bean ({@code RaClock}, a
 * default bean). It follows the system clock until a test {@linkplain #freeze() freezes} it; from then on time moves
 * only when the test {@linkplain #advance(Duration) advances} it, so a test of "retry after a second" or "refer after
 * six seconds" takes no wall time and does not depend on how loaded the machine is. A test that freezes it calls
 * {@link #followSystem()} when it ends (the application, and so this clock, is shared by the test classes).
 *
 * <p>Zone: tests only.
 */
@Singleton
public class MovableClock extends Clock {

    /** Null while following the system clock. */
    private volatile Instant frozenAt;

    /**
     * Stops time at the current instant, to the millisecond (PostgreSQL keeps microseconds and rounds: an instant
     * with nanoseconds would not come back from the database as it went in), and returns it.
     */
    public synchronized Instant freeze() {
        frozenAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return frozenAt;
    }

    /** Moves frozen time forward (the clock must be frozen: moving a running clock would race the system's). */
    public synchronized Instant advance(Duration d) {
        if (frozenAt == null) {
            throw new IllegalStateException("freeze() the clock before advancing it");
        }
        frozenAt = frozenAt.plus(d);
        return frozenAt;
    }

    /** Back to the system clock. */
    public synchronized void followSystem() {
        frozenAt = null;
    }

    @Override
    public Instant instant() {
        Instant f = frozenAt;
        return f != null ? f : Instant.now();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (zone.equals(ZoneOffset.UTC)) {
            return this;
        }
        throw new UnsupportedOperationException("the RA's clock is UTC");
    }
}
