package dev.shomei.ca.issuance;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The timing report an operator reads after the issuance benchmark. */
class IssuanceTimingsTest {

    @Test
    void eachMeasuredParallelPhaseGetsACoresLineEvenWhenItEndedBetweenTwoClockTicks() {
        var t = new IssuanceTimings();
        t.issued(4);
        // 10 ms of wall time while the process used 19 ms of CPU: 1.9 cores.
        t.add(IssuanceTimings.Phase.PREPARE, 10_000_000L, 19_000_000L);
        // Linux counts process CPU in 10 ms ticks: a 3 ms phase can read 0.
        t.add(IssuanceTimings.Phase.SIGN_AND_CHECK, 3_000_000L, 0L);
        // A phase whose process CPU the JVM could not read has no cores line.
        t.add(IssuanceTimings.Phase.CSR_CHECKS, 2_000_000L, -1L);

        String report = t.report();

        assertThat(report).containsPattern("cores build \\+ lint \\+ parse-back \\(parallel\\) +1\\.90 "
                + "\\(process CPU 4\\.750 ms per certificate\\)");
        assertThat(report).containsPattern("cores HSM sign \\+ post-signature check \\(parallel\\) +n/a \\(3\\.0 ms in all");
        assertThat(report).doesNotContain("cores CSR checks");
        assertThat(report).contains("over 4 certificates");

        t.reset();
        assertThat(t.report()).doesNotContain("cores");
    }
}
