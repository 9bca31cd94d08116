package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JlisControl;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad input gets a 4xx RFC 9457 problem naming it, and never costs an accepted application.
 * Inputs that can be attributed to a JPKI signer (valid signature, pinned issuer) are recorded with their
 * rejection; the others are refused before anything is stored.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class BadApplicationTest {

    static final JpkiPerson PERSON = JpkiPerson.hanako();
    static KeyPair cardKey;
    static SimulatedCard card;

    @BeforeAll
    static void card() {
        cardKey = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(cardKey, PERSON,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON));
    }

    static byte[] good() {
        return ApplicantClient.application(card, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()));
    }

    static Response problem(Response r, int status, String code) {
        r.then().statusCode(status).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo(code);
        assertThat(r.jsonPath().getInt("status")).isEqualTo(status);
        assertThat(r.jsonPath().getString("type")).endsWith("/" + code);
        assertThat(r.jsonPath().getString("title")).isNotBlank();
        assertThat(r.jsonPath().getString("detail")).isNotBlank();
        return r;
    }

    static SimulatedCard cardWith(X509Certificate cert) {
        return SimulatedCard.inSoftware(cardKey, PERSON, cert);
    }

    @Test
    void garbageBytes() {
        byte[] junk = new byte[2000];
        new SecureRandom().nextBytes(junk);
        problem(Ra.submit(junk), 400, "cms-malformed");
    }

    @Test
    void truncatedBody() {
        byte[] cms = good();
        problem(Ra.submit(Arrays.copyOf(cms, cms.length - 40)), 400, "cms-malformed");
    }

    @Test
    void oversizedBody() {
        byte[] big = Arrays.copyOf(good(), 70_000);
        Response r = problem(Ra.submit(big), 413, "body-too-large");
        assertThat(r.jsonPath().getString("detail")).contains("ra.application.max-bytes");
    }

    @Test
    void contentChangedAfterSigning() {
        byte[] cms = good();
        byte[] marker = "shomei-ra-application/1".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(cms, marker);
        assertThat(at).isPositive();
        cms[at + marker.length - 1] = '2';
        problem(Ra.submit(cms), 422, "cms-signature-invalid");
    }

    @Test
    void signerFromALookAlikeCaWithTheSameDn() {
        SimulatedCard c = cardWith(JpkiTestCa.signing(JpkiTestCa.lookAlike(), cardKey.getPublic(), PERSON));
        problem(Ra.submit(ApplicantClient.application(c, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()))),
                422, "jpki-issuer-unknown");
    }

    @Test
    void authenticationCertificateInsteadOfSigningCertificate() {
        SimulatedCard c = cardWith(JpkiTestCa.authentication(cardKey.getPublic()));
        Response r = problem(Ra.submit(ApplicantClient.application(c, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey()))), 422, "jpki-authentication-certificate");
        assertThat(r.jsonPath().getString("detail")).contains("署名用電子証明書");
    }

    @Test
    void expiredJpkiCertificateIsRecordedAndRejected() {
        Instant now = Instant.now();
        SimulatedCard c = cardWith(JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON,
                now.minus(Duration.ofDays(5 * 365)), now.minus(Duration.ofDays(1))));
        Response r = problem(Ra.submit(ApplicantClient.application(c, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey()))), 422, "jpki-certificate-expired");
        // Recorded in the books with its rejection, and decided by the system.
        String id = r.jsonPath().getString("applicationId");
        assertThat(Ra.status(id).getString("status")).isEqualTo("REJECTED");
        assertThat(Ra.status(id).getString("decision.decider.kind")).isEqualTo("SYSTEM");
    }

    @Test
    void notYetValidJpkiCertificate() {
        Instant now = Instant.now();
        SimulatedCard c = cardWith(JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON,
                now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(5 * 365))));
        problem(Ra.submit(ApplicantClient.application(c, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()))),
                422, "jpki-certificate-not-yet-valid");
    }

    @Test
    void revokedJpkiCertificate() {
        X509Certificate cert = JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), PERSON);
        JlisControl.revoke(cert.getSerialNumber());
        Response r = problem(Ra.submit(ApplicantClient.application(cardWith(cert), Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey()))), 422, "jpki-certificate-revoked");
        assertThat(r.jsonPath().getString("decision.evidence.revocationSource")).isEqualTo("OCSP");
    }

    @Test
    void claimedDateOfBirthDoesNotMatchTheCertificate() {
        problem(Ra.submit(ApplicantClient.application(card, Claim.of(PERSON).withBirthDate(PERSON.birthDate().plusDays(1)),
                ApplicantClient.csr(ApplicantClient.ecKey()))), 422, "identity-birth-date-mismatch");
    }

    @Test
    void csrWhoseSignatureFails() {
        byte[] csr = ApplicantClient.csr(ApplicantClient.ecKey());
        // The last bytes are the signature's: flip one.
        csr[csr.length - 3] ^= 0x01;
        problem(Ra.submit(ApplicantClient.application(card, Claim.of(PERSON), csr)), 422, "csr-signature-invalid");
    }

    @Test
    void csrWithAWeakKey() {
        Response r = problem(Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.rsaKey(1024)))), 422, "csr-key-too-weak");
        assertThat(r.jsonPath().getString("detail")).contains("1024").contains("2048");
    }

    @Test
    void unknownConsentDocument() {
        problem(Ra.submit(ApplicantClient.application(card, Claim.of(PERSON), ApplicantClient.csr(ApplicantClient.ecKey()),
                "consent-1999-01", ApplicantClient.CONSENT_SHA256)), 422, "consent-document-unknown");
    }

    @Test
    void signedContentThatIsNotAnApplication() {
        Response r = problem(Ra.submit(ApplicantClient.sign(card, "{\"format\":\"shomei-ra-application/1\"}"
                .getBytes(StandardCharsets.UTF_8))), 400, "application-content-malformed");
        assertThat(r.jsonPath().getString("field")).isEqualTo("csr");
    }

    @Test
    void badInputDoesNotDisturbAnAcceptedApplication() {
        byte[] cms = good();
        String id = Ra.submit(cms).then().statusCode(201).extract().jsonPath().getString("applicationId");
        problem(Ra.submit(Arrays.copyOf(cms, cms.length / 2)), 400, "cms-malformed");
        problem(Ra.submit(new byte[0]), 400, "body-empty");
        assertThat(Ra.status(id).getString("status")).isEqualTo("APPROVED");
        assertThat(Ra.submit(cms).jsonPath().getString("applicationId")).isEqualTo(id);
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
