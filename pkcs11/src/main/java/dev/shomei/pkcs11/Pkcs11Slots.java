package dev.shomei.pkcs11;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds a token by its label, as RFC 7512 URIs name tokens, through the JDK's own PKCS#11 wrapper
 * (the one SunPKCS11 uses, so both share one initialised module instance). SunPKCS11's configuration
 * only accepts a slot id or index; slot ids are assigned by the module (SoftHSM2 picks random ones).
 *
 * <p>Zone: every zone that opens a token ({@link HsmToken}). Touches the PKCS#11 module read-only (slot and token
 * information).
 * The JVM needs {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED}.
 */
public final class Pkcs11Slots {

    /** An initialised token in a slot. */
    public record Token(long slotId, String label, String manufacturer, String model, String serialNumber) {}

    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";
    private static final long CKF_OS_LOCKING_OK = 0x2L;

    private Pkcs11Slots() {}

    /** The initialised tokens the module offers. */
    public static List<Token> tokens(Path module) {
        Object p11 = module(module);
        try {
            Class<?> c = p11.getClass();
            long[] slots = (long[]) c.getMethod("C_GetSlotList", boolean.class).invoke(p11, true);
            Method tokenInfo = c.getMethod("C_GetTokenInfo", long.class);
            List<Token> tokens = new ArrayList<>();
            for (long slot : slots) {
                Object info = tokenInfo.invoke(p11, slot);
                tokens.add(new Token(slot, field(info, "label"), field(info, "manufacturerID"),
                        field(info, "model"), field(info, "serialNumber")));
            }
            return tokens;
        } catch (InvocationTargetException e) {
            throw new HsmException("cannot list the tokens of PKCS#11 module " + module + ": " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HsmException("the JDK's PKCS#11 wrapper is not reachable: " + e, e);
        }
    }

    /**
     * What the module reports of the token in {@code slot} (PKCS#11 CK_TOKEN_INFO): manufacturer, model,
     * serial number, hardware and firmware versions. Recorded with every ceremony (docs/key-ceremony.md).
     */
    public record TokenInfo(long slotId, String label, String manufacturer, String model, String serialNumber,
                            String hardwareVersion, String firmwareVersion) {
        /** SoftHSM2 reports itself as manufacturer "SoftHSM project", model "SoftHSM v2". */
        public boolean isSoftwareToken() {
            return manufacturer.toLowerCase(java.util.Locale.ROOT).contains("softhsm")
                    || model.toLowerCase(java.util.Locale.ROOT).contains("softhsm");
        }

        @Override
        public String toString() {
            return "manufacturer '" + manufacturer + "', model '" + model + "', serial '" + serialNumber
                    + "', firmware " + firmwareVersion + ", hardware " + hardwareVersion + ", token '" + label
                    + "' in slot " + slotId;
        }
    }

    public static TokenInfo tokenInfo(Path module, long slot) {
        Object p11 = module(module);
        try {
            Object info = p11.getClass().getMethod("C_GetTokenInfo", long.class).invoke(p11, slot);
            return new TokenInfo(slot, field(info, "label"), field(info, "manufacturerID"), field(info, "model"),
                    field(info, "serialNumber"), version(info.getClass().getField("hardwareVersion").get(info)),
                    version(info.getClass().getField("firmwareVersion").get(info)));
        } catch (InvocationTargetException e) {
            throw new HsmException("cannot read the token information of slot " + slot + " in " + module + ": "
                    + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new HsmException("the JDK's PKCS#11 wrapper is not reachable: " + e, e);
        }
    }

    /** CK_VERSION as "major.minor" (the minor byte is printed as two digits, as PKCS#11 tools do). */
    private static String version(Object v) throws ReflectiveOperationException {
        int major = Byte.toUnsignedInt(v.getClass().getField("major").getByte(v));
        int minor = Byte.toUnsignedInt(v.getClass().getField("minor").getByte(v));
        return major + "." + minor;
    }

    /** The slot holding the token with this label; an error names the labels that are there. */
    public static long slotOf(Path module, String label) {
        List<Token> tokens = tokens(module);
        List<Token> matches = tokens.stream().filter(t -> t.label().equals(label)).toList();
        if (matches.isEmpty()) {
            throw new HsmException("no token labelled '" + label + "' in PKCS#11 module " + module
                    + "; tokens present: " + tokens.stream().map(t -> "'" + t.label() + "'").toList());
        }
        if (matches.size() > 1) {
            throw new HsmException("more than one token is labelled '" + label + "' in " + module
                    + " (slots " + matches.stream().map(Token::slotId).toList() + "); give each token a unique label");
        }
        return matches.get(0).slotId();
    }

    /** The shared wrapper instance for the module, initialised with OS locking as SunPKCS11 does. */
    static Object module(Path module) {
        if (!Files.isRegularFile(module)) {
            throw new HsmException("PKCS#11 module not found: " + module
                    + " (for SoftHSM2 on Debian: /usr/lib/softhsm/libsofthsm2.so from package softhsm2)");
        }
        try {
            Class<?> p11 = Class.forName(WRAPPER + "PKCS11");
            Class<?> initArgsClass = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS");
            Object initArgs = initArgsClass.getConstructor().newInstance();
            initArgsClass.getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
            Method getInstance = p11.getMethod("getInstance", String.class, String.class, initArgsClass, boolean.class);
            return getInstance.invoke(null, module.toString(), "C_GetFunctionList", initArgs, false);
        } catch (InvocationTargetException e) {
            throw new HsmException("cannot load PKCS#11 module " + module + ": " + e.getCause().getMessage(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new HsmException("the JVM was started without --add-exports=jdk.crypto.cryptoki/"
                    + "sun.security.pkcs11.wrapper=ALL-UNNAMED, which finding a token by label needs", e);
        } catch (ReflectiveOperationException e) {
            throw new HsmException("this JDK's PKCS#11 wrapper has an unexpected shape: " + e, e);
        }
    }

    private static String field(Object info, String name) throws ReflectiveOperationException {
        return new String((char[]) info.getClass().getField(name).get(info)).trim();
    }
}
