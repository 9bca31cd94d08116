package dev.shomei.testsupport;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Where a benchmark's CPU time goes, by the kernel's and the JVM's own accounts, so that a figure comes with its
 * cost per unit (an application decided, a certificate issued):
 * <ul>
 *   <li>this JVM's Java threads, by a role the benchmark names from the thread's name (nanosecond CPU times from the
 *       JVM);</li>
 *   <li>the JVM's own threads, which it does not list as Java threads: the garbage collector, the JIT compilers and
 *       the rest (VM thread, periodic tasks), from {@code /proc/self/task} in clock ticks;</li>
 *   <li>what is left of the process's CPU: threads that ended inside the window (their CPU is counted by the
 *       process, no longer by a thread), and the rounding of the ticks;</li>
 *   <li>the kernel's share of this JVM's CPU (system time: system calls, page faults, futexes), as a line of its own
 *       that is part of the parts above, not added to them;</li>
 *   <li>the PostgreSQL server on a given port (postmaster and its children) and other processes (a load generator),
 *       from {@code /proc}.</li>
 * </ul>
 * Two snapshots, subtracted, give CPU per part; divided by the units, milliseconds per unit.
 *
 * <p>Zone: tests only (benchmarks). Reads {@code /proc} and the JVM's management beans; Linux (elsewhere the
 * {@code /proc} parts read 0).
 */
public final class CpuAccount {

    public static final String GC = "JVM: garbage collector threads";
    public static final String JIT = "JVM: JIT compiler threads";
    public static final String VM = "JVM: other own threads (VM thread, periodic tasks)";
    public static final String REST = "JVM: threads that ended in the window; tick rounding";
    public static final String POSTGRES = "PostgreSQL";
    /** Not a part: the share of the JVM's CPU spent in the kernel, included in the JVM parts above it. */
    public static final String KERNEL = "of the JVM's CPU: in the kernel (system time)";

    private static final long NANOS_PER_TICK = 10_000_000L; // USER_HZ is 100 on Linux

    private final Function<String, String> roleOf;
    private final int postgresPort;
    private final String othersName;
    private final Supplier<List<Process>> others;
    private final List<String> parts = new ArrayList<>();

    /**
     * @param roles     the Java thread roles, in print order
     * @param roleOf    a Java thread's name to its role (one of {@code roles}, or another that becomes a part of its
     *                  own: say the thread's name, to find out what an unexpected thread is)
     * @param postgresPort the PostgreSQL server to account for, or 0 for none
     * @param othersName what the other processes are (say "wrk"), or null for none
     * @param others    the other processes, read at each snapshot
     */
    public CpuAccount(List<String> roles, Function<String, String> roleOf, int postgresPort, String othersName,
                      Supplier<List<Process>> others) {
        this.roleOf = roleOf;
        this.postgresPort = postgresPort;
        this.othersName = othersName;
        this.others = others;
        parts.addAll(roles);
        parts.addAll(List.of(GC, JIT, VM, REST));
        if (postgresPort > 0) {
            parts.add(POSTGRES);
        }
        if (othersName != null) {
            parts.add(othersName);
        }
    }

    /** CPU nanoseconds so far, per part, and the kernel's share of the JVM's. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        parts.forEach(p -> m.put(p, 0L));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long javaThreads = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(t.getThreadId());
            if (cpu < 0) {
                continue;
            }
            javaThreads += cpu;
            // A role not declared becomes a part of its own, printed after the declared ones.
            m.merge(roleOf.apply(t.getThreadName()), cpu, Long::sum);
        }
        long own = 0;
        for (var e : jvmOwnThreads().entrySet()) {
            m.merge(e.getKey(), e.getValue(), Long::sum);
            own += e.getValue();
        }
        String[] self = stat("self");
        long process = self == null ? 0 : ticks(self);
        m.put(REST, process - javaThreads - own);
        if (postgresPort > 0) {
            m.put(POSTGRES, postgres(postgresPort));
        }
        if (othersName != null) {
            m.put(othersName, others.get().stream().mapToLong(p -> ticks(p.pid())).sum());
        }
        m.put(KERNEL, self == null ? 0 : Long.parseLong(self[12]) * NANOS_PER_TICK);
        return m;
    }

    /**
     * {@code after - before} per part (and the kernel line), in milliseconds per unit; a part only one snapshot has
     * (a role whose threads started or ended in between) counts 0 in the other.
     */
    public static Map<String, Double> perUnit(Map<String, Long> before, Map<String, Long> after, long units) {
        Map<String, Double> m = new LinkedHashMap<>();
        java.util.Set<String> keys = new java.util.LinkedHashSet<>(before.keySet());
        keys.addAll(after.keySet());
        keys.remove(KERNEL);
        keys.add(KERNEL);
        for (String p : keys) {
            m.put(p, (after.getOrDefault(p, 0L) - before.getOrDefault(p, 0L)) / 1e6 / units);
        }
        return m;
    }

    /** Prints the parts, their sum, what that sum means on this machine's cores, and the kernel's share. */
    public static void print(String prefix, String unit, Map<String, Double> msPerUnit) {
        double total = msPerUnit.entrySet().stream().filter(e -> !e.getKey().equals(KERNEL))
                .mapToDouble(Map.Entry::getValue).sum();
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("%s  CPU per %s (ms), timed window:%n", prefix, unit);
        msPerUnit.forEach((k, v) -> {
            if (!k.equals(KERNEL)) {
                System.out.printf("%s    %-55s %7.3f%n", prefix, k, v);
            }
        });
        System.out.printf("%s    %-55s %7.3f  (%d cores: at most %,.0f per second if nothing else ran)%n", prefix,
                "total", total, cores, cores * 1000 / total);
        if (msPerUnit.containsKey(KERNEL)) {
            System.out.printf("%s    %-55s %7.3f%n", prefix, KERNEL, msPerUnit.get(KERNEL));
        }
    }

    /**
     * This JVM's own threads (those it does not list as Java threads), by the names HotSpot gives them: the
     * collectors' ("GC Thread#0", "G1 Conc#0", "G1 Refine#0", "G1 Service", ...), the compilers' ("C2 CompilerThre",
     * "C1 CompilerThre") and the rest ("VM Thread", "VM Periodic Tas").
     */
    private static Map<String, Long> jvmOwnThreads() {
        Map<String, Long> m = new LinkedHashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String comm = read(task.resolve("comm")).strip();
                String part = comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.startsWith("ZWorker")
                        || comm.startsWith("Parallel GC") ? GC
                        : comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler") ? JIT
                        : comm.startsWith("VM ") ? VM : null;
                if (part != null) {
                    String[] stat = statOf(task.resolve("stat"));
                    if (stat != null) {
                        m.merge(part, ticks(stat), Long::sum);
                    }
                }
            }
        } catch (IOException e) {
            return m;
        }
        return m;
    }

    /** The postmaster listening on this port and its children (backends, WAL writer, ...), utime + stime. */
    public static long postgres(int port) {
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
                String[] stat = stat(p.getFileName().toString());
                if (stat != null && Long.parseLong(stat[1]) == postmaster) {
                    sum += ticks(stat);
                }
            }
            return sum;
        } catch (IOException e) {
            return 0;
        }
    }

    /** This process's CPU so far (all threads, user + system), in nanoseconds. */
    public static long processNanos() {
        String[] self = stat("self");
        return self == null ? 0 : ticks(self);
    }

    /** utime + stime of a process in nanoseconds, 0 once it is gone. */
    public static long ticks(long pid) {
        String[] stat = stat(String.valueOf(pid));
        return stat == null ? 0 : ticks(stat);
    }

    private static long ticks(String[] stat) {
        // Fields after the command name: state is [0], ppid [1], ..., utime [11], stime [12] (proc(5), 14 and 15).
        return (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) * NANOS_PER_TICK;
    }

    private static String[] stat(String pid) {
        return statOf(Path.of("/proc", pid, "stat"));
    }

    private static String[] statOf(Path file) {
        String s = read(file);
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
