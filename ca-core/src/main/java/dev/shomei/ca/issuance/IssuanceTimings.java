package dev.shomei.ca.issuance;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where an issuer's time goes, per phase of the issuing flow (docs/issuance.md): what the issuance benchmark prints
 * beside the raw signing rate, and what an operator reads to see which phase bounds the rate.
 *
 * <p>Three kinds of figures: the batch's <em>wall</em> phases, one after another in {@code issueAll} (their sum is the
 * batch's elapsed time); the per-certificate <em>work</em> inside the parallel phases: the CPU time of the threads
 * that did it ({@link #cpuNow()}), which the machine's load does not inflate as it does wall time; and the whole
 * process's CPU over each parallel phase ({@link #processCpuNow()}), which says how many cores the phase kept busy and
 * how much CPU it cost beyond the steps timed inside it. Counting
 * costs two clock readings per phase and per certificate step (well under a microsecond each); it is always on.
 *
 * <p>Zone: secure. Touches nothing but its counters.
 */
public final class IssuanceTimings {

    /** A phase of a batch, in the order {@code issueAll} runs them (wall time). */
    public enum Phase {
        /** Step 1: parse each CSR, check its key (quality, policy) and its proof of possession; on every core. */
        CSR_CHECKS("CSR checks (parallel)"),
        /** Step 2: the already-issued and live-key lookups. */
        LOOKUPS("database lookups"),
        /** Step 3: build, lint and parse back each to-be-signed certificate; in parallel. */
        PREPARE("build + lint + parse-back (parallel)"),
        /** Step 3: record the signing intents and commit them. */
        INTENTS("signing intents + commit"),
        /** Step 3: HSM signatures and the post-signature check; in parallel. */
        SIGN_AND_CHECK("HSM sign + post-signature check (parallel)"),
        /** Step 4: certificate rows, audit entries, intent resolutions, commit; then the intents' locks released. */
        RECORD("record + audit + commit");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Per-certificate work inside the parallel phases: CPU time of the threads that did it. */
    public enum Work {
        KEY_QUALITY("CSR key quality"),
        PROOF_OF_POSSESSION("CSR proof of possession (signature verify)"),
        BUILD("build the to-be-signed certificate (profile, extensions)"),
        LINT("pre-issuance lint"),
        PARSE_BACK("parse-back by the JDK before signing"),
        HSM_SIGN("HSM signature (this process's share)"),
        POST_SIGNATURE_CHECK("post-signature check (parse + verify)");

        private final String label;

        Work(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Map<Phase, LongAdder> phases = new EnumMap<>(Phase.class);
    /** The whole process's CPU time during a parallel phase (its threads, the collector's, the compiler's). */
    private final Map<Phase, LongAdder> processCpu = new EnumMap<>(Phase.class);
    /** How many times each phase's process CPU was read (zero where the JVM cannot tell). */
    private final Map<Phase, LongAdder> processCpuSamples = new EnumMap<>(Phase.class);
    private final Map<Work, LongAdder> work = new EnumMap<>(Work.class);
    private final LongAdder certificates = new LongAdder();

    public IssuanceTimings() {
        for (Phase p : Phase.values()) {
            phases.put(p, new LongAdder());
            processCpu.put(p, new LongAdder());
            processCpuSamples.put(p, new LongAdder());
        }
        for (Work w : Work.values()) {
            work.put(w, new LongAdder());
        }
    }

    /** The process-wide counters: {@code Csr.parse} has no issuer to report to. */
    static final IssuanceTimings CSR = new IssuanceTimings();

    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();
    private static final boolean CPU_TIME = THREADS.isCurrentThreadCpuTimeSupported();

    /** This thread's CPU time in nanoseconds (wall time where the JVM cannot tell CPU time). */
    static long cpuNow() {
        return CPU_TIME ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    void add(Phase p, long nanos) {
        phases.get(p).add(nanos);
    }

    private static final java.lang.management.OperatingSystemMXBean OS =
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** The process's CPU time in nanoseconds, all threads; -1 where the JVM cannot tell. */
    static long processCpuNow() {
        return OS instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    /** A parallel phase: its wall time, and the process's CPU time over it (how many cores it kept busy). */
    void add(Phase p, long nanos, long processCpuNanos) {
        add(p, nanos);
        if (processCpuNanos >= 0) {
            processCpu.get(p).add(processCpuNanos);
            processCpuSamples.get(p).increment();
        }
    }

    void add(Work w, long nanos) {
        work.get(w).add(nanos);
    }

    void issued(int n) {
        certificates.add(n);
    }

    public void reset() {
        phases.values().forEach(LongAdder::reset);
        processCpu.values().forEach(LongAdder::reset);
        processCpuSamples.values().forEach(LongAdder::reset);
        work.values().forEach(LongAdder::reset);
        certificates.reset();
        CSR.work.values().forEach(LongAdder::reset);
    }

    /** Certificates newly signed since the last {@link #reset}. */
    public long certificates() {
        return certificates.sum();
    }

    public long nanos(Phase p) {
        return phases.get(p).sum();
    }

    /** Work of this issuer, plus the process-wide CSR checks. */
    public long nanos(Work w) {
        return work.get(w).sum() + CSR.work.get(w).sum();
    }

    /** One line per phase and per work item: milliseconds per certificate, and the phase's share of the wall time. */
    public String report() {
        long n = Math.max(1, certificates());
        long wall = 0;
        for (Phase p : Phase.values()) {
            wall += nanos(p);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("per certificate, over %,d certificates (wall: phases of the batch, one after another):%n", n));
        for (Phase p : Phase.values()) {
            sb.append(String.format("  wall  %-46s %7.3f ms  %5.1f%%%n", p.label(), nanos(p) / 1e6 / n,
                    wall == 0 ? 0 : 100.0 * nanos(p) / wall));
        }
        sb.append(String.format("  wall  %-46s %7.3f ms%n", "total", wall / 1e6 / n));
        for (Phase p : Phase.values()) {
            long cpu = processCpu.get(p).sum();
            if (processCpuSamples.get(p).sum() == 0 || nanos(p) == 0) {
                continue;
            }
            if (cpu > 0) {
                // With one caller, the cores the whole process kept busy during the phase (2.0 = both of two).
                sb.append(String.format("  cores %-46s %7.2f (process CPU %.3f ms per certificate)%n", p.label(),
                        (double) cpu / nanos(p), cpu / 1e6 / n));
            } else {
                // Linux counts a process's CPU in clock ticks (10 ms): a short phase can end before the next tick.
                sb.append(String.format("  cores %-46s     n/a (%.1f ms in all, under the process CPU clock's tick)%n",
                        p.label(), nanos(p) / 1e6));
            }
        }
        for (Work w : Work.values()) {
            sb.append(String.format("  cpu   %-46s %7.3f ms%n", w.label(), nanos(w) / 1e6 / n));
        }
        return sb.toString();
    }
}
