package dev.shomei.ra.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmarks' load generator, outside the RA's JVM: wrk (Debian package {@code wrk}; bin/bench installs it) with
 * {@code bench/post-applications.lua}, posting each pre-made application ({@link SignedApplications}) once. The rate
 * is counted from the RA's database (decisions recorded), not from the client: a decision counts once it has
 * committed with its books and audit event.
 *
 * <p>Zone: tests only (benchmarks). Starts wrk processes and waits for each with a deadline; reads the
 * {@code decision} table.
 */
public final class WrkApplications {

    private static final Pattern SUMMARY = Pattern.compile("WRK created=(\\d+) other=(\\d+) p50=([\\d.]+)ms p99=([\\d.]+)ms");

    /** What one wrk run answered, by wrk's count; rejected or otherwise unexpected answers are {@code other}. */
    public record Answers(int created, int other, double p50Millis, double p99Millis, String output) {}

    /** A run's rate by the database: decisions committed per second between the start and the last decision. */
    public record Rate(int decisions, double seconds, double perSecond, List<Answers> answers,
                       Map<String, Long> cpuAtEnd) {}

    private WrkApplications() {}

    /** wrk's path, or null when it is not installed. */
    public static Path wrk() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "wrk");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Starts one wrk posting the {@code count} applications in {@code dir} to {@code base} (http://host:port). */
    public static Process start(URI base, Path dir, int count, int threads, int connections, Duration cap)
            throws IOException {
        Path lua = dir.resolveSibling("post-applications.lua");
        try (InputStream in = WrkApplications.class.getResourceAsStream("/bench/post-applications.lua")) {
            Files.write(lua, in.readAllBytes());
        }
        List<String> cmd = List.of(wrk().toString(), "-t" + threads, "-c" + Math.max(connections, threads),
                "-d" + cap.toSeconds() + "s", "--timeout", "30s", "-s", lua.toString(), base.toString(), "--",
                dir.toAbsolutePath().toString(), String.valueOf(count), String.valueOf(threads));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /**
     * Runs the given wrk processes (started by {@link #start} just before) to their end while following the audit
     * log's head every 20 ms, until {@code expected} new decisions have committed (counted in the decision table once
     * the head says they can have) or {@code cap} has passed.
     *
     * @param decisionsBefore the number of decisions before the processes were started
     */
    public static Rate measure(List<Process> runs, long startNanos, Supplier<Connection> database, long decisionsBefore,
                               int expected, Duration cap) throws Exception {
        return measure(runs, startNanos, database, decisionsBefore, expected, cap, () -> Map.of());
    }

    /**
     * {@link #measure}, taking {@code account} (a {@link dev.shomei.testsupport.CpuAccount#snapshot}) as the last decision commits, while wrk
     * still runs.
     */
    public static Rate measure(List<Process> runs, long startNanos, Supplier<Connection> database, long decisionsBefore,
                               int expected, Duration cap, Supplier<Map<String, Long>> account) throws Exception {
        List<StringBuilder> outputs = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (Process p : runs) {
            StringBuilder out = new StringBuilder();
            outputs.add(out);
            Thread t = new Thread(() -> {
                try (InputStream in = p.getInputStream()) {
                    out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    out.append("(output unreadable: ").append(e.getMessage()).append(')');
                }
            });
            t.start();
            readers.add(t);
        }
        long deadline = startNanos + cap.toNanos() + TimeUnit.SECONDS.toNanos(30);
        long last = startNanos;
        long done = 0;
        try (Connection c = database.get(); Statement s = c.createStatement()) {
            // Counting reads the whole decision table (39 ms at 60,000 decisions; polled every 50-500 ms it was still
            // a sixth of PostgreSQL's time in the timed window). The audit log's head is one row: every decision
            // appends an audit event in its own transaction, so the head's growth says when the count can be
            // complete, and the decision table is counted only then. The head's position before the run is taken in
            // the same snapshot as a count, so decisions committed since decisionsBefore are accounted for.
            long headBefore;
            try (ResultSet rs = s.executeQuery("SELECT (SELECT seq FROM audit_head WHERE id = 1),"
                    + " (SELECT count(*) FROM decision)")) {
                rs.next();
                headBefore = rs.getLong(1) - (rs.getLong(2) - decisionsBefore);
            }
            long progress = 0;
            while (System.nanoTime() < deadline) {
                long head = auditHead(s) - headBefore;
                long now = System.nanoTime();
                if (head > progress) {
                    progress = head;
                    last = now;
                }
                if (head >= expected) {
                    done = count(s) - decisionsBefore; // other audit events may have come first: the table decides
                    if (done >= expected) {
                        last = now;
                        break;
                    }
                }
                if (runs.stream().noneMatch(Process::isAlive) && now - last > TimeUnit.SECONDS.toNanos(5)) {
                    done = count(s) - decisionsBefore;
                    break; // wrk has ended and nothing has committed for 5 s: what is missing will not come
                }
                Thread.sleep(20);
            }
        }
        Map<String, Long> cpu = account.get();
        // Every decision has committed: the answers are on their way. wrk ends on SIGINT as when its duration is up
        // (it prints its summary and the script's counts); a thread whose answers are all in has stopped already.
        if (done >= expected) {
            Thread.sleep(1000);
        }
        for (Process p : runs) {
            if (p.isAlive()) {
                new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
            }
        }
        List<Answers> answers = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            Process p = runs.get(i);
            if (!p.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L), TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            readers.get(i).join(10_000);
            String out = outputs.get(i).toString();
            Matcher m = SUMMARY.matcher(out);
            answers.add(m.find() ? new Answers(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)), out)
                    : new Answers(0, -1, 0, 0, out));
        }
        double seconds = (last - startNanos) / 1e9;
        return new Rate((int) done, seconds, done / seconds, answers, cpu);
    }

    /** The audit log's head: the sequence number of its last entry (one row, read by its key). */
    private static long auditHead(Statement s) throws java.sql.SQLException {
        try (ResultSet rs = s.executeQuery("SELECT seq FROM audit_head WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Decisions recorded so far (applications' and others'; the benchmarks make only applications). */
    public static long count(Statement s) throws java.sql.SQLException {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM decision")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Decisions recorded so far that approved an application (each benchmark application is approvable). */
    public static long approved(Supplier<Connection> database) throws java.sql.SQLException {
        try (Connection c = database.get(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM decision WHERE subject_kind = 'APPLICATION'"
                     + " AND outcome = 'APPROVED'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The same count, on a connection of its own. */
    public static long count(Supplier<Connection> database) throws java.sql.SQLException {
        try (Connection c = database.get(); Statement s = c.createStatement()) {
            return count(s);
        }
    }
}
