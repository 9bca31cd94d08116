package dev.shomei.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.testsupport.SoftHsmToken;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The PKCS#11 signer on a private SoftHSM2 token: login errors, key protection, recovery, parallel use. */
class Pkcs11SignerTest {

    private static final String PIN = "7777-pin";

    private static HsmConfig config(SoftHsmToken t, Path pinFile) {
        return new HsmConfig(t.module(), t.label(), PinSource.parse("file:" + pinFile), 2);
    }

    /** A token with one certified EC key labelled "k1" (self-signed through the signer itself). */
    private static HsmToken tokenWithKey(SoftHsmToken t) throws Exception {
        HsmToken token = HsmToken.login(config(t, t.writePinFile()));
        KeyPair kp = token.generateKeyPair(KeyAlgorithm.EC_P256);
        Signer uncertified = Pkcs11Signer.uncertified(token, kp.getPrivate(), kp.getPublic());
        var builder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                new org.bouncycastle.asn1.x500.X500Name("CN=k1"), java.math.BigInteger.TEN,
                new java.util.Date(), new java.util.Date(System.currentTimeMillis() + 86_400_000L),
                new org.bouncycastle.asn1.x500.X500Name("CN=k1"), kp.getPublic());
        var holder = builder.build(new SignerContentSigner(uncertified));
        var cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(holder);
        token.storeCertificateChain("k1", kp.getPrivate(), cert);
        return token;
    }

    private static boolean verifies(Signer s, byte[] data, byte[] sig) throws Exception {
        Signature v = Signature.getInstance(s.algorithm().jcaName());
        v.initVerify(s.publicKey());
        v.update(data);
        return v.verify(sig);
    }

    @Test
    void generatedKeysStayInTheHsmAndSignByLabel() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-keys", PIN);
        HsmToken token = tokenWithKey(t);
        Pkcs11Signer signer = Pkcs11Signer.open(token, "k1");
        var key = token.privateKey("k1");
        assertThat(key.getEncoded()).as("a sensitive key has no encoding outside the HSM").isNull();
        assertThat(HsmToken.protectionOf(key).nonExtractable()).isTrue();
        byte[] data = "to be signed".getBytes();
        assertThat(verifies(signer, data, signer.sign(data))).isTrue();
        assertThat(signer.health().ok()).isTrue();
        assertThat(signer.keyUri().toString()).isEqualTo("pkcs11:token=signer-keys;object=k1");
        // A second key with the same label is refused: a key is never overwritten.
        KeyPair other = token.generateKeyPair(KeyAlgorithm.EC_P256);
        assertThatThrownBy(() -> token.storeCertificateChain("k1", other.getPrivate(), signer.certificate()))
                .isInstanceOf(HsmException.class).hasMessageContaining("already holds a key labelled 'k1'");
    }

    @Test
    void recoversAfterTheLoginIsLost() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-logout", PIN);
        HsmToken token = tokenWithKey(t);
        Pkcs11Signer signer = Pkcs11Signer.open(token, "k1");
        byte[] data = {1, 2, 3};
        assertThat(verifies(signer, data, signer.sign(data))).isTrue();
        int before = token.generation();

        // Another application on the token logs out: PKCS#11 login state is per token, so ours is gone too.
        Object p11 = Pkcs11Slots.module(t.module());
        long session = (long) p11.getClass().getMethod("C_OpenSession", long.class, long.class, Object.class,
                Class.forName("sun.security.pkcs11.wrapper.CK_NOTIFY")).invoke(p11, token.slotId(), 4L, null, null);
        p11.getClass().getMethod("C_Logout", long.class).invoke(p11, session);

        assertThat(verifies(signer, data, signer.sign(data))).isTrue();
        assertThat(token.generation()).as("the signer reconnected the token").isEqualTo(before + 1);
    }

    @Test
    void aNewSignerOpensAfterTheLoginIsLost() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-logout-open", PIN);
        HsmToken token = tokenWithKey(t);
        Pkcs11Signer.open(token, "k1").sign(new byte[] {1});
        Object p11 = Pkcs11Slots.module(t.module());
        long session = (long) p11.getClass().getMethod("C_OpenSession", long.class, long.class, Object.class,
                Class.forName("sun.security.pkcs11.wrapper.CK_NOTIFY")).invoke(p11, token.slotId(), 4L, null, null);
        p11.getClass().getMethod("C_Logout", long.class).invoke(p11, session);

        // A long-running process (the pull loop, a presign run after a failed one) opens its next signer: the key
        // is listed but, logged out, unreadable; the token logs in again instead of saying the key is missing.
        byte[] data = {7, 8, 9};
        Pkcs11Signer again = Pkcs11Signer.open(token, "k1");
        assertThat(verifies(again, data, again.sign(data))).isTrue();
    }

    @Test
    void recoversAfterEverySessionIsClosed() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-sessions", PIN);
        HsmToken token = tokenWithKey(t);
        Pkcs11Signer signer = Pkcs11Signer.open(token, "k1");
        byte[] data = {4, 5, 6};
        signer.sign(data);

        Object p11 = Pkcs11Slots.module(t.module());
        Method close = p11.getClass().getMethod("C_CloseSession", long.class);
        int closed = 0;
        for (long h = 1; h < 5000; h++) {
            try {
                close.invoke(p11, h);
                closed++;
            } catch (ReflectiveOperationException notASession) {
                // handles that are objects or already closed
            }
        }
        assertThat(closed).as("the test really closed the signer's sessions").isPositive();
        assertThat(verifies(signer, data, signer.sign(data))).isTrue();
    }

    @Test
    void signsInParallelWithinItsParallelism() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-parallel", PIN);
        Pkcs11Signer signer = Pkcs11Signer.open(tokenWithKey(t), "k1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                byte[] data = ("message " + i).getBytes();
                results.add(pool.submit(() -> verifies(signer, data, signer.sign(data))));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void wrongPinIsNamedAndNoPinIsPrinted() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-pin", PIN);
        Path wrong = t.directory().resolve("wrong.pin");
        java.nio.file.Files.writeString(wrong, "0000-wrong\n");
        assertThatThrownBy(() -> HsmToken.login(config(t, wrong)))
                .isInstanceOf(HsmException.class)
                .hasMessageContaining("wrong PIN")
                .hasMessageContaining(wrong.toString())
                .hasMessageNotContaining("0000-wrong").hasMessageNotContaining(PIN);
    }

    @Test
    void missingTokenListsTheTokensThatArePresent() throws Exception {
        SoftHsmToken t = SoftHsmToken.create("signer-present", PIN);
        HsmConfig cfg = new HsmConfig(t.module(), "no-such-token", PinSource.parse("file:" + t.writePinFile()), 1);
        assertThatThrownBy(() -> HsmToken.login(cfg))
                .isInstanceOf(HsmException.class)
                .hasMessageContaining("no token labelled 'no-such-token'")
                .hasMessageContaining("'signer-present'");
    }

    @Test
    void missingModuleAndMissingPinSourceAreNamed() throws Exception {
        HsmConfig noModule = new HsmConfig(Path.of("/nonexistent/libpkcs11.so"), "ca", PinSource.parse("env:X"), 1);
        assertThatThrownBy(() -> HsmToken.login(noModule))
                .isInstanceOf(HsmException.class).hasMessageContaining("PKCS#11 module not found: /nonexistent/libpkcs11.so");
        SoftHsmToken t = SoftHsmToken.create("signer-nopin", PIN);
        HsmConfig noPin = new HsmConfig(t.module(), t.label(), PinSource.parse("env:SHOMEI_TEST_UNSET_PIN"), 1);
        assertThatThrownBy(() -> HsmToken.login(noPin))
                .isInstanceOf(HsmException.class).hasMessageContaining("SHOMEI_TEST_UNSET_PIN is not set");
        HsmConfig missingKeyToken = config(t, t.writePinFile());
        HsmToken token = HsmToken.login(missingKeyToken);
        assertThatThrownBy(() -> Pkcs11Signer.open(token, "absent"))
                .isInstanceOf(HsmException.class).hasMessageContaining("no certificate stored with key 'absent'");
    }

    @Test
    void pkcs11UrisFollowRfc7512AndRefuseInlinePins() {
        Pkcs11Uri u = Pkcs11Uri.parse("pkcs11:token=My%20CA;object=issuing-2026?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/ca/pin");
        assertThat(u.token()).contains("My CA");
        assertThat(u.requireObject()).isEqualTo("issuing-2026");
        assertThat(u.modulePath()).contains("/usr/lib/softhsm/libsofthsm2.so");
        assertThat(u.pinSource()).contains("file:/etc/ca/pin");
        assertThat(Pkcs11Uri.parse(u.toString())).isEqualTo(u);
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=ca;object=k?pin-value=1234"))
                .hasMessageContaining("pin-value is not accepted");
        assertThatThrownBy(() -> Pkcs11Uri.parse("file:/tmp/key")).hasMessageContaining("not a PKCS#11 URI");
        assertThatThrownBy(() -> Pkcs11Uri.parse("pkcs11:token=ca").requireObject()).hasMessageContaining("names no key");
        assertThatThrownBy(() -> PinSource.parse("1234")).hasMessageContaining("a literal PIN is never accepted");
    }
}
