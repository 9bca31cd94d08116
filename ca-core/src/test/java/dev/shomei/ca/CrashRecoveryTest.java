package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.cli.CaCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real crash: the {@code ca orders import} process is killed (SIGKILL) while it executes a bundle, then
 * run again. No certificate is duplicated or lost, and every order is executed exactly once.
 */
class CrashRecoveryTest {

    @Test
    void killedMidBundleThenRerunExecutesEveryOrderOnce() throws Exception {
        try (CaFixture f = CaFixture.create("crash", "EC-P256", "EC-P256")) {
            f.ceremony();
            f.ca.close(); // the CA process below is the only user of the token and database
            f.ca = null;
            int n = 150;
            ObjectNode[] orders = new ObjectNode[n];
            for (int i = 0; i < n; i++) {
                orders[i] = OrderBundleTest.issue("crash-" + i, CaFixture.csr("CN=Crash " + i + ",C=JP", CaFixture.ecKey("secp256r1")));
            }
            Path bundle = f.dir.resolve("crash.p7m");
            Files.write(bundle, OrderBundleTest.bundle(f.raKeys, f.raCert, "crash-bundle", orders));
            Path result = f.dir.resolve("crash-result.p7m");

            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                    "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), CaCli.class.getName(),
                    "--config", f.configFile.toString(), "orders", "import", "--bundle", bundle.toString(),
                    "--result-out", result.toString()));
            Process ca = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(f.dir.resolve("killed-ca.log").toFile()).start();
            // Kill it once it has recorded the bundle as received, i.e. while it executes the orders.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (f.count("order_bundle") == 0 && ca.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(ca.isAlive()).as("the CA was still working when killed: " + Files.readString(f.dir.resolve("killed-ca.log")))
                    .isTrue();
            ca.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertThat(Files.exists(result)).as("no result was written by the killed process").isFalse();
            long issuedBeforeKill = f.count("certificate");

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
}
