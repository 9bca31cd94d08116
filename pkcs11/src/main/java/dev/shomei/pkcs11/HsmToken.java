package dev.shomei.pkcs11;

import java.io.IOException;
import java.lang.reflect.Field;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.login.FailedLoginException;

/**
 * A logged-in connection to one HSM token through the JDK's SunPKCS11 provider.
 *
 * <p>Zone: every zone that holds a key in an HSM: the secure zone (ca-core, ocsp-presigner: the CA's keys) and the
 * online zone (ra-service: the RA's order-signing and audit checkpoint keys), each with its own token. This class and
 * {@link Pkcs11Signer} are the only code that reaches those private keys; the keys never leave the token (generated
 * sensitive and non-extractable).
 *
 * <p>SunPKCS11 pools the token's sessions itself. When the token or a session is lost (token removed
 * and re-inserted, sessions closed, login state gone), {@link #reconnect(int)} builds a new provider
 * instance and logs in again, so a long-running process recovers without a restart.
 */
public final class HsmToken implements AutoCloseable {

    private static final AtomicLong INSTANCES = new AtomicLong();
    /** Open connections per module and slot: PKCS#11 login state is per token, shared by all of them. */
    private static final java.util.Map<String, Integer> OPEN = new java.util.HashMap<>();

    /**
     * Keys generated through this provider are token objects, private, sensitive and non-extractable,
     * and may sign but not decrypt or unwrap (CP/CPS §6.2: CA private key protection).
     */
    private static final String KEY_ATTRIBUTES = """
            attributes(generate, CKO_PRIVATE_KEY, *) = {
              CKA_TOKEN = true
              CKA_PRIVATE = true
              CKA_SENSITIVE = true
              CKA_EXTRACTABLE = false
              CKA_SIGN = true
              CKA_DECRYPT = false
              CKA_UNWRAP = false
            }
            attributes(generate, CKO_PUBLIC_KEY, *) = {
              CKA_TOKEN = true
              CKA_VERIFY = true
              CKA_ENCRYPT = false
              CKA_WRAP = false
            }
            """;

    private final HsmConfig config;
    private final AtomicInteger generation = new AtomicInteger();
    private volatile Provider provider;
    private volatile KeyStore keyStore;
    private volatile long slotId;

    private HsmToken(HsmConfig config) {
        this.config = config;
    }

    /** Loads the module, finds the token by label and logs in with the configured PIN. */
    public static HsmToken login(HsmConfig config) {
        HsmToken token = new HsmToken(config);
        token.connect();
        synchronized (OPEN) {
            OPEN.merge(token.openKey(), 1, Integer::sum);
        }
        return token;
    }

    private String openKey() {
        return config.module() + "#" + slotId;
    }

    private void connect() {
        long slot = Pkcs11Slots.slotOf(config.module(), config.tokenLabel());
        String name = "shomei-" + INSTANCES.incrementAndGet();
        String cfg = "--name = " + name + "\n"
                + "library = " + config.module() + "\n"
                + "slot = " + slot + "\n"
                // hsm.keyBackup: wrap. Still sensitive (never readable in clear), but C_WrapKey may export it under a
                // key-encryption key (ca backup-key); docs/key-ceremony.md names the risk.
                + (config.wrappableKeys() ? KEY_ATTRIBUTES.replace("CKA_EXTRACTABLE = false", "CKA_EXTRACTABLE = true")
                        : KEY_ATTRIBUTES);
        Provider p;
        try {
            p = Security.getProvider("SunPKCS11").configure(cfg);
        } catch (RuntimeException e) {
            throw new HsmException("cannot configure SunPKCS11 for token '" + config.tokenLabel() + "' in "
                    + config.module() + ": " + rootMessage(e), e);
        }
        char[] pin = config.pin().read();
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", p);
            ks.load(null, pin);
            this.provider = p;
            this.keyStore = ks;
            this.slotId = slot;
        } catch (IOException e) {
            if (hasCause(e, FailedLoginException.class) || rootMessage(e).contains("CKR_PIN_INCORRECT")) {
                throw new HsmException("login to token '" + config.tokenLabel() + "' failed: wrong PIN (from "
                        + config.pin() + ")", e);
            }
            if (rootMessage(e).contains("CKR_PIN_LOCKED")) {
                throw new HsmException("token '" + config.tokenLabel() + "' has its user PIN locked after too many"
                        + " wrong attempts; the security officer must unlock it", e);
            }
            throw new HsmException("login to token '" + config.tokenLabel() + "' failed: " + rootMessage(e), e);
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot open the key store of token '" + config.tokenLabel() + "': " + rootMessage(e), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /**
     * Replaces the provider instance and logs in again, unless another thread already did so since the
     * caller saw {@code seenGeneration}. Returns the current generation.
     */
    public synchronized int reconnect(int seenGeneration) {
        if (generation.get() != seenGeneration) {
            return generation.get();
        }
        connect();
        return generation.incrementAndGet();
    }

    public int generation() {
        return generation.get();
    }

    public Provider provider() {
        return provider;
    }

    public HsmConfig config() {
        return config;
    }

    public long slotId() {
        return slotId;
    }

    /** What the module reports of this token: manufacturer, model, serial, firmware (C_GetTokenInfo). */
    public Pkcs11Slots.TokenInfo tokenInfo() {
        return Pkcs11Slots.tokenInfo(config.module(), slotId);
    }

    /**
     * Generates a key pair inside the token. The private key is a sensitive, non-extractable token
     * object; it has no label until {@link #storeCertificateChain} names it.
     */
    public KeyPair generateKeyPair(KeyAlgorithm algorithm) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm.jcaFamily(), provider);
            if (algorithm.isEc()) {
                g.initialize(new ECGenParameterSpec(algorithm.curve()));
            } else {
                g.initialize(new RSAKeyGenParameterSpec(algorithm.bits(), RSAKeyGenParameterSpec.F4));
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new HsmException("key generation (" + algorithm.label() + ") failed on token '"
                    + config.tokenLabel() + "': " + rootMessage(e), e);
        }
    }

    /** Labels the key {@code label} and stores its certificate chain beside it on the token. */
    public void storeCertificateChain(String label, PrivateKey key, X509Certificate... chain) {
        try {
            if (keyStore.containsAlias(label)) {
                throw new HsmException("token '" + config.tokenLabel() + "' already holds a key labelled '" + label
                        + "'; a ceremony never overwrites a key: choose a new label");
            }
            keyStore.setKeyEntry(label, key, null, chain);
        } catch (KeyStoreException e) {
            throw new HsmException("cannot store the certificate for key '" + label + "' on token '"
                    + config.tokenLabel() + "': " + rootMessage(e), e);
        }
    }

    /**
     * Destroys the key labelled {@code label} with the certificates stored beside it (C_DestroyObject through the
     * key store). Irreversible: callers record the destruction first (docs/key-ceremony.md, destruction).
     */
    public void destroyKey(String label) {
        try {
            if (!keyStore.isKeyEntry(label)) {
                throw new HsmException("no key labelled '" + label + "' on token '" + config.tokenLabel()
                        + "'; keys present: " + labels());
            }
            keyStore.deleteEntry(label);
            if (keyStore.containsAlias(label)) {
                throw new HsmException("token '" + config.tokenLabel() + "' still lists '" + label + "' after deleting it");
            }
        } catch (KeyStoreException e) {
            throw new HsmException("cannot destroy key '" + label + "' on token '" + config.tokenLabel() + "': "
                    + rootMessage(e), e);
        }
    }

    public boolean containsKey(String label) {
        try {
            return keyStore.isKeyEntry(label);
        } catch (KeyStoreException e) {
            throw new HsmException("cannot read token '" + config.tokenLabel() + "': " + rootMessage(e), e);
        }
    }

    /** The private key labelled {@code label}; an error lists the labels the token holds. */
    public PrivateKey privateKey(String label) {
        try {
            int seen = generation.get();
            Key key = keyStore.getKey(label, null);
            if (!(key instanceof PrivateKey) && keyStore.isKeyEntry(label)) {
                // Listed but unreadable: the login was lost (another application logged out, the HSM restarted);
                // private objects are invisible until we log in again (PKCS#11 v2.40 §6.7). Once, then give up.
                reconnect(seen);
                key = keyStore.getKey(label, null);
            }
            if (key instanceof PrivateKey pk) {
                return pk;
            }
            throw new HsmException("no private key labelled '" + label + "' on token '" + config.tokenLabel()
                    + "'; keys present: " + labels());
        } catch (GeneralSecurityException e) {
            throw new HsmException("cannot read key '" + label + "' from token '" + config.tokenLabel() + "': "
                    + rootMessage(e), e);
        }
    }

    /** The certificate chain stored with the key, leaf first. */
    public X509Certificate[] certificateChain(String label) {
        try {
            Certificate[] chain = keyStore.getCertificateChain(label);
            if (chain == null || chain.length == 0) {
                throw new HsmException("no certificate stored with key '" + label + "' on token '"
                        + config.tokenLabel() + "'; keys present: " + labels());
            }
            return Arrays.stream(chain).map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
        } catch (KeyStoreException e) {
            throw new HsmException("cannot read certificates from token '" + config.tokenLabel() + "': "
                    + rootMessage(e), e);
        }
    }

    public List<String> labels() {
        try {
            return new ArrayList<>(Collections.list(keyStore.aliases()));
        } catch (KeyStoreException e) {
            return List.of();
        }
    }

    /** What the token says of a private key's protection: token object, sensitive, extractable. */
    public record KeyProtection(boolean tokenObject, boolean sensitive, boolean extractable) {
        public boolean nonExtractable() {
            return tokenObject && sensitive && !extractable;
        }

        @Override
        public String toString() {
            return (tokenObject ? "token object" : "session object") + ", " + (sensitive ? "sensitive" : "NOT sensitive")
                    + ", " + (extractable ? "EXTRACTABLE" : "non-extractable");
        }
    }

    public static KeyProtection protectionOf(PrivateKey key) {
        // SunPKCS11's P11Key reads CKA_TOKEN, CKA_SENSITIVE and CKA_EXTRACTABLE when it loads a key.
        try {
            Class<?> c = key.getClass();
            while (c != null && !c.getName().equals("sun.security.pkcs11.P11Key")) {
                c = c.getSuperclass();
            }
            if (c == null) {
                return new KeyProtection(false, false, true);
            }
            return new KeyProtection(bool(c, key, "tokenObject"), bool(c, key, "sensitive"), bool(c, key, "extractable"));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without --add-opens the fields are out of reach; the key's own description says the same.
            String s = key.toString();
            return new KeyProtection(s.contains("token object"), s.contains(", sensitive"), !s.contains("unextractable"));
        }
    }

    private static boolean bool(Class<?> c, Object o, String name) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.getBoolean(o);
    }

    /**
     * Logs out when this is the last open connection to the token in this process, so that a later login
     * must present the PIN again. The module stays loaded (SunPKCS11 never finalises it).
     */
    @Override
    public void close() {
        Provider p = provider;
        if (p == null) {
            return;
        }
        boolean last;
        synchronized (OPEN) {
            last = OPEN.merge(openKey(), -1, Integer::sum) <= 0;
            if (last) {
                OPEN.remove(openKey());
            }
        }
        if (last && p instanceof java.security.AuthProvider auth) {
            try {
                auth.logout();
            } catch (javax.security.auth.login.LoginException | RuntimeException e) {
                // already logged out, or the token is gone: nothing is left to protect
            }
        }
        provider = null;
        keyStore = null;
    }

    static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        String m = r.getMessage();
        return m == null ? r.getClass().getSimpleName() : m;
    }

    static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
