package dev.shomei.ocsp.presign;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a long run, as a line on stderr every few percent: done, rate and time left. Quiet on runs too
 * small to need it.
 *
 * <p>Zone: secure (part of a presign run). Writes only to the stream it is given.
 */
final class Progress {

    private static final long QUIET_BELOW = 10_000;

    private final PrintStream out;
    private final long total;
    private final long step;
    private final long startNanos = System.nanoTime();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong nextReport;

    Progress(PrintStream out, long total, int everyPercent) {
        this.out = out;
        this.total = total;
        this.step = Math.max(1, total * everyPercent / 100);
        this.nextReport = new AtomicLong(step);
        if (total >= QUIET_BELOW) {
            out.printf("presign: %,d response(s) due%n", total);
        }
    }

    void add(int n) {
        long d = done.addAndGet(n);
        long next = nextReport.get();
        if (total >= QUIET_BELOW && d >= next && d < total && nextReport.compareAndSet(next, (d / step + 1) * step)) {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double rate = d / seconds;
            Duration eta = Duration.ofSeconds((long) ((total - d) / Math.max(rate, 1e-9)));
            out.printf("presign: %3d%% %,d/%,d, %,.0f/s, ETA %s%n", d * 100 / total, d, total, rate, format(eta));
        }
    }

    static String format(Duration d) {
        return d.toHours() > 0 ? String.format("%dh%02dm", d.toHours(), d.toMinutesPart())
                : String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }
}
