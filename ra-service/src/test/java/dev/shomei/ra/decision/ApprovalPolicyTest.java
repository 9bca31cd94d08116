package dev.shomei.ra.decision;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped policy file, as data: the most severe finding wins, and unknown findings never approve. */
class ApprovalPolicyTest {

    static final ApprovalPolicy POLICY = ApprovalPolicy.load("classpath:policy/approval-policy-v1.json");

    @Test
    void noFindingsIsApproval() {
        assertThat(POLICY.decide(List.of())).isEqualTo(new Decision(Outcome.APPROVED, List.of()));
    }

    @Test
    void theMostSevereFindingDecidesAndAllNonApprovingOnesAreReasons() {
        Finding name = new Finding("identity-name-mismatch", "n");
        Finding revoked = new Finding("jpki-certificate-revoked", "r");
        Decision d = POLICY.decide(List.of(name, revoked));
        assertThat(d.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(d.reasons()).containsExactly(name, revoked);
        assertThat(POLICY.decide(List.of(name)).outcome()).isEqualTo(Outcome.REFERRED);
    }

    @Test
    void aFindingThePolicyDoesNotNameGoesToAnOfficer() {
        assertThat(POLICY.decide(List.of(new Finding("some-future-check", "x"))).outcome()).isEqualTo(Outcome.REFERRED);
    }

    @Test
    void thePolicyIsIdentifiedByIdVersionAndDigest() {
        assertThat(POLICY.id()).isEqualTo("shomei-ra-approval");
        assertThat(POLICY.version()).isEqualTo("1");
        assertThat(POLICY.digestHex()).hasSize(64);
        assertThat(POLICY.referAfterJlisUnavailable()).isPositive();
    }
}
