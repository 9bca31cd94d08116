package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.application.ApplicationIntake;
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
import jakarta.inject.Inject;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An officer's decision and a J-LIS retry on the same application cannot both commit: both are serialised on the
 * application row, and the second finds it decided. An application without J-LIS's answer is approved by officers
 * only with an explicit, recorded override.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
public class DecisionRaceTest {

    static final JpkiPerson PERSON = JpkiPerson.of("競合", "試験", "2", java.time.LocalDate.of(1999, 9, 9),
            "愛知県名古屋市中区三の丸三丁目1番2号");
    static KeyPair key;

    @Inject
    ApplicationIntake intake;

    @BeforeAll
    static void key() {
        key = SimulatedCard.rsaKey();
    }

    @AfterEach
    void restore() {
        JlisControl.ocsp(true);
        JlisControl.crl(true);
    }

    static String waitingApplication() {
        JlisControl.ocsp(false);
        JlisControl.crl(false);
        SimulatedCard card = SimulatedCard.inSoftware(key, PERSON,
                JpkiTestCa.signing(JpkiTestCa.GEN_2024, key.getPublic(), PERSON));
        Response r = Ra.submit(ApplicantClient.application(card, Claim.of(PERSON),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        r.then().statusCode(202);
        return r.jsonPath().getString("applicationId");
    }

    @Test
    void anOfficerDecisionAndAJlisRetryRacingOnOneApplicationDecideItOnce() throws Exception {
        String id = waitingApplication();
        CountDownLatch go = new CountDownLatch(1);
        CompletableFuture<Integer> officer;
        CompletableFuture<Void> retry;
        try (Connection holder = connect(); Connection observer = connect()) {
            // Hold the application row, so that both contenders reach it before either can commit.
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement("SELECT id FROM application WHERE id = ? FOR UPDATE")) {
                ps.setObject(1, UUID.fromString(id));
                ps.executeQuery().close();
            }
            JlisControl.ocsp(true); // the retry will now get a good answer and approve
            officer = CompletableFuture.supplyAsync(() -> {
                await(go);
                return Ra.officer().contentType("application/json")
                        .body(Map.of("outcome", "REJECTED", "reason", "applicant withdrew at the counter"))
                        .post("/officer/applications/" + id + "/decision").statusCode();
            });
            retry = CompletableFuture.runAsync(() -> {
                await(go);
                intake.retry(UUID.fromString(id));
            });
            go.countDown();
            // Both are blocked on the row lock (polled with a deadline, no fixed sleep).
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            // (pg_stat_activity is read from another connection: within a transaction it is a snapshot.)
            while (lockWaiters(observer) < 2) {
                assertThat(Instant.now()).as("both contenders waiting on the application row").isBefore(deadline);
                Thread.sleep(20);
            }
            holder.rollback();
        }
        int officerStatus = officer.get(30, TimeUnit.SECONDS);
        retry.get(30, TimeUnit.SECONDS);

        assertThat(decisions(id)).as("decisions recorded for the application").isEqualTo(1);
        String status = Ra.status(id).getString("status");
        if (officerStatus == 200) {
            assertThat(status).isEqualTo("REJECTED");
        } else {
            assertThat(officerStatus).isEqualTo(409);
            assertThat(status).isIn("APPROVED", "REFERRED");
        }
    }

    @Test
    void withoutJlisAnswerAnOfficerApprovalNeedsARecordedOverride() {
        String id = waitingApplication();

        Response refused = Ra.officer().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "looks fine")).post("/officer/applications/" + id
                        + "/decision");
        refused.then().statusCode(409).contentType("application/problem+json");
        assertThat(refused.jsonPath().getString("code")).isEqualTo("jlis-answer-missing");

        Map<String, Object> override = Map.of("outcome", "APPROVED", "jlisOverride", true,
                "reason", "J-LIS outage; card checked in person with the J-LIS terminal");
        Ra.officer().contentType("application/json").body(override).post("/officer/applications/" + id + "/decision")
                .then().statusCode(202);
        Response approved = Ra.secondOfficer().contentType("application/json").body(override)
                .post("/officer/applications/" + id + "/decision");

        approved.then().statusCode(200);
        assertThat(approved.jsonPath().getString("status")).isEqualTo("APPROVED");
        assertThat(approved.jsonPath().getList("decision.reasons.code")).contains("officer-jlis-override");
        assertThat(approved.jsonPath().getList("decision.evidence.approvals.jlisOverride")).containsOnly(true);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("start signal not given");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int lockWaiters(Connection c) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                + " current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                + " AND query ILIKE '%application%'");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int decisions(String id) throws Exception {
        try (Connection c = connect();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM decision WHERE subject_id = ?")) {
            ps.setObject(1, UUID.fromString(id));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    public static Connection connect() throws Exception {
        var config = ConfigProvider.getConfig();
        return DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class),
                config.getValue("quarkus.datasource.username", String.class),
                config.getValue("quarkus.datasource.password", String.class));
    }
}
