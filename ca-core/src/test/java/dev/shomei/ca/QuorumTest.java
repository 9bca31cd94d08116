package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.audit.AuditEntry;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ca.approval.Act;
import dev.shomei.ca.approval.ActKind;
import dev.shomei.ca.approval.Approval;
import dev.shomei.ca.approval.ApproverCredential;
import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.PinSource;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.Pkcs11Slots;
import dev.shomei.pkcs11.SignerContentSigner;
import dev.shomei.testsupport.SoftHsmToken;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * Multi-person control on SoftHSM2: a key ceremony approved by a quorum of people, each with their own credential
 * (two as certificate + key files, one on her own PKCS#11 token), and every way a quorum can be short or wrong
 * refused with a clear message and recorded; the audit entry of the executed act carries the approvers.
 */
class QuorumTest {

    private static CaCommand.Result ca(String... args) {
        return CaCommand.run(args);
    }

    /** A person's credential on her own SoftHSM2 token: key 'approver' with its self-signed certificate. */
    private static X509Certificate tokenCredential(SoftHsmToken t, Path pin, String name) {
        try (HsmToken token = HsmToken.login(new HsmConfig(t.module(), t.label(), PinSource.parse("file:" + pin), 1))) {
            KeyPair k = token.generateKeyPair(dev.shomei.pkcs11.KeyAlgorithm.EC_P256);
            X500Name dn = new X500Name("CN=" + name + ",O=Shomei Test,C=JP");
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(dn,
                    BigInteger.valueOf(System.nanoTime()), new Date(System.currentTimeMillis() - 60_000),
                    new Date(System.currentTimeMillis() + 86_400_000L), dn, k.getPublic())
                    .build(new SignerContentSigner(Pkcs11Signer.uncertified(token, k.getPrivate(), k.getPublic()))));
            token.storeCertificateChain("approver", k.getPrivate(), cert);
            return cert;
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path[] fileCredential(Path dir, String name) throws Exception {
        return QuorumTestSupport.fileCredential(dir, name);
    }

    private static void sign(Path act, Path[] cred, Path out) {
        QuorumTestSupport.sign(act, cred, out);
    }

    @Test
    void ceremonyByQuorumAndEveryShortOrWrongQuorumRefusedAndRecorded() throws Exception {
        try (CaFixture f = CaFixture.create("quorum", "EC-P256", "EC-P256")) {
            Pkcs11Slots.tokens(f.token.module()); // load the CA's module before the next token rewrites SOFTHSM2_CONF
            SoftHsmToken carolToken = SoftHsmToken.create("carol", "5555-carol");
            Path carolPin = carolToken.writePinFile();
            X509Certificate carolCert = tokenCredential(carolToken, carolPin, "Carol Operator");
            Path carolPem = ExternalVerifiers.writePem(f.dir.resolve("carol.pem"), carolCert);
            Path[] alice = fileCredential(f.dir, "Alice Operator");
            Path[] bob = fileCredential(f.dir, "Bob Witness");
            Path[] mallory = fileCredential(f.dir, "Mallory Unknown");
            Files.writeString(f.configFile, Files.readString(f.configFile) + """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                        - { name: Carol Operator, role: operator, certificate: %s }
                      quorum: { ceremony: 2, revoke: 2 }
                      requireRoles: { ceremony: [witness] }
                    """.formatted(alice[0], bob[0], carolPem));
            String cfg = f.configFile.toString();

            // Step 1 of the flow: the act is written for the approvers.
            Path act = f.dir.resolve("ceremony-act.json");
            CaCommand.Result req = ca("--config", cfg, "approval", "request", "--out", act.toString(), "--", "ceremony");
            assertThat(req.exit()).as(req.err()).isZero();
            assertThat(req.out()).contains("act:         ceremony", "root.label = root-test", "needs 2 approval(s)");

            // Step 2: each approver signs with their own credential.
            Path aliceSig = f.dir.resolve("alice.sig");
            Path bobSig = f.dir.resolve("bob.sig");
            Path malSig = f.dir.resolve("mallory.sig");
            Path carolSig = f.dir.resolve("carol.sig");
            sign(act, alice, aliceSig);
            sign(act, bob, bobSig);
            sign(act, mallory, malSig);
            CaCommand.Result carol = ca("approval", "sign", "--act", act.toString(), "--token-key",
                    "pkcs11:token=carol;object=approver", "--module", carolToken.module().toString(), "--pin",
                    "file:" + carolPin, "--out", carolSig.toString());
            assertThat(carol.exit()).as(carol.err()).isZero();
            Path aliceAgain = f.dir.resolve("alice-again.sig");
            sign(act, alice, aliceAgain);

            // An approval for another act: a revocation, signed by Bob.
            Path otherAct = f.dir.resolve("revoke-act.json");
            assertThat(ca("--config", cfg, "approval", "request", "--out", otherAct.toString(), "--", "revoke",
                    "--serial", "0a0b", "--reason", "keyCompromise").exit()).isZero();
            Path bobOther = f.dir.resolve("bob-other.sig");
            sign(otherAct, bob, bobOther);
            // A second request of the same ceremony (another nonce), signed by Bob.
            Path act2 = f.dir.resolve("ceremony-act-2.json");
            assertThat(ca("--config", cfg, "approval", "request", "--out", act2.toString(), "--", "ceremony").exit()).isZero();
            Path bobAct2 = f.dir.resolve("bob-act2.sig");
            sign(act2, bob, bobAct2);
            // An approval altered after signing (the signing time moved).
            Path tampered = f.dir.resolve("bob-tampered.sig");
            Files.writeString(tampered, Files.readString(bobSig).replaceFirst("\"signedAt\" : \"([^\"]*)\"",
                    "\"signedAt\" : \"2020-01-01T00:00:00Z\""));

            record Refusal(List<String> args, String message) {}
            List<Refusal> refusals = List.of(
                    new Refusal(List.of(), "ceremony needs 2 approval(s) (approvals.quorum.ceremony); none given"),
                    new Refusal(List.of("--approvals", bobSig.toString()), "ceremony needs 2 approvals (approvals.quorum.ceremony), 1 given"),
                    new Refusal(List.of("--approvals", aliceSig.toString(), aliceAgain.toString()),
                            "Alice Operator has already approved this act"),
                    new Refusal(List.of("--approvals", bobSig.toString(), malSig.toString()),
                            "is signed by an unknown key: certificate C=JP,O=Shomei Test,CN=Mallory Unknown"),
                    new Refusal(List.of("--approvals", aliceSig.toString(), bobOther.toString()),
                            "is for a different act: it approves 'revoke', not 'ceremony'"),
                    new Refusal(List.of("--approvals", aliceSig.toString(), bobAct2.toString()),
                            "approves another request of this act"),
                    new Refusal(List.of("--approvals", aliceSig.toString(), tampered.toString()),
                            "the signature does not verify"),
                    new Refusal(List.of("--approvals", aliceSig.toString(), carolSig.toString()),
                            "ceremony needs an approval by a witness"),
                    new Refusal(List.of("--operator", "Alice Operator", "--approvals", aliceSig.toString(), bobSig.toString()),
                            "--operator is not accepted for 'ceremony'"));
            for (Refusal r : refusals) {
                List<String> args = new ArrayList<>(List.of("--config", cfg, "ceremony"));
                args.addAll(r.args());
                CaCommand.Result res = ca(args.toArray(String[]::new));
                assertThat(res.exit()).as(res.out() + res.err()).isEqualTo(1);
                assertThat(res.err()).contains("ca ceremony: refused: ").contains(r.message());
            }
            // Nothing was made, and every refusal is on record with its reason.
            assertThat(f.token.directory().resolve("ceremony")).doesNotExist();
            assertThat(f.count("refused_act")).isEqualTo(refusals.size());
            assertThat(f.count("ca_key")).isZero();

            // A production CA refuses the software token before the approvals are spent.
            String withQuorum = Files.readString(f.configFile);
            Files.writeString(f.configFile, withQuorum.replace("  parallelism: 2\n", "  parallelism: 2\n  production: true\n"));
            CaCommand.Result prod = ca("--config", cfg, "ceremony", "--approvals", carolSig.toString(), bobSig.toString());
            assertThat(prod.exit()).isEqualTo(2);
            assertThat(prod.err()).contains("is a software token");
            assertThat(f.count("approved_act")).isZero();
            Files.writeString(f.configFile, withQuorum);

            // Step 3: the ceremony runs with a valid quorum: Carol on her token, Bob (the witness) from files.
            CaCommand.Result ok = ca("--config", cfg, "ceremony", "--approvals", carolSig.toString(), bobSig.toString());
            assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
            assertThat(ok.out()).contains("approved by 2 of 3 approvers (quorum 2): Carol Operator + Bob Witness", "Step 6");
            String transcript = Files.readString(f.dir.resolve("ceremony/ceremony-transcript.txt"));
            assertThat(transcript).contains("approved by quorum", "Carol Operator, operator, certificate SHA-256 ",
                    "Bob Witness, witness, certificate SHA-256 ", "manufacturer:  SoftHSM project", "model:         SoftHSM v2",
                    "firmware:      2.", "SOFTWARE TOKEN", "Signature (Carol Operator): ___");

            // The same approvals cannot be used again.
            CaCommand.Result replay = ca("--config", cfg, "ceremony", "--approvals", carolSig.toString(), bobSig.toString());
            assertThat(replay.exit()).isEqualTo(1);
            assertThat(replay.err()).contains("was already approved and executed");

            // The audit log: each refusal, the approval (its detail is the stored record with the signatures),
            // the token on record, and the CA keys certified by the approvers, not by a typed name.
            f.open();
            try (Connection c = f.db.connect()) {
                AuditLog log = f.auditLog();
                List<AuditEntry> entries = log.entries(c, 0, log.size(c) - 1);
                List<String> actions = entries.stream().map(e -> e.event().action()).toList();
                assertThat(actions.stream().filter("act.refused"::equals).count()).isEqualTo(refusals.size() + 1);
                AuditEntry approved = entries.stream().filter(e -> e.event().action().equals("act.approved")).findFirst()
                        .orElseThrow();
                assertThat(approved.event().actor().id()).isEqualTo("Carol Operator + Bob Witness");
                assertThat(approved.event().actor().authentication()).contains("quorum 2", "act ");
                try (ResultSet rs = c.createStatement().executeQuery("SELECT act_text, approvals_json FROM approved_act")) {
                    assertThat(rs.next()).isTrue();
                    byte[] record = (rs.getString(1) + rs.getString(2)).getBytes(StandardCharsets.UTF_8);
                    assertThat(approved.event().detailSha256()).isEqualTo(
                            java.security.MessageDigest.getInstance("SHA-256").digest(record));
                    assertThat(rs.getString(2)).contains("\"signature\"", "Carol Operator", "Bob Witness");
                }
                assertThat(actions).contains("hsm.custody");
                assertThat(entries.stream().filter(e -> e.event().action().equals("ca-key.certified"))
                        .map(e -> e.event().actor().id()).toList()).containsOnly("Carol Operator + Bob Witness");
            }
            VerificationReport report = f.verifyAudit();
            assertThat(report.ok()).as(report.render()).isTrue();
        }
    }

    @Test
    void revocationOutsideOrdersByQuorum() throws Exception {
        try (CaFixture f = CaFixture.create("qrevoke", "EC-P256", "EC-P256")) {
            String cfg = f.configFile.toString();
            assertThat(ca("--config", cfg, "ceremony", "--operator", "Op").exit()).isZero();
            Path csr = f.dir.resolve("req.der");
            Files.write(csr, CaFixture.csr("CN=Tanaka Kenji,C=JP", CaFixture.ecKey("secp256r1")));
            Path pem = f.dir.resolve("cert.pem");
            assertThat(ca("--config", cfg, "issue", "--csr", csr.toString(), "--profile", "subscriber-signature",
                    "--out", pem.toString()).exit()).isZero();
            String serial = ((X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(pem))).getSerialNumber().toString(16);
            Path[] alice = fileCredential(f.dir, "Alice Operator");
            // Bob's credential made as bin/quickstart makes it, with openssl.
            Path[] bob = {f.dir.resolve("bob.pem"), f.dir.resolve("bob.key")};
            var made = ExternalVerifiers.openssl(f.dir, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj", "/C=JP/O=Shomei Test/CN=Bob Witness",
                    "-keyout", bob[1].toString(), "-out", bob[0].toString());
            assertThat(made.exit()).as(made.output()).isZero();
            Files.writeString(f.configFile, Files.readString(f.configFile) + """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                      quorum: { revoke: 2 }
                    """.formatted(alice[0], bob[0]));

            // A typed name no longer revokes.
            CaCommand.Result typed = ca("--config", cfg, "revoke", "--serial", serial, "--reason", "keyCompromise", "--operator", "Op");
            assertThat(typed.exit()).isEqualTo(1);
            assertThat(typed.err()).contains("--operator is not accepted for 'revoke'");

            // Approvals for another serial do not revoke this one.
            Path other = f.dir.resolve("other.json");
            assertThat(ca("--config", cfg, "approval", "request", "--out", other.toString(), "--", "revoke", "--serial",
                    "0a0b", "--reason", "keyCompromise").exit()).isZero();
            sign(other, alice, f.dir.resolve("a-other.sig"));
            sign(other, bob, f.dir.resolve("b-other.sig"));
            CaCommand.Result wrong = ca("--config", cfg, "revoke", "--serial", serial, "--reason", "keyCompromise", "--approvals",
                    f.dir.resolve("a-other.sig").toString(), f.dir.resolve("b-other.sig").toString());
            assertThat(wrong.exit()).isEqualTo(1);
            assertThat(wrong.err()).contains("is for a different act: it approves serial=a0b, this command has serial="
                    + serial);

            // An act whose window has closed is refused (the approvals were valid when signed).
            Path[] aliceCred = alice;
            try (ApproverCredential a = ApproverCredential.files(aliceCred[0], aliceCred[1]);
                 ApproverCredential b = ApproverCredential.files(bob[0], bob[1])) {
                Act stale = new Act(ActKind.REVOKE, f.token.label(), new java.util.TreeMap<>(Map.of("serial", serial,
                        "reason", "keyCompromise")), "00ff", Instant.now().minus(Duration.ofHours(3)),
                        Instant.now().minus(Duration.ofHours(1)));
                Files.writeString(f.dir.resolve("a-stale.sig"), Approval.sign(stale, a, stale.notBefore()).toJsonText());
                Files.writeString(f.dir.resolve("b-stale.sig"), Approval.sign(stale, b, stale.notBefore()).toJsonText());
            }
            CaCommand.Result expired = ca("--config", cfg, "revoke", "--serial", serial, "--reason", "keyCompromise", "--approvals",
                    f.dir.resolve("a-stale.sig").toString(), f.dir.resolve("b-stale.sig").toString());
            assertThat(expired.exit()).isEqualTo(1);
            assertThat(expired.err()).contains("request the act again");

            Path act = f.dir.resolve("revoke.json");
            assertThat(ca("--config", cfg, "approval", "request", "--out", act.toString(), "--", "revoke", "--serial",
                    serial.toUpperCase(), "--reason", "keyCompromise").exit()).isZero();
            sign(act, alice, f.dir.resolve("a.sig"));
            sign(act, bob, f.dir.resolve("b.sig"));
            assertThat(ca("approval", "show", f.dir.resolve("a.sig").toString()).out()).contains("signature verifies");
            CaCommand.Result ok = ca("--config", cfg, "revoke", "--serial", serial, "--reason", "keyCompromise", "--approvals",
                    f.dir.resolve("a.sig").toString(), f.dir.resolve("b.sig").toString());
            assertThat(ok.exit()).as(ok.err()).isZero();
            assertThat(ca("--config", cfg, "show", "--serial", serial).out()).contains("revoked at",
                    "Alice Operator + Bob Witness (quorum, act ");
            assertThat(f.count("refused_act")).isEqualTo(3);
        }
    }

    @Test
    void productionRefusesASoftwareTokenUnlessTheOverrideIsRecorded() throws Exception {
        try (CaFixture f = CaFixture.create("qprod", "EC-P256", "EC-P256")) {
            String base = Files.readString(f.configFile);
            String hsm = "  parallelism: 2\n";
            Files.writeString(f.configFile, base.replace(hsm, hsm + "  production: true\n"
                    + "  certification: \"FIPS 140-3 Level 3 (declared)\"\n  location: \"CA room, rack 1\"\n"));
            CaCommand.Result refused = ca("--config", f.configFile.toString(), "ceremony", "--operator", "Op");
            assertThat(refused.exit()).isEqualTo(2);
            assertThat(refused.err()).contains("is a software token (SoftHSM project", "hsm.softwareTokenOverride");
            assertThat(f.count("ca_key")).isZero();

            Files.writeString(f.configFile, base.replace(hsm, hsm + "  production: true\n"
                    + "  softwareTokenOverride: \"acceptance test of the CA software, no subscriber certificates\"\n"
                    + "  certification: \"FIPS 140-3 Level 3 (declared)\"\n  location: \"CA room, rack 1\"\n"));
            CaCommand.Result ok = ca("--config", f.configFile.toString(), "ceremony", "--operator", "Op");
            assertThat(ok.exit()).as(ok.err()).isZero();
            assertThat(Files.readString(f.dir.resolve("ceremony/ceremony-transcript.txt"))).contains(
                    "certification: FIPS 140-3 Level 3 (declared)", "location:      CA room, rack 1",
                    "setting:       production; SOFTWARE TOKEN, accepted because: acceptance test of the CA software");
        }
    }
}
