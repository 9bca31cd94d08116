package dev.shomei.ra;

import static io.restassured.RestAssured.given;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.File;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Test calls to the running RA: the applicant API over plain HTTP, the officer API over HTTPS with a client
 * certificate.
 *
 * <p>Zone: tests only.
 */
public final class Ra {

    private Ra() {}

    public static Response submit(byte[] cms) {
        return given().contentType("application/cms").body(cms).post("/applications");
    }

    public static Response revocationRequest(byte[] cms) {
        return given().contentType("application/cms").body(cms).post("/revocation-requests");
    }

    public static JsonPath status(String applicationId) {
        return given().get("/applications/" + applicationId).then().statusCode(200).extract().jsonPath();
    }

    /** The officer's client: HTTPS on the test TLS port, with the officer certificate. */
    public static RequestSpecification officer() {
        return tls().keyStore(new File(config("test.tls.officer-keystore")), config("test.tls.password"));
    }

    /** A second officer (four eyes). */
    public static RequestSpecification secondOfficer() {
        return tls().keyStore(new File(config("test.tls.second-officer-keystore")), config("test.tls.password"));
    }

    /** An auditor: exports the books, decides nothing. */
    public static RequestSpecification auditor() {
        return tls().keyStore(new File(config("test.tls.auditor-keystore")), config("test.tls.password"));
    }

    /** An officer whose certificate the officer CA's CRL lists. */
    public static RequestSpecification revokedOfficer() {
        return tls().keyStore(new File(config("test.tls.revoked-officer-keystore")), config("test.tls.password"));
    }

    /** A certificate that claims both the officer and the auditor role. */
    public static RequestSpecification bothRoles() {
        return tls().keyStore(new File(config("test.tls.both-roles-keystore")), config("test.tls.password"));
    }

    public static RequestSpecification stranger() {
        return tls().keyStore(new File(config("test.tls.stranger-keystore")), config("test.tls.password"));
    }

    /** HTTPS without a client certificate. */
    public static RequestSpecification tls() {
        return given().baseUri("https://localhost").port(sslPort())
                .trustStore(new File(config("test.tls.server-keystore")), config("test.tls.password"));
    }

    /** The management interface (health, metrics, OpenAPI): HTTPS with the default TLS configuration. */
    public static RequestSpecification management() {
        return given().baseUri("https://localhost")
                .port(ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class))
                .trustStore(new File(config("test.tls.server-keystore")), config("test.tls.password"));
    }

    public static int sslPort() {
        return ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
    }

    public static String config(String key) {
        return ConfigProvider.getConfig().getValue(key, String.class);
    }
}
