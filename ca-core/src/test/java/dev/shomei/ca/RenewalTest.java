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
            assertThat(ca("--config", cfg, "crl", "--out", f.dir.resolve("first.crl").toString()).exit()).isZero();

            Path[] alice = QuorumTestSupport.fileCredential(f.dir, "Alice Operator");
            Path[] bob = QuorumTestSupport.fileCredential(f.dir, "Bob Witness");
            Files.writeString(f.configFile, Files.readString(f.configFile) + """
                    approvals:
                      approvers:
                        - { name: Alice Operator, role: operator, certificate: %s }
                        - { name: Bob Witness,    role: witness,  certificate: %s }
                      quorum: { renewal: 2 }
                    """.formatted(alice[0], bob[0]));
            Path out = f.dir.resolve("renewal-2");
            String[] renew = {"renew-issuing", "--label", "issuing-test-2", "--subject",
                    "CN=Shomei Test Issuing CA 2,O=Shomei Test,C=JP", "--validity-years", "5", "--out", out.toString()};
            CaCommand.Result typed = ca(concat(new String[] {"--config", cfg}, renew, new String[] {"--operator", "Op"}));
            assertThat(typed.exit()).isEqualTo(1);
            assertThat(typed.err()).contains("--operator is not accepted for 'renewal'");

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
            assertThat(ca("--config", cfg, "revoke", "--serial", oldRevoked, "--reason", "keyCompromise", "--operator",
                    "Op").exit()).isZero();
            Path oldCrl = f.dir.resolve("gen1.crl");
            CaCommand.Result gen1 = ca("--config", cfg, "generation-crl", "--issuer", "issuing-test", "--out", oldCrl.toString());
            assertThat(gen1.exit()).as(gen1.err()).isZero();
            assertThat(gen1.out()).contains("of 'issuing-test': 1 revoked");
            Path newCrl = f.dir.resolve("gen2.crl");
            CaCommand.Result gen2 = ca("--config", cfg, "crl", "--out", newCrl.toString());
            assertThat(gen2.exit()).as(gen2.err()).isZero();
            assertThat(gen2.out()).contains("CRL 1: 0 revoked");

            Path gen1Cert = f.dir.resolve("ceremony/issuing-ca.pem");
            Path gen2Cert = out.resolve("issuing-ca.pem");
            assertThat(verify(f, "old-kept", gen1Cert, oldCrl)).contains("old-kept.pem: OK");
            assertThat(verify(f, "old-revoked", gen1Cert, oldCrl)).contains("certificate revoked");
            assertThat(verify(f, "new-kept", gen2Cert, newCrl)).contains("new-kept.pem: OK");
            // A certificate of one generation does not chain to the other.
            assertThat(verify(f, "new-kept", gen1Cert, oldCrl)).doesNotContain("new-kept.pem: OK");

            CaCommand.Result audit = ca("--config", cfg, "audit-verify");
            assertThat(audit.exit()).as(audit.out() + audit.err()).isZero();
        }
    }

    private static String[] concat(String[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
