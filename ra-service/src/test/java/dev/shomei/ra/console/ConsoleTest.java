package dev.shomei.ra.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.books.AuditCheckpointSchedule;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.OfficerPki;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.config.RedirectConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The console over HTTPS without a browser: who may see which page, the forms' protection against cross-site request
 * forgery performed as an attacker's page would (no token, another officer's token, a cross-site request), output
 * escaping, the languages, and the REST twins of the console's acts (search, statistics, sample, reconciliation).
 */
@QuarkusTest
@WithTestResource(ConsoleTestEnvironment.class)
class ConsoleTest {

    static final Pattern TOKEN = Pattern.compile("name=\"token\" value=\"([^\"]+)\"");

    @Inject
    AuditCheckpointSchedule checkpoints;

    static JpkiPerson person(String given) {
        return JpkiPerson.of("試験", given, "2", LocalDate.of(1985, 4, 12), "東京都千代田区霞が関二丁目1番2号");
    }

    static String referred(String given) {
        JpkiPerson p = person(given);
        return ConsoleBrowserTest.referred(p, Claim.of(p).withName("試験 かな"));
    }

    @Test
    void eachPageIsForItsRoleOnly() {
        Response none = Ra.tls().get("/console");
        none.then().statusCode(401).contentType("text/html");
        assertThat(none.asString()).contains("officer-certificate-required");
        assertThat(none.header("Content-Security-Policy")).contains("default-src 'none'").contains("frame-ancestors 'none'");
        assertThat(none.header("Cache-Control")).isEqualTo("no-store");

        Response auditor = Ra.auditor().get("/console");
        auditor.then().statusCode(403);
        assertThat(auditor.asString()).contains("officer-role-required");
        Response officer = Ra.officer().get("/console/auditor");
        officer.then().statusCode(403);
        assertThat(officer.asString()).contains("auditor-role-required");
        // A certificate from another CA is not even sent (the server asks for the officer CA's), or is refused.
        assertThat(Ra.stranger().get("/console").statusCode()).isIn(401, 403);
        Response revoked = Ra.revokedOfficer().get("/console");
        revoked.then().statusCode(403);
        assertThat(revoked.asString()).contains("officer-certificate-revoked");
        Ra.officer().get("/auditor/statistics").then().statusCode(403).contentType("application/problem+json");
        Ra.auditor().get("/officer/search?status=REFERRED").then().statusCode(403);

        Ra.officer().get("/console").then().statusCode(200).contentType("text/html");
        Ra.auditor().get("/console/auditor").then().statusCode(200).contentType("text/html");
    }

    @Test
    void aFormFromAnotherSiteOrWithAnotherOfficersTokenDecidesNothing() {
        String id = referred("偽造");
        String path = "/console/applications/" + id + "/decision";

        // An attacker's page can make the officer's browser send the form, but cannot read a token.
        Response noToken = form(Ra.officer()).formParam("outcome", "REJECTED").formParam("reason", "forged")
                .post(path);
        noToken.then().statusCode(403);
        assertThat(noToken.asString()).contains("console-form-refused");

        String secondsToken = token(Ra.secondOfficer().get("/console/applications/" + id).asString());
        form(Ra.officer()).formParam("outcome", "REJECTED").formParam("reason", "forged")
                .formParam("token", secondsToken).post(path).then().statusCode(403);

        String token = token(Ra.officer().get("/console/applications/" + id).asString());
        form(Ra.officer()).header("Sec-Fetch-Site", "cross-site").formParam("outcome", "REJECTED")
                .formParam("reason", "forged").formParam("token", token).post(path).then().statusCode(403);
        form(Ra.officer()).header("Origin", "https://evil.example").formParam("outcome", "REJECTED")
                .formParam("reason", "forged").formParam("token", token).post(path).then().statusCode(403);
        assertThat(Ra.status(id).getString("status")).isEqualTo("REFERRED");

        // The console's own form, as the officer's browser sends it, decides.
        Response ok = form(Ra.officer()).header("Sec-Fetch-Site", "same-origin").formParam("outcome", "REJECTED")
                .formParam("reason", "applicant withdrew").formParam("token", token).post(path);
        ok.then().statusCode(303);
        assertThat(ok.header("Location")).endsWith("/console/applications/" + id + "?done=decided");
        assertThat(Ra.status(id).getString("status")).isEqualTo("REJECTED");
        assertThat(Ra.status(id).getString("decision.decider.id")).isEqualTo(OfficerPki.OFFICER_NAME);
    }

    @Test
    void whatAnApplicantTypedIsShownAsTextNotMarkup() {
        JpkiPerson p = person("記号");
        String id = ConsoleBrowserTest.referred(p, Claim.of(p).withName(ConsoleBrowserTest.SCRIPT_NAME));

        String html = Ra.officer().get("/console/applications/" + id).then().statusCode(200).extract().asString();

        assertThat(html).contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;")
                .doesNotContain("<script");
    }

    @Test
    void thePageSpeaksTheBrowsersLanguageUntilTheSwitchSaysOtherwise() {
        Response ja = Ra.officer().header("Accept-Language", "ja,en;q=0.5").get("/console");
        assertThat(ja.asString()).contains("<html lang=\"ja\">").contains("審査に回された発行申請と失効申請");
        assertThat(ja.header("Content-Language")).isEqualTo("ja");
        Response en = Ra.officer().header("Accept-Language", "ja").get("/console?lang=en");
        assertThat(en.asString()).contains("Referred applications and revocation requests");
        assertThat(en.header("Set-Cookie")).contains("console-lang=en").contains("Secure").contains("HttpOnly")
                .containsIgnoringCase("SameSite=Strict");
        assertThat(Ra.officer().header("Accept-Language", "ja").cookie("console-lang", "en").get("/console").asString())
                .contains("Referred applications");
    }

    @Test
    void theConsolesActsAreInTheRestApiToo() throws Exception {
        Instant from = Instant.now().minusSeconds(5);
        String id = referred("検索");

        Map<String, Object> byId = Ra.officer().get("/officer/search?q=" + id).then().statusCode(200).extract()
                .jsonPath().getMap("results[0]");
        assertThat(byId).containsEntry("id", id).containsEntry("status", "REFERRED").containsEntry("kind", "application");
        assertThat(Ra.officer().get("/officer/search?status=REFERRED&limit=1000").jsonPath().getList("results.id"))
                .contains(id);
        Response bad = Ra.officer().get("/officer/search?q=not-a-serial");
        bad.then().statusCode(400).contentType("application/problem+json");
        assertThat(bad.jsonPath().getString("code")).isEqualTo("search-query-malformed");
        Ra.officer().get("/officer/search?status=NOPE").then().statusCode(400);
        Ra.officer().get("/officer/search").then().statusCode(400);

        String to = Instant.now().plusSeconds(3600).toString();
        Map<String, Object> stats = Ra.auditor().get("/auditor/statistics?from=" + from + "&to=" + to)
                .then().statusCode(200).extract().jsonPath().getMap("applications");
        assertThat(((Number) stats.get("received")).longValue()).isGreaterThanOrEqualTo(1);
        Ra.auditor().get("/auditor/statistics?from=yesterday").then().statusCode(400);

        List<String> discrepancies = Ra.auditor().get("/auditor/reconciliation").then().statusCode(200).extract()
                .jsonPath().getList("reconciliation.discrepancies");
        assertThat(discrepancies).containsExactly(ConsoleTestEnvironment.DISCREPANCY);

        checkpoints.signIfGrown();
        Response sample = Ra.auditor().contentType("application/json")
                .body(Map.of("from", from.toString(), "to", to, "perStratum", 5)).post("/auditor/samples");
        sample.then().statusCode(200);
        assertThat(sample.jsonPath().getString("seedHex")).hasSize(64);
        assertThat(sample.jsonPath().getBoolean("seedBeforePeriodEnd")).isTrue();
        assertThat(sample.jsonPath().getMap("stratumSizes")).isNotEmpty();
        Ra.auditor().contentType("application/json").body(Map.of("from", from.toString(), "to", to, "perStratum", 0))
                .post("/auditor/samples").then().statusCode(400);
        Ra.auditor().get("/auditor/packages/" + java.util.UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    void theQueueIsPagedAndItsPageSizeBounded() {
        referred("頁一");
        referred("頁二");

        String first = Ra.officer().get("/console?status=REFERRED&limit=1").then().statusCode(200).extract().asString();
        assertThat(first).contains("id=\"next\" href=\"/console?status=REFERRED&amp;limit=1&amp;offset=1\"")
                .doesNotContain("id=\"previous\"");
        assertThat(first.split("class=\"row\"", -1)).hasSize(2);
        String second = Ra.officer().get("/console?status=REFERRED&limit=1&offset=1").asString();
        assertThat(second).contains("id=\"previous\" href=\"/console?status=REFERRED&amp;limit=1&amp;offset=0\"");
        Response tooMany = Ra.officer().get("/console?limit=1000000");
        tooMany.then().statusCode(400).contentType("text/html");
        assertThat(tooMany.asString()).contains("paging-limit");
    }

    @Test
    void anOfficerFindsACertificateBySerialAndDecidesItsReferredRevocationRequest() throws Exception {
        JpkiPerson p = JpkiPerson.of("取消", "花子", "2", LocalDate.of(1990, 3, 14), "大阪府大阪市北区梅田一丁目1番1号");
        java.security.KeyPair key = dev.shomei.ra.testkit.SimulatedCard.rsaKey();
        Response applied = Ra.submit(dev.shomei.ra.testkit.ApplicantClient.application(card(p, key), Claim.of(p),
                dev.shomei.ra.testkit.ApplicantClient.csr(dev.shomei.ra.testkit.ApplicantClient.ecKey())));
        assertThat(applied.jsonPath().getString("status")).isEqualTo("APPROVED");
        String app = applied.jsonPath().getString("applicationId");
        // What applying the CA's result bundle records (OrderBundleFlowTest covers that path end to end).
        String serial = "1f2e3d4c5b6a" + Long.toHexString(System.nanoTime() & 0xffffff);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(Ra.config("quarkus.datasource.jdbc.url"),
                Ra.config("quarkus.datasource.username"), Ra.config("quarkus.datasource.password"));
             java.sql.PreparedStatement ps = c.prepareStatement(
                     "UPDATE application SET status = 'ISSUED', certificate_serial = ?, issued_at = now() WHERE id = ?")) {
            ps.setString(1, serial);
            ps.setObject(2, java.util.UUID.fromString(app));
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        // Another card of the same name, date of birth and gender: a namesake is possible, so an officer decides.
        Response requested = Ra.revocationRequest(dev.shomei.ra.testkit.ApplicantClient.revocationRequest(
                card(p, dev.shomei.ra.testkit.SimulatedCard.rsaKey()), app, "keyCompromise"));
        assertThat(requested.jsonPath().getString("status")).isEqualTo("REFERRED");
        String request = requested.jsonPath().getString("revocationRequestId");

        // The serial as openssl prints it (upper case, colons) finds the application and the request.
        String spelled = serial.toUpperCase(java.util.Locale.ROOT).replaceAll("(..)(?!$)", "$1:");
        String found = Ra.officer().get("/console?q=" + spelled).then().statusCode(200).extract().asString();
        assertThat(found).contains("data-id=\"" + app + "\"").contains("data-id=\"" + request + "\"");
        assertThat(Ra.officer().get("/console").asString()).contains("data-id=\"" + request + "\"")
                .contains("revocation-requester-other-card");

        String page = Ra.officer().get("/console/revocation-requests/" + request).then().statusCode(200).extract()
                .asString();
        assertThat(page).contains("revocation-requester-other-card").contains(serial);
        Response decided = form(Ra.officer()).formParam("outcome", "APPROVED")
                .formParam("reason", "called the subscriber: the old card was lost").formParam("token", token(page))
                .post("/console/revocation-requests/" + request + "/decision");
        decided.then().statusCode(303);
        io.restassured.path.json.JsonPath status = RestAssured.given().get("/revocation-requests/" + request).then()
                .statusCode(200).extract().jsonPath();
        assertThat(status.getString("status")).isEqualTo("APPROVED");
        assertThat(status.getString("decision.decider.id")).isEqualTo(OfficerPki.OFFICER_NAME);
    }

    static dev.shomei.ra.testkit.SimulatedCard card(JpkiPerson p, java.security.KeyPair k) {
        return dev.shomei.ra.testkit.SimulatedCard.inSoftware(k, p, dev.shomei.ra.testkit.JpkiTestCa.signing(
                dev.shomei.ra.testkit.JpkiTestCa.GEN_2024, k.getPublic(), p));
    }

    private static RequestSpecification form(RequestSpecification who) {
        return who.config(RestAssured.config().redirect(RedirectConfig.redirectConfig().followRedirects(false))
                        .sslConfig(who instanceof io.restassured.specification.FilterableRequestSpecification f
                                ? f.getConfig().getSSLConfig() : RestAssured.config().getSSLConfig()))
                .contentType("application/x-www-form-urlencoded");
    }

    private static String token(String html) {
        Matcher m = TOKEN.matcher(html);
        assertThat(m.find()).as("the page has a form token").isTrue();
        return m.group(1);
    }
}
