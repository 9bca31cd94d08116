package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.cli.CaCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real crash: the {@code ca orders import} process is killed (SIGKILL) while it executes a bundle, then
 * run again. No certificate is duplicated or lost, and every order is executed exactly once.
 *
 * <p>The kill happens at a known point, not when a timer fires: the test holds a lock on one table, the CA
 * process blocks on its first write to that table, and the test kills it once PostgreSQL shows it waiting there.
 * Each point leaves a state the test asserts before the rerun:
 * <ul>
 *   <li>{@code certificate}: the bundle is recorded as received; every certificate was signed in the HSM but
 *       none is stored (the issuance transaction never commits), no order is recorded;</li>
 *   <li>{@code executed_order}: every certificate is stored with its audit entry, no order result is recorded
 *       (the rerun must answer from the stored certificates, never sign again).</li>
 * </ul>
 */
class CrashRecoveryTest {

    @ParameterizedTest(name = "killed while blocked on {0}")
    @ValueSource(strings = {"certificate", "executed_order"})
    void killedMidBundleThenRerunExecutesEveryOrderOnce(String blockedOn) throws Exception {
        try (CaFixture f = CaFixture.create("crash", "EC-P256", "EC-P256")) {
            f.ceremony();
            f.ca.close(); // the CA process below is the only user of the token and database
            f.ca = null;
            int n = 20;
            ObjectNode[] orders = new ObjectNode[n];
            for (int i = 0; i < n; i++) {
                orders[i] = OrderBundleTest.issue("crash-" + i, CaFixture.csr("CN=Crash " + i + ",C=JP", CaFixture.ecKey("secp256r1")));
            }
            Path bundle = f.dir.resolve("crash.p7m");
            Files.write(bundle, OrderBundleTest.bundle(f.raKeys, f.raCert, "crash-bundle", orders));
            Path result = f.dir.resolve("crash-result.p7m");
            Path killedLog = f.dir.resolve("killed-ca.log");

            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                    "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), CaCli.class.getName(),
                    "--config", f.configFile.toString(), "orders", "import", "--bundle", bundle.toString(),
                    "--result-out", result.toString()));
            long issuedBeforeKill;
            try (Connection holder = f.db.connect(); Connection observer = f.db.connect()) {
                // EXCLUSIVE lets the CA read the table but not write it: its first INSERT waits for this lock.
                holder.setAutoCommit(false);
                try (Statement st = holder.createStatement()) {
                    st.execute("LOCK TABLE " + blockedOn + " IN EXCLUSIVE MODE");
                }
                Process ca = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(killedLog.toFile()).start();
                try {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (lockWaiters(observer, blockedOn) == 0) {
                        assertThat(ca.isAlive()).as("the CA is still working: " + Files.readString(killedLog)).isTrue();
                        assertThat(System.nanoTime()).as("the CA waits on " + blockedOn + " within 120 s").isLessThan(deadline);
                        Thread.onSpinWait();
                    }
                } finally {
                    ca.destroyForcibly();
                    assertThat(ca.waitFor(30, TimeUnit.SECONDS)).as("the killed CA process is gone").isTrue();
                    holder.rollback();
                }
            }
            // The state the kill left, as the point promises.
            assertThat(Files.exists(result)).as("no result was written by the killed process").isFalse();
            assertThat(f.count("order_bundle")).as("the bundle was recorded as received").isEqualTo(1);
            assertThat(count(f, "SELECT count(*) FROM order_bundle WHERE completed_at IS NULL")).isEqualTo(1);
            assertThat(f.count("executed_order")).isZero();
            issuedBeforeKill = f.count("certificate");
            assertThat(issuedBeforeKill).isEqualTo(blockedOn.equals("certificate") ? 0 : n);
            assertThat(f.events().stream().filter(e -> e.startsWith("issued "))).hasSize((int) issuedBeforeKill);

            // Run it again: everything the killed run committed is answered, the rest executed, once.
            int exit = CaCli.run("--config", f.configFile.toString(), "orders", "import", "--bundle", bundle.toString(),
                    "--result-out", result.toString());
            assertThat(exit).isZero();
            assertThat(f.count("certificate")).as("issued before the kill: " + issuedBeforeKill).isEqualTo(n);
            assertThat(f.count("executed_order")).isEqualTo(n);
            try (var c = f.db.connect(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(DISTINCT request_id), count(DISTINCT public_key_sha256) FROM certificate")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(n);
                assertThat(rs.getLong(2)).isEqualTo(n);
            }
            assertThat(OrderBundleTest.results(Files.readAllBytes(result), f.open().issuingSigner().certificate())).hasSize(n);
            // The audit log after the kill: one entry per certificate and per order, and the chain verifies.
            assertThat(f.events().stream().filter(e -> e.startsWith("issued "))).hasSize(n);
            assertThat(f.events().stream().filter(e -> e.startsWith("order ") && e.endsWith(" issued"))).hasSize(n);
            assertThat(f.verifyAudit().ok()).isTrue();
        }
    }

    /** Backends waiting for a lock on {@code table} (pg_locks is readable by every role). */
    static long lockWaiters(Connection observer, String table) throws SQLException {
        try (PreparedStatement ps = observer.prepareStatement(
                "SELECT count(*) FROM pg_locks WHERE relation = ?::regclass AND NOT granted")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    static long count(CaFixture f, String sql) throws SQLException {
        try (Connection c = f.db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
