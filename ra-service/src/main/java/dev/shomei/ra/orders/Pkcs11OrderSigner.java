package dev.shomei.ra.orders;

import dev.shomei.ra.RaConfig;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.jboss.logging.Logger;

/**
 * The order-signing key in a PKCS#11 token, reached through the JDK's SunPKCS11 provider.
 *
 * <p>Zone: online (ra-service). Logs in to the token once at start-up (loading the PKCS11 key store with the PIN is
 * C_Login); reads the PIN file; writes nothing.
 */
public final class Pkcs11OrderSigner implements OrderSigner {

    private static final Logger LOG = Logger.getLogger(Pkcs11OrderSigner.class);

    private final Provider provider;
    private final PrivateKey key;
    private final X509Certificate certificate;

    Pkcs11OrderSigner(RaConfig.Signing config) {
        try {
            String pin = Files.readAllLines(Path.of(config.pinFile()), StandardCharsets.UTF_8).get(0).strip();
            String slot = slotOf(config.module(), config.token(), "ra.orders.signing");
            provider = Security.getProvider("SunPKCS11").configure("--name=ra-orders\nlibrary=" + config.module()
                    + "\n" + slot + "\n");
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin.toCharArray());
            if (!(ks.getKey(config.keyLabel(), null) instanceof PrivateKey k)
                    || !(ks.getCertificate(config.keyLabel()) instanceof X509Certificate c)) {
                throw new IllegalStateException("ra.orders.signing.key-label " + config.keyLabel() + ": no private key"
                        + " with a certificate under that label in token " + config.token()
                        + "; store the order-signing key and its certificate under one label");
            }
            key = k;
            certificate = c;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("ra.orders.signing: cannot open the order-signing key in token "
                    + config.token() + " (module " + config.module() + "): " + e.getMessage(), e);
        }
    }

    /**
     * SunPKCS11 selects a token by slot, not by label. The slot is found by label through the JDK's PKCS#11 wrapper
     * when the JVM exports it (--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper); otherwise the
     * first slot with a token is used, which is right for an HSM partition that shows one token. Shared by the RA's
     * PKCS#11 keys ({@code setting} names the configuration group in messages).
     */
    public static String slotOf(String module, String label, String setting) {
        try {
            Class<?> p11 = Class.forName("sun.security.pkcs11.wrapper.PKCS11");
            Class<?> initArgs = Class.forName("sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS");
            Method getInstance = p11.getMethod("getInstance", String.class, String.class, initArgs, boolean.class);
            Object lib = getInstance.invoke(null, module, "C_GetFunctionList", null, false);
            long[] slots = (long[]) p11.getMethod("C_GetSlotList", boolean.class).invoke(lib, true);
            Method tokenInfo = p11.getMethod("C_GetTokenInfo", long.class);
            for (long s : slots) {
                Object info = tokenInfo.invoke(lib, s);
                char[] l = (char[]) info.getClass().getField("label").get(info);
                if (new String(l).strip().equals(label)) {
                    return "slot=" + s;
                }
            }
            throw new IllegalStateException(setting + ".token: no token labelled " + label + " in module "
                    + module + "; check the label (e.g. softhsm2-util --show-slots, pkcs11-tool -L)");
        } catch (IllegalStateException e) {
            throw e;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.infof("PKCS#11 wrapper not accessible (%s); using the module's first token for %s",
                    e.getClass().getSimpleName(), setting);
            return "slotListIndex=0";
        }
    }

    @Override
    public byte[] sign(byte[] content) {
        try {
            String alg = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new JcaContentSignerBuilder(alg).setProvider(provider).build(key), certificate));
            g.addCertificates(new JcaCertStore(List.of(certificate)));
            return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException("order bundle signing failed in the HSM: " + e.getMessage(), e);
        }
    }

    @Override
    public X509Certificate certificate() {
        return certificate;
    }
}
