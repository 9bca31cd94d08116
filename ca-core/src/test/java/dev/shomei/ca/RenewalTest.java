package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/**
 * Issuing-key renewal under a quorum on SoftHSM2: a second issuing key beside the first, new CA hash values of
 * every generation, and both generations live: openssl verifies a certificate of each against its own chain and
 * its own CRL (the old generation's CRL still signed by the old key, listing only its certificates).
 */
class RenewalTest {

    private static CaCommand.Result ca(String... args) {
        return CaCommand.run(args);
    }

    private static String issue(CaFixture f, String cfg, String name) throws Exception {
        Path csr = f.dir.resolve(name + ".der");
        Files.write(csr, CaFixture.csr("CN=" + name + ",C=JP", CaFixture.ecKey("secp256r1")));
        Path pem = f.dir.resolve(name + ".pem");
        CaCommand.Result r = ca("--config", cfg, "issue", "--csr", csr.toString(), "--profile", "subscriber-signature", "--out",
                pem.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(pem)))
                .getSerialNumber().toString(16);
    }

    /** Runs openssl verify -crl_check of {@code who}.pem against root + {@code issuing} and {@code crl} (DER). */
    private static String verify(CaFixture f, String who, Path issuing, Path crl) throws Exception {
        Path crlPem = f.dir.resolve(crl.getFileName() + ".pem");
        ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", crl.toString(), "-out", crlPem.toString());
        return ExternalVerifiers.openssl(f.dir, "verify", "-crl_check", "-CAfile",
                f.dir.resolve("ceremony/root-ca.pem").toString(), "-untrusted", issuing.toString(), "-CRLfile",
                crlPem.toString(), f.dir.resolve(who + ".pem").toString()).output();
    }

    @Test
    void renewedIssuingKeyLivesBesideTheOldOneEachWithItsOwnCrl() throws Exception {
        try (CaFixture f = CaFixture.create("renewal", "EC-P384", "EC-P256")) {
            String cfg = f.configFile.toString();
            assertThat(ca("--config", cfg, "ceremony", "--operator", "Op").exit()).isZero();
            issue(f, cfg, "old-kept");
            String oldRevoked = issue(f, cfg, "old-revoked");
            // An RA order issues under generation 1 (the RA may later revoke what it ordered).
            Files.write(f.dir.resolve("orders-1.der"), OrderBundleTest.bundle(f.raKeys, f.raCert, "before-renewal",
                    OrderBundleTest.issue("order-old", CaFixture.csr("CN=old-by-order,C=JP", CaFixture.ecKey("secp256r1")))));
            CaCommand.Result before = ca("--config", cfg, "orders", "import", "--bundle", f.dir.resolve("orders-1.der")
                    .toString(), "--result-out", f.dir.resolve("result-1.der").toString());
            assertThat(before.exit()).as(before.err()).isZero();
            X509Certificate gen1Ca = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(f.dir.resolve("ceremony/issuing-ca.pem")));
            var oldResult = OrderBundleTest.results(Files.readAllBytes(f.dir.resolve("result-1.der")), gen1Ca).get(0);
            String oldByOrder = oldResult.get("serial").asText();
            Files.writeString(f.dir.resolve("old-by-order.pem"), "-----BEGIN CERTIFICATE-----\n"
                    + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(java.util.Base64.getDecoder()
                            .decode(oldResult.get("certificate").asText())) + "\n-----END CERTIFICATE-----\n");
            assertThat(ca("--config", cfg, "crl", "--out", f.dir.resolve("first.crl").toString()).exit()).isZero();

            Path[] alice = QuorumTestSupport.fileCredential(f.dir, "Alice Operator");
            Path[] bob = QuorumTestSupport.fileCredential(f.dir, "Bob Witness");
            Files.writeString(f.configFile, Files.readString(f.configFile) + """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                      quorum: { renewal: 2, ca-revocation: 2 }
                    """.formatted(alice[0], bob[0]));
            Path out = f.dir.resolve("renewal-2");
            String[] renew = {"renew-issuing", "--label", "issuing-test-2", "--subject",
                    "CN=Shomei Test Issuing CA 2,O=Shomei Test,C=JP", "--validity-years", "5", "--out", out.toString()};
            CaCommand.Result typed = ca(concat(new String[] {"--config", cfg}, renew, new String[] {"--operator", "Op"}));
            assertThat(typed.exit()).isEqualTo(1);
            assertThat(typed.err()).contains("--operator is not accepted for 'renewal'");

            // One CRL URL for both generations would leave one of them unverifiable: the renewal is refused
            // (before any approval is asked for) until the URLs name the generation.
            String withGeneration = Files.readString(f.configFile);
            Files.writeString(f.configFile, withGeneration.replace("crl/{generation}.crl", "crl/issuing.crl"));
            CaCommand.Result shared = ca(concat(new String[] {"--config", cfg, "approval", "request", "--out",
                    f.dir.resolve("shared-act.json").toString(), "--"}, renew));
            assertThat(shared.exit()).isEqualTo(2);
            assertThat(shared.err()).contains("repository.crlUrl hold no {generation}");
            assertThat(f.dir.resolve("shared-act.json")).doesNotExist();
            Files.writeString(f.configFile, withGeneration);

            Path act = f.dir.resolve("renewal-act.json");
            assertThat(ca(concat(new String[] {"--config", cfg, "approval", "request", "--out", act.toString(), "--"}, renew))
                    .exit()).isZero();
            QuorumTestSupport.sign(act, alice, f.dir.resolve("a.sig"));
            QuorumTestSupport.sign(act, bob, f.dir.resolve("b.sig"));
            CaCommand.Result renewed = ca(concat(new String[] {"--config", cfg}, renew,
                    new String[] {"--approvals", f.dir.resolve("a.sig").toString(), f.dir.resolve("b.sig").toString()}));
            assertThat(renewed.exit()).as(renewed.out() + renewed.err()).isZero();
            assertThat(renewed.out()).contains("Step 4", "new issuing CA 'issuing-test-2'");
            assertThat(Files.readString(out.resolve("ca-hash-values.txt"))).contains("Shomei Test Root CA",
                    "CN=Shomei Test Issuing CA\n", "CN=Shomei Test Issuing CA 2\n");
            assertThat(Files.readString(out.resolve("renewal-transcript.txt"))).contains("Alice Operator, operator",
                    "Bob Witness, witness");

            // New issuance moves to the new generation (a configuration change); the old one keeps its CRLs.
            Files.writeString(f.configFile, Files.readString(f.configFile).replace(";object=issuing-test\n",
                    ";object=issuing-test-2\n"));
            issue(f, cfg, "new-kept");
            // RA orders (the pull loop runs the same processor as import) issue under generation 2 and sign the result
            // with its key; a revocation order for a generation-1 certificate goes on generation 1's CRL.
            Files.write(f.dir.resolve("orders.der"), OrderBundleTest.bundle(f.raKeys, f.raCert, "after-renewal",
                    OrderBundleTest.issue("order-new", CaFixture.csr("CN=order-new,C=JP", CaFixture.ecKey("secp256r1"))),
                    OrderBundleTest.revoke("order-revoke-old", oldByOrder)));
            CaCommand.Result imported = ca("--config", cfg, "orders", "import", "--bundle", f.dir.resolve("orders.der")
                    .toString(), "--result-out", f.dir.resolve("result.der").toString());
            assertThat(imported.exit()).as(imported.err()).isZero();
            assertThat(imported.out()).contains("1 issued, 1 revoked, 0 refused");
            X509Certificate gen2Ca = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(out.resolve("issuing-ca.pem")));
            var results = OrderBundleTest.results(Files.readAllBytes(f.dir.resolve("result.der")), gen2Ca);
            X509Certificate byOrder = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(results.get(0).get("certificate").asText())));
            byOrder.verify(gen2Ca.getPublicKey());
            assertThat(ca("--config", cfg, "revoke", "--serial", oldRevoked, "--reason", "keyCompromise", "--operator",
                    "Op").exit()).isZero();
            Path oldCrl = f.dir.resolve("gen1.crl");
            CaCommand.Result gen1 = ca("--config", cfg, "generation-crl", "--issuer", "issuing-test", "--out", oldCrl.toString());
            assertThat(gen1.exit()).as(gen1.err()).isZero();
            assertThat(gen1.out()).contains("of 'issuing-test': 2 revoked");
            Path newCrl = f.dir.resolve("gen2.crl");
            CaCommand.Result gen2 = ca("--config", cfg, "crl", "--out", newCrl.toString());
            assertThat(gen2.exit()).as(gen2.err()).isZero();
            assertThat(gen2.out()).contains("CRL 1: 0 revoked");

            Path gen1Cert = f.dir.resolve("ceremony/issuing-ca.pem");
            Path gen2Cert = out.resolve("issuing-ca.pem");
            assertThat(verify(f, "old-kept", gen1Cert, oldCrl)).contains("old-kept.pem: OK");
            assertThat(verify(f, "old-revoked", gen1Cert, oldCrl)).contains("certificate revoked");
            assertThat(verify(f, "old-by-order", gen1Cert, oldCrl)).contains("certificate revoked");
            assertThat(verify(f, "new-kept", gen2Cert, newCrl)).contains("new-kept.pem: OK");
            // A certificate of one generation does not chain to the other.
            assertThat(verify(f, "new-kept", gen1Cert, oldCrl)).doesNotContain("new-kept.pem: OK");

            // Each generation's certificates name that generation's CRL and CA certificate.
            assertThat(ExternalVerifiers.openssl(f.dir, "x509", "-in", "new-kept.pem", "-noout", "-ext",
                    "crlDistributionPoints,authorityInfoAccess").output())
                    .contains("http://repo.test/crl/issuing-test-2.crl", "http://repo.test/certs/issuing-test-2.cer");
            assertThat(ExternalVerifiers.openssl(f.dir, "x509", "-in", "old-kept.pem", "-noout", "-ext",
                    "crlDistributionPoints").output()).contains("http://repo.test/crl/issuing-test.crl");

            // Generation 1 retired: its CA certificate goes on the root's CRL (ARL), under the quorum.
            String[] revokeCa = {"revoke-ca", "--label", "issuing-test", "--reason", "superseded"};
            CaCommand.Result wrongAct = ca(concat(new String[] {"--config", cfg}, revokeCa, new String[] {"--approvals",
                    f.dir.resolve("a.sig").toString(), f.dir.resolve("b.sig").toString()}));
            assertThat(wrongAct.exit()).as(wrongAct.err()).isEqualTo(1);
            assertThat(wrongAct.err()).contains("renewal");
            CaCommand.Result inUse = ca("--config", cfg, "revoke-ca", "--label", "issuing-test-2", "--reason", "superseded");
            assertThat(inUse.exit()).isEqualTo(1);
            assertThat(inUse.err()).contains("issuing key in use");
            CaCommand.Result badReason = ca("--config", cfg, "revoke-ca", "--label", "issuing-test", "--reason", "keyCompromise");
            assertThat(badReason.exit()).isEqualTo(2);
            assertThat(badReason.err()).contains("use cACompromise");
            Path revokeAct = f.dir.resolve("revoke-ca-act.json");
            assertThat(ca(concat(new String[] {"--config", cfg, "approval", "request", "--out", revokeAct.toString(), "--"},
                    revokeCa)).exit()).isZero();
            QuorumTestSupport.sign(revokeAct, alice, f.dir.resolve("ra.sig"));
            CaCommand.Result one = ca(concat(new String[] {"--config", cfg}, revokeCa, new String[] {"--approvals",
                    f.dir.resolve("ra.sig").toString()}));
            assertThat(one.exit()).isEqualTo(1);
            QuorumTestSupport.sign(revokeAct, bob, f.dir.resolve("rb.sig"));
            CaCommand.Result revokedCa = ca(concat(new String[] {"--config", cfg}, revokeCa, new String[] {"--approvals",
                    f.dir.resolve("ra.sig").toString(), f.dir.resolve("rb.sig").toString()}));
            assertThat(revokedCa.exit()).as(revokedCa.out() + revokedCa.err()).isZero();
            assertThat(revokedCa.out()).contains("revoked (superseded) by Alice Operator + Bob Witness");
            Path arl = f.dir.resolve("root.crl");
            CaCommand.Result rootCrl = ca("--config", cfg, "root-crl", "--out", arl.toString());
            assertThat(rootCrl.exit()).as(rootCrl.err()).isZero();
            // openssl prints the serial's bytes, so an odd number of hex digits gets a leading 0.
            String gen1Serial = gen1Ca.getSerialNumber().toString(16).toUpperCase();
            gen1Serial = gen1Serial.length() % 2 == 1 ? "0" + gen1Serial : gen1Serial;
            assertThat(ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", arl.toString(), "-noout", "-text")
                    .output()).contains("Serial Number: " + gen1Serial, "Superseded");
            Path arlPem = f.dir.resolve("root.crl.pem");
            ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", arl.toString(), "-out", arlPem.toString());
            Path oldCrlPem = f.dir.resolve("gen1.crl.pem");
            String root = f.dir.resolve("ceremony/root-ca.pem").toString();
            assertThat(ExternalVerifiers.openssl(f.dir, "verify", "-crl_check_all", "-CAfile", root, "-untrusted",
                    gen1Cert.toString(), "-CRLfile", arlPem.toString(), "-CRLfile", oldCrlPem.toString(),
                    f.dir.resolve("old-kept.pem").toString()).output()).contains("certificate revoked");
            assertThat(ExternalVerifiers.openssl(f.dir, "verify", "-crl_check_all", "-CAfile", root, "-untrusted",
                    gen2Cert.toString(), "-CRLfile", arlPem.toString(), "-CRLfile", f.dir.resolve("gen2.crl.pem").toString(),
                    f.dir.resolve("new-kept.pem").toString()).output()).contains("new-kept.pem: OK");
            // A revoked generation signs no further CRL (docs/crl.md): refused, recorded, nothing signed or written.
            long crlsBefore = f.count("crl");
            long refusalsBefore = f.count("audit_entry WHERE action = 'crl.refused'");
            Path afterRevocation = f.dir.resolve("gen1-after-revocation.crl");
            CaCommand.Result revokedGeneration = ca("--config", cfg, "generation-crl", "--issuer", "issuing-test",
                    "--out", afterRevocation.toString());
            assertThat(revokedGeneration.exit()).as(revokedGeneration.out() + revokedGeneration.err()).isEqualTo(1);
            assertThat(revokedGeneration.err()).contains("generation-crl: refused", "issuing generation 'issuing-test'",
                    "was revoked (superseded)", "RFC 5280 §6.3.3 (f)");
            assertThat(afterRevocation).doesNotExist();
            assertThat(f.count("crl")).isEqualTo(crlsBefore);
            assertThat(f.count("audit_entry WHERE action = 'crl.refused'")).isEqualTo(refusalsBefore + 1);
            // The generation in good standing keeps signing its CRLs.
            CaCommand.Result gen2Again = ca("--config", cfg, "crl", "--out", f.dir.resolve("gen2-again.crl").toString());
            assertThat(gen2Again.exit()).as(gen2Again.err()).isZero();
            // Moving issuingKey back to the revoked generation does not get a CRL out of it either.
            String renewedConfig = Files.readString(f.configFile);
            Files.writeString(f.configFile, renewedConfig.replace(";object=issuing-test-2\n", ";object=issuing-test\n"));
            CaCommand.Result backToRevoked = ca("--config", cfg, "crl", "--out", afterRevocation.toString());
            assertThat(backToRevoked.exit()).as(backToRevoked.out() + backToRevoked.err()).isEqualTo(1);
            assertThat(backToRevoked.err()).contains("crl: refused", "issuing generation 'issuing-test'");
            assertThat(afterRevocation).doesNotExist();
            assertThat(f.count("audit_entry WHERE action = 'crl.refused'")).isEqualTo(refusalsBefore + 2);
            Files.writeString(f.configFile, renewedConfig);
            CaCommand.Result again = ca(concat(new String[] {"--config", cfg}, revokeCa, new String[] {"--approvals",
                    f.dir.resolve("ra.sig").toString(), f.dir.resolve("rb.sig").toString()}));
            assertThat(again.exit()).isEqualTo(1);

            CaCommand.Result audit = ca("--config", cfg, "audit-verify");
            assertThat(audit.exit()).as(audit.out() + audit.err()).isZero();
        }
    }

    private static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
