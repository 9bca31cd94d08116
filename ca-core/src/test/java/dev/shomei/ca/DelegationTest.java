package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.Pkcs11Signer;
import java.security.Signature;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;

/** A delegated OCSP responder key, made in the HSM and certified by the issuing CA (RFC 6960 §4.2.2.2). */
class DelegationTest {

    @Test
    void ocspResponderKeyIsCertifiedWithOcspSigningAndNoCheck() throws Exception {
        try (CaFixture f = CaFixture.create("deleg", "EC-P256", "EC-P256")) {
            CertificateAuthority ca = f.ceremony();
            X509Certificate responder = ca.delegate("ocsp-test", KeyAlgorithm.EC_P256,
                    new X500Name("CN=Shomei Test OCSP Responder,O=Shomei Test,C=JP"), "ocsp-responder");
            assertThat(responder.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.9");
            assertThat(responder.getExtensionValue(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck.getId())).isNotNull();
            assertThat(responder.getKeyUsage()[0]).as("digitalSignature").isTrue();
            responder.verify(ca.issuingSigner().publicKey());

            // The key stays in the HSM and signs by its label.
            Pkcs11Signer signer = ca.signer("ocsp-test");
            assertThat(signer.certificate()).isEqualTo(responder);
            assertThat(HsmToken.protectionOf(ca.token().privateKey("ocsp-test")).nonExtractable()).isTrue();
            byte[] data = "response".getBytes();
            Signature v = Signature.getInstance(signer.algorithm().jcaName());
            v.initVerify(responder);
            v.update(data);
            assertThat(v.verify(signer.sign(data))).isTrue();

            ExternalVerifiers.writePem(f.dir.resolve("responder.pem"), responder);
            assertThat(ExternalVerifiers.openssl(f.dir, "verify", "-CAfile", "ceremony/root-ca.pem", "-untrusted",
                    "ceremony/issuing-ca.pem", "responder.pem").output()).contains("responder.pem: OK");

            assertThatThrownBy(() -> ca.delegate("ocsp-test", KeyAlgorithm.EC_P256, new X500Name("CN=again"), "ocsp-responder"))
                    .isInstanceOf(CaOperationException.class).hasMessageContaining("already holds a key labelled 'ocsp-test'");
            assertThat(f.events()).contains("issued " + responder.getSerialNumber().toString(16));
        }
    }
}
