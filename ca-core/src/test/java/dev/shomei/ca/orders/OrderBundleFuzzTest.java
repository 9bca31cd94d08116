package dev.shomei.ca.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.testsupport.Fuzz;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes what the CA reads from the RA (docs/order-bundles.md): the CMS of an order bundle
 * ({@link OrderBundleVerifier#verify}) and its JSON content ({@link OrderBundle#parse}), from mutations of real
 * RA-signed bundles. Every input ends accepted or in an {@link OrderBundleException}; an accepted CMS carries
 * exactly the content the RA signed (anything else would be an order the RA never made).
 *
 * <p>Zone: tests only (secure-zone code, in memory).
 */
@Tag("fuzz")
class OrderBundleFuzzTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static List<byte[]> cmsSamples;
    static List<byte[]> jsonSamples;
    static Set<String> signedContents = new HashSet<>();
    static OrderBundleVerifier verifier;
    static Fuzz.Target cmsTarget;
    static Fuzz.Target jsonTarget;

    @BeforeAll
    static void samples() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ra = g.generateKeyPair();
        X500Name dn = new X500Name("CN=Fuzz RA Order Signer,C=JP");
        X509Certificate raCert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(dn,
                BigInteger.ONE, new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis()
                + 86_400_000L * 30), dn, ra.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA")
                .build(ra.getPrivate())));
        KeyPair subscriber = g.generateKeyPair();
        byte[] csr = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new X500Name("CN=Fuzz Subscriber,C=JP"), subscriber.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(subscriber.getPrivate())).getEncoded();
        jsonSamples = new ArrayList<>();
        jsonSamples.add(bundle("bundle-1", issue("app-1", csr, true), revoke("rev-1", "0a1b2c3d")));
        jsonSamples.add(bundle("bundle-2", issue("app-2", csr, false)));
        jsonSamples.add(bundle("bundle-3", revoke("rev-2", "7f"), revoke("rev-3", "01"), issue("app-3", csr, true)));
        cmsSamples = new ArrayList<>();
        for (byte[] content : jsonSamples) {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                    .build()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(ra.getPrivate()), raCert));
            gen.addCertificates(new JcaCertStore(List.of(raCert)));
            cmsSamples.add(gen.generate(new CMSProcessableByteArray(content), true).getEncoded());
            signedContents.add(OrderBundleVerifier.hex(OrderBundleVerifier.sha256(content)));
        }
        verifier = new OrderBundleVerifier(List.of(raCert));
        cmsTarget = new Fuzz.Target("ca-core OrderBundleVerifier.verify (order bundle CMS)",
                t -> t instanceof OrderBundleException);
        jsonTarget = new Fuzz.Target("ca-core OrderBundle.parse (order bundle JSON)",
                t -> t instanceof OrderBundleException);
    }

    static ObjectNode issue(String id, byte[] csr, boolean withSubject) {
        ObjectNode o = JSON.createObjectNode().put("orderId", id).put("type", "issue")
                .put("profile", "subscriber-signature").put("csr", Base64.getEncoder().encodeToString(csr));
        o.putObject("decision").put("id", "decision-" + id).put("sha256", "ab".repeat(32));
        if (withSubject) {
            o.putArray("subject").add(JSON.createObjectNode().put("type", "C").put("value", "JP"))
                    .add(JSON.createObjectNode().put("type", "CN").put("value", "山田 太郎"));
        }
        return o;
    }

    static ObjectNode revoke(String id, String serial) {
        ObjectNode o = JSON.createObjectNode().put("orderId", id).put("type", "revoke").put("serial", serial)
                .put("reason", "keyCompromise");
        o.putObject("decision").put("id", "decision-" + id).put("sha256", "cd".repeat(32));
        return o;
    }

    static byte[] bundle(String id, ObjectNode... orders) throws Exception {
        ObjectNode b = JSON.createObjectNode().put("format", OrderBundle.FORMAT).put("bundleId", id)
                .put("createdAt", "2026-12-03T14:00:00Z");
        for (ObjectNode o : orders) {
            b.withArray("orders").add(o);
        }
        return JSON.writeValueAsBytes(b);
    }

    @AfterAll
    static void report() {
        List<Fuzz.Target> run = List.of(cmsTarget, jsonTarget).stream().filter(t -> t.inputs() > 0).toList();
        run.forEach(Fuzz.Target::report);
        run.forEach(t -> assertThat(t.accepted()).as("the unchanged samples are accepted").isPositive());
    }

    @Test
    void anAcceptedBundleIsOneTheRaSigned() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(cmsSamples, n);
            OrderBundleVerifier.Verified[] v = new OrderBundleVerifier.Verified[1];
            if (cmsTarget.check(input, in -> v[0] = verifier.verify(in, Instant.now()))) {
                assertThat(signedContents).as("the accepted bundle's content is one the RA signed")
                        .contains(v[0].contentSha256());
            }
        }
    }

    @Test
    void bundleContentIsParsedOrRefused() {
        for (int n = 0; n < Fuzz.tries(); n++) {
            byte[] input = Fuzz.input(jsonSamples, n);
            OrderBundle[] b = new OrderBundle[1];
            if (jsonTarget.check(input, in -> b[0] = OrderBundle.parse(in))) {
                // What the CA acts on: ids it can store and answer with, each order once.
                assertThat(b[0].bundleId()).hasSizeLessThanOrEqualTo(OrderBundle.MAX_ID_LENGTH);
                Set<String> ids = new HashSet<>();
                b[0].orders().forEach(o -> assertThat(ids.add(o.orderId())).as("order ids are unique").isTrue());
                b[0].invalid().forEach(o -> assertThat(ids.add(o.orderId())).as("order ids are unique").isTrue());
            }
        }
    }
}
