package dev.shomei.ra.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ra.Ra;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.io.File;
import java.io.FileInputStream;
import java.math.BigInteger;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Stands in for the CA on the RA's order feed (docs/order-bundles.md): pulls order bundles over mTLS with the pinned CA
 * client certificate and answers them with CA-signed result bundles, issuing every issue order under the subject it
 * states (a software CA whose certificate the test RA trusts) and revoking every revoke order. Like the CA, it does not
 * re-verify the RA's signature here; OrderBundleFlowTest does.
 *
 * <p>Zone: tests only.
 */
public final class StandInCa {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StandInCa() {}

    /** Pulls and answers bundles until the one holding {@code orderId} ("app-…" or "rev-…") has been answered. */
    public static void execute(String orderId) {
        try {
            for (int i = 0; i < 20; i++) {
                Response r = ca().get("/ca/order-bundles/next");
                if (r.statusCode() == 204) {
                    break;
                }
                r.then().statusCode(200);
                JsonNode content = JSON.readTree((byte[]) new CMSSignedData(r.asByteArray()).getSignedContent()
                        .getContent());
                ca().contentType("application/pkcs7-mime").body(answer(content)).post("/ca/result-bundles")
                        .then().statusCode(204);
                for (JsonNode o : content.path("orders")) {
                    if (orderId.equals(o.path("orderId").asText())) {
                        return;
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("the stand-in CA failed: " + e.getMessage(), e);
        }
        throw new AssertionError("order " + orderId + " was never served");
    }

    private static RequestSpecification ca() {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"));
    }

    private static byte[] answer(JsonNode orderBundle) throws Exception {
        ObjectNode r = JSON.createObjectNode();
        r.put("format", "shomei-result-bundle/v1");
        r.put("orderBundleId", orderBundle.path("bundleId").asText());
        r.put("createdAt", Instant.now().toString());
        KeyStore ks = caKeyStore();
        X509Certificate ca = (X509Certificate) ks.getCertificate("ca");
        PrivateKey key = (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray());
        results(r, orderBundle, ca, key);
        return sign(JSON.writeValueAsBytes(r), ca, key);
    }

    /**
     * What a correct CA answers, into {@code r}'s "results": each issue order issued from its CSR under the ordered
     * subject by {@code ca}'s key, each revoke done.
     */
    public static void results(ObjectNode r, JsonNode orderBundle, X509Certificate ca, PrivateKey key)
            throws Exception {
        ArrayNode results = r.putArray("results");
        for (JsonNode o : orderBundle.path("orders")) {
            ObjectNode n = results.addObject().put("orderId", o.path("orderId").asText());
            if (o.path("type").asText().equals("issue")) {
                PKCS10CertificationRequest csr = new PKCS10CertificationRequest(
                        Base64.getDecoder().decode(o.path("csr").asText()));
                X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
                for (JsonNode a : o.path("subject")) {
                    subject.addRDN(BCStyle.INSTANCE.attrNameToOID(a.path("type").asText()), a.path("value").asText());
                }
                Instant now = Instant.now();
                BigInteger serial = new BigInteger(64, new SecureRandom());
                X509Certificate c = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                        new JcaX509CertificateHolder(ca).getSubject(), serial, Date.from(now.minusSeconds(60)),
                        Date.from(now.plus(Duration.ofDays(365))), subject.build(),
                        new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo()))
                        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
                n.put("status", "issued").put("serial", serial.toString(16))
                        .put("certificate", Base64.getEncoder().encodeToString(c.getEncoded())).put("repeated", false);
            } else {
                n.put("status", "revoked").put("serial", o.path("serial").asText())
                        .put("revokedAt", Instant.now().toString()).put("reason", o.path("reason").asText());
            }
        }
    }

    /** Signs {@code content} as the CA signs result bundles (CMS SignedData, encapsulated, one signer). */
    public static byte[] sign(byte[] content, X509Certificate ca, PrivateKey key) throws Exception {
        CMSSignedDataGenerator g = new CMSSignedDataGenerator();
        g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key), ca));
        g.addCertificates(new JcaCertStore(List.of(ca)));
        return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
    }

    /** Signs {@code content} with the test issuing CA's key from its keystore. */
    public static byte[] signAsCa(ObjectNode content) throws Exception {
        KeyStore ks = caKeyStore();
        return sign(JSON.writeValueAsBytes(content), (X509Certificate) ks.getCertificate("ca"),
                (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray()));
    }

    /** The test issuing CA's keystore (its certificate and key under the alias "ca"). */
    public static KeyStore caKeyStore() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(Ra.config("test.orders.issuing-ca-keystore"))) {
            ks.load(in, Ra.config("test.tls.password").toCharArray());
        }
        return ks;
    }
}
