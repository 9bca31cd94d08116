package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.cli.CaCli;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.CaCoreEnvironment;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/**
 * The real {@code ca orders pull --once} (ca-core's command line, in this JVM) against the real RA over mutual TLS:
 * the CA presents its pinned client certificate, and trusts only the RA server certificate its ca.yaml pins
 * (orders.pull.trustedServerCertificates). A CA that pins another certificate refuses the RA at the handshake and
 * executes nothing; the same CA with the right pin then executes the RA's bundle and delivers the result.
 *
 * <p>Zone: tests only. ca-core is a test-scope dependency; in production the puller runs in the CA's zone and
 * connects out to the RA.
 */
@QuarkusTest
@WithTestResource(CaCoreEnvironment.class)
class CaPullEndToEndTest {

    @Test
    void theCaPullsOverMutualTlsOnlyFromThePinnedRa() throws Exception {
        JpkiPerson p = JpkiPerson.hanako();
        SimulatedCard card = SimulatedCard.inSoftHsm("hanako-pull", p,
                kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), p));
        Response submitted = Ra.submit(ApplicantClient.application(card, Claim.of(p),
                ApplicantClient.csr(ApplicantClient.ecKey())));
        submitted.then().statusCode(201);
        String app = submitted.jsonPath().getString("applicationId");

        Path caYaml = Path.of(Ra.config("test.ca.config"));
        Path dir = caYaml.getParent();
        Path raServer = dir.resolve("ra-server-pinned.pem");
        Files.writeString(raServer, pem(serverCertificate()));
        Files.writeString(dir.resolve("ca-client.pw"), Ra.config("test.tls.password") + "\n");

        // Step 1: a CA that pins another certificate (the officers' CA) refuses the RA's server at the handshake.
        Path wrongPin = pullConfig(caYaml, "ca-pull-wrong-pin.yaml",
                Path.of(Ra.config("ra.officer.ca-path")).toAbsolutePath().toString());
        Run refused = pullOnce(wrongPin);
        assertThat(refused.exit()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("unreachable").contains("SSLHandshakeException")
                .contains("executed 0 bundle(s)");
        assertThat(Ra.status(app).getString("status")).as("nothing reached the CA").isEqualTo("APPROVED");

        // Step 2: with the RA's own certificate pinned, one pass executes the bundle and posts the result back.
        Path pinned = pullConfig(caYaml, "ca-pull.yaml", raServer.toString());
        Run pulled = pullOnce(pinned);
        assertThat(pulled.exit()).as(pulled.output()).isZero();
        // Delivered: this bundle's result, and any result other tests of this CA kept undelivered (they post
        // results themselves, the CA's database does not know): the count depends on which ran first.
        assertThat(pulled.output()).containsPattern("executed 1 bundle\\(s\\), delivered [1-9][0-9]* result\\(s\\)");
        assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
        String chain = RestAssured.given().get("/applications/" + app + "/certificate").then().statusCode(200)
                .extract().asString();
        assertThat(chain).contains("BEGIN CERTIFICATE");

        // Step 3: nothing is left to pull; a second pass executes nothing and succeeds.
        Run again = pullOnce(pinned);
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(again.output()).contains("executed 0 bundle(s), delivered 0 result(s)");
    }

    /** The end-to-end CA's ca.yaml with an orders.pull section for the RA's HTTPS port. */
    static Path pullConfig(Path caYaml, String name, String trustedServerCertificates) throws Exception {
        return pullConfig(caYaml, name, Ra.sslPort(), Path.of(Ra.config("test.orders.ca-client-keystore")),
                trustedServerCertificates);
    }

    /** The same for an RA listening on {@code httpsPort}, the CA's client key in {@code clientKeystore}. */
    static Path pullConfig(Path caYaml, String name, int httpsPort, Path clientKeystore,
                           String trustedServerCertificates) throws Exception {
        String yaml = Files.readString(caYaml, StandardCharsets.UTF_8);
        String orders = "orders:\n  trustedRaCertificates: [ra-orders.pem]\n";
        assertThat(yaml).contains(orders);
        String pull = orders + """
                  pull:
                    url: https://localhost:%d
                    intervalSeconds: 1
                    clientKeystore: %s
                    clientKeystorePasswordFile: ca-client.pw
                    trustedServerCertificates: %s
                """.formatted(httpsPort, clientKeystore.toAbsolutePath(), trustedServerCertificates);
        Path out = caYaml.resolveSibling(name);
        Files.writeString(out, yaml.replace(orders, pull), StandardCharsets.UTF_8);
        return out;
    }

    record Run(int exit, String output) {}

    /** {@code ca --config FILE orders pull --once}, with what it printed (standard output and error). */
    static synchronized Run pullOnce(Path config) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try {
            int exit = CaCli.run("--config", config.toString(), "orders", "pull", "--once");
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static X509Certificate serverCertificate() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(Ra.config("test.tls.server-keystore")))) {
            ks.load(in, Ra.config("test.tls.password").toCharArray());
        }
        for (String alias : Collections.list(ks.aliases())) {
            if (ks.isKeyEntry(alias)) {
                return (X509Certificate) ks.getCertificate(alias);
            }
        }
        throw new IllegalStateException("no server key entry in " + Ra.config("test.tls.server-keystore"));
    }

    static String pem(X509Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(c.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }
}
