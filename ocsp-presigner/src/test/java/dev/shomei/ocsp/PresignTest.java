package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.audit.AuditVerifier;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ocsp.config.PresignerConfig;
import dev.shomei.ocsp.presign.OcspPresigner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Pre-signed OCSP responses (RFC 6960, RFC 5019 profile) from a delegated responder key in SoftHSM2. */
class PresignTest {

    PresignerFixture f;

    /**
     * Each test has its own CA, database and clock: counts of what is due depend on every response already
     * stored and on the time, so a shared fixture made one test's result depend on which tests ran before it
     * (a test that moved the clock two days ahead made every response due in the next).
     */
    @BeforeEach
    void setUp() throws Exception {
        f = PresignerFixture.create("presign");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void signsEveryUnexpiredCertificateGoodOrRevokedVerifiedByBouncyCastleAndOpenssl() throws Exception {
        List<X509Certificate> certs = f.issue(3);
        f.revoke(certs.get(1), RevocationReason.KEY_COMPROMISE);
        f.revoke(certs.get(2), RevocationReason.UNSPECIFIED);
        long issued = f.count("SELECT count(*) FROM certificate WHERE issuer_label = 'issuing-test'");
        OcspPresigner p = f.presigner();
        long before = f.count("SELECT count(*) FROM ocsp_response");

        OcspPresigner.Result r = p.run();

        assertThat(r.signed()).isEqualTo(issued - before);
        assertThat(f.count("SELECT count(*) FROM ocsp_response")).isEqualTo(issued);
        X509Certificate responder = f.responderCert();
        assertThat(responder.getExtensionValue(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck.getId()))
                .as("responder certificate carries id-pkix-ocsp-nocheck").isNotNull();

        // Good: signature by the responder, byKey responder id, the responder cert in certs, no nonce.
        BasicOCSPResp good = basic(f.storedResponse(certs.get(0).getSerialNumber()));
        assertThat(good.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder))).isTrue();
        byte[] keyHash = java.security.MessageDigest.getInstance("SHA-1").digest(
                SubjectPublicKeyInfo.getInstance(responder.getPublicKey().getEncoded()).getPublicKeyData().getBytes());
        assertThat(good.getResponderId().toASN1Primitive().getKeyHash()).isEqualTo(keyHash);
        assertThat(good.getCerts()).extracting(h -> h.getSerialNumber()).containsExactly(responder.getSerialNumber());
        assertThat(good.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce)).isNull();
        SingleResp single = good.getResponses()[0];
        assertThat(single.getCertStatus()).isNull(); // null is good in BC
        assertThat(single.getCertID().getSerialNumber()).isEqualTo(certs.get(0).getSerialNumber());
        assertThat(single.getCertID().matchesIssuer(new JcaX509CertificateHolder(f.issuingCert()),
                new JcaDigestCalculatorProviderBuilder().build())).isTrue();
        assertThat(Duration.between(single.getThisUpdate().toInstant(), single.getNextUpdate().toInstant()))
                .isEqualTo(Duration.ofHours(96));
        assertThat(single.getThisUpdate().toInstant()).isEqualTo(f.clock.instant());

        // Revoked with time and reason; unspecified has no reason (RFC 5280 §5.3.1).
        RevokedStatus revoked = (RevokedStatus) basic(f.storedResponse(certs.get(1).getSerialNumber())).getResponses()[0].getCertStatus();
        assertThat(revoked.hasRevocationReason()).isTrue();
        assertThat(revoked.getRevocationReason()).isEqualTo(CRLReason.keyCompromise);
        RevokedStatus unspecified = (RevokedStatus) basic(f.storedResponse(certs.get(2).getSerialNumber())).getResponses()[0].getCertStatus();
        assertThat(unspecified.hasRevocationReason()).isFalse();

        // openssl: verifies the response against the CA chain (trusting the delegated responder via the issuer).
        Path issuing = PresignerFixture.writePem(f.dir.resolve("issuing.pem"), f.issuingCert());
        Path chain = PresignerFixture.writePem(f.dir.resolve("chain.pem"), f.rootCert(), f.issuingCert());
        for (int i = 0; i < 2; i++) {
            X509Certificate c = certs.get(i);
            Path der = f.dir.resolve("resp-" + i + ".der");
            Files.write(der, f.storedResponse(c.getSerialNumber()));
            PresignerFixture.Run run = PresignerFixture.run(f.dir, "openssl", "ocsp", "-respin", der.toString(),
                    "-issuer", issuing.toString(), "-CAfile", chain.toString(), "-serial",
                    "0x" + c.getSerialNumber().toString(16), "-resp_text");
            assertThat(run.output()).contains("Response verify OK").contains("OCSP No Check");
            if (i == 0) {
                assertThat(run.output()).containsPattern("0x[0-9A-Fa-f]+: good");
            } else {
                assertThat(run.output()).containsPattern("0x[0-9A-Fa-f]+: revoked").contains("Reason: keyCompromise");
            }
        }
    }

    @Test
    void rerunSignsNothingThenOnlyTheRevokedSerialThenEverythingAtHalfValidity() throws Exception {
        List<X509Certificate> certs = f.issue(2);
        OcspPresigner p = f.presigner();
        p.run();
        long total = f.count("SELECT count(*) FROM ocsp_response");

        assertThat(p.run().signed()).as("nothing due right after a run").isZero();

        f.revoke(certs.get(0), RevocationReason.SUPERSEDED);
        OcspPresigner.Result afterRevocation = p.run();
        assertThat(afterRevocation.signed()).isEqualTo(1);
        assertThat(afterRevocation.revoked()).isEqualTo(1);
        RevokedStatus st = (RevokedStatus) basic(f.storedResponse(certs.get(0).getSerialNumber())).getResponses()[0].getCertStatus();
        assertThat(st.getRevocationReason()).isEqualTo(CRLReason.superseded);

        // 96 h validity: due after 48 h (half), not a second before.
        f.clock.advance(Duration.ofHours(48).minusSeconds(1));
        assertThat(p.run().signed()).isZero();
        f.clock.advance(Duration.ofSeconds(1));
        assertThat(p.run().signed()).isEqualTo(total);
        assertThat(basic(f.storedResponse(certs.get(1).getSerialNumber())).getResponses()[0].getThisUpdate().toInstant())
                .isEqualTo(f.clock.instant());

        // Every response signed is in the audit log, which still verifies (chain, tree, checkpoints) once a
        // checkpoint anchors it (a log with entries but no checkpoint does not verify).
        assertThat(f.count("SELECT count(*) FROM audit_entry WHERE action = 'ocsp.presign-run'")).isGreaterThanOrEqualTo(5);
        f.crlAndCheckpoint();
        try (Connection c = f.db.connect()) {
            assertThat(new AuditVerifier(List.of(f.issuingCert().getPublicKey())).verify(c).ok()).isTrue();
        }
    }

    @Test
    void aRunThatFailsPartWayKeepsWhatItCommittedAndTheRerunSignsTheRest() throws Exception {
        OcspPresigner p = f.presigner();
        // What the fixture's CA issued when it was made (its delegated certificates) is signed first, so that the
        // runs below have only this test's certificates to sign: a failed run stops at the failing chunk, and the
        // chunks after it in serial order (serials are random) may hold those certificates too.
        p.run();
        List<X509Certificate> certs = f.issue(6);
        String poisoned = certs.get(3).getSerialNumber().toString(16);
        // A database failure on one chunk, as a crash or a lost connection would cause mid-run.
        try (Connection c = f.db.connect(); var st = c.createStatement()) {
            st.execute("CREATE FUNCTION fail_once() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " IF NEW.serial = '" + poisoned + "' THEN RAISE EXCEPTION 'simulated failure'; END IF;"
                    + " RETURN NEW; END $$");
            st.execute("CREATE TRIGGER fail_once BEFORE INSERT ON ocsp_response FOR EACH ROW EXECUTE FUNCTION fail_once()");
        }
        assertThatThrownBy(p::run).hasMessageContaining("simulated failure").hasMessageContaining("rerun presign");
        String newSerials = certs.stream().map(c -> "'" + c.getSerialNumber().toString(16) + "'")
                .collect(java.util.stream.Collectors.joining(","));
        long kept = f.count("SELECT count(*) FROM ocsp_response WHERE serial IN (" + newSerials + ")");
        assertThat(kept).isLessThan(6);
        assertThat(f.count("SELECT count(*) FROM ocsp_response WHERE serial = '" + poisoned + "'")).isZero();

        try (Connection c = f.db.connect(); var st = c.createStatement()) {
            st.execute("DROP TRIGGER fail_once ON ocsp_response");
        }
        assertThat(p.run().signed()).as("the rerun signs exactly what the failed run did not commit").isEqualTo(6 - kept);
        assertThat(f.count("SELECT count(*) FROM ocsp_response WHERE serial IN (" + newSerials + ")")).isEqualTo(6);
        assertThat(p.run().signed()).isZero();
    }

    @Test
    void aNewResponderKeyReSignsEveryResponse() throws Exception {
        f.issue(1);
        f.presigner().run();
        long total = f.count("SELECT count(*) FROM ocsp_response");
        X509Certificate next = f.ca.delegate("ocsp-test-next", dev.shomei.pkcs11.KeyAlgorithm.EC_P256,
                new org.bouncycastle.asn1.x500.X500Name("CN=Shomei Test OCSP Responder 2,O=Shomei Test,C=JP"), "ocsp-responder");
        OcspPresigner rolled = OcspPresigner.forCa(f.ca, "ocsp-test-next", new OcspPresigner.Settings(Duration.ofHours(96),
                100, 5, System.err), new AuditedPresignerEvents(AuditedPresignerEvents.caLog(f.ca.config()),
                AuditedPresignerEvents.system()), f.clock);
        // The new responder's own certificate is issued too: it gets its first response in the same run.
        assertThat(rolled.run().signed()).isEqualTo(total + 1);
        BasicOCSPResp resp = basic(f.storedResponse(next.getSerialNumber()));
        assertThat(resp.isSignatureValid(new JcaContentVerifierProviderBuilder().build(next))).isTrue();
        assertThat(rolled.run().signed()).isZero();
        // Back to the first responder: everything is signed again, by it.
        assertThat(f.presigner().run().signed()).isEqualTo(total + 1);
    }

    @Test
    void validityOutsideEightHoursToTenDaysIsRefusedByName() throws Exception {
        for (int hours : new int[] {2, 264}) {
            Path file = PresignerFixture.writePresignerYaml(f.dir, hours);
            assertThatThrownBy(() -> PresignerConfig.load(file)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("validityHours " + hours + " is outside 8..240")
                    .hasMessageContaining("set validityHours between 8 and 240");
        }
        assertThat(PresignerConfig.load(PresignerFixture.writePresignerYaml(f.dir, 8)).validity()).isEqualTo(Duration.ofHours(8));
        assertThat(PresignerConfig.load(PresignerFixture.writePresignerYaml(f.dir, 240)).validity()).isEqualTo(Duration.ofDays(10));
    }

    @Test
    void aKeyWithoutOcspSigningIsRefusedAsResponder() {
        assertThatThrownBy(() -> dev.shomei.ocsp.presign.OcspPresigner.forCa(f.ca, PresignerFixture.PUBLISHER,
                new OcspPresigner.Settings(Duration.ofHours(24), 10, 5, System.err), null, f.clock))
                .isInstanceOf(ConfigException.class).hasMessageContaining("lacks id-kp-OCSPSigning");
        assertThatThrownBy(() -> dev.shomei.ocsp.presign.OcspPresigner.forCa(f.ca, "no-such-key",
                new OcspPresigner.Settings(Duration.ofHours(24), 10, 5, System.err), null, f.clock))
                .isInstanceOf(ConfigException.class).hasMessageContaining("holds no key labelled 'no-such-key'");
    }

    /**
     * First responses go by COPY straight into ocsp_response (OcspResponseStore#record); a chunk read as first whose
     * serial got a response in the meantime must not fail nor replace a newer response: it falls back to the upsert,
     * whose rules keep the newer one.
     */
    @Test
    void firstResponsesAreCopiedAndAChunkThatIsNoLongerFirstFallsBackToTheUpsertRules() throws Exception {
        List<X509Certificate> certs = f.issue(2);
        OcspPresigner p = f.presigner();
        assertThat(p.run().signed()).isEqualTo(f.count("SELECT count(*) FROM certificate WHERE issuer_label = 'issuing-test'"));
        String serial = certs.get(0).getSerialNumber().toString(16);
        long seq = f.count("SELECT signed_seq FROM ocsp_response WHERE serial = '" + serial + "'");
        assertThat(seq).isPositive();
        byte[] stored = f.storedResponse(certs.get(0).getSerialNumber());
        assertThat(basic(stored).getResponses()[0].getCertID().getSerialNumber()).isEqualTo(certs.get(0).getSerialNumber());

        // An older chunk that still believes the serial has no response: not recorded over the newer one.
        java.time.Instant older = f.clock.instant().minus(Duration.ofHours(1));
        dev.shomei.ocsp.presign.SignedChunk stale = new dev.shomei.ocsp.presign.SignedChunk(new String[] {serial},
                new String[] {"good"}, new byte[][] {new byte[] {1, 2, 3}}, new String[] {"00"}, older,
                older.plus(Duration.ofHours(96)), older.plus(Duration.ofHours(48)), true);
        try (Connection c = f.ca.database().dataSource().getConnection()) {
            assertThat(p.store().record(c, stale)).isZero();
            c.commit();
        }
        assertThat(f.storedResponse(certs.get(0).getSerialNumber())).isEqualTo(stored);
        assertThat(f.count("SELECT signed_seq FROM ocsp_response WHERE serial = '" + serial + "'")).isEqualTo(seq);
    }

    static BasicOCSPResp basic(byte[] der) throws Exception {
        assertThat(der).as("a stored response").isNotNull();
        OCSPResp resp = new OCSPResp(der);
        assertThat(resp.getStatus()).isEqualTo(OCSPResp.SUCCESSFUL);
        return (BasicOCSPResp) resp.getResponseObject();
    }
}
