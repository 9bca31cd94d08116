package dev.shomei.applicant.card;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A PKCS#11 module (OpenSC's for the My Number card, or the applicant's own token) seen through the JDK's own
 * PKCS#11 wrapper, the one SunPKCS11 uses: both share one initialised module instance. SunPKCS11 addresses a token
 * only by slot; readers and cards are found here by slot and token label, and the PIN state flags
 * (PKCS#11 v2.40 section 3.2, CK_TOKEN_INFO) are read here, because SunPKCS11 does not show them.
 *
 * <p>Zone: the applicant's PC. Reads slot and token information; never sees a PIN.
 * The JVM needs {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (bin/apply and the
 * jar's manifest give it).
 */
public final class Pkcs11Module {

    /** CK_TOKEN_INFO flags (PKCS#11 v2.40, section 3.2). */
    public static final long CKF_TOKEN_INITIALIZED = 0x400L;
    public static final long CKF_USER_PIN_COUNT_LOW = 0x10000L;
    public static final long CKF_USER_PIN_FINAL_TRY = 0x20000L;
    public static final long CKF_USER_PIN_LOCKED = 0x40000L;
    private static final long CKF_OS_LOCKING_OK = 0x2L;
    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";

    /** A token in a slot, with what CK_TOKEN_INFO says about it. */
    public record Token(long slotId, String label, String manufacturer, String model, long flags, long minPinLength,
                        long maxPinLength) {
        public boolean initialized() {
            return (flags & CKF_TOKEN_INITIALIZED) != 0;
        }

        public boolean has(long flag) {
            return (flags & flag) != 0;
        }
    }

    private final Path path;
    private final Object p11;

    private Pkcs11Module(Path path, Object p11) {
        this.path = path;
        this.p11 = p11;
    }

    /** Loads (or reuses) the module; fails with a message for a missing file or a library that is not PKCS#11. */
    public static Pkcs11Module load(Path path, String whatFor) throws CardException {
        if (!Files.isRegularFile(path)) {
            throw new CardException("the PKCS#11 module " + path + " (" + whatFor + ") does not exist; "
                    + (whatFor.contains("My Number")
                        ? "install OpenSC and the PC/SC daemon (Debian: apt-get install opensc pcscd), or give the"
                            + " module's path with --pkcs11-module"
                        : "give the path of your token's PKCS#11 module"));
        }
        try {
            Class<?> pkcs11 = Class.forName(WRAPPER + "PKCS11");
            Class<?> initArgsClass = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
            Object initArgs = initArgsClass.getConstructor().newInstance();
            initArgsClass.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
            Method getInstance = pkcs11.getMethod("getInstance", String.class, String.class, initArgsClass,
                    boolean.class);
            return new Pkcs11Module(path, getInstance.invoke(null, path.toString(), "C_GetFunctionList", initArgs,
                    false));
        } catch (InvocationTargetException e) {
            throw new CardException("cannot load the PKCS#11 module " + path + " (" + whatFor + "): "
                    + e.getCause().getMessage(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new CardException("the JVM was started without --add-exports=jdk.crypto.cryptoki/"
                    + "sun.security.pkcs11.wrapper=ALL-UNNAMED; run the tool through bin/apply or java -jar", e);
        } catch (ReflectiveOperationException e) {
            throw new CardException("this JDK's PKCS#11 wrapper has an unexpected shape (" + e
                    + "); use a JDK of version 21 or later", e);
        }
    }

    public Path path() {
        return path;
    }

    /** All slots (readers), with or without a card. */
    public long[] slots() throws CardException {
        return slotList(false);
    }

    /** The initialised tokens the module offers (an empty reader, or SoftHSM2's spare slot, is not one). */
    public List<Token> tokens() throws CardException {
        List<Token> tokens = new ArrayList<>();
        for (long slot : slotList(true)) {
            Token t = token(slot);
            if (t.initialized()) {
                tokens.add(t);
            }
        }
        return tokens;
    }

    /** The token's current information: read again after a failed login, when the PIN flags have changed. */
    public Token token(long slot) throws CardException {
        try {
            Object info = p11.getClass().getMethod("C_GetTokenInfo", long.class).invoke(p11, slot);
            Class<?> c = info.getClass();
            return new Token(slot, text(info, "label"), text(info, "manufacturerID"), text(info, "model"),
                    c.getField("flags").getLong(info), c.getField("ulMinPinLen").getLong(info),
                    c.getField("ulMaxPinLen").getLong(info));
        } catch (InvocationTargetException e) {
            throw new CardException("cannot read the token in slot " + slot + " (" + e.getCause().getMessage()
                    + "); was the card removed?", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new CardException("this JDK's PKCS#11 wrapper has an unexpected shape: " + e, e);
        }
    }

    private long[] slotList(boolean tokenPresent) throws CardException {
        try {
            return (long[]) p11.getClass().getMethod("C_GetSlotList", boolean.class).invoke(p11, tokenPresent);
        } catch (InvocationTargetException e) {
            throw new CardException("the PKCS#11 module " + path + " cannot list its slots: "
                    + e.getCause().getMessage() + "; check that the PC/SC daemon runs (systemctl status pcscd)",
                    e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new CardException("this JDK's PKCS#11 wrapper has an unexpected shape: " + e, e);
        }
    }

    private static String text(Object info, String field) throws ReflectiveOperationException {
        return new String((char[]) info.getClass().getField(field).get(info)).trim();
    }
}
