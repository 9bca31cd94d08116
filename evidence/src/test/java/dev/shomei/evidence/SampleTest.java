package dev.shomei.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The sample is a pure function of the seed and the candidate list, as docs/auditor-guide.md states it. */
class SampleTest {

    private static final byte[] SEED = HexFormat.of().parseHex(
            "6f1c2a9d0e4b7c3a5f8e1d2c4b6a8f0e1d3c5b7a9f2e4d6c8b0a1f3e5d7c9b2a");

    private static List<Sample.Candidate> history() {
        List<Sample.Candidate> list = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String outcome = i % 10 == 0 ? "REJECTED" : i % 7 == 0 ? "REFERRED" : "APPROVED";
            String decider = i % 13 == 0 ? "officer RA Officer Sato" : "system shomei-ra-approval@1";
            list.add(new Sample.Candidate(new UUID(0x1234L, i).toString(), "APPLICATION", outcome, decider));
        }
        return list;
    }

    @Test
    void theSameSeedAndCandidatesGiveTheSameSampleWhateverTheirOrder() {
        List<Sample.Candidate> a = history();
        List<Sample.Candidate> b = new ArrayList<>(a);
        Collections.shuffle(b, new java.util.Random(7));
        assertThat(Sample.draw(SEED, b, 4).chosen()).isEqualTo(Sample.draw(SEED, a, 4).chosen());
    }

    @Test
    void everyStratumIsSampledAndSmallStrataWhole() {
        Sample.Drawn d = Sample.draw(SEED, history(), 4);
        assertThat(d.chosen().keySet()).contains("APPLICATION / APPROVED / system shomei-ra-approval@1",
                "APPLICATION / REJECTED / system shomei-ra-approval@1", "APPLICATION / APPROVED / officer RA Officer Sato");
        d.chosen().forEach((stratum, ids) -> assertThat(ids).hasSize(Math.min(4, d.stratumSizes().get(stratum))));
    }

    @Test
    void theOrderIsHmacSha256OfTheDecisionIdUnderTheSeed() throws Exception {
        Sample.Drawn d = Sample.draw(SEED, history(), 1);
        String first = d.chosen().get("APPLICATION / APPROVED / system shomei-ra-approval@1").get(0);
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(SEED, "HmacSHA256"));
        byte[] firstRank = mac.doFinal(first.getBytes(StandardCharsets.UTF_8));
        for (Sample.Candidate c : history()) {
            if (c.stratum().equals("APPLICATION / APPROVED / system shomei-ra-approval@1")) {
                assertThat(java.util.Arrays.compareUnsigned(firstRank, Sample.rank(SEED, c.decisionId()))).isLessThanOrEqualTo(0);
            }
        }
    }

    @Test
    void anotherSeedDrawsAnotherSample() {
        byte[] other = SEED.clone();
        other[0] ^= 1;
        assertThat(Sample.draw(other, history(), 4).all()).isNotEqualTo(Sample.draw(SEED, history(), 4).all());
    }

    @Test
    void aSampleNeedsASeed() {
        assertThatThrownBy(() -> Sample.draw(new byte[0], history(), 4)).hasMessageContaining("seed");
    }
}
