package dev.shomei.ra.revocation;

// Zone: online (RA). Touches the RA's test database and its officer API only.

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.officer.DecisionRaceTest;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two officers deciding one referred revocation request at the same moment: one decision is recorded, the other
 * is told the request is already decided (409). Before the request's row was locked for the decision, both read it
 * as REFERRED and the second failed on the order's primary key with an HTTP 500 (found by OfficerApiFuzzTest).
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class RevocationDecisionRaceTest {

    @Test
    void twoOfficersDecidingOneReferredRequestAtOnceRecordOneDecision() throws Exception {
        RevocationRequestTest.key();
        String app = RevocationRequestTest.approvedApplication();
        JpkiPerson moved = JpkiPerson.hanako().withAddress("北海道札幌市中央区北一条西二丁目1番地");
        Response referred = Ra.revocationRequest(ApplicantClient.revocationRequest(
                RevocationRequestTest.cardOf(moved), app, "affiliationChanged"));
        referred.then().statusCode(201);
        assertThat(referred.jsonPath().getString("status")).isEqualTo("REFERRED");
        String id = referred.jsonPath().getString("revocationRequestId");

        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Integer>> officers = new ArrayList<>();
        // Two threads of its own: the common pool has one thread on a two-core machine, which would run the officers
        // one after the other.
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection holder = DecisionRaceTest.connect(); Connection observer = DecisionRaceTest.connect()) {
            // Hold the request's row so that both decisions reach it before either can commit.
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement(
                    "SELECT id FROM revocation_request WHERE id = ? FOR UPDATE")) {
                ps.setObject(1, UUID.fromString(id));
                ps.executeQuery().close();
            }
            for (String outcome : List.of("APPROVED", "APPROVED")) {
                officers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Ra.officer().contentType("application/json")
                            .body(Map.of("outcome", outcome, "reason", "decided at the counter"))
                            .post("/officer/revocation-requests/" + id + "/decision").statusCode();
                }, pool));
            }
            go.countDown();
            // With the row locked for the decision, both wait here. Without it, they do not wait on the row; give
            // them time to read it as REFERRED, then let them run into each other.
            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            while (lockWaiters(observer) < 2 && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            holder.rollback();
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<Integer> f : officers) {
            statuses.add(f.get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();

        assertThat(statuses).as("one decision recorded, the other refused as already decided")
                .containsExactlyInAnyOrder(200, 409);
        assertThat(count("SELECT count(*) FROM decision WHERE subject_id = ? AND actor_kind = 'PERSON'", id))
                .as("officers' decisions recorded").isEqualTo(1);
        assertThat(count("SELECT count(*) FROM ca_order WHERE subject_id = ?", id)).isLessThanOrEqualTo(1);
    }

    /** Sessions waiting on a lock: the RA's two decisions (the holder is idle in its transaction). */
    private static int lockWaiters(Connection c) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                + " current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int count(String sql, String id) throws Exception {
        try (Connection c = DecisionRaceTest.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, UUID.fromString(id));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
