package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.cli.CaCli;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.testsupport.RestartableDatabase;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;

/**
 * One run of the fault suite (docs/faults.md): a real CA (SoftHSM2 token, key ceremony) on a PostgreSQL of its own
 * that can be crashed, a command stopped at a named {@link CrashPoints crash point}, everything in memory thrown
 * away, and the command run again; then the invariants the CA promises are checked against the database, the audit
 * log and the files.
 *
 * <p>Three flows: {@link Flow#ORDERS} imports an RA order bundle (issue orders and one revoke order) with
 * {@code ca orders import}; {@link Flow#CRL} signs a CRL with {@code ca crl --out}; {@link Flow#PULL} runs {@code ca
 * orders pull --once} against an RA over mutual TLS ({@link StandInRa}) that serves the same bundle, so the pull
 * loop fetches it, executes it, delivers the result and issues the CRL the revocation makes due. How the crash happens:
 * {@link Mode#PROCESS} throws an {@link Error} at the point (the in-process stand-in for kill -9: no catch block of
 * the CA sees it, the command's objects are discarded); {@link Mode#DATABASE} kills PostgreSQL at the point
 * (SIGKILL to every PostgreSQL process) and starts it again, and the CA carries on with broken connections;
 * {@link Mode#BOTH} does both. {@link Mode#KILL9} runs the command in a child JVM that sends itself SIGKILL there.
 *
 * <p>Zone: tests only.
 */
final class CrashScenario implements AutoCloseable {

    enum Flow { ORDERS, CRL, PULL }

    enum Mode { PROCESS, DATABASE, BOTH, KILL9 }

    /** The in-process crash: an Error, so that no {@code catch (Exception)} of the CA handles it. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String point) {
            super("simulated crash at " + point);
        }
    }

    /** What a run did, for the suite's summary. */
    record Outcome(Flow flow, String point, int nth, Mode mode, String reached, String state) {}

    static final int ISSUES = 3;

    final RestartableDatabase pg;
    final CaFixture f;
    final Path bundle;
    final Path result;
    final Path crlOut;
    /** Order id → decision id of every order the CA was given. */
    final Map<String, String> orders = new LinkedHashMap<>();
    final String revokedSerial;
    /** Serials and CRL numbers the crash hook saw signed (in the HSM) before the crash. */
    final List<String> signedBeforeCrash = new CopyOnWriteArrayList<>();
    byte[] crlBeforeCrash;
    /** The RA of the pull flow, started by the first pull run. */
    StandInRa ra;

    private CrashScenario(RestartableDatabase pg, CaFixture f) throws Exception {
        this.pg = pg;
        this.f = f;
        this.bundle = f.dir.resolve("orders.p7m");
        this.result = f.dir.resolve("result.p7m");
        this.crlOut = f.dir.resolve("issuing.crl");
        // A certificate to revoke, from an earlier bundle, and the first CRL: the state before the run.
        Path first = f.dir.resolve("first.p7m");
        ObjectNode setup = OrderBundleTest.issue("setup-1", CaFixture.csr("CN=Setup,C=JP", CaFixture.ecKey("secp256r1")));
        orders.put("setup-1", "decision-setup-1");
        Files.write(first, OrderBundleTest.bundle(f.raKeys, f.raCert, "setup-bundle", setup));
        assertThat(ca("orders", "import", "--bundle", first.toString(), "--result-out", f.dir.resolve("first-result.p7m").toString()).exit()).isZero();
        revokedSerial = serialOf("setup-1");
        assertThat(ca("crl", "--out", crlOut.toString()).exit()).isZero();
        crlBeforeCrash = Files.readAllBytes(crlOut);
        List<ObjectNode> list = new ArrayList<>();
        for (int i = 0; i < ISSUES; i++) {
            String id = "fault-issue-" + i;
            list.add(OrderBundleTest.issue(id, CaFixture.csr("CN=Fault " + i + ",C=JP", CaFixture.ecKey("secp256r1"))));
            orders.put(id, "decision-" + id);
        }
        list.add(OrderBundleTest.revoke("fault-revoke", revokedSerial));
        orders.put("fault-revoke", "decision-fault-revoke");
        Files.write(bundle, OrderBundleTest.bundle(f.raKeys, f.raCert, "fault-bundle", list.toArray(ObjectNode[]::new)));
    }

    static CrashScenario create(String name) throws Exception {
        RestartableDatabase pg = RestartableDatabase.start("fault_" + name);
        try {
            CaFixture f = CaFixture.create("fault-" + name, "EC-P256", "EC-P256", pg.database());
            f.ceremony();
            f.ca.close(); // each command below opens the CA as the ca command does
            f.ca = null;
            return new CrashScenario(pg, f);
        } catch (Exception | Error e) {
            pg.close();
            throw e;
        }
    }

    CaCommand.Result ca(String... args) {
        List<String> all = new ArrayList<>(List.of("--config", f.configFile.toString()));
        all.addAll(List.of(args));
        return CaCommand.run(all.toArray(String[]::new));
    }

    String[] command(Flow flow) {
        return switch (flow) {
            case ORDERS -> new String[] {"orders", "import", "--bundle", bundle.toString(), "--result-out", result.toString()};
            case CRL -> new String[] {"crl", "--out", crlOut.toString()};
            case PULL -> new String[] {"orders", "pull", "--once"};
        };
    }

    /**
     * Starts the RA of the pull flow (once), offering the fault bundle, and points ca.yaml's {@code orders.pull} at
     * it. The result signer is the issuing key (the fixture delegates no result signer).
     */
    StandInRa ra() throws Exception {
        if (ra == null) {
            ra = new StandInRa(f.dir, issuingCertificate());
            ra.answeredBefore("setup-bundle", Files.readAllBytes(f.dir.resolve("first.p7m")));
            ra.offer("fault-bundle", Files.readAllBytes(bundle));
            String yaml = Files.readString(f.configFile, StandardCharsets.UTF_8);
            String orders = "orders:\n  trustedRaCertificates: [ra-orders.pem]\n";
            assertThat(yaml).contains(orders);
            Files.writeString(f.configFile, yaml.replace(orders, orders + ra.pullYaml()), StandardCharsets.UTF_8);
        }
        return ra;
    }

    /**
     * Runs the flow's command, crashing at the {@code nth} time {@code point} is reached; then restarts what the
     * mode crashed, runs the command again to completion and returns what happened.
     */
    Outcome crashAndRerun(Flow flow, String point, int nth, Mode mode) throws Exception {
        if (flow == Flow.PULL) {
            ra();
        }
        String reached;
        if (mode == Mode.KILL9) {
            reached = killedChild(flow, point, nth);
        } else {
            reached = inProcess(flow, point, nth, mode);
        }
        String state = stateAfterCrash(flow);
        // The restart: a new process (everything in memory is gone), PostgreSQL up, the same command again.
        CaCommand.Result again = ca(command(flow));
        if (flow == Flow.ORDERS && again.exit() == 1 && again.err().contains("already executed")) {
            // The bundle had completed before the crash: a replay is refused, and the operator writes the stored
            // result instead (docs/order-bundles.md), which is the same signed answer.
            state += "; rerun refused as a replay, stored result written";
            again = ca("orders", "result", "--bundle-id", "fault-bundle", "--out", result.toString());
        }
        assertThat(again.exit()).as("the rerun after a crash at " + point + " succeeds: " + again.err()).isZero();
        return new Outcome(flow, point, nth, mode, reached, state);
    }

    private String inProcess(Flow flow, String point, int nth, Mode mode) {
        AtomicInteger seen = new AtomicInteger();
        List<String> reached = new CopyOnWriteArrayList<>();
        CrashPoints.install((p, detail) -> {
            if (p.equals(CrashPoints.AFTER_HSM_SIGN) || p.equals(CrashPoints.BEFORE_COMMIT)) {
                signedBeforeCrash.addAll(List.of(detail.split(",")));
            }
            if (!p.equals(point) || seen.incrementAndGet() != nth) {
                return;
            }
            reached.add(p + " " + detail);
            if (mode == Mode.DATABASE || mode == Mode.BOTH) {
                pg.crash();
                pg.restart();
            }
            if (mode == Mode.PROCESS || mode == Mode.BOTH) {
                throw new SimulatedCrash(p);
            }
        });
        try {
            CaCommand.Result r = ca(command(flow));
            if (mode == Mode.PROCESS || mode == Mode.BOTH) {
                throw new AssertionError("the command was not stopped at " + point + " (#" + nth + "): exit "
                        + r.exit() + " " + r.err());
            }
            // PostgreSQL died under the command: it fails (or, after its commit, finishes); it never hangs.
        } catch (SimulatedCrash expected) {
            // the process is gone; its objects (pool, token session, signer) were dropped with the stack
        } finally {
            CrashPoints.clear();
        }
        assertThat(reached).as("crash point " + point + " (#" + nth + ") was reached").hasSize(1);
        return reached.get(0);
    }

    /** The command in a child JVM that sends itself SIGKILL at the point; returns the line it printed there. */
    private String killedChild(Flow flow, String point, int nth) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED",
                "-Dshomei.crash.at=" + point + "@" + nth,
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), CaCli.class.getName(), "--config", f.configFile.toString()));
        cmd.addAll(List.of(command(flow)));
        Path log = f.dir.resolve("killed-" + point + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("the child CA did not reach " + point + " within 180 s: " + Files.readString(log));
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as("killed by SIGKILL (128 + 9) at " + point + ": " + out).isEqualTo(137);
        String line = out.lines().filter(l -> l.startsWith("shomei crash point " + point)).findFirst()
                .orElseThrow(() -> new AssertionError("the child never reached " + point + ": " + out));
        String detail = line.substring(("shomei crash point " + point).length()).strip();
        if (point.equals(CrashPoints.AFTER_HSM_SIGN) || point.equals(CrashPoints.BEFORE_COMMIT)) {
            signedBeforeCrash.addAll(List.of(detail.split(",")));
        }
        return point + " " + detail;
    }

    /** What the crash left, in a few words (for the summary), after checking that no output file is torn. */
    private String stateAfterCrash(Flow flow) throws Exception {
        if (flow == Flow.CRL) {
            // The CRL file holds the CRL from before the crash, whole, or the new one, whole: never a part.
            byte[] now = Files.readAllBytes(crlOut);
            if (!java.util.Arrays.equals(now, crlBeforeCrash)) {
                assertThat(crlNumber(now)).as("a replaced CRL file is a whole, recorded CRL").isEqualTo(latestCrl());
            }
            return "crls=" + f.count("crl") + " pending-intents=" + pendingIntents();
        }
        if (flow == Flow.PULL) {
            return "certificates=" + f.count("certificate") + " orders=" + f.count("executed_order")
                    + " ra-answered=" + ra.answers().keySet().stream().filter(o -> !o.startsWith("setup-")).count()
                    + " result-posts=" + ra.resultPosts("fault-bundle")
                    + " pending-intents=" + pendingIntents();
        }
        if (Files.exists(result)) {
            assertThat(OrderBundleTest.results(Files.readAllBytes(result), issuingCertificate()))
                    .as("a result file, if written, is whole").hasSize(orders.size() - 1);
        }
        return "certificates=" + f.count("certificate") + " orders=" + f.count("executed_order")
                + " pending-intents=" + pendingIntents();
    }

    /**
     * What the CA promises after any crash and a rerun: no certificate twice for an order or a key, none lost that
     * the HSM signed, every order executed once with its decision, every revocation kept, CRL numbers strictly
     * increasing and never reused, every intent resolved, and an audit log that verifies.
     */
    void assertInvariants(Flow flow) throws Exception {
        try (Connection c = f.db.connect()) {
            // No duplicate: one certificate per request id and per key.
            assertThat(longs(c, "SELECT count(*) FROM (SELECT request_id FROM certificate GROUP BY request_id"
                    + " HAVING count(*) > 1) d")).containsExactly(0L);
            assertThat(longs(c, "SELECT count(*) FROM (SELECT public_key_sha256 FROM certificate GROUP BY"
                    + " public_key_sha256 HAVING count(*) > 1) d")).as("no key certified twice").containsExactly(0L);
            // No order lost: each executed once, with its decision; each issued one has its certificate.
            for (Map.Entry<String, String> o : orders.entrySet()) {
                if (flow == Flow.CRL && !o.getKey().startsWith("setup-")) {
                    continue; // the CRL flow never imports the fault bundle
                }
                List<String> rows = strings(c, "SELECT decision_id || ' ' || status || ' ' || coalesce(serial, '-')"
                        + " FROM executed_order WHERE order_id = '" + o.getKey() + "'");
                assertThat(rows).as("order " + o.getKey() + " executed exactly once").hasSize(1);
                assertThat(rows.get(0)).startsWith(o.getValue() + " ");
                assertThat(rows.get(0)).as("order " + o.getKey()).doesNotContain(" refused ");
                if (!o.getKey().equals("fault-revoke")) {
                    assertThat(strings(c, "SELECT serial FROM certificate WHERE request_id = '" + o.getKey() + "'"))
                            .as("the certificate of order " + o.getKey()).hasSize(1);
                }
            }
            if (flow != Flow.CRL) {
                assertThat(strings(c, "SELECT requested_by FROM revocation WHERE serial = '" + revokedSerial + "'"))
                        .as("the revocation is kept, once").hasSize(1);
            }
            // Nothing the HSM signed is lost.
            for (String s : signedBeforeCrash) {
                if (!s.startsWith("crl ")) {
                    assertThat(strings(c, "SELECT serial FROM certificate WHERE serial = '" + s + "'"))
                            .as("certificate " + s + " was signed before the crash and is recorded").hasSize(1);
                }
            }
            // Every intent resolved; every certificate accounted for by exactly one intent (HSM reconciliation).
            assertThat(pendingIntents()).as("no unresolved signing intent after the rerun").isZero();
            assertThat(longs(c, "SELECT count(*) FROM certificate x WHERE (SELECT count(*) FROM signing_intent i JOIN"
                    + " signing_intent_resolution r ON r.intent_id = i.id WHERE i.serial = x.serial"
                    + " AND r.outcome IN ('recorded', 're-signed')) <> 1")).containsExactly(0L);
            assertThat(longs(c, "SELECT count(*) FROM signing_intent_resolution WHERE outcome = 'void' AND"
                    + " (reason IS NULL OR reason = '')")).containsExactly(0L);
            // CRL numbers: never a voided number, and every recorded CRL has its intent.
            assertThat(longs(c, "SELECT count(*) FROM crl x JOIN signing_intent i ON i.kind = 'crl' AND i.crl_number"
                    + " = x.crl_number AND i.issuer_label = x.issuer_label JOIN signing_intent_resolution r ON"
                    + " r.intent_id = i.id WHERE r.outcome = 'void'")).as("a voided CRL number is never used").containsExactly(0L);
        }
        // Every certificate has its audit entry, and every entry its certificate: never one without the other.
        try (Connection c = f.db.connect()) {
            assertThat(f.events().stream().filter(e -> e.startsWith("issued ")).map(e -> e.substring(7)).sorted().toList())
                    .as("certificate.issued audit entries").isEqualTo(strings(c, "SELECT serial FROM certificate ORDER BY serial")
                            .stream().sorted().toList());
        }
        // CRL numbers strictly increase in the order the CRLs were made (the audit log's order).
        List<Long> numbers = f.events().stream().filter(e -> e.startsWith("crl ")).map(e -> Long.parseLong(e.substring(4))).toList();
        for (int i = 1; i < numbers.size(); i++) {
            assertThat(numbers.get(i)).as("CRL numbers in issuance order " + numbers).isGreaterThan(numbers.get(i - 1));
        }
        if (flow == Flow.CRL) {
            assertThat(crlNumber(Files.readAllBytes(crlOut))).as("the CRL file is the latest CRL").isEqualTo(latestCrl());
        } else if (flow == Flow.PULL) {
            assertRaSawEachOrderAnsweredOnce();
        } else {
            JsonNode results = OrderBundleTest.results(Files.readAllBytes(result), issuingCertificate());
            assertThat(results).hasSize(orders.size() - 1);
            for (JsonNode r : results) {
                assertThat(r.get("status").asText()).as(r.toString()).isIn("issued", "revoked");
            }
        }
        // The audit log verifies, with a checkpoint over everything up to now.
        f.open();
        try {
            assertThat(f.verifyAudit().ok()).as("the audit chain verifies after the crash").isTrue();
        } finally {
            f.ca.close();
            f.ca = null;
        }
    }

    /**
     * The pull flow as the RA sees it: every order of the bundle answered, with the CA's certificate for each issue
     * order and the revocation for the revoke order; never two different answers for one order; the bundle answered
     * and the CA knows it delivered (nothing left in {@code ca orders undelivered}); and the revocation is on the
     * latest CRL, which the pull loop issued after it.
     */
    private void assertRaSawEachOrderAnsweredOnce() throws Exception {
        assertThat(ra.conflicts()).as("the CA never answered an order twice, differently").isEmpty();
        assertThat(ra.answered("fault-bundle")).as("the RA has the bundle's result").isTrue();
        Map<String, StandInRa.Answer> answers = ra.answers();
        try (Connection c = f.db.connect()) {
            for (String order : orders.keySet()) {
                if (order.startsWith("setup-")) {
                    continue; // imported from a file before the run, never served by the RA
                }
                StandInRa.Answer a = answers.get(order);
                assertThat(a).as("the RA has an answer for order " + order).isNotNull();
                if (order.equals("fault-revoke")) {
                    assertThat(a.status()).isEqualTo("revoked");
                    assertThat(a.serial()).isEqualToIgnoringCase(revokedSerial);
                } else {
                    assertThat(a.status()).as(order).isEqualTo("issued");
                    assertThat(strings(c, "SELECT serial FROM certificate WHERE request_id = '" + order + "'"))
                            .as("the RA's certificate of " + order + " is the one the CA recorded")
                            .containsExactly(a.serial());
                }
            }
            assertThat(answers.keySet().stream().filter(o -> !o.startsWith("setup-")).toList())
                    .hasSize(orders.size() - 1);
            assertThat(strings(c, "SELECT bundle_id FROM order_bundle WHERE completed_at IS NOT NULL AND"
                    + " result_delivered_at IS NULL")).as("every result recorded as delivered").isEmpty();
            try (PreparedStatement ps = c.prepareStatement("SELECT der FROM crl ORDER BY crl_number DESC LIMIT 1");
                 ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(
                        new ByteArrayInputStream(rs.getBytes(1)));
                assertThat(crl.getRevokedCertificate(new BigInteger(revokedSerial, 16)))
                        .as("the revocation is on the latest CRL, issued by the pull loop").isNotNull();
            }
        }
    }

    long pendingIntents() throws SQLException {
        try (Connection c = f.db.connect()) {
            return longs(c, "SELECT count(*) FROM signing_intent i WHERE NOT EXISTS (SELECT 1 FROM"
                    + " signing_intent_resolution r WHERE r.intent_id = i.id)").get(0);
        }
    }

    /** The single number a query answers, e.g. a count. */
    long count(String sql) throws SQLException {
        try (Connection c = f.db.connect()) {
            return longs(c, sql).get(0);
        }
    }

    long latestCrl() throws SQLException {
        try (Connection c = f.db.connect()) {
            return longs(c, "SELECT max(crl_number) FROM crl").get(0);
        }
    }

    String voidReasons() throws SQLException {
        try (Connection c = f.db.connect()) {
            return String.join("; ", strings(c, "SELECT reason FROM signing_intent_resolution WHERE outcome = 'void'"));
        }
    }

    private java.security.cert.X509Certificate issuingCertificate() throws Exception {
        return (java.security.cert.X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(f.dir.resolve("ceremony/issuing-ca.cer"))));
    }

    private String serialOf(String orderId) throws SQLException {
        try (Connection c = f.db.connect()) {
            return strings(c, "SELECT serial FROM certificate WHERE request_id = '" + orderId + "'").get(0);
        }
    }

    static long crlNumber(byte[] der) throws Exception {
        X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        BigInteger n = ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getValue();
        return n.longValueExact();
    }

    private static List<Long> longs(Connection c, String sql) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Override
    public void close() {
        CrashPoints.clear();
        if (ra != null) {
            ra.close();
        }
        try {
            f.close();
        } finally {
            pg.close();
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
