package dev.shomei.pkcs11;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

/**
 * PKCS#11 key wrapping (C_WrapKey / C_UnwrapKey with CKM_AES_KEY_WRAP_PAD, RFC 5649) for CA key backup, through the
 * JDK's own PKCS#11 wrapper: SunPKCS11 offers no wrap of a private key (its AES/KWP cipher maps to
 * CKM_AES_KEY_WRAP_KWP, which SoftHSM2 2.6.1 does not have; SoftHSM2 implements CKM_AES_KEY_WRAP_PAD), and OpenSC
 * 0.23's {@code pkcs11-tool --wrap} wraps secret keys only. The key-encryption key (KEK) lives in the token only as a
 * session object for the one call, and is destroyed after it; the private key never leaves the token in clear.
 *
 * <p>Zone: secure, in the CA room. Touches the token the caller logged in to ({@link HsmToken}): reads the key's
 * attributes, wraps it, or creates the unwrapped key and its certificates. The JVM needs
 * {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (bin/lib/env.sh sets it).
 */
public final class KeyWrap {

    /** A private key wrapped under a KEK, with what restores it: its CKA_ID, key type and certificate chain. */
    public record Wrapped(byte[] wrapped, byte[] keyId, long keyType) {}

    static final long CKM_AES_KEY_WRAP_PAD = 0x210AL;
    private static final long CKA_CLASS = 0x0, CKA_TOKEN = 0x1, CKA_PRIVATE = 0x2, CKA_LABEL = 0x3, CKA_VALUE = 0x11;
    private static final long CKA_CERTIFICATE_TYPE = 0x80, CKA_ISSUER = 0x81, CKA_SERIAL_NUMBER = 0x82;
    private static final long CKA_KEY_TYPE = 0x100, CKA_SUBJECT = 0x101, CKA_ID = 0x102, CKA_SENSITIVE = 0x103;
    private static final long CKA_DECRYPT = 0x105, CKA_WRAP = 0x106, CKA_UNWRAP = 0x107, CKA_SIGN = 0x108;
    private static final long CKA_EXTRACTABLE = 0x162;
    private static final long CKO_CERTIFICATE = 1, CKO_PRIVATE_KEY = 3, CKO_SECRET_KEY = 4;
    private static final long CKK_AES = 0x1F, CKC_X_509 = 0;
    private static final long CKF_RW_SERIAL = 0x2 | 0x4;
    private static final long CKU_USER = 1;
    private static final long CKR_USER_ALREADY_LOGGED_IN = 0x100;
    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";

    private final HsmToken token;
    private final Object p11;
    private final Class<?> attribute;
    private final Constructor<?> attr;
    private final Class<?> attributes;

    public KeyWrap(HsmToken token) {
        this.token = token;
        this.p11 = Pkcs11Slots.module(token.config().module());
        try {
            this.attribute = Class.forName(WRAPPER + "CK_ATTRIBUTE");
            this.attr = attribute.getConstructor(long.class, Object.class);
            this.attributes = attribute.arrayType();
        } catch (ReflectiveOperationException e) {
            throw new HsmException("this JDK's PKCS#11 wrapper has an unexpected shape: " + e, e);
        }
    }

    /**
     * Wraps the private key labelled {@code label} under {@code kek} (32 bytes, AES-256). Refuses a key that is not
     * sensitive or not extractable: a key generated never-extractable (the default) cannot be backed up this way.
     */
    public Wrapped wrap(String label, byte[] kek) {
        long s = open();
        long kekHandle = -1;
        try {
            long key = privateKey(s, label);
            Object[] read = template(new long[] {CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_ID, CKA_KEY_TYPE});
            call("C_GetAttributeValue", new Class<?>[] {long.class, long.class, attributes}, s, key, read);
            boolean sensitive = (Boolean) value(read[0]);
            boolean extractable = (Boolean) value(read[1]);
            if (!extractable) {
                throw new HsmException("key '" + label + "' on token '" + token.config().tokenLabel() + "' was generated"
                        + " non-extractable (CKA_EXTRACTABLE false): PKCS#11 refuses to wrap it, and nothing can change"
                        + " that later; back it up with the HSM's own scheme, or generate keys with hsm.keyBackup: wrap");
            }
            if (!sensitive) {
                throw new HsmException("key '" + label + "' is not sensitive: it could be read in clear; it is not a CA key");
            }
            kekHandle = createKek(s, kek, true);
            byte[] wrapped = (byte[]) call("C_WrapKey", new Class<?>[] {long.class, mechanismClass(), long.class, long.class},
                    s, mechanism(CKM_AES_KEY_WRAP_PAD), kekHandle, key);
            return new Wrapped(wrapped, (byte[]) value(read[2]), (Long) value(read[3]));
        } finally {
            destroyQuietly(s, kekHandle);
            close(s);
        }
    }

    /**
     * Unwraps {@code w} under {@code kek} into this token as a sensitive private token object labelled {@code label}
     * (with the original CKA_ID), extractable only wrapped, for signing only, and stores its certificate chain beside
     * it, so that SunPKCS11 finds the key by its label as it found the original.
     */
    public void unwrap(Wrapped w, byte[] kek, String label, List<X509Certificate> chain) {
        long s = open();
        long kekHandle = -1;
        try {
            if (findAll(s, CKO_CERTIFICATE, label).length > 0) {
                throw new HsmException("token '" + token.config().tokenLabel() + "' already holds a key labelled '" + label
                        + "'; restore into a fresh token (a restore never overwrites a key)");
            }
            kekHandle = createKek(s, kek, false);
            Object[] t = template(
                    new long[] {CKA_CLASS, CKA_KEY_TYPE, CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_SIGN,
                            CKA_DECRYPT, CKA_UNWRAP, CKA_LABEL, CKA_ID},
                    CKO_PRIVATE_KEY, w.keyType(), true, true, true, true, true, false, false, label.toCharArray(), w.keyId());
            call("C_UnwrapKey", new Class<?>[] {long.class, mechanismClass(), long.class, byte[].class, attributes},
                    s, mechanism(CKM_AES_KEY_WRAP_PAD), kekHandle, w.wrapped(), t);
            for (int i = 0; i < chain.size(); i++) {
                X509Certificate c = chain.get(i);
                // The end certificate carries the key's label and id (how SunPKCS11 pairs a key with its certificate);
                // the CA certificates above it are found by subject when the chain is built.
                Object[] cert = template(
                        new long[] {CKA_CLASS, CKA_CERTIFICATE_TYPE, CKA_TOKEN, CKA_PRIVATE, CKA_LABEL, CKA_ID, CKA_SUBJECT,
                                CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_VALUE},
                        CKO_CERTIFICATE, CKC_X_509, true, false, (i == 0 ? label : label + "-ca-" + i).toCharArray(),
                        i == 0 ? w.keyId() : new byte[] {(byte) i}, c.getSubjectX500Principal().getEncoded(),
                        c.getIssuerX500Principal().getEncoded(),
                        new org.bouncycastle.asn1.ASN1Integer(c.getSerialNumber()).getEncoded(), c.getEncoded());
                call("C_CreateObject", new Class<?>[] {long.class, attributes}, s, cert);
            }
        } catch (CertificateEncodingException | java.io.IOException e) {
            throw new HsmException("cannot encode a certificate of the restored key: " + e.getMessage(), e);
        } finally {
            destroyQuietly(s, kekHandle);
            close(s);
        }
    }

    /** The KEK as a session object (gone with the session): AES, sensitive, never extractable, wrap or unwrap only. */
    private long createKek(long s, byte[] kek, boolean wrap) {
        if (kek.length != 32) {
            throw new IllegalArgumentException("the key-encryption key must be 32 bytes (AES-256)");
        }
        Object[] t = template(
                new long[] {CKA_CLASS, CKA_KEY_TYPE, CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE, CKA_WRAP,
                        CKA_UNWRAP, CKA_VALUE},
                CKO_SECRET_KEY, CKK_AES, false, true, true, false, wrap, !wrap, kek.clone());
        return (Long) call("C_CreateObject", new Class<?>[] {long.class, attributes}, s, t);
    }

    /**
     * The private key SunPKCS11 shows under {@code label}: its key store names an entry by the certificate's
     * CKA_LABEL and pairs the private key with it by CKA_ID.
     */
    private long privateKey(long s, String label) {
        long[] certs = findAll(s, CKO_CERTIFICATE, label);
        if (certs.length != 1) {
            throw new HsmException((certs.length == 0 ? "no" : certs.length + "") + " key entr(ies) labelled '" + label
                    + "' on token '" + token.config().tokenLabel() + "'; keys present: " + token.labels());
        }
        Object[] id = template(new long[] {CKA_ID});
        call("C_GetAttributeValue", new Class<?>[] {long.class, long.class, attributes}, s, certs[0], id);
        Object[] t = template(new long[] {CKA_CLASS, CKA_ID}, CKO_PRIVATE_KEY, value(id[0]));
        long[] keys = find(s, t);
        if (keys.length != 1) {
            throw new HsmException("the certificate labelled '" + label + "' has " + keys.length + " private key(s) with"
                    + " its CKA_ID on token '" + token.config().tokenLabel() + "'");
        }
        return keys[0];
    }

    private long[] findAll(long s, long cls, String label) {
        return find(s, template(new long[] {CKA_CLASS, CKA_LABEL}, cls, label.toCharArray()));
    }

    private long[] find(long s, Object[] t) {
        call("C_FindObjectsInit", new Class<?>[] {long.class, attributes}, s, t);
        try {
            return (long[]) call("C_FindObjects", new Class<?>[] {long.class, long.class}, s, 8L);
        } finally {
            call("C_FindObjectsFinal", new Class<?>[] {long.class}, s);
        }
    }

    private long open() {
        long s = (Long) call("C_OpenSession", new Class<?>[] {long.class, long.class, Object.class, notifyClass()},
                token.slotId(), CKF_RW_SERIAL, null, null);
        char[] pin = token.config().pin().read();
        try {
            call("C_Login", new Class<?>[] {long.class, long.class, char[].class}, s, CKU_USER, pin);
        } catch (HsmException e) {
            // SunPKCS11 logged the application in already (login state is per application, RFC 7512 token).
            if (!(e.getCause() != null && errorCode(e.getCause()) == CKR_USER_ALREADY_LOGGED_IN)) {
                close(s);
                throw e;
            }
        } finally {
            Arrays.fill(pin, '\0');
        }
        return s;
    }

    private void close(long s) {
        try {
            call("C_CloseSession", new Class<?>[] {long.class}, s);
        } catch (HsmException e) {
            // closing is best effort: a session object (the KEK) goes with the session anyway
        }
    }

    private void destroyQuietly(long s, long handle) {
        if (handle >= 0) {
            try {
                call("C_DestroyObject", new Class<?>[] {long.class, long.class}, s, handle);
            } catch (HsmException e) {
                // the session object is destroyed with the session
            }
        }
    }

    private Object[] template(long[] types, Object... values) {
        Object[] a = (Object[]) java.lang.reflect.Array.newInstance(attribute, types.length);
        try {
            for (int i = 0; i < types.length; i++) {
                a[i] = attr.newInstance(types[i], values.length == 0 ? null : values[i]);
            }
        } catch (ReflectiveOperationException e) {
            throw new HsmException("cannot build a PKCS#11 template: " + e, e);
        }
        return a;
    }

    private static Object value(Object attribute) {
        try {
            return attribute.getClass().getField("pValue").get(attribute);
        } catch (ReflectiveOperationException e) {
            throw new HsmException("cannot read a PKCS#11 attribute: " + e, e);
        }
    }

    private Object mechanism(long m) {
        try {
            return mechanismClass().getConstructor(long.class).newInstance(m);
        } catch (ReflectiveOperationException e) {
            throw new HsmException("cannot build a PKCS#11 mechanism: " + e, e);
        }
    }

    private static Class<?> mechanismClass() {
        try {
            return Class.forName(WRAPPER + "CK_MECHANISM");
        } catch (ClassNotFoundException e) {
            throw new HsmException("this JDK has no PKCS#11 wrapper: " + e, e);
        }
    }

    private static Class<?> notifyClass() {
        try {
            return Class.forName(WRAPPER + "CK_NOTIFY");
        } catch (ClassNotFoundException e) {
            throw new HsmException("this JDK has no PKCS#11 wrapper: " + e, e);
        }
    }

    private static long errorCode(Throwable pkcs11Exception) {
        try {
            return (Long) pkcs11Exception.getClass().getMethod("getErrorCode").invoke(pkcs11Exception);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return -1;
        }
    }

    private Object call(String name, Class<?>[] types, Object... args) {
        try {
            Method m = p11.getClass().getMethod(name, types);
            return m.invoke(p11, args);
        } catch (InvocationTargetException e) {
            throw new HsmException(name + " failed on token '" + token.config().tokenLabel() + "': "
                    + e.getCause().getMessage(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HsmException("the JDK's PKCS#11 wrapper is not reachable (" + name + "): " + e, e);
        }
    }
}
