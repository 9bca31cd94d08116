package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.profile.ProfileExtensions;
import dev.shomei.pkcs11.KeyAlgorithm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.Test;

/**
 * One key, one purpose (docs/order-bundles.md, "The result signer"): with {@code orders.resultSigningKey} set, the
 * CA's answers to RA order bundles are signed by a delegated key whose certificate says resultBundleSigning, not by
 * the issuing key (certificates and CRLs only); a key without that purpose is refused at start.
 */
class ResultSignerTest {

    private static final String PROFILE = """
            profiles:
              result-bundle-signer:
                validityDays: 365
                keyUsage: [digitalSignature]
                extendedKeyUsage: [resultBundleSigning]
                allowedKeys: [EC-P256]
            """;

    @Test
    void resultBundlesAreSignedByTheDelegatedResultSignerNotTheIssuingKey() throws Exception {
        try (CaFixture f = CaFixture.create("results", "EC-P256", "EC-P256")) {
            String yaml = Files.readString(f.configFile).replace("profiles:\n", PROFILE);
            Files.writeString(f.configFile, yaml);
            X509Certificate resultCert;
            X509Certificate issuing;
            try (CertificateAuthority ca = f.ceremony()) {
                issuing = ca.issuingSigner().certificate();
                resultCert = ca.delegate("results-test", KeyAlgorithm.parse("EC-P256"),
                        new X500Name("CN=Shomei Test Results,C=JP"), "result-bundle-signer");
                ca.delegate("audit-test", KeyAlgorithm.parse("EC-P256"),
                        new X500Name("CN=Shomei Test Audit,C=JP"), "audit-checkpoint");
            }
            f.ca = null;
            assertThat(resultCert.getExtendedKeyUsage()).containsExactly(ProfileExtensions.RESULT_BUNDLE_SIGNING_OID);
            assertThat(resultCert.getBasicConstraints()).isEqualTo(-1);
            Files.writeString(f.configFile, yaml.replace("  trustedRaCertificates: [ra-orders.pem]\n",
                    "  trustedRaCertificates: [ra-orders.pem]\n  resultSigningKey: pkcs11:token=" + f.token.label()
                            + ";object=results-test\n"));

            Path bundle = f.dir.resolve("b.p7m");
            Files.write(bundle, OrderBundleTest.bundle(f.raKeys, f.raCert, "results-bundle", OrderBundleTest.issue("r-1",
                    CaFixture.csr("CN=Result 1,C=JP", CaFixture.ecKey("secp256r1")))));
            Path result = f.dir.resolve("r.p7m");
            CaCommand.Result r = CaCommand.run("--config", f.configFile.toString(), "orders", "import", "--bundle",
                    bundle.toString(), "--result-out", result.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            CMSSignedData signed = new CMSSignedData(Files.readAllBytes(result));
            SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
            assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(resultCert))).isTrue();
            assertThat(verifies(si, issuing)).as("not signed by the issuing key").isFalse();
            assertThat(signed.getCertificates().getMatches(si.getSID())).as("the signer travels with the bundle").hasSize(1);

            // A delegated key for another purpose (the audit checkpoint key) is refused as the result signer.
            Files.writeString(f.configFile, yaml.replace("  trustedRaCertificates: [ra-orders.pem]\n",
                    "  trustedRaCertificates: [ra-orders.pem]\n  resultSigningKey: pkcs11:token=" + f.token.label()
                            + ";object=audit-test\n"));
            CaCommand.Result refused = CaCommand.run("--config", f.configFile.toString(), "orders", "import",
                    "--bundle", bundle.toString(), "--result-out", f.dir.resolve("r2.p7m").toString());
            assertThat(refused.exit()).isEqualTo(2);
            assertThat(refused.err()).contains("orders.resultSigningKey").contains("resultBundleSigning");
        }
    }

    private static boolean verifies(SignerInformation si, X509Certificate c) {
        try {
            return si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(c));
        } catch (Exception e) {
            return false;
        }
    }
}
