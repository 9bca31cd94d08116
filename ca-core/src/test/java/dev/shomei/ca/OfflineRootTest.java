package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.PinSource;
import dev.shomei.pkcs11.Pkcs11Slots;
import dev.shomei.testsupport.SoftHsmToken;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/**
 * An offline root on SoftHSM2 with two tokens: the ceremony makes the root key on the root's own token and the
 * issuing key on the CA's; afterwards the issuing CA issues and signs CRLs with the root token gone, and the
 * root's CRL (ARL) is signed only when the root token is back. openssl verifies the chain with both CRLs.
 */
class OfflineRootTest {

    private static CaCommand.Result ca(String... args) {
        return CaCommand.run(args);
    }

    @Test
    void rootKeyLivesOnItsOwnTokenAndTheIssuingCaRunsWithoutIt() throws Exception {
        try (CaFixture f = CaFixture.create("offroot", "EC-P384", "EC-P256")) {
            Pkcs11Slots.tokens(f.token.module()); // load the CA's module before the next token rewrites SOFTHSM2_CONF
            SoftHsmToken rootToken = SoftHsmToken.create("offroot-root", "7777-root");
            Path rootPin = rootToken.writePinFile();
            Pkcs11Slots.tokens(rootToken.module());
            String yaml = Files.readString(f.configFile);
            Files.writeString(f.configFile, yaml.replace("ceremony:\n  output: ceremony\n", "ceremony:\n  output: ceremony\n"
                    + "  rootToken: { module: " + rootToken.module() + ", token: offroot-root, pin: \"file:" + rootPin + "\" }\n"));
            String cfg = f.configFile.toString();

            CaCommand.Result ceremony = ca("--config", cfg, "ceremony", "--operator", "Op", "--witness", "W");
            assertThat(ceremony.exit()).as(ceremony.out() + ceremony.err()).isZero();
            assertThat(Files.readString(f.dir.resolve("ceremony/ceremony-transcript.txt")))
                    .contains("Root HSM:", "(root key only; offline between ceremonies)", "token:         'offroot-root'");
            // Each key is on its own token, and only there.
            try (HsmToken t = HsmToken.login(new HsmConfig(f.token.module(), f.token.label(),
                    PinSource.parse("file:" + f.token.directory().resolve("user.pin")), 1))) {
                assertThat(t.labels()).contains("issuing-test").doesNotContain("root-test");
            }
            try (HsmToken t = HsmToken.login(new HsmConfig(rootToken.module(), "offroot-root",
                    PinSource.parse("file:" + rootPin), 1))) {
                assertThat(t.labels()).contains("root-test").doesNotContain("issuing-test");
            }

            // The root token is taken away (its PIN with it): the issuing CA issues, revokes and signs CRLs.
            Path kept = f.dir.resolve("root-pin.kept");
            Files.move(rootPin, kept);
            Path csr = f.dir.resolve("req.der");
            Files.write(csr, CaFixture.csr("CN=Tanaka Kenji,C=JP", CaFixture.ecKey("secp256r1")));
            Path pem = f.dir.resolve("cert.pem");
            CaCommand.Result issue = ca("--config", cfg, "issue", "--csr", csr.toString(), "--profile", "subscriber-signature",
                    "--out", pem.toString());
            assertThat(issue.exit()).as(issue.err()).isZero();
            Path crl = f.dir.resolve("issuing.crl");
            assertThat(ca("--config", cfg, "crl", "--out", crl.toString()).exit()).isZero();
            Path arl = f.dir.resolve("root.crl");
            CaCommand.Result noRoot = ca("--config", cfg, "root-crl", "--out", arl.toString());
            assertThat(noRoot.exit()).isNotZero();
            assertThat(noRoot.err()).contains("user.pin");

            // Brought back for the root's own signing: the ARL.
            Files.move(kept, rootPin);
            CaCommand.Result arlRun = ca("--config", cfg, "root-crl", "--out", arl.toString(), "--operator", "Op");
            assertThat(arlRun.exit()).as(arlRun.err()).isZero();
            assertThat(arlRun.out()).contains("root CRL 1 signed on token 'offroot-root'");
            assertThat(ca("--config", cfg, "root-crl", "--out", f.dir.resolve("root2.crl").toString()).out())
                    .contains("root CRL 2");

            Path crlPem = f.dir.resolve("all-crls.pem");
            String crls = ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", crl.toString()).output()
                    + ExternalVerifiers.openssl(f.dir, "crl", "-inform", "DER", "-in", arl.toString()).output();
            Files.writeString(crlPem, crls);
            var verify = ExternalVerifiers.openssl(f.dir, "verify", "-crl_check_all", "-CAfile",
                    f.dir.resolve("ceremony/root-ca.pem").toString(), "-untrusted",
                    f.dir.resolve("ceremony/issuing-ca.pem").toString(), "-CRLfile", crlPem.toString(), pem.toString());
            assertThat(verify.output()).contains(pem + ": OK");
            X509Certificate issued = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(pem));
            assertThat(issued.getIssuerX500Principal().getName()).contains("Shomei Test Issuing CA");
        }
    }
}
