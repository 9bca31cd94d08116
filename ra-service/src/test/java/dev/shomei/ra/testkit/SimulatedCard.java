package dev.shomei.ra.testkit;

import dev.shomei.testsupport.SoftHsmToken;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.function.Function;

/**
 * A simulated My Number card: a signing key and the JPKI certificate J-LIS issued for it. The card key lives in
 * a SoftHSM2 token reached through SunPKCS11 ({@link #inSoftHsm}), as a real card is reached through OpenSC's
 * PKCS#11 module; many negative tests use a software key instead ({@link #inSoftware}), which goes through the
 * same signing code.
 *
 * <p>Zone: tests only. The PIN is never printed.
 */
public record SimulatedCard(PrivateKey key, Provider provider, X509Certificate certificate, JpkiPerson person) {

    /**
     * A card whose RSA-2048 key is generated inside a private SoftHSM2 token, sensitive and not extractable
     * (as on the card), with a certificate from {@code issue}.
     */
    public static SimulatedCard inSoftHsm(String label, JpkiPerson person,
                                          Function<KeyPair, X509Certificate> issue) {
        try {
            SoftHsmToken token = SoftHsmToken.create(label, "card-" + label + "-pin");
            String config = "--name=card-" + label + "\n"
                    + "library=" + token.module() + "\n"
                    + "slotListIndex=0\n"
                    + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n"
                    + "  CKA_TOKEN = true\n  CKA_PRIVATE = true\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n"
                    + "  CKA_DECRYPT = false\n  CKA_UNWRAP = false\n}\n"
                    + "attributes(generate, CKO_PUBLIC_KEY, *) = {\n  CKA_TOKEN = true\n}\n";
            Provider p = Security.getProvider("SunPKCS11").configure(config);
            // Loading the PKCS11 key store with the PIN is the login (C_Login).
            KeyStore.getInstance("PKCS11", p).load(null, token.userPin().toCharArray());
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA", p);
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            return new SimulatedCard(kp.getPrivate(), p, issue.apply(kp), person);
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a SoftHSM2 card " + label + ": " + e.getMessage(), e);
        }
    }

    public static SimulatedCard inSoftware(KeyPair keys, JpkiPerson person, X509Certificate certificate) {
        return new SimulatedCard(keys.getPrivate(), null, certificate, person);
    }

    /** A card key in software, RSA-2048 (e=65537) as J-LIS's. */
    public static KeyPair rsaKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
