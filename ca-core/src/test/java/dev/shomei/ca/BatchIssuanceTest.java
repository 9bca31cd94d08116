package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CertificateIssuer.IssueRequest;
import dev.shomei.ca.issuance.CertificateIssuer.Outcome;
import dev.shomei.ca.issuance.CsrException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A batch of requests (an order bundle) is issued in one transaction, each request exactly once. */
class BatchIssuanceTest {

    @Test
    void badRequestsAreRefusedAloneAndARerunIssuesNothingTwice() throws Exception {
        try (CaFixture f = CaFixture.create("batch", "EC-P256", "EC-P256")) {
            f.ceremony();
            List<IssueRequest> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                batch.add(new IssueRequest("order-" + i, CaFixture.csr("CN=Subscriber " + i + ",C=JP",
                        CaFixture.ecKey("secp256r1")), "subscriber-signature"));
            }
            batch.add(5, new IssueRequest("order-weak", CaFixture.csr("CN=Weak,C=JP", CaFixture.rsaKey(1024)),
                    "subscriber-signature"));
            batch.add(new IssueRequest("order-3", batch.get(3).csr(), "subscriber-signature"));

            var issuer = f.ca.issuer();
            List<Outcome> first = issuer.issueAll(batch);
            assertThat(first).hasSize(22);
            assertThat(first.get(5).refusal()).isInstanceOf(CsrException.class).hasMessageContaining("1024 bits");
            assertThat(first.get(21).refusal()).isInstanceOf(CaOperationException.class)
                    .hasMessageContaining("order-3 appears more than once");
            assertThat(first.stream().filter(Outcome::ok).count()).isEqualTo(20);
            assertThat(first.stream().filter(Outcome::ok).map(o -> o.issued().certificate().getSerialNumber()).distinct())
                    .hasSize(20);
            assertThat(first.get(0).requestId()).isEqualTo("order-0");
            assertThat(f.count("certificate")).isEqualTo(20);
            // The issuer's timings (what the issuance benchmark prints): the 20 new certificates, and for each parallel
            // phase the process's CPU over it beside its wall time.
            assertThat(issuer.timings().certificates()).isEqualTo(20);
            assertThat(issuer.timings().report()).contains("cores CSR checks (parallel)",
                    "cores build + lint + parse-back (parallel)", "cores HSM sign + post-signature check (parallel)");

            // The same bundle again (say the CA restarted before it reported): the same certificates, none new.
            List<Outcome> again = f.ca.issuer().issueAll(batch.subList(0, 21));
            for (int i = 0; i < 21; i++) {
                if (first.get(i).ok()) {
                    assertThat(again.get(i).issued().alreadyIssued()).isTrue();
                    assertThat(again.get(i).issued().certificate()).isEqualTo(first.get(i).issued().certificate());
                }
            }
            assertThat(f.count("certificate")).isEqualTo(20);
            assertThat(f.events().stream().filter(e -> e.startsWith("issued"))).hasSize(20);
        }
    }
}
