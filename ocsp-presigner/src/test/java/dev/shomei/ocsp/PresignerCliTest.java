package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.cli.PresignerCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code presigner} command as an operator (or a scheduler) runs it, with exit codes and messages. */
class PresignerCliTest {

    record Result(int exit, String out, String err) {}

    private static Result presigner(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        try {
            return new Result(PresignerCli.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void loopOnceMakesAWholeLeftoverReadyDeletesAnUnfinishedOneAndMarksItsOwnBundleLast() throws Exception {
        try (PresignerFixture f = PresignerFixture.create("loop")) {
            String cfg = f.presignerYaml.toString();
            // What a cycle stopped after writing its bundle (whole) and one stopped while writing (a manifest only).
            Path outbox = outboxWithWholeLeftover(f, ".bundle-20260101T000000.000Z.partial");
            Path unfinished = Files.createDirectories(outbox.resolve(".bundle-20260101T000000.001Z.partial"));
            Files.writeString(unfinished.resolve("manifest.json"), "{\"format\":");

            Result loop = presigner("--config", cfg, "loop", "--once", "--outbox", outbox.toString());
            assertThat(loop.exit()).as(loop.out() + loop.err()).isZero();
            assertThat(loop.out()).contains("a whole bundle left by a stopped cycle is now ready: bundle-20260101T000000.000Z",
                    "deleted an unfinished bundle left by a stopped cycle (bundle-20260101T000000.001Z", "cycle done: ");
            List<String> names = visibleNames(outbox);
            assertThat(names.get(0)).isEqualTo("bundle-20260101T000000.000Z");
            assertThat(names.get(1)).isEqualTo("bundle-20260101T000000.000Z.ready");
            assertThat(names.get(3)).isEqualTo(names.get(2) + ".ready");
            assertThat(outbox.resolve(names.get(3))).isEmptyFile();
            assertVerifies(f, outbox, names.get(0), names.get(2));
        }
    }

    @Test
    void loopOnceWithTarWritesOneTarPerBundleAndRecoversWhatAStoppedTarCycleLeft() throws Exception {
        try (PresignerFixture f = PresignerFixture.create("looptar")) {
            String cfg = f.presignerYaml.toString();
            // A cycle stopped after its tar was whole and named, before the move into place; and one stopped while
            // the tar writer was at work (its .partial files only).
            Path outbox = outboxWithWholeLeftover(f, ".bundle-20260101T000000.000Z.tar");
            Files.writeString(outbox.resolve(".bundle-20260101T000000.001Z.tar.partial"), "not a whole tar");
            Files.writeString(outbox.resolve(".bundle-20260101T000000.001Z.tar.manifest.json.partial"), "{\"format\":");

            Result loop = presigner("--config", cfg, "loop", "--once", "--tar", "--outbox", outbox.toString());
            assertThat(loop.exit()).as(loop.out() + loop.err()).isZero();
            assertThat(loop.out()).contains("a whole bundle left by a stopped cycle is now ready: bundle-20260101T000000.000Z",
                    "deleted the unfinished tar .bundle-20260101T000000.001Z.tar.partial", "cycle done: ");
            // Each bundle a NAME.tar with its empty marker NAME.ready, as the publisher's inbox takes them.
            List<String> names = visibleNames(outbox);
            assertThat(names.get(0)).isEqualTo("bundle-20260101T000000.000Z.ready");
            assertThat(names.get(1)).isEqualTo("bundle-20260101T000000.000Z.tar");
            assertThat(names.get(3)).isEqualTo(names.get(2).replace(".ready", ".tar"));
            assertThat(outbox.resolve(names.get(2))).isEmptyFile();
            assertThat(outbox.resolve(names.get(3))).isRegularFile();
            assertVerifies(f, outbox, names.get(1), names.get(3));
        }
    }

    /**
     * One certificate issued with its CRL and checkpoint, and an outbox holding, under the hidden name
     * {@code leftover}, the whole full bundle a stopped cycle left there.
     */
    private static Path outboxWithWholeLeftover(PresignerFixture f, String leftover) throws Exception {
        f.issue(1);
        f.crlAndCheckpoint();
        Path outbox = Files.createDirectories(f.dir.resolve("outbox"));
        assertThat(presigner("--config", f.presignerYaml.toString(), "bundle", "--out",
                outbox.resolve(leftover).toString(), "--full").exit()).isZero();
        return outbox;
    }

    /** The outbox's names, sorted: two bundles and their markers, nothing hidden left. */
    private static List<String> visibleNames(Path outbox) throws Exception {
        List<String> names;
        try (var list = Files.list(outbox)) {
            names = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(names).noneMatch(n -> n.startsWith(".")).hasSize(4);
        return names;
    }

    /** Each bundle passes {@code presigner verify} against the issuing CA. */
    private static void assertVerifies(PresignerFixture f, Path outbox, String... bundles) throws Exception {
        Path issuing = PresignerFixture.writePem(f.dir.resolve("issuing-ca.pem"), f.issuingCert());
        for (String bundle : bundles) {
            Result verify = presigner("verify", "--dir", outbox.resolve(bundle).toString(), "--ca", issuing.toString());
            assertThat(verify.exit()).as(bundle + ": " + verify.out() + verify.err()).isZero();
        }
    }

    @Test
    void presignStatusBundleVerifyWithExitCodes() throws Exception {
        try (PresignerFixture f = PresignerFixture.create("cli")) {
            List<X509Certificate> certs = f.issue(2);
            f.revoke(certs.get(1), RevocationReason.CESSATION_OF_OPERATION);
            String cfg = f.presignerYaml.toString();

            Result before = presigner("--config", cfg, "status");
            assertThat(before.exit()).as(before.err()).isZero();
            long total = f.count("SELECT count(*) FROM certificate WHERE issuer_label = 'issuing-test'");
            assertThat(before.out()).contains("unexpired certificates: " + total, "due now:                " + total);

            Result presign = presigner("--config", cfg, "presign");
            assertThat(presign.exit()).as(presign.err()).isZero();
            assertThat(presign.out()).contains("presign: " + total + " response(s) signed (1 revoked) of " + total + " due");
            assertThat(presigner("--config", cfg, "presign").out()).contains("presign: 0 response(s) signed");

            Result after = presigner("--config", cfg, "status");
            assertThat(after.out()).contains("responses good:         " + (total - 1), "responses revoked:      1",
                    "due now:                0");

            // No CRL yet: the bundle is refused (exit 1) and says what to do.
            Path out = f.dir.resolve("cli-bundle");
            Result noCrl = presigner("--config", cfg, "bundle", "--out", out.toString());
            assertThat(noCrl.exit()).isEqualTo(1);
            assertThat(noCrl.err()).contains("refused", "run 'ca crl'");

            f.crlAndCheckpoint();
            Path out2 = f.dir.resolve("cli-bundle-2");
            Result bundle = presigner("--config", cfg, "bundle", "--out", out2.toString(), "--full");
            assertThat(bundle.exit()).as(bundle.err()).isZero();
            assertThat(bundle.out()).contains(total + " OCSP response(s) (full)");
            Path issuing = PresignerFixture.writePem(f.dir.resolve("issuing-ca.pem"), f.issuingCert());
            Result verify = presigner("verify", "--dir", out2.toString(), "--ca", issuing.toString());
            assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
            // The tar form: --out FILE.tar; verify reads it as it is; an existing output is refused (exit 1).
            Path tar = f.dir.resolve("cli-bundle-3.tar");
            Result tarBundle = presigner("--config", cfg, "bundle", "--out", tar.toString(), "--full");
            assertThat(tarBundle.exit()).as(tarBundle.err()).isZero();
            assertThat(tarBundle.out()).contains("written to " + tar, total + " OCSP response(s) (full)");
            Result tarVerify = presigner("verify", "--bundle", tar.toString(), "--ca", issuing.toString());
            assertThat(tarVerify.exit()).as(tarVerify.out() + tarVerify.err()).isZero();
            Result again = presigner("--config", cfg, "bundle", "--out", tar.toString());
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("already exists");
            Files.writeString(out2.resolve("audit/checkpoint.txt"), "rewritten history\n");
            Result tampered = presigner("verify", "--dir", out2.toString(), "--ca", issuing.toString());
            assertThat(tampered.exit()).isEqualTo(1);
            assertThat(tampered.out()).contains("FAILED: audit/checkpoint.txt: size");

            // Configuration and usage errors: exit 2, naming the setting or the option.
            Result badValidity = presigner("--config", PresignerFixture.writePresignerYaml(f.dir, 2).toString(), "presign");
            assertThat(badValidity.exit()).isEqualTo(2);
            assertThat(badValidity.err()).contains("validityHours 2 is outside 8..240");
            Result wrongKey = presigner("--config", cfg, "presign", "--responder-label", PresignerFixture.PUBLISHER);
            assertThat(wrongKey.exit()).isEqualTo(2);
            assertThat(wrongKey.err()).contains("lacks id-kp-OCSPSigning");
            assertThat(presigner("--config", cfg, "bundle").exit()).isEqualTo(2);
            Result caYaml = presigner("--config", f.caYaml.toString(), "presign");
            assertThat(caYaml.exit()).isEqualTo(2);
            assertThat(caYaml.err()).contains("looks like the CA's ca.yaml");
            assertThat(presigner("--config", f.dir.resolve("missing.yaml").toString(), "status").err())
                    .contains("not found");
        }
    }
}
