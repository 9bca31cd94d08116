package dev.shomei.ra.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.application.ApplicationContent;
import dev.shomei.ra.jpki.JpkiSignatureVerifier;
import dev.shomei.ra.jpki.JpkiTrustAnchors;
import dev.shomei.ra.jpki.VerifiedSignature;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationContent;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import dev.shomei.testsupport.Fuzz;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what an applicant sends the RA (docs/fuzzing.md): the JPKI-signed CMS of applications and revocation
 * requests ({@link JpkiSignatureVerifier#verify}) and the signed JSON inside ({@link ApplicationContent#parse},
 * {@link RevocationContent#parse}), from mutations of real card-signed samples. Every input ends accepted or in a
 * {@link RaProblem} with a 4xx status (never a 5xx); an accepted CMS carries exactly what the card signed.
 *
 * <p>Zone: tests only (online-zone code, in memory: no HTTP server, no database).
 */
@Tag("fuzz")
class SignedRequestFuzzTest {

    static List<byte[]> cmsSamples;
    static List<byte[]> applicationSamples;
    static List<byte[]> revocationSamples;
    static final Set<String> signedContents = new HashSet<>();
    static JpkiSignatureVerifier verifier;
    static Fuzz.Target cmsTarget;
    static Fuzz.Target applicationTarget;
    static Fuzz.Target revocationTarget;

    /** The RA's documented refusal: an RFC 9457 problem with a client-error status. */
    static boolean refusal(Throwable t) {
        return t instanceof RaProblem p && p.status() >= 400 && p.status() < 500;
    }

    record Anchor(String path, String sha256) implements RaConfig.TrustAnchor {
        public Optional<String> name() { return Optional.of("test 2024"); }
        public boolean operatorSupplied() { return false; }
        public Optional<String> issuedFrom() { return Optional.empty(); }
        public Optional<String> issuedUntil() { return Optional.empty(); }
    }

    @BeforeAll
    static void samples() throws Exception {
        JpkiPerson person = JpkiPerson.hanako();
        KeyPair cardKey = SimulatedCard.rsaKey();
        SimulatedCard card = SimulatedCard.inSoftware(cardKey, person,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, cardKey.getPublic(), person));
        applicationSamples = new ArrayList<>(List.of(
                ApplicantClient.applicationContent(Claim.of(person), ApplicantClient.csr(ApplicantClient.ecKey())),
                ApplicantClient.applicationContent(Claim.of(person), ApplicantClient.csr(ApplicantClient.rsaKey(2048)))));
        revocationSamples = new ArrayList<>(List.of(
                ApplicantClient.json(java.util.Map.of("format", RevocationContent.FORMAT,
                        "applicationId", "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e4b7c10", "reason", "keyCompromise")),
                ApplicantClient.json(java.util.Map.of("format", RevocationContent.FORMAT,
                        "applicationId", "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e4b7c10", "certificateSerial", "7a3f09",
                        "reason", "cessationOfOperation"))));
        cmsSamples = new ArrayList<>();
        for (byte[] content : List.of(applicationSamples.get(0), applicationSamples.get(1), revocationSamples.get(0))) {
            cmsSamples.add(ApplicantClient.sign(card, content));
            signedContents.add(ConfiguredFile.sha256Hex(content));
        }
        String sha = ConfiguredFile.sha256Hex(JpkiTestCa.GEN_2024.certificate().getEncoded());
        verifier = new JpkiSignatureVerifier(new JpkiTrustAnchors(List.of(
                new Anchor("classpath:jpki-test/sign-ca-2024.pem", sha))), List.of("1.2.392.200149.8.5.1.0.20"));
        cmsTarget = new Fuzz.Target("ra-service JpkiSignatureVerifier.verify (application/revocation CMS)",
                SignedRequestFuzzTest::refusal);
        applicationTarget = new Fuzz.Target("ra-service ApplicationContent.parse (application JSON)",
                SignedRequestFuzzTest::refusal);
        revocationTarget = new Fuzz.Target("ra-service RevocationContent.parse (revocation JSON)",
                SignedRequestFuzzTest::refusal);
    }

    @AfterAll
    static void report() {
        List<Fuzz.Target> run = List.of(cmsTarget, applicationTarget, revocationTarget).stream()
                .filter(t -> t.inputs() > 0).toList();
        run.forEach(Fuzz.Target::report);
        run.forEach(t -> assertThat(t.accepted()).as("the unchanged samples are accepted").isPositive());
    }

    @Test
    void anAcceptedCmsCarriesWhatTheCardSigned() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(cmsSamples, n);
            VerifiedSignature[] v = new VerifiedSignature[1];
            if (cmsTarget.check(input, in -> v[0] = verifier.verify(in, "application", Instant.now()))) {
                assertThat(signedContents).as("the accepted content is one the card signed")
                        .contains(ConfiguredFile.sha256Hex(v[0].content()));
            }
        }
    }

    @Test
    void applicationContentIsParsedOrRefused() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(applicationSamples, n);
            ApplicationContent[] c = new ApplicationContent[1];
            // What the RA goes on to read from an accepted document (the CSR's DER) must not fail either.
            if (applicationTarget.check(input, in -> (c[0] = ApplicationContent.parse(in)).csrDer())) {
                assertThat(ApplicationContent.GENDER_CODES).containsKey(c[0].claimedIdentity().gender());
                // What another reader of the signed bytes reads too: UTF-8 (RFC 8259 section 8.1; SignedContentUtf8Test).
                assertThat(Fuzz.isUtf8(input)).as("accepted content is UTF-8").isTrue();
                // What the books can keep (SignedTextTest): no U+0000, nothing longer than its column.
                ApplicationContent.ClaimedIdentity id = c[0].claimedIdentity();
                for (String text : List.of(id.name(), id.address(), c[0].consent().documentId(), c[0].consent().sha256())) {
                    assertThat(text).as("accepted text").doesNotContain("\u0000").hasSizeLessThanOrEqualTo(ApplicationContent.MAX_TEXT);
                }
                assertThat(c[0].consent().documentId()).hasSizeLessThanOrEqualTo(128);
                assertThat(c[0].consent().sha256()).hasSizeLessThanOrEqualTo(64);
            }
        }
    }

    @Test
    void revocationContentIsParsedOrRefused() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(revocationSamples, n);
            RevocationContent[] c = new RevocationContent[1];
            if (revocationTarget.check(input, in -> c[0] = RevocationContent.parse(in))) {
                assertThat(RevocationContent.REASONS).contains(c[0].reason());
                assertThat(Fuzz.isUtf8(input)).as("accepted content is UTF-8").isTrue();
            }
        }
    }
}
