package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.HostileCms;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.security.KeyPair;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JPKI signature checks from the failing side: each way a SignedData can fail to be a JPKI signing
 * certificate's signature over the application is refused with its own problem, and nothing is approved.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class JpkiSignatureFailingSideTest {

    static final JpkiPerson PERSON = JpkiPerson.of("署名", "確認", "1", java.time.LocalDate.of(1968, 3, 3),
            "北海道札幌市中央区北一条西二丁目1番地");
    static KeyPair cardKey;
    static SimulatedCard card;

    @BeforeAll
    static void card() {
        cardKey = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(cardKey, PERSON,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON));
    }

    static byte[] content() {
        return ApplicantClient.applicationContent(Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()));
    }

    static void refused(Response r, int status, String code) {
        r.then().statusCode(status).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo(code);
    }

    @Test
    void detachedContent() {
        refused(Ra.submit(HostileCms.detached(card, content())), 400, "cms-content-missing");
    }

    @Test
    void twoSigners() {
        KeyPair other = SimulatedCard.rsaKey();
        SimulatedCard second = SimulatedCard.inSoftware(other, JpkiPerson.taro(),
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, other.getPublic(), JpkiPerson.taro()));
        refused(Ra.submit(HostileCms.twoSigners(card, second, content())), 400, "cms-signer-count");
    }

    @Test
    void sha1Digest() {
        refused(Ra.submit(HostileCms.sha1(card, content())), 400, "cms-digest-algorithm");
    }

    @Test
    void noSignedAttributes() {
        refused(Ra.submit(HostileCms.withoutSignedAttributes(card, content())), 400, "cms-signed-attributes-missing");
    }

    @Test
    void aCertificateFromThePinnedCaWithoutNonRepudiation() {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard noNr = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signingLike(JpkiTestCa.GEN_2024,
                k.getPublic(), PERSON, "1.2.392.200149.8.5.1.0.20", KeyUsage.digitalSignature));
        refused(Ra.submit(ApplicantClient.sign(noNr, content())), 422, "jpki-not-signing-certificate");
    }

    @Test
    void aCertificateFromThePinnedCaWithoutTheSigningPolicy() {
        KeyPair k = SimulatedCard.rsaKey();
        SimulatedCard otherPolicy = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signingLike(JpkiTestCa.GEN_2024,
                k.getPublic(), PERSON, JpkiTestCa.POLICY_TEST_AUTHENTICATION,
                KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        Response r = Ra.submit(ApplicantClient.sign(otherPolicy, content()));
        refused(r, 422, "jpki-not-signing-certificate");
        assertThat(r.jsonPath().getString("detail")).contains(JpkiTestCa.POLICY_TEST_AUTHENTICATION);
    }

    @Test
    void aCsrForTheCardsOwnKeyIsNeverApproved() throws Exception {
        // The applicant asks for a certificate on the My Number card's key itself.
        byte[] csr = new JcaPKCS10CertificationRequestBuilder(
                new JcaX509CertificateHolder(card.certificate()).getSubject(), cardKey.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(cardKey.getPrivate())).getEncoded();

        Response r = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON), csr));

        assertThat(r.statusCode()).isIn(201, 422);
        assertThat(r.jsonPath().getString("status")).isNotEqualTo("APPROVED");
        assertThat(r.asString()).contains("csr-key-is-jpki-key");
    }
}
