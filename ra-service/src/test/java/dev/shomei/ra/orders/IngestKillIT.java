package dev.shomei.ra.orders;

import static dev.shomei.ra.orders.IngestCrashPointTest.approved;
import static dev.shomei.ra.orders.IngestCrashPointTest.ca;
import static dev.shomei.ra.orders.IngestCrashPointTest.connect;
import static dev.shomei.ra.orders.IngestCrashPointTest.count;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.VerificationReport;
import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.PinSource;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.OrdersPki;
import dev.shomei.ra.testkit.RestartableRaEnvironment;
import dev.shomei.ra.testkit.SimulatedCard;
import dev.shomei.ra.testkit.StandInCa;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.cms.CMSSignedData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real {@code kill -9} of the RA while it ingests a CA result bundle (docs/faults.md): the packaged RA
 * ({@code target/quarkus-app/quarkus-run.jar}, so this runs after {@code package}, by failsafe in the {@code fault}
 * profile) is started as a child JVM with {@code -Dshomei.crash.at=<point>} ({@link CrashPoints}), fed a bundle of one
 * revoke and two issue orders, and killed in the middle of {@code POST /ca/result-bundles}; PostgreSQL (a server of
 * its own) drops the open transaction with the connection. An RA started again on the same database gets the same
 * result bundle from the CA twice and must answer 204; then every order is answered once, each application issued once
 * with the CA's certificate, one book entry, notice and audit entry each, and the audit log verifies against the
 * checkpoints the RA signed after the restart.
 */
@Tag("fault")
class IngestKillIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SUMMARY = new ArrayList<>();
    static final Path MODULE = Path.of("").toAbsolutePath();
    static RestartableRaEnvironment env;
    static Map<String, String> props;
    static SimulatedCard card;
    /** The RA's ports: 0 until the first RA bound free ones (the kernel's choice), then the same for every restart. */
    static int http;
    static int https;
    static final java.util.regex.Pattern LISTENING =
            java.util.regex.Pattern.compile("Listening on: http://[^\\s:]+:(\\d+) and https://[^\\s:]+:(\\d+)");

    @BeforeAll
    static void environment() throws Exception {
        env = new RestartableRaEnvironment();
        props = env.start();
        // The test's own clients (Ra, StandInCa) read their settings as a @QuarkusTest would, from the configuration;
        // the RA's ports are known once the first RA has bound them (startRa).
        props.forEach(System::setProperty);
        RestAssured.baseURI = "http://localhost";
        JpkiPerson p = JpkiPerson.hanako();
        card = SimulatedCard.inSoftHsm("hanako-ingest-kill", p, kp -> JpkiTestCa.signing(JpkiTestCa.GEN_2024, kp.getPublic(), p));
    }

    @AfterAll
    static void stop() {
        System.out.println("fault suite (RA ingest SIGKILL): " + SUMMARY.size() + " crash(es) exercised");
        SUMMARY.forEach(s -> System.out.println("  " + s));
        if (env != null) {
            env.stop();
        }
        RestAssured.reset();
    }

    @Test
    void anRaKilledWhileItIngestsAResultBundleAppliesItExactlyOnceWhenTheCaDeliversItAgain() throws Exception {
        Process running = startRa(null);
        try {
            for (String point : List.of(CrashPoints.INGEST_AFTER_RECORD + "@2", CrashPoints.INGEST_BEFORE_COMMIT,
                    CrashPoints.INGEST_AFTER_COMMIT)) {
                running = killedAt(point, running);
            }
        } finally {
            stop(running);
        }
    }

    /** Prepares a bundle with the running RA, kills an RA at {@code point} in its ingest; returns the restarted RA. */
    private Process killedAt(String point, Process running) throws Exception {
        // Step 1: the orders of an issued, a revoked and two new certificates, pulled from the running RA.
        String issued = approved(card);
        StandInCa.execute("app-" + issued);
        String rev = Ra.officer().contentType("application/json")
                .body(Map.of("applicationId", issued, "reason", "the holder reported the key lost"))
                .post("/officer/revocations").then().statusCode(201).extract().jsonPath().getString("revocationRequestId");
        String a1 = approved(card);
        String a2 = approved(card);
        Response pulled = ca().get("/ca/order-bundles/next");
        pulled.then().statusCode(200);
        JsonNode bundle = JSON.readTree((byte[]) new CMSSignedData(pulled.asByteArray()).getSignedContent().getContent());
        assertThat(bundle.path("orders").findValuesAsText("orderId")).containsExactly("rev-" + rev, "app-" + a1, "app-" + a2);
        byte[] result = IngestCrashPointTest.answer(bundle);

        // Step 2: an RA that kills itself at the point (its only ingest is this one); the CA delivers the result.
        stop(running);
        Process ra = startRa(point);
        String answer;
        try {
            answer = "HTTP " + ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").statusCode();
        } catch (Exception e) {
            answer = "no answer (" + e.getClass().getSimpleName() + ")";
        }
        assertThat(ra.waitFor(90, TimeUnit.SECONDS)).as("the RA died at " + point).isTrue();
        String log = Files.readString(logOf(point));
        assertThat(ra.exitValue()).as("killed by SIGKILL (128 + 9): " + tail(log)).isEqualTo(137);
        assertThat(log).contains("shomei crash point " + point.split("@")[0]);
        String inFlight = log.lines().filter(l -> l.startsWith("shomei crash point ")).findFirst().orElseThrow()
                .substring(("shomei crash point " + point.split("@")[0]).length()).strip();
        if (point.startsWith(CrashPoints.INGEST_AFTER_RECORD)) {
            assertThat(inFlight).as("the second result of the bundle").isEqualTo("app-" + a1);
        }
        String bundleId = bundle.path("bundleId").asText();
        long done = count("select count(*) from ca_order where bundle_id = ? and state = 'DONE'", bundleId);
        boolean committed = point.equals(CrashPoints.INGEST_AFTER_COMMIT);
        assertThat(done).as("all of the bundle's results commit, or none").isEqualTo(committed ? 3 : 0);

        // Step 3: the RA again, on the same database; the CA delivers the same result bundle, twice.
        Process again = startRa(null);
        boolean ok = false;
        try {
            ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").then().statusCode(204);
            ca().contentType("application/pkcs7-mime").body(result).post("/ca/result-bundles").then().statusCode(204);
            for (String app : List.of(a1, a2)) {
                assertThat(Ra.status(app).getString("status")).isEqualTo("ISSUED");
                assertThat(count("select count(*) from book_entry where book = 'ISSUANCE' and (entry::jsonb ->> 'orderId') is not null and subject_id = ?::uuid", app)).isEqualTo(1);
                assertThat(count("select count(*) from notice where subject_id = ?::uuid", app)).isEqualTo(1);
                assertThat(count("select count(*) from book_entry where book = 'NOTICE' and (entry::jsonb ->> 'state') in ('QUEUED', 'NO_CONTACT') and subject_id = ?::uuid", app)).isEqualTo(1);
                assertThat(count("select count(*) from audit_entry where action = 'order.issued' and subject = ?",
                        "application:" + app)).isEqualTo(1);
            }
            assertThat(count("select count(*) from book_entry where book = 'REVOCATION' and (entry::jsonb ->> 'orderId') is not null and subject_id = ?::uuid", rev)).isEqualTo(1);
            assertThat(count("select count(*) from audit_entry where action = 'order.revoked' and subject = ?",
                    "revocation-request:" + rev)).isEqualTo(1);
            assertThat(count("select count(*) from ca_order where bundle_id = ? and state = 'DONE'", bundleId)).isEqualTo(3);
            assertThat(count("select count(*) from (select subject_id from book_entry where book in ('ISSUANCE',"
                    + " 'REVOCATION') and (entry::jsonb ->> 'orderId') is not null group by book, subject_id"
                    + " having count(*) > 1) d")).as("a result's book entry twice").isZero();
            long entries = count("select count(*) from audit_entry");
            VerificationReport report = auditVerifiesOnceACheckpointCovers(entries, again);
            SUMMARY.add("ingest " + point + " SIGKILL" + (inFlight.isEmpty() ? "" : " (" + inFlight + ")") + ": " + answer + ", orders done after crash=" + done
                    + "/3; restarted RA answered the redelivery 204 twice; 2 issued + 1 revoked once each, audit verifies ("
                    + entries + " entries" + ")");
            assertThat(report.ok()).as(report.render()).isTrue();
            ok = true;
            return again;
        } finally {
            if (!ok) {
                stop(again);
            }
        }
    }

    /** SIGTERM: a clean stop (60 s at most, then SIGKILL). */
    private static void stop(Process ra) throws InterruptedException {
        ra.destroy();
        if (!ra.waitFor(60, TimeUnit.SECONDS)) {
            ra.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Waits (60 s at most) for the RA's scheduled checkpoint to cover {@code entries}, then verifies the log. */
    private static VerificationReport auditVerifiesOnceACheckpointCovers(long entries, Process ra) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count("select coalesce(max(tree_size), 0) from audit_checkpoint") < entries) {
            assertThat(System.nanoTime()).as("a checkpoint covering " + entries + " entries within 60 s").isLessThan(deadline);
            assertThat(ra.waitFor(100, TimeUnit.MILLISECONDS)).as("the RA is running").isFalse();
        }
        try (HsmToken token = HsmToken.login(new HsmConfig(Path.of(props.get("ra.audit.checkpoint-signing.module")),
                props.get("ra.audit.checkpoint-signing.token"),
                new PinSource("file", props.get("ra.audit.checkpoint-signing.pin-file")), 1));
             Connection c = connect()) {
            PublicKey key = Pkcs11Signer.open(token, OrdersPki.CHECKPOINT_LABEL).publicKey();
            return new AuditVerifier(List.of(key)).verify(c);
        }
    }

    /** The packaged RA in a child JVM on this test's database and ports, killed at {@code crashAt} if not null. */
    private static Process startRa(String crashAt) throws Exception {
        Path jar = MODULE.resolve("target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("the packaged RA (mvn package)").exists();
        Path testClasses = MODULE.resolve("target/test-classes");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + MODULE.resolve("target"),
                // The test profile's settings (simulated J-LIS, test JPKI generations); its test-only files by path.
                "-Dquarkus.profile=test",
                "-D%test.ra.jpki.signing-cas[0].path=" + testClasses.resolve("jpki-test/sign-ca-2019.pem"),
                "-D%test.ra.jpki.signing-cas[1].path=" + testClasses.resolve("jpki-test/sign-ca-2024.pem"),
                "-D%test.ra.policy.path=" + testClasses.resolve("policy/approval-policy-test.json"),
                "-D%test.quarkus.log.file.path=" + MODULE.resolve("target/ra-kill-it.log"),
                "-D%test.ra.audit.checkpoint-every=1s",
                // The first RA binds port 0 (free ports, never found by binding and releasing one); a restart takes
                // the same ports again, and PostgreSQL-style, one taken meanwhile fails with the server's own error.
                "-Dquarkus.http.port=" + http, "-Dquarkus.http.ssl-port=" + https,
                "-Dquarkus.management.port=0"));
        if (crashAt != null) {
            cmd.add("-Dshomei.crash.at=" + crashAt);
        }
        props.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        Path log = logOf(crashAt);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(MODULE.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // SoftHSM2 reads its token directory from SOFTHSM2_CONF at C_Initialize; test-support rewrites the shared file
        // for every new token, so the RA gets a file of its own naming the orders token's directory.
        Path tokens = Path.of(props.get("ra.orders.signing.module")).getParent().resolve("tokens");
        Path conf = Files.writeString(MODULE.resolve("target/ra-kill-it-softhsm2.conf"), "directories.tokendir = "
                + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
        pb.environment().put("SOFTHSM2_CONF", conf.toString());
        Process p = pb.start();
        // Ready when the CA's endpoint answers (204 or 200: nothing or a bundle to pull).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            if (!p.isAlive()) {
                throw new AssertionError("the RA exited with " + p.exitValue() + " while starting: " + tail(Files.readString(log)));
            }
            if (http == 0) {
                java.util.regex.Matcher m = LISTENING.matcher(Files.readString(log));
                if (!m.find()) {
                    p.waitFor(200, TimeUnit.MILLISECONDS); // the first start: its ports are not printed yet
                    if (System.nanoTime() > deadline) {
                        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                        throw new AssertionError("the RA did not start within 180 s: " + tail(Files.readString(log)));
                    }
                    continue;
                }
                http = Integer.parseInt(m.group(1));
                https = Integer.parseInt(m.group(2));
                RestAssured.port = http;
                System.setProperty("quarkus.http.test-ssl-port", Integer.toString(https));
            }
            try {
                int status = ca().get("/q/health").statusCode(); // not on this port: 404 means the server is up
                if (status > 0) {
                    return p;
                }
            } catch (Exception e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                throw new AssertionError("the RA did not start within 180 s: " + tail(Files.readString(log)));
            }
            p.waitFor(200, TimeUnit.MILLISECONDS); // polling a child's start-up with a deadline (returns if it dies)
        }
    }

    private static Path logOf(String crashAt) {
        return MODULE.resolve("target/ra-kill-it-" + (crashAt == null ? "restarted" : crashAt.replace('@', '-')) + ".out");
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }
}
