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
                    + "\n" + dev.shomei.ra.orders.Pkcs11OrderSigner.slotOf(config.module(), config.token(),
                    "ra.audit.checkpoint-signing") + "\n");
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
