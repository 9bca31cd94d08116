package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.orders.OrderBundleException;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ca.orders.OrderBundleVerifier;
import dev.shomei.pkcs11.Signer;
import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

/** RA-signed order bundles executed by the CA: issuance, revocation, refusals, replay and crash recovery. */
class OrderBundleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode issue(String orderId, byte[] csr) {
        ObjectNode o = JSON.createObjectNode().put("orderId", orderId).put("type", "issue")
                .put("profile", "subscriber-signature").put("csr", Base64.getEncoder().encodeToString(csr));
        o.putObject("decision").put("id", "decision-" + orderId).put("sha256", "ab".repeat(32));
        return o;
    }

    static ObjectNode revoke(String orderId, String serial) {
        ObjectNode o = JSON.createObjectNode().put("orderId", orderId).put("type", "revoke").put("serial", serial)
                .put("reason", "keyCompromise");
        o.putObject("decision").put("id", "decision-" + orderId).put("sha256", "cd".repeat(32));
        return o;
    }

    static byte[] bundle(KeyPair key, X509Certificate cert, String bundleId, ObjectNode... orders) throws Exception {
        ObjectNode b = JSON.createObjectNode().put("format", "shomei-order-bundle/v1").put("bundleId", bundleId)
                .put("createdAt", "2026-11-22T14:00:00Z");
        ArrayNode list = b.putArray("orders");
        for (ObjectNode o : orders) {
            list.add(o);
        }
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()), cert));
        g.addCertificates(new JcaCertStore(List.of(cert)));
        return g.generate(new CMSProcessableByteArray(JSON.writeValueAsBytes(b)), true).getEncoded();
    }

    /** The result bundle's content, after checking it is signed by the issuing CA. */
    static JsonNode results(byte[] resultBundle, X509Certificate issuing) throws Exception {
        CMSSignedData s = new CMSSignedData(resultBundle);
        SignerInformation si = s.getSignerInfos().getSigners().iterator().next();
        assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(issuing))).isTrue();
        return JSON.readTree((byte[]) s.getSignedContent().getContent()).get("results");
    }

    @Test
    void ordersAreIssuedRevokedAndAnswered() throws Exception {
        try (CaFixture f = CaFixture.create("orders", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            X509Certificate issuing = ca.issuingSigner().certificate();
            OrderBundleProcessor p = ca.orderProcessor();
            byte[] b1 = bundle(f.raKeys, f.raCert, "bundle-1",
                    issue("app-1", CaFixture.csr("CN=Applicant One,C=JP", CaFixture.ecKey("secp256r1"))),
                    issue("app-2", CaFixture.csr("CN=Applicant Two,C=JP", CaFixture.rsaKey(2048))),
                    issue("app-weak", CaFixture.csr("CN=Weak,C=JP", CaFixture.rsaKey(1024))));
            OrderBundleProcessor.Result r1 = p.process(b1);
            assertThat(r1.issued()).isEqualTo(2);
            assertThat(r1.refused()).isEqualTo(1);
            JsonNode results = results(r1.resultBundle(), issuing);
            assertThat(results.get(2).get("reason").asText()).contains("1024 bits");
            X509Certificate cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(results.get(0).get("certificate").asText())));
            cert.verify(issuing.getPublicKey());
            String serial = results.get(0).get("serial").asText();

            OrderBundleProcessor.Result r2 = p.process(bundle(f.raKeys, f.raCert, "bundle-2", revoke("rev-1", serial),
                    revoke("rev-unknown", "0badc0ffee")));
            assertThat(r2.revoked()).isEqualTo(1);
            assertThat(r2.refused()).isEqualTo(1);
            assertThat(results(r2.resultBundle(), issuing).get(1).get("reason").asText()).contains("no certificate with serial");
            X509CRL crl = (X509CRL) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCRL(new java.io.ByteArrayInputStream(ca.crlIssuer().issue().der()));
            assertThat(crl.getRevokedCertificate(cert.getSerialNumber())).isNotNull();

            // An auditor matches counts: orders executed = certificates issued + revocations + refusals.
            assertThat(f.count("executed_order")).isEqualTo(5);
            assertThat(f.count("certificate")).isEqualTo(2);
            assertThat(f.events()).contains("order app-1 issued", "order app-weak refused", "order rev-1 revoked");
            assertThat(f.verifyAudit().ok()).as("the audit table's hash chain verifies").isTrue();

            // The stored result can be fetched again.
            assertThat(p.storedResult("bundle-1")).isEqualTo(r1.resultBundle());
        }
    }

    @Test
    void unknownSignerTamperingReplayAndKeyReuseAreRefused() throws Exception {
        try (CaFixture f = CaFixture.create("ordersbad", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            OrderBundleProcessor p = ca.orderProcessor();
            byte[] csr = CaFixture.csr("CN=Applicant,C=JP", CaFixture.ecKey("secp256r1"));

            // A bundle signed by a key the CA does not trust.
            KeyPair mallory = CaFixture.ecKey("secp256r1");
            X509Certificate malloryCert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
                    new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(f.raCert.getSubjectX500Principal(),
                            java.math.BigInteger.TEN, f.raCert.getNotBefore(), f.raCert.getNotAfter(),
                            f.raCert.getSubjectX500Principal(), mallory.getPublic())
                            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(mallory.getPrivate())));
            assertThatThrownBy(() -> p.process(bundle(mallory, malloryCert, "evil", issue("evil-1", csr))))
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("not a configured RA order-signing certificate");

            // A bundle altered after signing.
            byte[] good = bundle(f.raKeys, f.raCert, "bundle-t", issue("app-t", csr));
            byte[] tampered = good.clone();
            int at = indexOf(tampered, "subscriber-signature".getBytes());
            tampered[at] = 'S';
            assertThatThrownBy(() -> p.process(tampered))
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("altered after signing");
            assertThatThrownBy(() -> p.process("garbage".getBytes()))
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("not an order bundle");
            assertThat(f.count("certificate")).isZero();

            // Executed once; the same bundle again is a replay.
            assertThat(p.process(good).issued()).isEqualTo(1);
            assertThatThrownBy(() -> p.process(good))
                    .isInstanceOf(OrderBundleException.class).hasMessageContaining("already executed").hasMessageContaining("replayed");

            // Another order for a CSR already issued.
            OrderBundleProcessor.Result reuse = p.process(bundle(f.raKeys, f.raCert, "bundle-r", issue("app-again", csr)));
            assertThat(reuse.refused()).isEqualTo(1);
            assertThat(results(reuse.resultBundle(), ca.issuingSigner().certificate()).get(0).get("reason").asText())
                    .contains("already issued for this CSR's public key under request app-t");
            assertThat(f.count("certificate")).isEqualTo(1);
            assertThat(f.events().stream().filter(e -> e.startsWith("bundle refused"))).hasSize(4);
        }
    }

    @Test
    void aCrashPartWayThenARerunExecutesEveryOrderExactlyOnce() throws Exception {
        try (CaFixture f = CaFixture.create("orderscrash", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            ObjectNode[] orders = new ObjectNode[12];
            for (int i = 0; i < orders.length; i++) {
                orders[i] = issue("app-" + i, CaFixture.csr("CN=Applicant " + i + ",C=JP", CaFixture.ecKey("secp256r1")));
            }
            byte[] b = bundle(f.raKeys, f.raCert, "bundle-crash", orders);
            // The CA dies after issuing, before it answered (here: its result signature fails).
            Signer dying = new Signer() {
                public dev.shomei.pkcs11.SignatureAlgorithm algorithm() { return ca.issuingSigner().algorithm(); }
                public X509Certificate certificate() { return ca.issuingSigner().certificate(); }
                public java.security.PublicKey publicKey() { return ca.issuingSigner().publicKey(); }
                public dev.shomei.pkcs11.Pkcs11Uri keyUri() { return ca.issuingSigner().keyUri(); }
                public byte[] sign(byte[] data) { throw new IllegalStateException("power lost"); }
                public byte[] sign(Content c) { throw new IllegalStateException("power lost"); }
                public Health health() { return new Health(false, "dying"); }
            };
            OrderBundleProcessor crashing = new OrderBundleProcessor(ca.database().dataSource(), ca.issuer(), dying,
                    new OrderBundleVerifier(List.of(f.raCert)), f.recordingEvents(), Clock.systemUTC(),
                    List.of("subscriber-signature"));
            assertThatThrownBy(() -> crashing.process(b)).hasMessageContaining("power lost");
            assertThat(f.count("certificate")).isEqualTo(12);

            OrderBundleProcessor.Result r = ca.orderProcessor().process(b);
            assertThat(r.issued()).isEqualTo(12);
            assertThat(f.count("certificate")).as("no certificate duplicated").isEqualTo(12);
            assertThat(f.count("executed_order")).as("every order executed once").isEqualTo(12);
            JsonNode results = results(r.resultBundle(), ca.issuingSigner().certificate());
            for (JsonNode res : results) {
                assertThat(res.get("repeated").asBoolean()).as("issued before the crash, answered now").isTrue();
            }
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }
}
