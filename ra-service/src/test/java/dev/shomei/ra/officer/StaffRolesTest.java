package dev.shomei.ra.officer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.OfficerPki;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Officers decide, auditors read the books, and no certificate does both; a certificate the officer CA has revoked
 * (listed on its CRL, ra.officer.crl-path) acts for nobody.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class StaffRolesTest {

    @Test
    void anOfficerCannotExportTheBooks() {
        Response r = Ra.officer().get("/books/export?format=json");

        r.then().statusCode(403).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("auditor-role-required");
    }

    @Test
    void anAuditorExportsTheBooksAndTheExportNamesThem() {
        Response r = Ra.auditor().get("/books/export?format=json&limit=1");

        r.then().statusCode(200);
    }

    @Test
    void anAuditorCannotDecideOrSeeTheQueue() {
        Response decide = Ra.auditor().contentType("application/json")
                .body(Map.of("outcome", "APPROVED", "reason", "looks fine"))
                .post("/officer/applications/" + UUID.randomUUID() + "/decision");
        decide.then().statusCode(403).contentType("application/problem+json");
        assertThat(decide.jsonPath().getString("code")).isEqualTo("officer-role-required");

        Response revoke = Ra.auditor().contentType("application/json")
                .body(Map.of("applicationId", UUID.randomUUID().toString(), "reason", "x")).post("/officer/revocations");
        revoke.then().statusCode(403);
        assertThat(Ra.auditor().get("/officer/queue").statusCode()).isEqualTo(403);
    }

    @Test
    void aCertificateClaimingBothRolesIsRefusedForEither() {
        Response queue = Ra.bothRoles().get("/officer/queue");
        queue.then().statusCode(403);
        assertThat(queue.jsonPath().getString("code")).isEqualTo("staff-roles-combined");
        Response books = Ra.bothRoles().get("/books/export");
        assertThat(books.jsonPath().getString("code")).isEqualTo("staff-roles-combined");
    }

    @Test
    void aRevokedOfficerCertificateIsRefused() {
        Response r = Ra.revokedOfficer().get("/officer/queue");

        r.then().statusCode(403).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("officer-certificate-revoked");
        // The same CA's other officers are unaffected.
        Response ok = Ra.officer().get("/officer/queue");
        ok.then().statusCode(200);
        assertThat(ok.jsonPath().getString("officer")).isEqualTo(OfficerPki.OFFICER_NAME);
    }
}
