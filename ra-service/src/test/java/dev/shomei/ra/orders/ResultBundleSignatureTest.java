package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.api.Test;

/**
 * Who may sign a result bundle (docs/order-bundles.md, "The result signer"): the CA's delegated result signer, not
 * another certificate the CA issued (a subscriber's or the OCSP responder's, whose holder could otherwise answer
 * for the CA), and, once a signer is pinned, not the issuing key either.
 */
class ResultBundleSignatureTest {

    private static final Instant NOW = Instant.now();
    private static final byte[] CONTENT = "{\"format\":\"shomei-result-bundle/v1\"}".getBytes(StandardCharsets.UTF_8);

    private final KeyPair caKey = ec();
    private final X509Certificate ca = cert("CN=Test Issuing CA", caKey, "CN=Test Issuing CA", caKey.getPrivate(),
            true, KeyUsage.keyCertSign | KeyUsage.cRLSign, null);
    private final KeyPair resultKey = ec();
    private final X509Certificate resultSigner = cert("CN=Test Results", resultKey, "CN=Test Issuing CA",
            caKey.getPrivate(), false, KeyUsage.digitalSignature,
            KeyPurposeId.getInstance(new ASN1ObjectIdentifier(ResultBundleSignature.RESULT_BUNDLE_SIGNING_OID)));

    @Test
    void theDelegatedResultSignerCarriedInTheBundleIsAcceptedUnpinned() {
        var v = new ResultBundleSignature(List.of(ca), List.of()).verify(signed(resultKey, resultSigner), NOW);
        assertThat(v.ok()).as(String.valueOf(v.refusal())).isTrue();
        assertThat(v.byIssuingKey()).isFalse();
        assertThat(v.signer()).isEqualTo(resultSigner);
    }

    @Test
    void aSubscriberOrResponderCertificateOfTheSameCaCannotSignResults() {
        KeyPair subscriberKey = ec();
        X509Certificate subscriber = cert("CN=Some Subscriber", subscriberKey, "CN=Test Issuing CA", caKey.getPrivate(),
                false, KeyUsage.digitalSignature | KeyUsage.nonRepudiation, null);
        KeyPair responderKey = ec();
        X509Certificate responder = cert("CN=Test OCSP", responderKey, "CN=Test Issuing CA", caKey.getPrivate(),
                false, KeyUsage.digitalSignature, KeyPurposeId.id_kp_OCSPSigning);
        ResultBundleSignature check = new ResultBundleSignature(List.of(ca), List.of());
        assertThat(check.verify(signed(subscriberKey, subscriber), NOW).ok()).isFalse();
        assertThat(check.verify(signed(responderKey, responder), NOW).ok()).isFalse();
    }

    @Test
    void aResultSignerOfAnotherCaIsRefused() {
        KeyPair strangerCa = ec();
        KeyPair k = ec();
        X509Certificate c = cert("CN=Stranger Results", k, "CN=Test Issuing CA", strangerCa.getPrivate(), false,
                KeyUsage.digitalSignature,
                KeyPurposeId.getInstance(new ASN1ObjectIdentifier(ResultBundleSignature.RESULT_BUNDLE_SIGNING_OID)));
        assertThat(new ResultBundleSignature(List.of(ca), List.of()).verify(signed(k, c), NOW).ok()).isFalse();
    }

    @Test
    void theIssuingKeyIsAcceptedOnlyUntilASignerIsPinned() {
        CMSSignedData byCaKey = signed(caKey, ca);
        var legacy = new ResultBundleSignature(List.of(ca), List.of()).verify(byCaKey, NOW);
        assertThat(legacy.ok()).isTrue();
        assertThat(legacy.byIssuingKey()).as("reported, so the operator upgrades").isTrue();

        ResultBundleSignature pinned = new ResultBundleSignature(List.of(ca), List.of(resultSigner));
        assertThat(pinned.verify(byCaKey, NOW).ok()).isFalse();
        assertThat(pinned.verify(byCaKey, NOW).refusal()).contains("ra.orders.result-signer-certificates");
        assertThat(pinned.verify(signed(resultKey, resultSigner), NOW).ok()).isTrue();
    }

    @Test
    void pinningACertificateThatIsNoResultSignerStopsStartUp() {
        assertThatThrownBy(() -> new ResultBundleSignature(List.of(ca), List.of(ca)))
                .hasMessageContaining("ra.orders.result-signer-certificates");
    }

    /**
     * Renewal with pinned result signers (docs/order-bundles.md, "A new issuing generation"): the operator pins the new
     * generation's signer before the RA knows that generation. With a root pinned, start-up accepts the pin and the
     * signer signs once its generation is trusted (taken from the bundle that brings it), not before; without a root
     * pin, a signer of an unknown CA still stops start-up.
     */
    @Test
    void aPinnedSignerOfAGenerationNotYetKnownSignsOnceThatGenerationIsTrusted() {
        KeyPair gen2Key = ec();
        X509Certificate gen2 = cert("CN=Test Issuing CA 2", gen2Key, "CN=Test Root", ec().getPrivate(), true,
                KeyUsage.keyCertSign | KeyUsage.cRLSign, null);
        KeyPair results2Key = ec();
        X509Certificate results2 = cert("CN=Test Results 2", results2Key, "CN=Test Issuing CA 2", gen2Key.getPrivate(),
                false, KeyUsage.digitalSignature,
                KeyPurposeId.getInstance(new ASN1ObjectIdentifier(ResultBundleSignature.RESULT_BUNDLE_SIGNING_OID)));
        assertThatThrownBy(() -> new ResultBundleSignature(List.of(ca), List.of(resultSigner, results2)))
                .hasMessageContaining("is not issued by a configured issuing CA");
        ResultBundleSignature pinned = new ResultBundleSignature(List.of(ca), List.of(resultSigner, results2), true);
        CMSSignedData byResults2 = signed(results2Key, results2);
        assertThat(pinned.verify(byResults2, NOW).ok()).as("generation 2 not trusted yet").isFalse();
        assertThat(pinned.verify(byResults2, NOW, List.of(ca, gen2)).ok()).isTrue();
        assertThat(pinned.verify(signed(resultKey, resultSigner), NOW, List.of(ca, gen2)).ok()).isTrue();
        // Pinning is still pinning: an unpinned signer of the new generation is refused.
        KeyPair otherKey = ec();
        X509Certificate other = cert("CN=Other Results 2", otherKey, "CN=Test Issuing CA 2", gen2Key.getPrivate(),
                false, KeyUsage.digitalSignature,
                KeyPurposeId.getInstance(new ASN1ObjectIdentifier(ResultBundleSignature.RESULT_BUNDLE_SIGNING_OID)));
        assertThat(pinned.verify(signed(otherKey, other), NOW, List.of(ca, gen2)).ok()).isFalse();
    }

    private static CMSSignedData signed(KeyPair key, X509Certificate cert) {
        try {
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()), cert));
            g.addCertificates(new JcaCertStore(List.of(cert)));
            return g.generate(new CMSProcessableByteArray(CONTENT), true);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair ec() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate cert(String subject, KeyPair key, String issuer, PrivateKey issuerKey, boolean isCa,
                                        int keyUsage, KeyPurposeId eku) {
        try {
            var b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(System.nanoTime()),
                    Date.from(NOW.minusSeconds(60)), Date.from(NOW.plusSeconds(86_400)), new X500Name(subject),
                    key.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
            if (eku != null) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
