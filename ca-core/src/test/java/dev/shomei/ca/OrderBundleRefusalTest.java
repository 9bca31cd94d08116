package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shomei.ca.orders.OrderBundleException;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ca.orders.OrderBundleVerifier;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Order bundles from the failing side: each is otherwise a good bundle from the trusted RA, and each is refused
 * whole, nothing issued, the refusal in the audit table. And a revoke order interrupted by a crash is resumed
 * as the same revocation, not refused as "already revoked".
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrderBundleRefusalTest {

    private CaFixture f;
    private byte[] csr;

    @BeforeAll
    void ceremony() throws Exception {
        f = CaFixture.create("refusals", "EC-P256", "EC-P256");
        f.ceremony();
        csr = CaFixture.csr("CN=Applicant,C=JP", CaFixture.ecKey("secp256r1"));
    }

    @AfterAll
    void close() {
        f.close();
    }

    private byte[] content(String bundleId, String orderId) {
        return ("{\"format\":\"shomei-order-bundle/v1\",\"bundleId\":\"" + bundleId + "\",\"orders\":["
                + OrderBundleTest.issue(orderId, csr) + "]}").getBytes(StandardCharsets.UTF_8);
    }

    private static CMSSignedDataGenerator generator(List<KeyPair> keys, List<X509Certificate> certs) throws Exception {
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        for (int i = 0; i < keys.size(); i++) {
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.get(i).getPrivate()), certs.get(i)));
        }
        g.addCertificates(new JcaCertStore(certs));
        return g;
    }

    private void refusedWhole(byte[] bundle, String message) throws Exception {
        long certificates = f.count("certificate");
        long refusals = f.events().stream().filter(e -> e.startsWith("bundle refused")).count();
        assertThatThrownBy(() -> f.ca.orderProcessor().process(bundle)).isInstanceOf(OrderBundleException.class)
                .hasMessageContaining(message);
        assertThat(f.count("certificate")).isEqualTo(certificates);
        assertThat(f.events().stream().filter(e -> e.startsWith("bundle refused"))).hasSize((int) refusals + 1);
    }

    @Test
    void aDetachedSignature() throws Exception {
        byte[] detached = generator(List.of(f.raKeys), List.of(f.raCert))
                .generate(new CMSProcessableByteArray(content("detached", "det-1")), false).getEncoded();
        refusedWhole(detached, "a detached signature is not accepted");
    }

    @Test
    void twoSigners() throws Exception {
        // The RA's signature and a second one (the same key again: even that is not one signer).
        byte[] two = generator(List.of(f.raKeys, f.raKeys), List.of(f.raCert, f.raCert))
                .generate(new CMSProcessableByteArray(content("two", "two-1")), true).getEncoded();
        refusedWhole(two, "exactly one signer, it has 2");
    }

    @Test
    void anExpiredRaCertificate() throws Exception {
        byte[] bundle = OrderBundleTest.bundle(f.raKeys, f.raCert, "expired", OrderBundleTest.issue("exp-1", csr));
        // The CA's clock is two days ahead: the RA certificate (valid one day) has expired.
        OrderBundleProcessor later = new OrderBundleProcessor(f.ca.database().dataSource(), f.ca.issuer(),
                f.ca.issuingSigner(), new OrderBundleVerifier(List.of(f.raCert)), f.recordingEvents(),
                Clock.offset(Clock.systemUTC(), Duration.ofDays(2)), List.of("subscriber-signature"));
        long certificates = f.count("certificate");
        assertThatThrownBy(() -> later.process(bundle)).isInstanceOf(OrderBundleException.class)
                .hasMessageContaining("the RA order-signing certificate is not valid now");
        assertThat(f.count("certificate")).isEqualTo(certificates);
    }

    @Test
    void theSameBundleIdWithOtherContent() throws Exception {
        // A bundle interrupted before completion (the result signature fails), then other content under its id.
        byte[] first = OrderBundleTest.bundle(f.raKeys, f.raCert, "same-id", OrderBundleTest.issue("same-1",
                CaFixture.csr("CN=First,C=JP", CaFixture.ecKey("secp256r1"))));
        OrderBundleProcessor dying = new OrderBundleProcessor(f.ca.database().dataSource(), f.ca.issuer(),
                HostileOrderTest.dying(f.ca.issuingSigner()), new OrderBundleVerifier(List.of(f.raCert)),
                f.recordingEvents(), Clock.systemUTC(), List.of("subscriber-signature"));
        assertThatThrownBy(() -> dying.process(first)).hasMessageContaining("power lost");
        long certificates = f.count("certificate");
        refusedWhole(OrderBundleTest.bundle(f.raKeys, f.raCert, "same-id", OrderBundleTest.issue("other-1",
                CaFixture.csr("CN=Other,C=JP", CaFixture.ecKey("secp256r1")))), "was received before with other content");
        // The first content still completes, each order once.
        assertThat(f.ca.orderProcessor().process(first).repeated()).isEqualTo(0);
        assertThat(f.count("certificate")).isEqualTo(certificates);
        // Once completed, other content under the id is a replay and refused as such.
        refusedWhole(OrderBundleTest.bundle(f.raKeys, f.raCert, "same-id", OrderBundleTest.issue("other-2",
                CaFixture.csr("CN=Other Two,C=JP", CaFixture.ecKey("secp256r1")))), "already executed");
    }

    @Test
    void aRevokeOrderResumedAfterACrashIsTheSameRevocation() throws Exception {
        JsonNode issued = OrderBundleTest.results(f.ca.orderProcessor().process(OrderBundleTest.bundle(f.raKeys, f.raCert,
                "to-revoke", OrderBundleTest.issue("rv-app", CaFixture.csr("CN=Revoked Later,C=JP",
                        CaFixture.ecKey("secp256r1"))))).resultBundle(), f.ca.issuingSigner().certificate()).get(0);
        String serial = issued.get("serial").asText();
        byte[] revoke = OrderBundleTest.bundle(f.raKeys, f.raCert, "revoke-crash", OrderBundleTest.revoke("rv-1", serial));
        OrderBundleProcessor dying = new OrderBundleProcessor(f.ca.database().dataSource(), f.ca.issuer(),
                HostileOrderTest.dying(f.ca.issuingSigner()), new OrderBundleVerifier(List.of(f.raCert)),
                f.recordingEvents(), Clock.systemUTC(), List.of("subscriber-signature"));
        // The revocation commits; the CA dies before it answers.
        assertThatThrownBy(() -> dying.process(revoke)).hasMessageContaining("power lost");
        assertThat(f.events()).contains("revoked " + serial);

        OrderBundleProcessor.Result r = f.ca.orderProcessor().process(revoke);
        assertThat(r.revoked()).isEqualTo(1);
        assertThat(r.refused()).isZero();
        JsonNode result = OrderBundleTest.results(r.resultBundle(), f.ca.issuingSigner().certificate()).get(0);
        assertThat(result.get("status").asText()).isEqualTo("revoked");
        assertThat(result.get("reason").asText()).isEqualTo("keyCompromise");
        assertThat(f.events().stream().filter(e -> e.equals("revoked " + serial))).as("revoked once").hasSize(1);
        assertThat(f.events()).contains("order rv-1 revoked");
        assertThat(f.verifyAudit().ok()).isTrue();
    }
}
