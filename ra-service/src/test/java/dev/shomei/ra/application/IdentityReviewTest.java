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
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the RA can verify automatically about a real card's identity, and what goes to an officer with the reason:
 * dates of birth as real cards encode them (era code + Gregorian date), substitute characters (代替文字), names that do
 * not fit a certificate, holders living abroad, and cards of a pinned J-LIS generation whose file is not installed.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class IdentityReviewTest {

    static final KeyPair CARD_KEY = SimulatedCard.rsaKey();

    static SimulatedCard card(JpkiPerson p) {
        return SimulatedCard.inSoftware(CARD_KEY, p, JpkiTestCa.signing(JpkiTestCa.GEN_2024, CARD_KEY.getPublic(), p));
    }

    static JsonPath submit(JpkiPerson p, Claim claim) {
        Response r = Ra.submit(ApplicantClient.application(card(p), claim, ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        return r.jsonPath();
    }

    static JpkiPerson bornOn(LocalDate d) {
        return JpkiPerson.of("境界", "日子", "3", d, "京都府京都市上京区下立売通新町西入薮ノ内町");
    }

    @Test
    void everyEraAndItsBoundaryDaysAreApprovedAsRealCardsEncodeThem() {
        for (LocalDate d : List.of(LocalDate.of(1911, 5, 1), LocalDate.of(1912, 7, 29), LocalDate.of(1912, 7, 30),
                LocalDate.of(1926, 12, 24), LocalDate.of(1926, 12, 25), LocalDate.of(1980, 2, 17),
                LocalDate.of(1989, 1, 7), LocalDate.of(1989, 1, 8), LocalDate.of(2019, 4, 30),
                LocalDate.of(2019, 5, 1), LocalDate.of(2024, 2, 29))) {
            JpkiPerson p = bornOn(d);
            JsonPath j = submit(p, Claim.of(p));
            assertThat(j.getString("status")).as(d + " encoded " + p.eraBirthDate()).isEqualTo("APPROVED");
        }
        // The value of the example card, 319800217, is 1980-02-17.
        assertThat(bornOn(LocalDate.of(1980, 2, 17)).eraBirthDate()).isEqualTo("319800217");
    }

    @Test
    void eraZeroAndADateOutsideItsEraGoToAnOfficerWithTheReason() {
        JpkiPerson p = bornOn(LocalDate.of(1989, 1, 7));
        JsonPath eraZero = submit(p.withRawBirthDate("019890107"), Claim.of(p));
        assertThat(eraZero.getString("status")).isEqualTo("REFERRED");
        assertThat(eraZero.getString("decision.reasons[0].code")).isEqualTo("identity-birth-date-unverifiable");
        assertThat(eraZero.getString("decision.reasons[0].detail")).contains("era code 0");

        // 1989-01-07 was the last day of Shōwa: a card saying Heisei (4) for it is malformed, not silently accepted.
        JsonPath outside = submit(p.withRawBirthDate("419890107"), Claim.of(p));
        assertThat(outside.getString("status")).isEqualTo("REFERRED");
        assertThat(outside.getString("decision.reasons[0].detail")).contains("outside its stated era (Heisei");

        JsonPath reiwaTooEarly = submit(bornOn(LocalDate.of(2019, 4, 30)).withRawBirthDate("520190430"),
                Claim.of(bornOn(LocalDate.of(2019, 4, 30))));
        assertThat(reiwaTooEarly.getString("decision.reasons[0].detail")).contains("outside its stated era (Reiwa");
    }

    @Test
    void substituteCharactersGoToAnOfficerWhoseNameIsRecordedWithTheCardsOriginal() {
        // The card flags the 2nd character of the family name: its text is not the resident register's.
        JpkiPerson p = JpkiPerson.of("髙橋", "一郎", "1", LocalDate.of(1975, 6, 1), "福岡県福岡市中央区天神一丁目8番1号")
                .withNameSubstitutesAt(0);
        JsonPath j = submit(p, Claim.of(p));
        assertThat(j.getString("status")).isEqualTo("REFERRED");
        assertThat(j.getString("decision.reasons[0].code")).isEqualTo("identity-name-substitute-characters");
        assertThat(j.getString("decision.reasons[0].detail")).contains("[1]");
        String id = j.getString("applicationId");

        // The officer sees which positions are flagged, next to the card's text.
        JsonPath queue = Ra.officer().get("/officer/queue").then().statusCode(200).extract().jsonPath();
        Map<String, Object> review = queue.getMap("applications.find { it.applicationId == '" + id + "' }.identityReview");
        assertThat(review.get("cardName")).isEqualTo("髙橋\u3000一郎");
        assertThat(review.get("nameSubstitutePositions")).isEqualTo(List.of(1));
        // The applicant's own view shows no identity.
        assertThat(RestAssured.given().get("/applications/" + id).asString()).doesNotContain("髙橋");

        // Approving without saying which name the certificate states is refused.
        Ra.officer().contentType("application/json").body(Map.of("outcome", "APPROVED", "reason", "checked"))
                .post("/officer/applications/" + id + "/decision")
                .then().statusCode(422).body("type", org.hamcrest.Matchers.endsWith("officer-certified-name-required"));
        Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "checked", "certifiedName", "x".repeat(65)))
                .post("/officer/applications/" + id + "/decision")
                .then().statusCode(422).body("detail", org.hamcrest.Matchers.containsString("at most 64"));

        // Four eyes: the first officer's approval waits for a second officer, who must certify the same name.
        Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "resident record shows 髙 (hashigo-daka)",
                        "certifiedName", "髙橋\u3000一郎"))
                .post("/officer/applications/" + id + "/decision").then().statusCode(202);
        Ra.secondOfficer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "checked", "certifiedName", "高橋\u3000一郎"))
                .post("/officer/applications/" + id + "/decision")
                .then().statusCode(409).body("type", org.hamcrest.Matchers.endsWith("certified-name-differs"));
        JsonPath decided = Ra.secondOfficer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "resident record seen too",
                        "certifiedName", "髙橋\u3000一郎"))
                .post("/officer/applications/" + id + "/decision").then().statusCode(200).extract().jsonPath();
        assertThat(decided.getString("status")).isEqualTo("APPROVED");
        assertThat(decided.getList("decision.reasons.code")).contains("officer-approval", "officer-confirmed-name");
        assertThat(decided.getString("decision.decider.kind")).isEqualTo("PERSON");
        assertThat(decided.getString("decision.evidence.certifiedNameSource")).isEqualTo("OFFICER");
        assertThat(decided.getString("decision.evidence.certifiedSubjectSha256")).hasSize(64);
    }

    @Test
    void aNameLongerThanACommonNameHoldsIsReferredNotShortened() {
        JpkiPerson p = JpkiPerson.of("ＷＩＬＬＩＡＭＳＯＮ－ＭＯＮＴＧＯＭＥＲＹ－ＦＩＴＺＧＥＲＡＬＤ", "ＡＬＥＸＡＮＤＲＡ　ＣＨＲＩＳＴＩＮＡ　ＭＡＲＩＥ　ＥＬＩＺＡＢＥＴＨ",
                "2", LocalDate.of(1990, 3, 14), "神奈川県横浜市中区日本大通1");
        assertThat(p.name().codePointCount(0, p.name().length())).isGreaterThan(64);
        JsonPath j = submit(p, Claim.of(p));
        assertThat(j.getString("status")).isEqualTo("REFERRED");
        assertThat(j.getList("decision.reasons.code")).containsExactly("identity-name-not-certifiable");
        assertThat(j.getString("decision.reasons[0].detail")).contains("at most 64").contains("never shortened");
    }

    @Test
    void aHolderLivingAbroadIsParsedAndReferredToAnOfficer() {
        JpkiPerson p = JpkiPerson.of("海外", "太郎", "1", LocalDate.of(1970, 1, 1),
                "アメリカ合衆国カリフォルニア州サンフランシスコ市マーケット通り１２３");
        JsonPath j = submit(p, Claim.of(p));
        assertThat(j.getString("status")).isEqualTo("REFERRED");
        assertThat(j.getList("decision.reasons.code")).containsExactly("identity-address-abroad");
    }

    @Test
    void aCardOfAPinnedGenerationNotYetInstalledIsAnsweredWithWhy() {
        JpkiPerson p = JpkiPerson.hanako();
        // Issued in 2021 by the generation the test profile pins but does not install (cf. 2019's signca02).
        X509Certificate cert = JpkiTestCa.signing(JpkiTestCa.GEN_2021_NOT_INSTALLED, CARD_KEY.getPublic(), p,
                Instant.parse("2021-05-01T00:00:00Z"), Instant.now().plus(Duration.ofDays(700)));
        SimulatedCard card = SimulatedCard.inSoftware(CARD_KEY, p, cert);
        Response r = Ra.submit(ApplicantClient.application(card, Claim.of(p), ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(503).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("type")).endsWith("jpki-generation-not-installed");
        assertThat(r.jsonPath().getString("detail")).contains("2021 test generation").contains("not installed")
                .contains("ra.jpki.signing-cas[2]");

        Response health = Ra.management().get("/q/health/well");
        health.then().statusCode(503);
        assertThat(health.asString()).contains("jpki-signing-ca-generations").contains("missing 2021 test generation")
                .contains("DOWN");
    }
}
