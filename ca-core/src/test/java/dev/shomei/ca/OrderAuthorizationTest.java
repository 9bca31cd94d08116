package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.pkcs11.KeyAlgorithm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;

/**
 * A compromised RA can ask the CA only for what the CA allows RA orders to do: certificates of the profiles in
 * {@code orders.allowedProfiles}, and revocation of certificates issued from RA orders. Each attack is a bundle
 * correctly signed by the trusted RA key (the RA is the attacker).
 */
class OrderAuthorizationTest {

    static ObjectNode issue(String orderId, byte[] csr, String profile) {
        return OrderBundleTest.issue(orderId, csr).put("profile", profile);
    }

    @Test
    void raOrdersCannotRevokeTheCasOwnOrAnOperatorsCertificates() throws Exception {
        try (CaFixture f = CaFixture.create("authrev", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            X509Certificate responder = ca.delegate("ocsp-auth", KeyAlgorithm.EC_P256,
                    new X500Name("CN=Shomei Test OCSP Responder,O=Shomei Test,C=JP"), "ocsp-responder");
            X509Certificate operatorIssued = ca.issuer().issue(null,
                    CaFixture.csr("CN=Issued By Operator,C=JP", CaFixture.ecKey("secp256r1")), "subscriber-signature")
                    .certificate();
            OrderBundleProcessor p = ca.orderProcessor();
            String ordered = OrderBundleTest.results(p.process(OrderBundleTest.bundle(f.raKeys, f.raCert, "auth-issue",
                    OrderBundleTest.issue("auth-app", CaFixture.csr("CN=Ordered,C=JP", CaFixture.ecKey("secp256r1"))))).resultBundle(),
                    ca.issuingSigner().certificate()).get(0).get("serial").asText();

            OrderBundleProcessor.Result r = p.process(OrderBundleTest.bundle(f.raKeys, f.raCert, "auth-revoke",
                    OrderBundleTest.revoke("rev-responder", responder.getSerialNumber().toString(16)),
                    OrderBundleTest.revoke("rev-operator", operatorIssued.getSerialNumber().toString(16)),
                    OrderBundleTest.revoke("rev-ordered", ordered)));
            JsonNode results = OrderBundleTest.results(r.resultBundle(), ca.issuingSigner().certificate());
            assertThat(results.get(0).get("status").asText()).isEqualTo("refused");
            assertThat(results.get(0).get("reason").asText()).contains("was not issued from an RA order",
                    "request delegated:ocsp-auth");
            assertThat(results.get(1).get("status").asText()).isEqualTo("refused");
            assertThat(results.get(1).get("reason").asText()).contains("was not issued from an RA order");
            assertThat(results.get(2).get("status").asText()).isEqualTo("revoked");
            assertThat(f.count("revocation")).as("only the ordered certificate is revoked").isEqualTo(1);
            assertThat(f.events()).contains("order rev-responder refused", "order rev-operator refused",
                    "order rev-ordered revoked", "revoked " + ordered)
                    .doesNotContain("revoked " + responder.getSerialNumber().toString(16));
            assertThat(f.verifyAudit().ok()).isTrue();
        }
    }

    @Test
    void raOrdersMayUseOnlyTheProfilesTheCaAllows() throws Exception {
        try (CaFixture f = CaFixture.create("authprof", "EC-P256", "EC-P256")) {
            // A second subscriber profile exists in the CA's configuration but is not allowed for RA orders.
            Files.writeString(f.configFile, """
                      subscriber-other:
                        validityDays: 365
                        keyUsage: [digitalSignature]
                        allowedKeys: [EC-P256]
                    """, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            CertificateAuthority ca = f.ceremony();
            OrderBundleProcessor.Result r = ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert, "prof",
                    issue("want-ocsp", CaFixture.csr("CN=Evil Responder,C=JP", CaFixture.ecKey("secp256r1")), "ocsp-responder"),
                    issue("want-other", CaFixture.csr("CN=Other,C=JP", CaFixture.ecKey("secp256r1")), "subscriber-other"),
                    issue("want-unknown", CaFixture.csr("CN=Unknown,C=JP", CaFixture.ecKey("secp256r1")), "publication-signer"),
                    OrderBundleTest.issue("fine", CaFixture.csr("CN=Fine,C=JP", CaFixture.ecKey("secp256r1")))));
            assertThat(r.issued()).isEqualTo(1);
            assertThat(r.refused()).isEqualTo(3);
            JsonNode results = OrderBundleTest.results(r.resultBundle(), ca.issuingSigner().certificate());
            for (int i = 0; i < 3; i++) {
                assertThat(results.get(i).get("reason").asText()).contains("may not be used by RA orders",
                        "[subscriber-signature]", "orders.allowedProfiles");
            }
            assertThat(f.count("certificate")).isEqualTo(1);
        }
    }

    @Test
    void allowedProfilesAreConfigurationAndNeverIncludeAResponderProfile() throws Exception {
        try (CaFixture f = CaFixture.create("authcfg", "EC-P256", "EC-P256")) {
            String yaml = Files.readString(f.configFile);
            Files.writeString(f.configFile, yaml.replace("  trustedRaCertificates: [ra-orders.pem]",
                    "  trustedRaCertificates: [ra-orders.pem]\n  allowedProfiles: [subscriber-signature, ocsp-responder]"));
            assertThatThrownBy(() -> f.config().orderProfiles()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'ocsp-responder', an OCSP responder profile");
            Files.writeString(f.configFile, yaml.replace("  trustedRaCertificates: [ra-orders.pem]",
                    "  trustedRaCertificates: [ra-orders.pem]\n  allowedProfiles: [subscriber-signature]\n  maxBundleBytes: 100"));
            assertThat(f.config().orderProfiles()).containsExactly("subscriber-signature");
            assertThatThrownBy(() -> f.config().maxOrderBundleBytes()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("orders.maxBundleBytes is 100");
        }
    }
}
