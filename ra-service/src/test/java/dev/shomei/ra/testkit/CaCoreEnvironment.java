package dev.shomei.ra.testkit;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.testsupport.SoftHsmToken;
import dev.shomei.testsupport.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The RA test environment plus a real ca-core CA (SoftHSM2 token, its own PostgreSQL database, key ceremony done)
 * that trusts the RA's order-signing certificate; the RA is configured to trust the CA's issuing certificate.
 * The test opens the CA from {@code test.ca.config} and runs ca-core's OrderBundleProcessor on the RA's bundles.
 *
 * <p>Zone: tests only (ca-core is a test-scope dependency; the CA belongs to the offline zone).
 */
public class CaCoreEnvironment extends RaTestEnvironment {

    @Override
    public Map<String, String> start() {
        Map<String, String> props = new java.util.HashMap<>(super.start());
        try {
            SoftHsmToken token = SoftHsmToken.create("e2e-ca", "e2e-ca-pin");
            TestDatabase.Database db = TestDatabase.create("ra_e2e_ca");
            Path dir = token.directory();
            Path pin = token.writePinFile();
            Files.writeString(dir.resolve("db.password"), db.password());
            byte[] raCert = Base64.getDecoder().decode(props.get("test.orders.ra-signing-certificate"));
            Files.writeString(dir.resolve("ra-orders.pem"), pem(raCert));
            Path config = dir.resolve("ca.yaml");
            Files.writeString(config, """
                    hsm:
                      module: %s
                      token: %s
                      pin: file:%s
                      parallelism: 2
                    database:
                      url: %s
                      user: %s
                      passwordFile: db.password
                    issuingKey: pkcs11:token=%s;object=issuing-e2e
                    ceremony:
                      output: ceremony
                      root:    { label: root-e2e, algorithm: EC-P256, subject: "CN=Shomei E2E Root CA,O=Shomei Test,C=JP", validityYears: 20 }
                      issuing: { label: issuing-e2e, algorithm: EC-P256, subject: "CN=Shomei E2E Issuing CA,O=Shomei Test,C=JP", validityYears: 10 }
                    repository:
                      crlUrl: http://repo.test/crl/{generation}.crl
                      ocspUrl: http://repo.test/ocsp
                      caIssuersUrl: http://repo.test/certs/{generation}.cer
                    crl:
                      nextUpdateHours: 24
                    orders:
                      trustedRaCertificates: [ra-orders.pem]
                    %s
                    profiles:
                      result-bundle-signer:
                        validityDays: 365
                        keyUsage: [digitalSignature]
                        extendedKeyUsage: [resultBundleSigning]
                        allowedKeys: [EC-P256]
                      subscriber-signature:
                        description: e-signature subscriber certificate
                        subjectFrom: order
                        subjectAttributes: [C, CN]
                        validityDays: 1825
                        keyUsage: [digitalSignature, nonRepudiation]
                        certificatePolicies: ["1.3.6.1.4.1.99999.1.1"]
                        crlDistributionPoint: true
                        ocsp: true
                        caIssuers: true
                        allowedKeys: [EC-P256, EC-P384, RSA-2048, RSA-3072]
                    """.formatted(token.module(), token.label(), pin, db.jdbcUrl(), db.user(), token.label(),
                    resultSigner() ? "  resultSigningKey: pkcs11:token=" + token.label() + ";object=results-e2e" : ""),
                    StandardCharsets.UTF_8);
            // The ceremony initialises the token's module in this JVM now, before another SoftHSM2 token rewrites
            // SOFTHSM2_CONF; the test later opens the same module again.
            try (CertificateAuthority ca = CertificateAuthority.open(CaConfig.load(config), CaEvents.NONE,
                    Clock.systemUTC())) {
                ca.ceremony("Test Operator", List.of("Test Witness"), s -> { });
                X509Certificate issuing = ca.issuingSigner().certificate();
                Path issuingPem = dir.resolve("issuing-e2e.pem");
                Files.writeString(issuingPem, pem(issuing.getEncoded()));
                props.put("ra.orders.ca-certificates", issuingPem.toString());
                if (resultSigner()) {
                    // One key, one purpose: results are signed by a delegated result signer, which the RA pins.
                    X509Certificate results = ca.delegate("results-e2e", dev.shomei.pkcs11.KeyAlgorithm.parse("EC-P256"),
                            new org.bouncycastle.asn1.x500.X500Name("CN=Shomei E2E Results,O=Shomei Test,C=JP"),
                            "result-bundle-signer");
                    Path resultsPem = dir.resolve("results-e2e.pem");
                    Files.writeString(resultsPem, pem(results.getEncoded()));
                    props.put("ra.orders.result-signer-certificates", resultsPem.toString());
                }
            }
            props.put("test.ca.config", config.toString());
            return props;
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up the ca-core CA for the end-to-end test: " + e.getMessage(), e);
        }
    }

    /**
     * Whether the CA signs results with a delegated result signer that the RA pins (docs/order-bundles.md), as a CA
     * set up today does; false: with the issuing key, as a CA before the upgrade.
     */
    protected boolean resultSigner() {
        return true;
    }

    private static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }
}
