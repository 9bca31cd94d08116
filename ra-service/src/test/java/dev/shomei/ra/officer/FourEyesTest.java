package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.OfficerPki;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Four eyes (ra.officer.four-eyes, on by default): a referred application is approved only by two different
 * officers. The first approval is recorded as pending (and in audit-log), the same officer cannot give the second,
 * and the decision names both; one officer can reject.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class FourEyesTest {

    static final JpkiPerson PERSON = JpkiPerson.of("四眼", "確認", "1", java.time.LocalDate.of(1975, 6, 1),
            "京都府京都市中京区寺町通御池上る上本能寺前町488番地");
    static SimulatedCard card;

    @BeforeAll
    static void card() {
        KeyPair k = SimulatedCard.rsaKey();
        card = SimulatedCard.inSoftware(k, PERSON, JpkiTestCa.signing(JpkiTestCa.GEN_2024, k.getPublic(), PERSON));
    }

    static String referred() {
        Response r = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON).withName("四眼 かくにん"),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(201);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REFERRED");
        return r.jsonPath().getString("applicationId");
    }

    static Response approve(io.restassured.specification.RequestSpecification who, String id, String reason) {
        return who.contentType("application/json").body(Map.of("outcome", "APPROVED", "reason", reason))
                .post("/officer/applications/" + id + "/decision");
    }

    @Test
    void oneApprovalIsPendingAndTheSecondOfficerCompletesIt() throws Exception {
        String id = referred();

        Response first = approve(Ra.officer(), id, "kana reading confirmed by phone");
        first.then().statusCode(202);
        assertThat(first.jsonPath().getString("status")).isEqualTo("REFERRED");
        assertThat(first.jsonPath().getString("approval")).isEqualTo("PENDING_SECOND_OFFICER");
        assertThat(first.jsonPath().getList("decisions")).hasSize(1);
        assertThat(Ra.officer().get("/officer/queue").jsonPath()
                .getList("applications.find { it.applicationId == '" + id + "' }.pendingApprovals.officer"))
                .containsExactly(OfficerPki.OFFICER_NAME);

        Response second = approve(Ra.secondOfficer(), id, "residence record checked");
        second.then().statusCode(200);
        assertThat(second.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(second.jsonPath().getList("decisions")).hasSize(2);
        assertThat(second.jsonPath().getString("decision.decider.id")).isEqualTo(OfficerPki.SECOND_OFFICER_NAME);
        assertThat(second.jsonPath().getList("decision.evidence.approvals.officer"))
                .containsExactly(OfficerPki.OFFICER_NAME, OfficerPki.SECOND_OFFICER_NAME);
        assertThat(second.jsonPath().getList("decision.reasons.detail").toString())
                .contains("kana reading confirmed by phone").contains("residence record checked");
        assertThat(auditActions(id)).containsExactly("application.decided", "application.approval-pending",
                "application.officer-decided");
    }

    @Test
    void theSameOfficerTwiceIsRefused() {
        String id = referred();
        approve(Ra.officer(), id, "first look").then().statusCode(202);

        Response again = approve(Ra.officer(), id, "second look, same person");

        again.then().statusCode(409).contentType("application/problem+json");
        assertThat(again.jsonPath().getString("code")).isEqualTo("second-officer-required");
        assertThat(Ra.status(id).getString("status")).isEqualTo("REFERRED");
    }

    @Test
    void oneOfficerRejects() {
        String id = referred();

        Response r = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "REJECTED", "reason", "applicant withdrew"))
                .post("/officer/applications/" + id + "/decision");

        r.then().statusCode(200);
        assertThat(r.jsonPath().getString("status")).isEqualTo("REJECTED");
    }

    static List<String> auditActions(String id) throws Exception {
        var config = ConfigProvider.getConfig();
        try (Connection c = DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
             PreparedStatement ps = c.prepareStatement("SELECT action FROM audit_entry WHERE subject = ? ORDER BY seq")) {
            ps.setString(1, "application:" + id);
            List<String> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }
}
