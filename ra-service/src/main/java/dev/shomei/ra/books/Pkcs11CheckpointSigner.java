package dev.shomei.ra.books;

import dev.shomei.audit.CheckpointSigner;
import dev.shomei.ra.RaConfig;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;

/**
 * The RA's audit checkpoint key in a PKCS#11 token, through the JDK's SunPKCS11 provider (like the order-signing
 * key, but a key of its own: one key, one purpose). The checkpoint's key name is its RFC 7512 URI.
 *
 * <p>Zone: online (ra-service). Logs in to the token once at start-up; reads the PIN file; writes nothing.
 */
final class Pkcs11CheckpointSigner implements CheckpointSigner {

    private final Provider provider;
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final String keyName;
    private final String algorithm;

    Pkcs11CheckpointSigner(RaConfig.Signing config) {
        try {
            String pin = Files.readAllLines(Path.of(config.pinFile()), StandardCharsets.UTF_8).get(0).strip();
            provider = Security.getProvider("SunPKCS11").configure("--name=ra-audit\nlibrary=" + config.module()
                    + "\n" + slotOf(config.module(), config.token()) + "\n");
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin.toCharArray());
            if (!(ks.getKey(config.keyLabel(), null) instanceof PrivateKey k)
                    || !(ks.getCertificate(config.keyLabel()) instanceof X509Certificate c)) {
                throw new IllegalStateException("ra.audit.checkpoint-signing.key-label " + config.keyLabel() + ": no"
                        + " private key with a certificate under that label in token " + config.token()
                        + "; store the checkpoint key and its certificate under one label");
            }
            key = k;
            certificate = c;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("ra.audit.checkpoint-signing: cannot open the checkpoint key in token "
                    + config.token() + " (module " + config.module() + "): " + e.getMessage(), e);
        }
        algorithm = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        // RFC 7512 percent-encoding of spaces: the checkpoint format separates fields by spaces.
        keyName = ("pkcs11:token=" + config.token() + ";object=" + config.keyLabel()).replace(" ", "%20");
    }

    /** As Pkcs11OrderSigner: the slot by token label through the JDK's PKCS#11 wrapper when exported, else the first. */
    private static String slotOf(String module, String label) {
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
            throw new IllegalStateException("ra.audit.checkpoint-signing.token: no token labelled " + label
                    + " in module " + module);
        } catch (IllegalStateException e) {
            throw e;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return "slotListIndex=0";
        }
    }

    @Override
    public String keyName() {
        return keyName;
    }

    @Override
    public String algorithm() {
        return algorithm;
    }

    @Override
    public byte[] sign(byte[] data) {
        try {
            Signature s = Signature.getInstance(algorithm, provider);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("audit checkpoint signing failed in the HSM: " + e.getMessage(), e);
        }
    }

    @Override
    public PublicKey publicKey() {
        return certificate.getPublicKey();
    }

    X509Certificate certificate() {
        return certificate;
    }
}
