package dev.shomei.ra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.PinSource;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import dev.shomei.testsupport.SoftHsmToken;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.Test;

/**
 * The RA's keys open through the project's one PKCS#11 signer: a key found by its label signs, its checkpoint key name
 * is its percent-encoded RFC 7512 URI, and a wrong label or PIN file stops the start-up with an error that names the
 * RA's setting and no PIN. Plain JUnit on a private SoftHSM2 token (no Quarkus application).
 */
class HsmKeyTest {

    private static final String PIN = "5151-ra-pin";

    private static RaConfig.Signing signing(SoftHsmToken t, Path pinFile, String label) {
        return new RaConfig.Signing() {
            public String module() { return t.module().toString(); }
            public String token() { return t.label(); }
            public String pinFile() { return pinFile.toString(); }
            public String keyLabel() { return label; }
        };
    }

    @Test
    void opensTheKeyByLabelAndNamesTheSettingWhenSomethingIsWrong() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("ra keys", PIN);
        Path pinFile = t.writePinFile();
        try (HsmToken ceremony = HsmToken.login(new HsmConfig(t.module(), t.label(), new PinSource("file",
                pinFile.toString()), 1))) {
            KeyPair kp = ceremony.generateKeyPair(KeyAlgorithm.EC_P256);
            X500Name n = new X500Name("CN=RA audit checkpoints");
            var cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(n, BigInteger.ONE,
                    new Date(), new Date(System.currentTimeMillis() + 86_400_000L), n, kp.getPublic())
                    .build(new SignerContentSigner(Pkcs11Signer.uncertified(ceremony, kp.getPrivate(), kp.getPublic()))));
            ceremony.storeCertificateChain("ra audit", kp.getPrivate(), cert);
        }

        Pkcs11Signer signer = HsmKey.open(signing(t, pinFile, "ra audit"), "ra.audit.checkpoint-signing");
        byte[] data = "ra-service\n3\nroot\n".getBytes();
        Signature v = Signature.getInstance(signer.algorithm().jcaName());
        v.initVerify(signer.certificate().getPublicKey());
        v.update(data);
        assertThat(v.verify(signer.sign(data))).isTrue();
        // The checkpoint format separates fields by spaces: the key name must hold none (RFC 7512 §2.3 encoding).
        assertThat(signer.keyUri().toString()).isEqualTo("pkcs11:token=ra%20keys;object=ra%20audit");

        assertThatThrownBy(() -> HsmKey.open(signing(t, pinFile, "ra-orders"), "ra.orders.signing"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ra.orders.signing.key-label ra-orders")
                .hasMessageContaining("ra audit");
        assertThatThrownBy(() -> HsmKey.open(signing(t, t.directory().resolve("no-such.pin"), "ra audit"),
                "ra.orders.signing"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("ra.orders.signing: cannot log in to token 'ra keys'")
                .hasMessageNotContaining(PIN);
    }
}
