package dev.shomei.ca;

import dev.shomei.ca.CrashScenario.Flow;
import dev.shomei.ca.CrashScenario.Mode;
import dev.shomei.ca.fault.CrashPoints;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fault suite (docs/faults.md; {@code bin/test-faults}, Maven profile {@code fault}): every crash point of
 * issuing from an order bundle, revoking, CRL issuance and the pull loop's fetch and delivery, each crashed in-process, with PostgreSQL killed at the
 * point, and both; a few as a real SIGKILL of a child JVM. After each crash, a restart and a rerun, the CA's
 * invariants hold ({@link CrashScenario#assertInvariants}). The suite prints how many crash points it exercised and
 * what each left behind.
 */
@Tag("fault")
class CrashPointSuiteTest {

    private static final List<String> SUMMARY = new CopyOnWriteArrayList<>();
    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    static Stream<Arguments> crashes() {
        List<Arguments> out = new ArrayList<>();
        // Orders: issue batch (3 certificates), then the revocation, then the results; the audit appends are, in
        // order, 3 × certificate.issued, certificate.revoked, then 4 × order.* (so #4 is the revocation's).
        Object[][] orders = {
                {CrashPoints.AFTER_INTENT, 1}, {CrashPoints.AFTER_HSM_SIGN, 1}, {CrashPoints.BEFORE_COMMIT, 1},
                {CrashPoints.DURING_AUDIT_APPEND, 1}, {CrashPoints.DURING_AUDIT_APPEND, 4},
                {CrashPoints.DURING_AUDIT_APPEND, 5}, {CrashPoints.DURING_ORDER_INGEST, 1},
                {CrashPoints.AFTER_COMMIT_BEFORE_RESULT_FILE, 1}};
        Object[][] crls = {
                {CrashPoints.AFTER_INTENT, 1}, {CrashPoints.AFTER_HSM_SIGN, 1}, {CrashPoints.DURING_AUDIT_APPEND, 1},
                {CrashPoints.BEFORE_COMMIT, 1}, {CrashPoints.AFTER_COMMIT_BEFORE_RESULT_FILE, 1},
                {CrashPoints.DURING_CRL_WRITE, 1}};
        // Pull: `ca orders pull --once` against an RA over mutual TLS: the bundle fetched, executed (a signing
        // point inside it too), delivered; then the CRL the revocation makes due. The first delivery of a pass is the
        // setup bundle's result (imported from a file, never posted; the RA has it already), so #2 is the bundle's.
        Object[][] pulls = {
                {CrashPoints.PULL_AFTER_FETCH, 1}, {CrashPoints.AFTER_HSM_SIGN, 1},
                {CrashPoints.PULL_BEFORE_DELIVERY, 1}, {CrashPoints.PULL_AFTER_DELIVERY, 2}};
        for (Mode m : List.of(Mode.PROCESS, Mode.DATABASE, Mode.BOTH)) {
            for (Object[] p : orders) {
                out.add(Arguments.of(Flow.ORDERS, p[0], p[1], m));
            }
            for (Object[] p : crls) {
                out.add(Arguments.of(Flow.CRL, p[0], p[1], m));
            }
            for (Object[] p : pulls) {
                out.add(Arguments.of(Flow.PULL, p[0], p[1], m));
            }
        }
        // A real kill -9 at a few points.
        out.add(Arguments.of(Flow.ORDERS, CrashPoints.AFTER_HSM_SIGN, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.ORDERS, CrashPoints.DURING_ORDER_INGEST, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.ORDERS, CrashPoints.AFTER_COMMIT_BEFORE_RESULT_FILE, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.CRL, CrashPoints.AFTER_INTENT, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.CRL, CrashPoints.DURING_CRL_WRITE, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.PULL, CrashPoints.PULL_AFTER_FETCH, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.PULL, CrashPoints.PULL_BEFORE_DELIVERY, 1, Mode.KILL9));
        out.add(Arguments.of(Flow.PULL, CrashPoints.PULL_AFTER_DELIVERY, 2, Mode.KILL9));
        // -Dshomei.fault.flows=PULL (comma-separated flow names) runs only those flows' crashes.
        String only = System.getProperty("shomei.fault.flows", "");
        return only.isBlank() ? out.stream() : out.stream().filter(a -> List.of(only.toUpperCase().split(","))
                .contains(((Flow) a.get()[0]).name()));
    }

    @ParameterizedTest(name = "{0} crashed at {1} #{2} ({3})")
    @MethodSource("crashes")
    void afterACrashAndARerunNothingIsLostOrDuplicated(Flow flow, String point, int nth, Mode mode) throws Exception {
        String name = "suite" + RUNS.incrementAndGet(); // a SoftHSM2 token label has at most 32 characters
        try (CrashScenario s = CrashScenario.create(name)) {
            CrashScenario.Outcome o = s.crashAndRerun(flow, point, nth, mode);
            s.assertInvariants(flow);
            SUMMARY.add(String.format("%-6s %-32s #%d %-8s after the crash: %s; after the rerun: invariants hold%s",
                    flow, point, nth, mode, o.state(), s.voidReasons().isEmpty() ? "" : " (voided: "
                            + s.voidReasons().replaceAll("; nothing.*?ones\\)", "") + ")"));
        }
    }

    @AfterAll
    static void printSummary() {
        System.out.println("fault suite: " + SUMMARY.size() + " crash(es) exercised, "
                + SUMMARY.stream().map(l -> l.substring(7, 40).strip()).distinct().count() + " distinct crash points:");
        SUMMARY.stream().sorted().forEach(l -> System.out.println("  " + l));
    }
}
