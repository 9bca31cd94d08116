package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.HostileCms;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JPKI signature checks called directly, without the RA application (no Quarkus, no database), so that each
 * rule is pinned down in memory: every SignedData that cannot be attributed to a JPKI signing certificate is refused
 * with its own problem code and a detail naming what is wrong. {@code JpkiSignatureFailingSideTest} proves the same
 * refusals over HTTP.
 */
class JpkiSignatureVerifierTest {

    static final JpkiPerson PERSON = JpkiPerson.hanako();
    static final byte[] CONTENT = "{\"format\":\"test\"}".getBytes(StandardCharsets.UTF_8);
    static KeyPair cardKey;
    static SimulatedCard card;
    static JpkiSignatureVerifier verifier;

    @BeforeAll
    static void cardAndVerifier() {
        cardKey = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(cardKey, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON));
        verifier = new JpkiSignatureVerifier(SigningPolicyTest.ANCHORS, List.of(JpkiOids.POLICY_SIGNING_TEST));
    }

    private static RaProblem refused(byte[] cms, int status, String code) {
        RaProblem p = catchThrowableOfType(RaProblem.class, () -> verifier.verify(cms, "application", Instant.now()));
        assertThat(p).as("refused").isNotNull();
        assertThat(p.status()).as(p.detail()).isEqualTo(status);
        assertThat(p.code()).as(p.detail()).isEqualTo(code);
        return p;
    }

    @Test
    void aCardsSignatureVerifiesWithTheHoldersIdentityAndTheSignedContent() {
        Instant now = Instant.now();
        VerifiedSignature v = verifier.verify(HostileCms.signedAt(card, CONTENT, now.minusSeconds(60)), "application", now);
        assertThat(v.identity().name()).isEqualTo(PERSON.name());
        assertThat(v.identity().birthDate()).isEqualTo("319850412");
        assertThat(v.findings()).isEmpty();
        assertThat(v.content()).isEqualTo(CONTENT);
        assertThat(v.signer()).isEqualTo(card.certificate());
        assertThat(v.issuer().certificate()).isEqualTo(JpkiTestCa.GEN_2024.certificate());
    }

    @Test
    void whatIsNotACmsSignedDataIsRefusedAsMalformedNamingItsSize() {
        RaProblem p = refused(new byte[] {1, 2, 3}, 400, "cms-malformed");
        assertThat(p.detail()).contains("(3 bytes)").contains("application");
        byte[] good = ApplicantClient.sign(card, CONTENT);
        byte[] junk = Arrays.copyOf(good, good.length + 1);
        refused(junk, 400, "cms-malformed");
        refused(Arrays.copyOf(good, good.length - 1), 400, "cms-malformed");
    }

    @Test
    void aDetachedSignatureIsRefused() {
        assertThat(refused(HostileCms.detached(card, CONTENT), 400, "cms-content-missing").detail())
                .contains("detached");
    }

    @Test
    void twoSignersAreRefusedNamingTheCount() {
        KeyPair other = SimulatedCard.rsaKey();
        SimulatedCard second = SimulatedCard.inSoftware(other, JpkiPerson.taro(),
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, other.getPublic(), JpkiPerson.taro()));
        assertThat(refused(HostileCms.twoSigners(card, second, CONTENT), 400, "cms-signer-count").detail())
                .contains("has 2 signerInfos");
    }

    @Test
    void aSha1DigestIsRefusedNamingTheAlgorithm() {
        assertThat(refused(HostileCms.sha1(card, CONTENT), 400, "cms-digest-algorithm").detail())
                .contains("1.3.14.3.2.26").contains("SHA-256");
    }

    @Test
    void aSignatureWithoutSignedAttributesIsRefused() {
        refused(HostileCms.withoutSignedAttributes(card, CONTENT), 400, "cms-signed-attributes-missing");
    }

    @Test
    void contentChangedAfterSigningIsRefused() {
        byte[] cms = ApplicantClient.sign(card, CONTENT);
        byte[] changed = cms.clone();
        int at = indexOf(changed, CONTENT);
        changed[at + 2] ^= 0x01;
        assertThat(refused(changed, 422, "cms-signature-invalid").detail()).contains("content was changed after signing");
    }

    @Test
    void aSignatureByAnotherKeyThanTheCertificatesIsRefused() {
        KeyPair other = SimulatedCard.rsaKey();
        SimulatedCard wrongKey = SimulatedCard.inSoftware(other, PERSON, card.certificate());
        refused(ApplicantClient.sign(wrongKey, CONTENT), 422, "cms-signature-invalid");
    }

    @Test
    void anAuthenticationCertificateIsRefusedEvenThoughItsSignatureIsGood() {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard auth = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.authentication(k.getPublic()));
        assertThat(refused(ApplicantClient.sign(auth, CONTENT), 422, "jpki-authentication-certificate").detail())
                .contains(JpkiOids.AUTHENTICATION_CA_OU);
    }

    @Test
    void aCertificateFromALookAlikeCaIsRefusedNamingItsSerial() {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard fake = SimulatedCard.inSoftware(k, PERSON,
                JpkiTestCa.signing(JpkiTestCa.lookAlike(), k.getPublic(), PERSON));
        assertThat(refused(ApplicantClient.sign(fake, CONTENT), 422, "jpki-issuer-unknown").detail())
                .contains(fake.certificate().getSerialNumber().toString(16));
    }

    @Test
    void aCertificateWithoutNonRepudiationOrDigitalSignatureIsNotASigningCertificate() {
        for (int ku : new int[] {KeyUsage.digitalSignature, KeyUsage.nonRepudiation}) {
            KeyPair k = SimulatedCard.rsaKey();
            SimulatedCard c = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signingLike(JpkiTestCa.GEN_2024,
                    k.getPublic(), PERSON, JpkiOids.POLICY_SIGNING_TEST, ku));
            assertThat(refused(ApplicantClient.sign(c, CONTENT), 422, "jpki-not-signing-certificate").detail())
                    .contains("keyUsage");
        }
    }

    @Test
    void aCertificateUnderAnotherPolicyIsRefusedNamingIt() {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard c = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signingLike(JpkiTestCa.GEN_2024,
                k.getPublic(), PERSON, JpkiTestCa.POLICY_TEST_AUTHENTICATION,
                KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        assertThat(refused(ApplicantClient.sign(c, CONTENT), 422, "jpki-not-signing-certificate").detail())
                .contains(JpkiTestCa.POLICY_TEST_AUTHENTICATION).contains("ra.jpki.signing-policies");
    }

    @Test
    void anExpiredOrNotYetValidCertificateIsAFindingNotARefusal() {
        Instant now = Instant.now();
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard expired = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024,
                k.getPublic(), PERSON, now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(1))));
        assertThat(verifier.verify(ApplicantClient.sign(expired, CONTENT), "application", now).findings())
                .extracting(Finding::code).containsExactly("jpki-certificate-expired");

        SimulatedCard future = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024,
                k.getPublic(), PERSON, now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(400))));
        assertThat(verifier.verify(ApplicantClient.sign(future, CONTENT), "application", now).findings())
                .extracting(Finding::code).containsExactly("jpki-certificate-not-yet-valid");

        // At a moment inside the certificate's validity but outside the J-LIS CA's, the issuer is the finding.
        Instant afterCa = JpkiTestCa.GEN_2024.certificate().getNotAfter().toInstant().plusSeconds(1);
        SimulatedCard longLived = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024,
                k.getPublic(), PERSON, now.minus(Duration.ofDays(1)), afterCa.plus(Duration.ofDays(1))));
        assertThat(verifier.verify(ApplicantClient.sign(longLived, CONTENT), "application", afterCa).findings())
                .extracting(Finding::code).containsExactly("jpki-issuer-not-valid");
    }

    @Test
    void theSigningTimeIsReadWhenPresentAndEmptyWhenAbsent() {
        Instant at = Instant.parse("2026-11-30T10:15:30Z");
        assertThat(verifier.verify(HostileCms.signedAt(card, CONTENT, at), "application", Instant.now()).signingTime())
                .isEqualTo(at);
        assertThat(verifier.verify(HostileCms.withoutSigningTime(card, CONTENT), "application", Instant.now())
                .signingTime()).isNull();
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("content not found in the SignedData");
    }
}
