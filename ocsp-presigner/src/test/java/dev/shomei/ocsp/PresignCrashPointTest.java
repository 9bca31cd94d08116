package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.bundle.BundleVerifier;
import dev.shomei.ocsp.bundle.PublicationBundle;
import dev.shomei.ocsp.cli.PresignerCli;
import dev.shomei.ocsp.presign.OcspPresigner;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The presigner and the publication bundle crashed at each named point (docs/faults.md), then rerun: every
 * certificate ends with exactly one current response, signed by the responder and saying what the CA's tables
 * say; a bundle directory verifies whole or has no signature (the publisher refuses it); the bundle made by the
 * rerun carries every response the crashed one would have. One CA for the class: every check is over all of its
 * certificates, so each case adds its own and the earlier cases' state must stay right too.
 *
 * <p>Part of the fault suite ({@code bin/test-faults}), not the normal build: about 85 s with its SIGKILL.
 */
@Tag("fault")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PresignCrashPointTest {

    /** Thrown at a crash point: no catch of the presigner handles an Error, as none survives a kill. */
    static final class SimulatedCrash extends Error {
        SimulatedCrash(String point) {
            super("simulated crash at " + point);
        }
    }

    PresignerFixture f;
    final List<String> summary = new ArrayList<>();

    @BeforeAll
    void setUp() throws Exception {
        f = PresignerFixture.create("presign_crash");
        f.presigner().run();
        f.crlAndCheckpoint();
        bundle().write(f.dir.resolve("bundle-base"), List.of(), true);
    }

    @AfterAll
    void tearDown() {
        System.out.println("fault suite (presign/bundle): " + summary.size() + " crash(es) exercised");
        summary.forEach(s -> System.out.println("  " + s));
        f.close();
    }

    PublicationBundle bundle() {
        return PublicationBundle.forCa(f.ca, PresignerFixture.PUBLISHER, AuditedPresignerEvents.caLog(f.ca.config()),
                new AuditedPresignerEvents(AuditedPresignerEvents.caLog(f.ca.config()), AuditedPresignerEvents.system()),
                Clock.systemUTC());
    }

    @Test
    void aCrashAfterTheHsmSignedAChunkLosesNothingTheRerunSignsIt() throws Exception {
        presignCrash(CrashPoints.PRESIGN_AFTER_SIGN, 2);
    }

    @Test
    void aCrashBeforeAChunkCommitsLeavesNoHalfChunkTheRerunSignsIt() throws Exception {
        presignCrash(CrashPoints.PRESIGN_BEFORE_COMMIT, 2);
    }

    @Test
    void aCrashBeforeTheManifestIsSignedLeavesAnUnsignedDirectoryTheRerunBundlesEverything() throws Exception {
        bundleCrash(CrashPoints.BUNDLE_BEFORE_SIGNATURE);
    }

    @Test
    void aCrashAfterTheSignatureBeforeTheRecordLeavesAWholeBundleTheRerunCarriesItsResponsesAgain() throws Exception {
        bundleCrash(CrashPoints.BUNDLE_BEFORE_RECORD);
    }

    @Test
    void aRealSigkillOfThePresignerBeforeAChunkCommitsIsRecoveredByTheRerun() throws Exception {
        newCertificatesOneRevoked();
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED",
                "--add-opens=jdk.crypto.cryptoki/sun.security.pkcs11=ALL-UNNAMED",
                "-Dshomei.crash.at=" + CrashPoints.PRESIGN_BEFORE_COMMIT + "@2",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), PresignerCli.class.getName(),
                "--config", f.presignerYaml.toString(), "presign");
        Path log = f.dir.resolve("killed-presign.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("the child presigner did not finish within 180 s: " + Files.readString(log));
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as("killed by SIGKILL (128 + 9): " + out).isEqualTo(137);
        assertThat(out).contains("shomei crash point " + CrashPoints.PRESIGN_BEFORE_COMMIT);
        long dueAfterCrash;
        try (Connection c = f.db.connect()) {
            dueAfterCrash = f.presigner().store().counts(c, f.clock.instant()).due();
        }
        assertThat(dueAfterCrash).as("the killed chunk was not committed").isPositive();
        long signed = f.presigner().run().signed();
        assertInvariants();
        summary.add("presign " + CrashPoints.PRESIGN_BEFORE_COMMIT + " SIGKILL: due after crash=" + dueAfterCrash
                + ", rerun signed=" + signed);
    }

    @Test
    void anHsmLoginLostMidBatchFailsTheChunkCleanlyOrIsRecoveredAndTheRerunCompletesWithoutDuplicates() throws Exception {
        newCertificatesOneRevoked();
        newCertificatesOneRevoked();
        // After the first chunk is signed, another application on the token logs out: PKCS#11 login state is per
        // token, so every session of the presigner loses its login mid-batch (as an HSM restart would).
        boolean[] done = {false};
        CrashPoints.install((pt, detail) -> {
            if (pt.equals(CrashPoints.PRESIGN_AFTER_SIGN) && !done[0]) {
                done[0] = true;
                logoutEveryone();
            }
        });
        String outcome;
        try {
            OcspPresigner.Result r = f.presigner().run();
            outcome = "the batch completed (signer logged in again), signed=" + r.signed();
        } catch (RuntimeException e) {
            assertThat(e.getMessage()).as("a clear error").isNotBlank();
            outcome = "the batch failed: " + e.getMessage().lines().findFirst().orElse("");
        } finally {
            CrashPoints.clear();
        }
        assertThat(done[0]).as("the login was really lost mid-batch").isTrue();
        long signed = f.presigner().run().signed();
        assertInvariants();
        summary.add("presign HSM login lost after chunk 1: " + outcome + "; rerun signed=" + signed);
    }

    private void logoutEveryone() {
        try {
            var module = dev.shomei.pkcs11.Pkcs11Slots.class.getDeclaredMethod("module", Path.class);
            module.setAccessible(true);
            Object p11 = module.invoke(null, f.token.module());
            long session = (long) p11.getClass().getMethod("C_OpenSession", long.class, long.class, Object.class,
                    Class.forName("sun.security.pkcs11.wrapper.CK_NOTIFY")).invoke(p11, f.ca.token().slotId(), 4L, null, null);
            p11.getClass().getMethod("C_Logout", long.class).invoke(p11, session);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot log the token out: " + e, e);
        }
    }

    private void presignCrash(String point, int nth) throws Exception {
        newCertificatesOneRevoked();
        int[] seen = {0};
        CrashPoints.install((pt, detail) -> {
            if (pt.equals(point) && ++seen[0] == nth) {
                throw new SimulatedCrash(point);
            }
        });
        try {
            assertThatThrownBy(() -> f.presigner().run()).isInstanceOf(SimulatedCrash.class);
        } finally {
            CrashPoints.clear();
        }
        long due;
        try (Connection c = f.db.connect()) {
            due = f.presigner().store().counts(c, f.clock.instant()).due();
        }
        assertThat(due).as("what the crashed run did not commit is due again").isPositive();
        long signed = f.presigner().run().signed();
        assertThat(signed).as("the rerun signs exactly what is due, nothing twice").isEqualTo(due);
        assertInvariants();
        summary.add("presign " + point + "@" + nth + " process: due after crash=" + due + ", rerun signed=" + signed);
    }

    private void bundleCrash(String point) throws Exception {
        newCertificatesOneRevoked();
        f.presigner().run();
        long since = f.count("SELECT coalesce(max(last_signed_seq), 0) FROM publication_bundle");
        Path crashed = f.dir.resolve("bundle-crashed-" + point);
        CrashPoints.install((pt, detail) -> {
            if (pt.equals(point)) {
                throw new SimulatedCrash(point);
            }
        });
        try {
            assertThatThrownBy(() -> bundle().write(crashed, List.of(), false)).isInstanceOf(SimulatedCrash.class);
        } finally {
            CrashPoints.clear();
        }
        BundleVerifier verifier = new BundleVerifier(List.of(f.issuingCert()));
        List<String> crashedProblems = verifier.verify(crashed, Clock.systemUTC().instant());
        boolean signed = Files.exists(crashed.resolve("manifest.p7s"));
        if (signed) {
            assertThat(crashedProblems).as("a signed bundle directory is whole").isEmpty();
        } else {
            assertThat(crashedProblems).as("an unsigned bundle directory is refused").isNotEmpty();
        }
        Path rerun = f.dir.resolve("bundle-rerun-" + point);
        PublicationBundle.Written w = bundle().write(rerun, List.of(), false);
        assertThat(verifier.verify(rerun, Clock.systemUTC().instant())).isEmpty();
        // The crashed bundle was never recorded: the incremental rerun carries every response it would have,
        // each exactly as stored (a response is never published with other content under the same name).
        for (String serial : signedAfter(since)) {
            Path der = findOcsp(rerun, serial);
            assertThat(der).as("the rerun bundle carries the response of " + serial).isNotNull();
            assertThat(Files.readAllBytes(der)).isEqualTo(f.storedResponse(new BigInteger(serial, 16)));
        }
        assertInvariants();
        summary.add("bundle " + point + " process: crashed directory " + (signed ? "signed, verifies" : "unsigned, refused")
                + "; rerun bundle " + w.ocspResponses() + " response(s), verifies");
    }

    private List<X509Certificate> newCertificatesOneRevoked() throws Exception {
        List<X509Certificate> certs = f.issue(5);
        f.revoke(certs.get(4), RevocationReason.KEY_COMPROMISE);
        return certs;
    }

    /** Serials whose response was signed after the last recorded bundle (the next incremental bundle's share). */
    private List<String> signedAfter(long since) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = f.db.connect(); PreparedStatement ps = c.prepareStatement("SELECT serial FROM ocsp_response"
                + " WHERE signed_seq > ?")) {
            ps.setLong(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static Path findOcsp(Path bundle, String serial) throws Exception {
        try (var walk = Files.walk(bundle.resolve("ocsp"))) {
            return walk.filter(p -> p.getFileName().toString().equals(serial + ".der")).findFirst().orElse(null);
        }
    }

    /** Every unexpired certificate: one response, by the responder, with the status of the CA's tables; none due. */
    private void assertInvariants() throws Exception {
        X509Certificate responder = f.ca.token().certificateChain(PresignerFixture.RESPONDER)[0];
        try (Connection c = f.db.connect(); PreparedStatement ps = c.prepareStatement("SELECT c.serial,"
                + " (SELECT count(*) FROM ocsp_response o WHERE o.serial = c.serial), r.serial IS NOT NULL"
                + " FROM certificate c LEFT JOIN revocation r ON r.serial = c.serial"
                + " WHERE c.issuer_label = ? AND c.not_after > now()")) {
            ps.setString(1, PresignerFixture.ISSUING);
            try (ResultSet rs = ps.executeQuery()) {
                int n = 0;
                while (rs.next()) {
                    n++;
                    String serial = rs.getString(1);
                    assertThat(rs.getLong(2)).as("responses of " + serial).isEqualTo(1);
                    BasicOCSPResp basic = PresignTest.basic(f.storedResponse(new BigInteger(serial, 16)));
                    assertThat(basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder.getPublicKey())))
                            .as("response of " + serial + " is signed by the responder").isTrue();
                    assertThat(basic.getResponses()[0].getCertID().getSerialNumber()).isEqualTo(new BigInteger(serial, 16));
                    assertThat(basic.getResponses()[0].getCertStatus() instanceof RevokedStatus)
                            .as("status of " + serial).isEqualTo(rs.getBoolean(3));
                }
                assertThat(n).isPositive();
            }
            assertThat(f.presigner().store().counts(c, f.clock.instant()).due()).as("nothing left due").isZero();
        }
    }
}
