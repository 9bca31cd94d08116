package dev.shomei.ra.testkit;

import dev.shomei.testsupport.TestDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the RA needs around it in tests: a fresh PostgreSQL database (test-support's TestDatabase, never a
 * mock), the simulated J-LIS OCSP responder and CRL, and the officer TLS material (HTTPS with optional client
 * certificates, trusting the officer CA).
 *
 * <p>Zone: tests only. Values a test needs are passed as configuration (test.*), read with ConfigProvider.
 */
public class RaTestEnvironment implements QuarkusTestResourceLifecycleManager {

    private SimulatedJlis jlis;

    /** The database of the RA started last in this JVM (benchmarks read the server's statistics of it). */
    private static volatile TestDatabase.Database lastDatabase;

    public static TestDatabase.Database lastDatabase() {
        return lastDatabase;
    }

    @Override
    public Map<String, String> start() {
        try {
            TestDatabase.Database db = database();
            lastDatabase = db;
            jlis = new SimulatedJlis();
            OfficerPki pki = OfficerPki.create(Path.of("target", "ra-test-pki-" + ProcessHandle.current().pid()));
            Map<String, String> props = new HashMap<>();
            props.put("quarkus.datasource.jdbc.url", db.jdbcUrl());
            // As in production (docs/database.md): the service owns nothing; migrations run as the owner.
            props.put("quarkus.datasource.username", db.serviceUser());
            props.put("quarkus.datasource.password", db.servicePassword());
            props.put("quarkus.flyway.username", db.user());
            props.put("quarkus.flyway.password", db.password());
            props.put("ra.jlis.ocsp-url", jlis.baseUrl() + "/ocsp");
            props.put("ra.jlis.crl-url", jlis.baseUrl() + "/crl");
            props.put("ra.officer.ca-path", pki.officerCaPem().toString());
            props.put("ra.officer.crl-path", pki.officerCrl().toString());
            props.put("test.tls.second-officer-keystore", pki.secondOfficerKeyStore().toString());
            props.put("test.tls.auditor-keystore", pki.auditorKeyStore().toString());
            props.put("test.tls.revoked-officer-keystore", pki.revokedOfficerKeyStore().toString());
            props.put("test.tls.both-roles-keystore", pki.bothRolesKeyStore().toString());
            props.put("quarkus.tls.key-store.p12.path", pki.serverKeyStore().toString());
            props.put("quarkus.tls.key-store.p12.password", pki.password());
            Path ordersDir = Path.of("target", "ra-test-orders-" + ProcessHandle.current().pid());
            OrdersPki orders = OrdersPki.create(ordersDir, pki.password());
            props.put("test.audit.checkpoint-certificate",
                    ordersDir.resolve(OrdersPki.CHECKPOINT_CERTIFICATE_FILE).toAbsolutePath().toString());
            // TLS must accept the CA's (self-signed, pinned) client certificate as well as officers'.
            props.put("quarkus.tls.trust-store.pem.certs", pki.officerCaPem() + "," + orders.caClientPem());
            props.put("ra.orders.signing.module", orders.token().module().toString());
            props.put("ra.orders.signing.token", orders.token().label());
            props.put("ra.orders.signing.pin-file", orders.pinFile().toString());
            props.put("ra.orders.signing.key-label", OrdersPki.KEY_LABEL);
            props.put("ra.audit.checkpoint-signing.module", orders.token().module().toString());
            props.put("ra.audit.checkpoint-signing.token", orders.token().label());
            props.put("ra.audit.checkpoint-signing.pin-file", orders.pinFile().toString());
            props.put("ra.audit.checkpoint-signing.key-label", OrdersPki.CHECKPOINT_LABEL);
            props.put("ra.audit.publish-directory", Path.of("target", "ra-test-audit-" + ProcessHandle.current().pid())
                    .toAbsolutePath().toString());
            props.put("ra.orders.ca-client-certificates", orders.caClientPem().toString());
            props.put("ra.orders.ca-certificates", orders.issuingCaPem().toString());
            props.put("test.orders.ca-client-keystore", orders.caClientKeyStore().toString());
            props.put("test.orders.issuing-ca-keystore", orders.issuingCaKeyStore().toString());
            props.put("test.orders.ra-signing-certificate", java.util.Base64.getEncoder()
                    .encodeToString(orders.raSigningCertificate().getEncoded()));
            props.put("test.tls.server-keystore", pki.serverKeyStore().toString());
            props.put("test.tls.officer-keystore", pki.officerKeyStore().toString());
            props.put("test.tls.stranger-keystore", pki.strangerKeyStore().toString());
            props.put("test.tls.password", pki.password());
            props.put("test.database.url", db.jdbcUrl());
            return props;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the RA test environment: " + e.getMessage(), e);
        }
    }

    /** The RA's database: a fresh one on the shared embedded server (RestartableRaEnvironment: one it can crash). */
    protected TestDatabase.Database database() {
        return TestDatabase.create("ra");
    }

    @Override
    public void stop() {
        if (jlis != null) {
            jlis.close();
        }
    }
}
