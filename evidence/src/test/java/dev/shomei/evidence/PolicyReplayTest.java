package dev.shomei.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replay gives what ra-service's ApprovalPolicy.decide gives: the most severe outcome, unknown findings referred. */
class PolicyReplayTest {

    private static final byte[] POLICY = """
            {"id": "p", "version": "3", "csrKeys": {"rsaMinimumBits": 2048, "ecCurves": ["secp256r1"]},
             "outcomes": {"identity-name-mismatch": "REFERRED", "identity-gender-mismatch": "REJECTED",
                          "jlis-slow": "APPROVED"},
             "referAfterJlisUnavailable": "PT1H"}
            """.getBytes(StandardCharsets.UTF_8);

    @Test
    void theMostSevereOutcomeWins() throws Exception {
        PolicyReplay r = new PolicyReplay(POLICY);
        assertThat(r.label()).isEqualTo("p@3");
        assertThat(r.replay(List.of(), "APPROVED").mismatch()).isNull();
        assertThat(r.replay(List.of("identity-name-mismatch"), "REFERRED").mismatch()).isNull();
        assertThat(r.replay(List.of("identity-name-mismatch", "identity-gender-mismatch"), "REJECTED").mismatch()).isNull();
    }

    @Test
    void aFindingThePolicyDoesNotNameIsReferred() throws Exception {
        assertThat(new PolicyReplay(POLICY).replay(List.of("new-check"), "REFERRED").mismatch()).isNull();
        assertThat(new PolicyReplay(POLICY).replay(List.of("new-check"), "APPROVED").mismatch()).contains("REFERRED");
    }

    @Test
    void aDecisionThatDisagreesWithThePolicyIsCaught() throws Exception {
        assertThat(new PolicyReplay(POLICY).replay(List.of("identity-gender-mismatch"), "REFERRED").mismatch())
                .contains("gives REJECTED");
        // A recorded reason this policy approves: the decision was made under another policy.
        assertThat(new PolicyReplay(POLICY).replay(List.of("jlis-slow"), "APPROVED").mismatch()).contains("approves it");
    }
}
