package dev.shomei.ra.orders;

import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import dev.shomei.ra.HsmKey;
import dev.shomei.ra.RaConfig;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * The order-signing key in the RA's HSM ({@code ra.orders.signing.*}), through the project's one PKCS#11 signer
 * ({@link Pkcs11Signer}, module pkcs11): this class only wraps its signatures in CMS.
 *
 * <p>Zone: online (ra-service). Logs in to the token once at start-up; reads the PIN file; writes nothing.
 */
final class Pkcs11OrderSigner implements OrderSigner {

    private final Pkcs11Signer signer;

    Pkcs11OrderSigner(RaConfig.Signing config) {
        this.signer = HsmKey.open(config, "ra.orders.signing");
    }

    /** CMS SignedData, content encapsulated, the signer certificate included (docs/order-bundles.md). */
    @Override
    public byte[] sign(byte[] content) {
        try {
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new SignerContentSigner(signer), signer.certificate()));
            g.addCertificates(new JcaCertStore(List.of(signer.certificate())));
            return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("order bundle signing failed in the HSM: " + e.getMessage(), e);
        }
    }

    @Override
    public X509Certificate certificate() {
        return signer.certificate();
    }
}
