package dev.shomei.testsupport;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/** Measurements the benchmarks share: operations per second on N threads, and peak heap. Zone: tests only. */
public final class Throughput {

    /** One operation, given its index. */
    public interface Op {
        void run(int i) throws Exception;
    }

    private Throughput() {}

    /** Runs {@code count} operations on {@code threads} threads; prints and returns the rate (name "warm-up": silent). */
    public static double rate(String name, int threads, int count, Op op) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger counter = new AtomicInteger();
        long t0 = System.nanoTime();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    int i;
                    while ((i = counter.getAndIncrement()) < count) {
                        op.run(i);
                    }
                    return null;
                }));
            }
            for (Future<?> fu : fs) {
                fu.get();
            }
        } finally {
            pool.shutdown();
        }
        double perSecond = count / ((System.nanoTime() - t0) / 1e9);
        if (!name.equals("warm-up")) {
            System.out.printf("%-40s %,10.0f /s  (%,d operations)%n", name, perSecond, count);
        }
        return perSecond;
    }

    public static void resetHeapPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    /** The sum of the heap pools' peaks since {@link #resetHeapPeaks()} (garbage not yet collected included). */
    public static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
