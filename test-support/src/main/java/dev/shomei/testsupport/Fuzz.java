package dev.shomei.testsupport;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the fuzz targets share (docs/fuzzing.md): a mutator that turns valid sample inputs (real CMS, CSR, bundle,
 * tar, OCSP and JSON bytes) into hostile ones, and a {@link Target} that counts inputs, tells a documented refusal
 * from a crash, spots hangs and prints the figures {@code bin/fuzz} collects.
 *
 * <p>The mutations are the ones that break parsers of signed, length-prefixed and textual formats: bit flips,
 * interesting byte values, truncation, insertion, deletion, splicing two samples, duplicated ranges, DER length
 * corruption (X.690 section 8.1.3: short, long and indefinite forms, lengths past the end), and for JSON a key
 * given twice (RFC 8259 section 4), a value replaced by another type, and deep nesting.
 *
 * <p>Zone: tests only. Deterministic: the same {@link Random} gives the same input.
 */
public final class Fuzz {

    /** The number of inputs per target: {@code -Dfuzz.tries} (the fuzz profile sets a million; the tests a slice). */
    public static int tries() {
        return Integer.getInteger("fuzz.tries", 1000);
    }

    /** The run's seed ({@code -Dfuzz.seed}); mixed into every input so that another seed explores other inputs. */
    public static long seed() {
        return Long.getLong("fuzz.seed", 20261203L);
    }

    private Fuzz() {}

    /**
     * The input of try {@code n} of a run: a sample and a mutation both drawn from the run's {@link #seed()} and
     * {@code n} alone, so a target is a plain loop over {@code 0 <= n < tries()} and any input can be made again
     * from its try number. Tries are independent of each other and of the order they run in.
     */
    public static byte[] input(List<byte[]> samples, long n) {
        SplittableRandom r = new SplittableRandom(seed() ^ Long.rotateLeft(n * 0xBF58476D1CE4E5B9L, 31));
        return mutate(samples, r.nextInt(1 << 20), r.nextLong());
    }

    /** One to four stacked mutations of {@code samples[index]}; now and then the sample itself, unchanged. */
    public static byte[] mutate(List<byte[]> samples, int index, long random) {
        Random r = new Random(random * 0x9E3779B97F4A7C15L + seed());
        byte[] b = samples.get(Math.floorMod(index, samples.size()));
        if (r.nextInt(64) == 0) {
            return b.clone();
        }
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            b = once(b, samples, r);
        }
        return b;
    }

    private static final byte[] INTERESTING = {0x00, (byte) 0xff, 0x7f, (byte) 0x80, 0x01, (byte) 0x81, (byte) 0x82,
            (byte) 0x84, 0x30, 0x31, 0x04, 0x05, 0x06, 0x02, 0x03, 0x0c, 0x13, 0x17, 0x18, (byte) 0xa0, '"', '{', '}',
            '[', ']', ',', ':', '\\', '0', '9', '-', '.', 'e', '/'};

    private static byte[] once(byte[] b, List<byte[]> samples, Random r) {
        if (b.length == 0) {
            return new byte[] {INTERESTING[r.nextInt(INTERESTING.length)]};
        }
        switch (r.nextInt(12)) {
            case 0, 1 -> { // bit flips
                byte[] o = b.clone();
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    o[r.nextInt(o.length)] ^= (byte) (1 << r.nextInt(8));
                }
                return o;
            }
            case 2 -> { // an interesting byte value
                byte[] o = b.clone();
                o[r.nextInt(o.length)] = INTERESTING[r.nextInt(INTERESTING.length)];
                return o;
            }
            case 3 -> { // truncation
                return java.util.Arrays.copyOf(b, r.nextInt(b.length));
            }
            case 4 -> { // insertion of random or interesting bytes
                int at = r.nextInt(b.length + 1);
                byte[] ins = new byte[1 + r.nextInt(r.nextBoolean() ? 4 : 64)];
                for (int i = 0; i < ins.length; i++) {
                    ins[i] = r.nextBoolean() ? (byte) r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)];
                }
                return splice(b, at, at, ins);
            }
            case 5 -> { // deletion of a range
                int from = r.nextInt(b.length);
                int to = Math.min(b.length, from + 1 + r.nextInt(Math.max(1, Math.min(256, b.length - from))));
                return splice(b, from, to, new byte[0]);
            }
            case 6 -> { // splicing: the head of one sample, the tail of another
                byte[] other = samples.get(r.nextInt(samples.size()));
                int cut = r.nextInt(b.length + 1);
                int otherCut = r.nextInt(other.length + 1);
                return splice(b, cut, b.length, java.util.Arrays.copyOfRange(other, otherCut, other.length));
            }
            case 7 -> { // a range duplicated in place
                int from = r.nextInt(b.length);
                int to = Math.min(b.length, from + 1 + r.nextInt(64));
                return splice(b, to, to, java.util.Arrays.copyOfRange(b, from, to));
            }
            case 8, 9 -> {
                return derLength(b, r);
            }
            default -> {
                return looksLikeJson(b) ? json(b, r) : derLength(b, r);
            }
        }
    }

    /** Rewrites the length octets of one TLV found by walking the DER (X.690 section 8.1.3). */
    static byte[] derLength(byte[] b, Random r) {
        List<int[]> tlvs = new ArrayList<>(); // {offset of the length octets, their count}
        walk(b, 0, b.length, 0, tlvs);
        if (tlvs.isEmpty()) {
            byte[] o = b.clone();
            o[r.nextInt(o.length)] = (byte) 0x80;
            return o;
        }
        int[] t = tlvs.get(r.nextInt(tlvs.size()));
        int old = decodedLength(b, t[0]);
        byte[] repl = switch (r.nextInt(8)) {
            case 0 -> new byte[] {(byte) 0x80};                                       // indefinite (BER, not DER)
            case 1 -> new byte[] {(byte) 0x84, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}; // 4 GiB
            case 2 -> new byte[] {(byte) 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0};            // longer than any int
            case 3 -> new byte[] {(byte) 0x81, (byte) Math.min(0x7f, Math.max(0, old))}; // non-minimal form
            case 4 -> encodeLength(Math.max(0, old + 1));
            case 5 -> encodeLength(Math.max(0, old - 1));
            case 6 -> encodeLength(0);
            default -> encodeLength(r.nextInt(1 << (1 + r.nextInt(20))));
        };
        return splice(b, t[0], t[0] + t[1], repl);
    }

    private static void walk(byte[] b, int from, int to, int depth, List<int[]> out) {
        int p = from;
        while (p < to && depth < 12 && out.size() < 256) {
            int tag = b[p] & 0xff;
            int lp = p + 1;
            if ((tag & 0x1f) == 0x1f) { // high tag number form
                while (lp < to && (b[lp] & 0x80) != 0) {
                    lp++;
                }
                lp++;
            }
            if (lp >= to) {
                return;
            }
            int first = b[lp] & 0xff;
            int lenOctets = first < 0x80 ? 1 : 1 + (first & 0x7f);
            if (first == 0x80 || lenOctets > 5 || lp + lenOctets > to) {
                return;
            }
            long len = decodedLength(b, lp);
            int body = lp + lenOctets;
            if (len < 0 || body + len > to) {
                return;
            }
            out.add(new int[] {lp, lenOctets});
            if ((tag & 0x20) != 0) { // constructed: its contents are TLVs too
                walk(b, body, (int) (body + len), depth + 1, out);
            } else if (tag == 0x04 || tag == 0x03) { // octet and bit strings often wrap DER
                walk(b, body + (tag == 0x03 ? 1 : 0), (int) (body + len), depth + 1, out);
            }
            p = (int) (body + len);
        }
    }

    private static int decodedLength(byte[] b, int at) {
        int first = b[at] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int n = first & 0x7f;
        long v = 0;
        for (int i = 1; i <= n && at + i < b.length; i++) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v > Integer.MAX_VALUE ? -1 : (int) v;
    }

    private static byte[] encodeLength(int len) {
        if (len < 0x80) {
            return new byte[] {(byte) len};
        }
        if (len < 0x100) {
            return new byte[] {(byte) 0x81, (byte) len};
        }
        if (len < 0x10000) {
            return new byte[] {(byte) 0x82, (byte) (len >> 8), (byte) len};
        }
        return new byte[] {(byte) 0x83, (byte) (len >> 16), (byte) (len >> 8), (byte) len};
    }

    private static boolean looksLikeJson(byte[] b) {
        for (byte x : b) {
            if (x == ' ' || x == '\n' || x == '\r' || x == '\t') {
                continue;
            }
            return x == '{' || x == '[';
        }
        return false;
    }

    private static final Pattern KEY_VALUE = Pattern.compile(
            "\"([^\"\\\\]{1,64}+)\"\\s*+:\\s*+(\"[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\"|-?[0-9.eE+-]++|true|false|null)");
    private static final String[] VALUES = {"null", "true", "0", "-1", "1e999", "123456789012345678901234567890",
            "\"\"", "\" \"", "[]", "{}", "[null]", "\"\\u0000\"", "\"\\ud800\"", "\"1985-02-30\"", "\"+999999999-12-31\"",
            "\"" + "A".repeat(5000) + "\"", "\"..\\/..\\/etc\"", "{\"a\":{\"b\":[]}}", "[" .repeat(2000) + "]".repeat(2000)};

    /** JSON-aware mutations: a key given twice, a value swapped for another type, nesting, a trailing document. */
    static byte[] json(byte[] b, Random r) {
        String s = new String(b, StandardCharsets.UTF_8);
        List<int[]> pairs = new ArrayList<>(); // {start, end, valueStart}
        Matcher m = KEY_VALUE.matcher(s);
        while (m.find()) {
            pairs.add(new int[] {m.start(), m.end(), m.start(2)});
        }
        if (pairs.isEmpty()) {
            return derLength(b, r);
        }
        int[] p = pairs.get(r.nextInt(pairs.size()));
        String out = switch (r.nextInt(5)) {
            // The same key again, with another value: two readers could see two documents (RFC 8259 section 4).
            case 0 -> s.substring(0, p[1]) + "," + s.substring(p[0], p[2]) + VALUES[r.nextInt(VALUES.length)]
                    + s.substring(p[1]);
            case 1 -> s.substring(0, p[1]) + "," + s.substring(p[0], p[1]) + s.substring(p[1]); // exact duplicate
            case 2 -> s.substring(0, p[2]) + VALUES[r.nextInt(VALUES.length)] + s.substring(p[1]);
            case 3 -> s.substring(0, p[0]) + s.substring(Math.min(s.length(), p[1] + 1)); // a key removed
            default -> r.nextBoolean() ? s + s : "[" + s + "]";
        };
        return out.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        byte[] o = new byte[b.length - (to - from) + insert.length];
        System.arraycopy(b, 0, o, 0, from);
        System.arraycopy(insert, 0, o, from, insert.length);
        System.arraycopy(b, to, o, from + insert.length, b.length - to);
        return o;
    }

    /** The refusal a parser documents: an input ending so is a pass; any other throwable is a crash. */
    public interface Refusal {
        boolean is(Throwable t);
    }

    /** The call under test; returns normally when the parser accepted the input. */
    public interface Body {
        void run(byte[] input) throws Exception;
    }

    /**
     * Runs {@code body} for every try {@code 0 <= n < tries} on {@code threads} threads (thread {@code t} takes the
     * tries {@code n} with {@code n % threads == t}); each input depends on its try number alone ({@link #input}), so
     * the inputs are those of a one-thread run, in another order. The first failure (a crash or hang) stops every
     * thread and is thrown here.
     */
    public static void parallel(int threads, int tries, TryBody body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            running.add(Thread.ofPlatform().name("fuzz-" + t).start(() -> {
                try {
                    for (int n = first; n < tries && failure.get() == null; n += threads) {
                        body.run(n);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : running) {
            try {
                t.join(); // each thread ends after its tries, or at once after a failure; a hang is reported meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while fuzzing", e);
            }
        }
        Throwable f = failure.get();
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new AssertionError(f);
        }
    }

    /**
     * Runs the oracle of an accepted input: an assertion that fails is rethrown with the input (base64), so that an
     * input accepted when it should not have been can be replayed like a crash.
     */
    public static void oracle(byte[] input, Body assertions) {
        try {
            assertions.run(input);
        } catch (Throwable t) {
            throw new AssertionError("fuzz: ACCEPTED what the oracle refuses (" + t + ") on input (base64) "
                    + Base64.getEncoder().encodeToString(input), t);
        }
    }

    /**
     * Whether {@code text} is well-formed UTF-8, by the JDK's decoder (RFC 3629): what an oracle asks of accepted JSON
     * (RFC 8259 section 8.1) without trusting the parser under test, whose own check may be skipped (Jackson does
     * not re-check the bytes of a key it has read before).
     */
    public static boolean isUtf8(byte[] text) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(text));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }

    /** One try of {@link #parallel}: makes input {@code n} and checks it with a {@link Target}. */
    public interface TryBody {
        void run(int n) throws Exception;
    }

    /**
     * Counts one fuzz target's inputs and times each. An input whose checking thread spends more than
     * {@link #HANG_MILLIS} of CPU time on it, or that takes more than {@link #HANG_WALL_MILLIS} of wall time, is a
     * hang: a watchdog prints it (base64) with the stack while it runs, and the input fails when it returns. (CPU
     * time, so that a machine busy with other work, where a thread may wait seconds for a core, shows no hangs that
     * are not the parser's; wall time too, for a parser that waits rather than loops, or work done by other threads
     * such as a server's.) Several threads may check inputs of one target at once ({@link #parallel}).
     */
    public static final class Target {
        /** A parser that needs more than this CPU time for a bounded input (at most a few hundred KiB) is hanging. */
        public static final long HANG_MILLIS = 10_000;
        /** An input not done after this wall time is hanging, whatever the CPU time of the checking thread. */
        public static final long HANG_WALL_MILLIS = 60_000;
        private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
        /** How often a running target prints a {@code fuzz-progress} line. */
        static final long PROGRESS_SECONDS = 60;

        /** An input being checked, by the thread checking it. */
        private record Running(byte[] input, long start, long cpuStart) {
            boolean hanging(Thread thread, long now) {
                long cpu = CPU.getThreadCpuTime(thread.threadId());
                return now - start > HANG_WALL_MILLIS * 1_000_000
                        || (cpu >= 0 && cpu - cpuStart > HANG_MILLIS * 1_000_000);
            }
        }

        private final String name;
        private final Refusal refusal;
        private final AtomicLong accepted = new AtomicLong();
        private final AtomicLong refused = new AtomicLong();
        private final AtomicLong slowestNanos = new AtomicLong();
        private final AtomicLong crashes = new AtomicLong();
        private final AtomicLong hangs = new AtomicLong();
        private final AtomicLong busyNanos = new AtomicLong();
        private final AtomicLong firstStart = new AtomicLong();
        private final AtomicLong lastEnd = new AtomicLong();
        private final Map<Thread, Running> running = new ConcurrentHashMap<>();
        private final Thread watchdog;

        public Target(String name, Refusal refusal) {
            this.name = name;
            this.refusal = refusal;
            this.watchdog = Thread.ofPlatform().daemon().name("fuzz-watchdog-" + name).start(() -> {
                Set<Running> reported = new HashSet<>();
                long ticks = 0;
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        Thread.sleep(1000); // a watchdog's period, not a wait for a result
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (++ticks % PROGRESS_SECONDS == 0 && inputs() > 0) {
                        // A long run shows how far it got, so one stopped early still has figures to report.
                        System.out.printf(java.util.Locale.ROOT, "fuzz-progress %s: %d inputs (%d accepted) at %s%n",
                                name, inputs(), accepted.get(), java.time.Instant.now());
                    }
                    reported.retainAll(running.values());
                    running.forEach((thread, in) -> {
                        if (!reported.contains(in) && in.hanging(thread, System.nanoTime())) {
                            reported.add(in);
                            StringBuilder sb = new StringBuilder("fuzz " + name + ": HANG on input (base64) "
                                    + Base64.getEncoder().encodeToString(in.input()) + "\n");
                            for (StackTraceElement e : thread.getStackTrace()) {
                                sb.append("    at ").append(e).append('\n');
                            }
                            System.err.print(sb);
                        }
                    });
                }
            });
        }

        /** Runs one input: true if accepted, false if refused as documented; a crash or hang is an AssertionError. */
        public boolean check(byte[] input, Body body) {
            long cpuStart = CPU.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            firstStart.compareAndSet(0, start);
            running.put(Thread.currentThread(), new Running(input, start, cpuStart));
            boolean ok;
            try {
                body.run(input);
                ok = true;
            } catch (Throwable t) {
                if (!refusal.is(t)) {
                    crashes.incrementAndGet();
                    throw new AssertionError("fuzz " + name + ": CRASH (" + t + ") on input (base64) "
                            + Base64.getEncoder().encodeToString(input), t);
                }
                ok = false;
            } finally {
                running.remove(Thread.currentThread());
            }
            long took = System.nanoTime() - start;
            long tookCpu = CPU.getCurrentThreadCpuTime() - cpuStart;
            busyNanos.addAndGet(took);
            lastEnd.accumulateAndGet(start + took, Math::max);
            slowestNanos.accumulateAndGet(took, Math::max);
            if (tookCpu > HANG_MILLIS * 1_000_000 || took > HANG_WALL_MILLIS * 1_000_000) {
                hangs.incrementAndGet();
                throw new AssertionError("fuzz " + name + ": HANG (" + took / 1_000_000 + " ms, "
                        + tookCpu / 1_000_000 + " ms of CPU) on input (base64) "
                        + Base64.getEncoder().encodeToString(input));
            }
            (ok ? accepted : refused).incrementAndGet();
            return ok;
        }

        public long inputs() {
            return accepted.get() + refused.get();
        }

        public long accepted() {
            return accepted.get();
        }

        /** Prints the figures (one line starting "fuzz-result", which bin/fuzz collects) and stops the watchdog. */
        public String report() {
            watchdog.interrupt();
            // From this target's first input to its last (a class's properties run one after another), generating
            // and mutating included; the share spent inside the parser is printed too.
            double seconds = (lastEnd.get() - firstStart.get()) / 1e9;
            String line = String.format(java.util.Locale.ROOT,
                    "fuzz-result %s: %d inputs (%d accepted, %d refused), %d crashes, %d hangs, %.1f s, %.0f inputs/s,"
                            + " %.0f%% of it in the parser, slowest input %.1f ms, seed %d",
                    name, inputs(), accepted.get(), refused.get(), crashes.get(), hangs.get(), seconds, inputs() / seconds,
                    seconds > 0 ? 100 * busyNanos.get() / 1e9 / seconds : 0, slowestNanos.get() / 1e6, seed());
            System.out.println(line);
            return line;
        }
    }
}
