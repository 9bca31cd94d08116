package dev.shomei.ra.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Text in card-signed content that PostgreSQL cannot keep: U+0000 (no text column holds it) and strings longer than
 * their column. Each is refused as malformed content (400, naming the field) before anything is written, never an
 * HTTP 500 from the insert, and never a decision recorded on content the books cannot hold.
 *
 * <p>Zone: online (RA). Touches the RA's test database through its HTTP API only.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class SignedTextTest {

    static final JpkiPerson PERSON = JpkiPerson.of("文字", "検査", "1", java.time.LocalDate.of(1990, 1, 23),
            "福岡県福岡市中央区天神一丁目8番1号");
    static SimulatedCard card;

    @BeforeAll
    static void card() {
        KeyPair key = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(key, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), PERSON));
    }

    /** The application's content as the applicant's tool writes it, with one field replaced. */
    static Map<String, Object> content(String section, String field, String value) {
        Claim claim = Claim.of(PERSON);
        Map<String, Object> identity = new LinkedHashMap<>(Map.of("name", claim.name(), "birthDate",
                claim.birthDate().toString(), "gender", claim.gender(), "address", claim.address()));
        Map<String, Object> consent = new LinkedHashMap<>(Map.of("documentId", ApplicantClient.CONSENT_ID,
                "sha256", ApplicantClient.CONSENT_SHA256));
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-application/1");
        content.put("csr", Base64.getEncoder().encodeToString(ApplicantClient.csr(ApplicantClient.ecKey())));
        content.put("claimedIdentity", identity);
        content.put("consent", consent);
        if (section != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> s = (Map<String, Object>) content.get(section);
            s.put(field, value);
        }
        return content;
    }

    static Response submit(Map<String, Object> content) {
        return Ra.submit(ApplicantClient.sign(card, ApplicantClient.json(content)));
    }

    static void refused(Response r, String field) {
        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("application-content-malformed");
        assertThat(r.jsonPath().getString("field")).isEqualTo(field);
        assertThat(r.jsonPath().getString("applicationId")).isNull();
    }

    @Test
    void theSameContentWithoutTheBadTextIsAccepted() {
        // The control: the content below differs from an accepted one only in the field under test.
        submit(content(null, null, null)).then().statusCode(201);
    }

    @Test
    void u0000InTheClaimedIdentityIsRefusedNotA500() {
        refused(submit(content("claimedIdentity", "name", "文字\u0000検査")), "claimedIdentity.name");
        refused(submit(content("claimedIdentity", "address", "福岡県\u0000")), "claimedIdentity.address");
    }

    @Test
    void u0000OrAnOverLongConsentIsRefusedNotA500() {
        refused(submit(content("consent", "documentId", "consent\u00002026")), "consent.documentId");
        refused(submit(content("consent", "documentId", "c".repeat(129))), "consent.documentId");
        refused(submit(content("consent", "sha256", "ab".repeat(33))), "consent.sha256");
    }

    @Test
    void anOverLongClaimedIdentityIsRefusedNotStoredWhole() {
        // Text columns have no length limit; the RA sets one so that a signed megabyte is not kept in the books.
        refused(submit(content("claimedIdentity", "name", "名".repeat(ApplicationContent.MAX_TEXT + 1))),
                "claimedIdentity.name");
        refused(submit(content("claimedIdentity", "address", "所".repeat(ApplicationContent.MAX_TEXT + 1))),
                "claimedIdentity.address");
    }
}
