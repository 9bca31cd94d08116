package dev.shomei.ra.testkit;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where a benchmark's CPU time goes, by the kernel's and the JVM's own accounts, so that a figure comes with its
 * cost per application: this JVM's threads by role (the RA's request threads, its HTTP event loops, the group
 * commit, the rest), the whole JVM (adding the JIT compiler and the garbage collector, whose threads the JVM does not
 * list), the PostgreSQL server on a given port (postmaster and backends, from {@code /proc}) and other processes
 * (wrk). Two snapshots, subtracted, give CPU seconds per part; divided by the decisions, milliseconds per application.
 *
 * <p>Zone: tests only (benchmarks). Reads {@code /proc} and the JVM's management beans.
 */
public final class CpuAccount {

    private CpuAccount() {}

    /** The parts, in print order. */
    public static final List<String> PARTS = List.of("RA request threads", "RA HTTP event loops", "RA group commit",
            "other JVM threads (test, J-LIS simulator)", "JIT and GC (JVM total minus its threads)", "PostgreSQL",
            "wrk");

    /** CPU nanoseconds so far, per part. */
    public static Map<String, Long> snapshot(int postgresPort, List<Process> wrk) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> m = new LinkedHashMap<>();
        PARTS.forEach(p -> m.put(p, 0L));
        long allThreads = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(t.getThreadId());
            if (cpu < 0) {
                continue;
            }
            allThreads += cpu;
            String name = t.getThreadName();
            String part = name.startsWith("executor-thread") ? PARTS.get(0)
                    : name.startsWith("vert.x-eventloop") || name.startsWith("vert.x-acceptor") ? PARTS.get(1)
                    : name.startsWith("ra-group-commit") ? PARTS.get(2) : PARTS.get(3);
            m.merge(part, cpu, Long::sum);
        }
        long process = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        m.put(PARTS.get(4), process - allThreads);
        m.put(PARTS.get(5), postgres(postgresPort));
        m.put(PARTS.get(6), wrk.stream().mapToLong(p -> ticks(p.pid())).sum());
        return m;
    }

    /** {@code after - before} per part, in milliseconds per application. */
    public static Map<String, Double> perApplication(Map<String, Long> before, Map<String, Long> after, int decisions) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String p : PARTS) {
            m.put(p, (after.get(p) - before.get(p)) / 1e6 / decisions);
        }
        return m;
    }

    /** Prints the parts, their sum, and what that sum means on this machine's cores. */
    public static void print(Map<String, Double> msPerApplication) {
        double total = msPerApplication.values().stream().mapToDouble(Double::doubleValue).sum();
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("BENCH   CPU per application decided (ms), timed window:%n");
        msPerApplication.forEach((k, v) -> System.out.printf("BENCH     %-45s %6.2f%n", k, v));
        System.out.printf("BENCH     %-45s %6.2f  (%d cores: at most %,.0f applications/s if nothing else ran)%n",
                "total", total, cores, cores * 1000 / total);
    }

    /** The postmaster listening on this port and its children (backends, WAL writer, ...), utime + stime. */
    static long postgres(int port) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            List<Path> pids = procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList();
            long postmaster = -1;
            for (Path p : pids) {
                String cmd = read(p.resolve("cmdline")).replace('\0', ' ');
                if (cmd.contains("/bin/postgres ") && cmd.contains(" -p " + port + " ")) {
                    postmaster = Long.parseLong(p.getFileName().toString());
                    break;
                }
            }
            if (postmaster < 0) {
                return 0;
            }
            long sum = ticks(postmaster);
            for (Path p : pids) {
                String[] stat = stat(Long.parseLong(p.getFileName().toString()));
                if (stat != null && Long.parseLong(stat[1]) == postmaster) {
                    sum += ticks(stat);
                }
            }
            return sum;
        } catch (IOException e) {
            return 0;
        }
    }

    /** utime + stime of a process in nanoseconds (USER_HZ is 100 on Linux), 0 once it is gone. */
    static long ticks(long pid) {
        String[] stat = stat(pid);
        return stat == null ? 0 : ticks(stat);
    }

    private static long ticks(String[] stat) {
        // Fields after the command name: state is [0], ppid [1], ..., utime [11], stime [12] (proc(5), 14 and 15).
        return (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) * 10_000_000L;
    }

    private static String[] stat(long pid) {
        String s = read(Path.of("/proc", String.valueOf(pid), "stat"));
        int end = s.lastIndexOf(')');
        return end < 0 ? null : s.substring(end + 2).split(" ");
    }

    private static String read(Path p) {
        try {
            return new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }
}
