package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The accepted JPKI certificate policies are configuration (ra.jpki.signing-policies): a smartphone signing
 * certificate, issued under its own policy, is accepted only where the operator lists that policy.
 */
class SigningPolicyTest {

    /** Stands for the smartphone signing certificate's policy (a test OID: the real one comes from J-LIS). */
    static final String SMARTPHONE_POLICY = "1.3.6.1.4.1.99999.8.5.1.20";

    static final JpkiTrustAnchors ANCHORS = new JpkiTrustAnchors(List.of(
            new JpkiTrustAnchorsTest.Anchor("classpath:jpki-test/sign-ca-2024.pem",
                    "4B:53:C4:D4:A5:3F:F8:45:E0:8F:AB:A3:43:35:B3:49:39:6E:90:BB:7C:0F:F5:28:2F:48:27:18:13:FF:F1:81",
                    Optional.empty(), false, Optional.empty(), Optional.empty())));

    @Test
    void aSmartphoneShapedCertificateIsAcceptedOnlyWhenItsPolicyIsConfigured() {
        KeyPair k = SimulatedCard.rsaKey();
        JpkiPerson p = JpkiPerson.hanako();
        SimulatedCard phone = SimulatedCard.inSoftware(k, p,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), p, SMARTPHONE_POLICY));
        byte[] cms = ApplicantClient.sign(phone, "{}".getBytes(StandardCharsets.UTF_8));

        JpkiSignatureVerifier cardsOnly = new JpkiSignatureVerifier(ANCHORS, List.of(JpkiOids.POLICY_SIGNING_TEST));
        assertThatThrownBy(() -> cardsOnly.verify(cms, "application", Instant.now()))
                .isInstanceOf(RaProblem.class)
                .hasMessageContaining(SMARTPHONE_POLICY).hasMessageContaining("ra.jpki.signing-policies");

        JpkiSignatureVerifier withPhones = new JpkiSignatureVerifier(ANCHORS,
                List.of(JpkiOids.POLICY_SIGNING_TEST, SMARTPHONE_POLICY));
        VerifiedSignature v = withPhones.verify(cms, "application", Instant.now());
        assertThat(v.identity().name()).isEqualTo(p.name());
        assertThat(v.findings()).isEmpty();
    }

    @Test
    void anAddressAbroadNeverBreaksParsing() throws Exception {
        KeyPair k = SimulatedCard.rsaKey();
        JpkiPerson abroad = JpkiPerson.hanako().withAddress("Flat 2, 10 Downing Street, London SW1A 2AA, United Kingdom");
        JpkiIdentity id = JpkiIdentity.from(JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), abroad));
        assertThat(id.address()).isEqualTo(abroad.address());
    }
}
