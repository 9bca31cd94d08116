package dev.shomei.ra;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Transport, as in production: applications and revocation requests (personal data) are refused over plain HTTP;
 * health, metrics and OpenAPI are served on the management interface only, not on the applicants' port.
 */
@QuarkusTest
@TestProfile(TransportTest.AsInProduction.class)
@WithTestResource(RaTestEnvironment.class)
class TransportTest {

    /** The production setting of ra.application.require-https, in the test environment. */
    public static class AsInProduction implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ra.application.require-https", "true");
        }
    }

    @Test
    void anApplicationOverPlainHttpIsRefusedNamingHttps() {
        Response r = given().contentType("application/cms").body(new byte[] {0x30, 0x00}).post("/applications");

        r.then().statusCode(403).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("https-required");
        assertThat(r.jsonPath().getString("detail")).contains("HTTPS");
    }

    @Test
    void aRevocationRequestOverPlainHttpIsRefused() {
        Response r = given().contentType("application/cms").body(new byte[] {0x30, 0x00}).post("/revocation-requests");

        r.then().statusCode(403);
        assertThat(r.jsonPath().getString("code")).isEqualTo("https-required");
    }

    @Test
    void overHttpsTheApplicationIsProcessed() {
        Response r = Ra.tls().contentType("application/cms").body(new byte[] {0x30, 0x00}).post("/applications");

        // Past the transport check: the body itself is judged (and refused as malformed).
        r.then().statusCode(400);
        assertThat(r.jsonPath().getString("code")).isEqualTo("cms-malformed");
    }

    @Test
    void healthMetricsAndOpenApiAreOnTheManagementInterfaceOnly() {
        assertThat(given().get("/q/health").statusCode()).isEqualTo(404);
        assertThat(given().get("/q/metrics").statusCode()).isEqualTo(404);
        assertThat(given().get("/q/openapi").statusCode()).isEqualTo(404);

        int port = ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
        assertThat(port).as("the management interface's actual port").isPositive();
        // With the default TLS configuration set, the management interface serves HTTPS too.
        // Liveness and readiness: UP. (/q/health also carries the wellness check, which the test profile keeps DOWN
        // on purpose: it pins a J-LIS generation that is not installed, as production does with the 2019 one.)
        Ra.management().get("/q/health/live").then().statusCode(200);
        Ra.management().get("/q/health/ready").then().statusCode(200);
        Ra.management().get("/q/metrics").then().statusCode(200);
        Ra.management().get("/q/openapi").then().statusCode(200);
    }

}
