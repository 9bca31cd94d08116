package dev.shomei.applicant.card;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.ProviderException;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * The signing key of the applicant's My Number card, reached through OpenSC's PKCS#11 module (or any module holding a
 * JPKI-shaped signing key) via the JDK's SunPKCS11 provider. In numbered steps (docs/applicant.md, "What apply does"):
 * <ol>
 * <li>load the module; tell "no reader" from "no card";</li>
 * <li>choose the token: the one named, else OpenSC's signing-PIN token ("Digital Signature PIN"), else the only one;</li>
 * <li>refuse at once if the card reports the PIN locked; warn if the next wrong PIN locks it;</li>
 * <li>log in with the signing PIN (C_Login, by loading SunPKCS11's key store); the PIN array is wiped at once;</li>
 * <li>choose the signing certificate and its key; refuse an authentication certificate before anything is signed.</li>
 * </ol>
 * The card signs a CMS SignedData (RFC 5652): SHA-256, signed attributes contentType, messageDigest and
 * signingTime (section 5.3), the card's certificate included.
 *
 * <p>Zone: the applicant's PC. Holds a logged-in PKCS#11 session while open; never stores or prints the PIN.
 */
public final class MyNumberCard implements AutoCloseable {

    /** Debian/Ubuntu's OpenSC PKCS#11 module, which supports the JPKI card. */
    public static final Path DEFAULT_MODULE = Path.of("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so");
    /** OpenSC names the token of the JPKI signing PIN "JPKI (Digital Signature PIN)". */
    static final String OPENSC_SIGNING_TOKEN = "Digital Signature";

    // PKCS#11 v2.40 section 5.1 return values the applicant can do something about.
    static final long CKR_DEVICE_ERROR = 0x30L;
    static final long CKR_DEVICE_REMOVED = 0x32L;
    static final long CKR_FUNCTION_CANCELED = 0x50L;
    static final long CKR_PIN_INCORRECT = 0xA0L;
    static final long CKR_PIN_INVALID = 0xA1L;
    static final long CKR_PIN_LEN_RANGE = 0xA2L;
    static final long CKR_PIN_EXPIRED = 0xA3L;
    static final long CKR_PIN_LOCKED = 0xA4L;
    static final long CKR_TOKEN_NOT_PRESENT = 0xE0L;
    static final long CKR_TOKEN_NOT_RECOGNIZED = 0xE1L;

    static final String LOCKED = "the signing PIN (署名用電子証明書のパスワード) is locked after too many wrong tries;"
            + " only your municipal office (市区町村窓口) can reset it, and the card cannot sign until then";

    /** Reads the PIN for a token; the card wipes the returned array after the login. */
    @FunctionalInterface
    public interface PinSource {
        char[] pin(Pkcs11Module.Token token) throws CardException;
    }

    private final Provider provider;
    private final PrivateKey key;
    private final X509Certificate certificate;
    private final String tokenLabel;

    private MyNumberCard(Provider provider, PrivateKey key, X509Certificate certificate, String tokenLabel) {
        this.provider = provider;
        this.key = key;
        this.certificate = certificate;
        this.tokenLabel = tokenLabel;
    }

    /**
     * Opens the card and logs in with its signing PIN.
     *
     * @param tokenLabel the token to use, or null to choose (step 2)
     * @param keyLabel the certificate's label (CKA_LABEL) on the token, or null to choose the signing certificate
     * @param notice where warnings for the applicant go (a final try, for instance)
     */
    public static MyNumberCard open(Path modulePath, String tokenLabel, String keyLabel, PinSource pins,
                                    Consumer<String> notice) throws CardException, WrongCertificateException {
        // Step 1: the module, its readers, their cards.
        Pkcs11Module module = Pkcs11Module.load(modulePath, "the My Number card's PKCS#11 module");
        if (module.slots().length == 0) {
            throw new CardException("no card reader: the PKCS#11 module " + modulePath + " sees no slot; connect the"
                    + " reader (or hold the card to the NFC reader) and check that the PC/SC daemon runs"
                    + " (systemctl status pcscd)");
        }
        List<Pkcs11Module.Token> tokens = module.tokens();
        if (tokens.isEmpty()) {
            throw new CardException("no card: the reader is there but holds no card the module "
                    + modulePath.getFileName() + " recognises; insert the My Number card (chip up, fully in)");
        }
        // Step 2
        Pkcs11Module.Token token = choose(tokens, tokenLabel);
        // Step 3
        if (token.has(Pkcs11Module.CKF_USER_PIN_LOCKED)) {
            throw new CardException(LOCKED + " (token '" + token.label() + "')");
        }
        if (token.has(Pkcs11Module.CKF_USER_PIN_FINAL_TRY)) {
            notice.accept("the card reports ONE try left for the signing PIN: a wrong PIN now locks it (only the"
                    + " municipal office can reset it); interrupt with Ctrl-C if you are not sure of the PIN");
        } else if (token.has(Pkcs11Module.CKF_USER_PIN_COUNT_LOW)) {
            notice.accept("the card reports that a wrong signing PIN was entered before; it locks after 5 wrong"
                    + " tries in a row");
        }
        // Step 4
        Provider provider;
        try {
            provider = Security.getProvider("SunPKCS11").configure("--name=mynumber-card\nlibrary = \""
                    + modulePath + "\"\nslot = " + token.slotId() + "\n");
        } catch (ProviderException | IllegalArgumentException e) {
            throw new CardException("SunPKCS11 cannot use the token '" + token.label() + "' in " + modulePath + ": "
                    + rootMessage(e), e);
        }
        KeyStore ks;
        char[] pin = pins.pin(token);
        try {
            if (pin.length < token.minPinLength() || (token.maxPinLength() > 0 && pin.length > token.maxPinLength())) {
                throw new CardException("the PIN you gave has " + pin.length + " characters; the token '"
                        + token.label() + "' takes " + token.minPinLength() + " to " + token.maxPinLength()
                        + " (the signing PIN of a My Number card has 6 to 16). Nothing was sent to the card, so no"
                        + " try was used");
            }
            ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin);
        } catch (IOException | GeneralSecurityException | ProviderException e) {
            long ckr = errorCode(e);
            throw new CardException(loginFailure(ckr, ckr < 0 ? 0 : module.token(token.slotId()).flags(),
                    token.label(), rootMessage(e)), e);
        } finally {
            Arrays.fill(pin, '\0');
        }
        // Step 5
        try {
            return chooseKey(ks, provider, token.label(), keyLabel);
        } catch (GeneralSecurityException e) {
            throw new CardException("cannot read the keys and certificates of token '" + token.label() + "': "
                    + rootMessage(e), e);
        }
    }

    private static Pkcs11Module.Token choose(List<Pkcs11Module.Token> tokens, String label) throws CardException {
        List<String> labels = tokens.stream().map(t -> "'" + t.label() + "'").toList();
        if (label != null) {
            return tokens.stream().filter(t -> t.label().equals(label)).findFirst().orElseThrow(() ->
                    new CardException("no token labelled '" + label + "'; the card reader shows " + labels));
        }
        List<Pkcs11Module.Token> signing = tokens.stream()
                .filter(t -> t.label().contains(OPENSC_SIGNING_TOKEN)).toList();
        if (signing.size() == 1) {
            return signing.get(0);
        }
        if (tokens.size() == 1) {
            return tokens.get(0);
        }
        throw new CardException("more than one token is present " + labels + "; name the card's signing token with"
                + " --card-token (with OpenSC: the one named '... (Digital Signature PIN)')");
    }

    private static MyNumberCard chooseKey(KeyStore ks, Provider provider, String tokenLabel, String keyLabel)
            throws GeneralSecurityException, WrongCertificateException, CardException {
        List<String> aliases = new ArrayList<>(Collections.list(ks.aliases()));
        List<String> signing = new ArrayList<>();
        List<String> authentication = new ArrayList<>();
        for (String alias : aliases) {
            if (!ks.isKeyEntry(alias) || !(ks.getCertificate(alias) instanceof X509Certificate c)) {
                continue;
            }
            if (keyLabel != null && !alias.equals(keyLabel)) {
                continue;
            }
            (JpkiCertificate.isSigning(c) ? signing : authentication).add(alias);
        }
        if (signing.isEmpty() && !authentication.isEmpty()) {
            throw new WrongCertificateException("the token '" + tokenLabel + "' offers only the card's"
                    + " user-authentication certificate (利用者証明用電子証明書: issuer OU '"
                    + JpkiCertificate.AUTHENTICATION_CA_OU + "' or no nonRepudiation key usage) " + authentication
                    + "; an application must be signed with the signing certificate (署名用電子証明書) and its"
                    + " 6-16 character signing PIN. With OpenSC choose the token '... (Digital Signature PIN)' with"
                    + " --card-token. Nothing was signed");
        }
        if (signing.isEmpty()) {
            throw new CardException("the token '" + tokenLabel + "' holds no private key with a certificate"
                    + (keyLabel == null ? "" : " labelled '" + keyLabel + "'") + " (entries: " + aliases + "); is"
                    + " this the My Number card?");
        }
        if (signing.size() > 1) {
            throw new CardException("the token '" + tokenLabel + "' holds several signing certificates " + signing
                    + "; choose one with --card-key");
        }
        String alias = signing.get(0);
        return new MyNumberCard(provider, (PrivateKey) ks.getKey(alias, null),
                (X509Certificate) ks.getCertificate(alias), tokenLabel);
    }

    /** What to tell the applicant after a failed login, from the return value and the token's PIN flags after it. */
    static String loginFailure(long ckr, long flagsAfter, String tokenLabel, String detail) {
        if (ckr == CKR_PIN_LOCKED || (flagsAfter & Pkcs11Module.CKF_USER_PIN_LOCKED) != 0) {
            return (ckr == CKR_PIN_INCORRECT ? "wrong PIN, and now " : "") + LOCKED;
        }
        if (ckr == CKR_PIN_INCORRECT) {
            if ((flagsAfter & Pkcs11Module.CKF_USER_PIN_FINAL_TRY) != 0) {
                return "wrong PIN: ONE try left. A further wrong PIN locks the signing PIN (only the municipal office"
                        + " can reset it); check the PIN you chose when the card was issued (6-16 letters and digits)";
            }
            if ((flagsAfter & Pkcs11Module.CKF_USER_PIN_COUNT_LOW) != 0) {
                return "wrong PIN: the card reports few tries left (the signing PIN locks after 5 wrong tries in a"
                        + " row); check it before trying again";
            }
            return "wrong PIN for token '" + tokenLabel + "'; the signing PIN locks after 5 wrong tries in a row";
        }
        if (ckr == CKR_PIN_LEN_RANGE || ckr == CKR_PIN_INVALID) {
            return "the card does not accept a PIN of this form: the signing PIN has 6 to 16 letters (A-Z) and digits";
        }
        if (ckr == CKR_PIN_EXPIRED) {
            return "the card reports the PIN expired; renew it at your municipal office";
        }
        if (ckr == CKR_TOKEN_NOT_PRESENT || ckr == CKR_DEVICE_REMOVED || ckr == CKR_DEVICE_ERROR
                || ckr == CKR_TOKEN_NOT_RECOGNIZED) {
            return "the card was removed or could not be read during the login; put it back in the reader (NFC"
                    + " readers: keep it still) and run the command again";
        }
        if (ckr == CKR_FUNCTION_CANCELED) {
            return "the PIN entry was cancelled";
        }
        return "cannot log in to token '" + tokenLabel + "': " + detail;
    }

    /** The PKCS#11 return value in a failure's cause chain (SunPKCS11 wraps it), or -1. */
    static long errorCode(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getClass().getName().endsWith(".PKCS11Exception")) {
                try {
                    Method m = t.getClass().getMethod("getErrorCode");
                    return (long) m.invoke(t);
                } catch (ReflectiveOperationException | RuntimeException ignored) {
                    String m = String.valueOf(t.getMessage());
                    if (m.contains("CKR_PIN_INCORRECT")) {
                        return CKR_PIN_INCORRECT;
                    }
                    if (m.contains("CKR_PIN_LOCKED")) {
                        return CKR_PIN_LOCKED;
                    }
                }
            }
        }
        return -1;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public String tokenLabel() {
        return tokenLabel;
    }

    /** Signs {@code content} as an encapsulated CMS SignedData with the card (the card signs the DigestInfo). */
    public byte[] sign(byte[] content) throws CardException {
        try {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            // JcaSignerInfoGeneratorBuilder adds the signed attributes contentType, messageDigest and signingTime.
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                    .build()).build(new JcaContentSignerBuilder("SHA256withRSA").setProvider(provider).build(key),
                    certificate));
            gen.addCertificates(new JcaCertStore(List.of(certificate)));
            return gen.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            long ckr = errorCode(e);
            throw new CardException(ckr == CKR_TOKEN_NOT_PRESENT || ckr == CKR_DEVICE_REMOVED
                    ? "the card was removed while signing; put it back and run the command again"
                    : "the card could not sign: " + rootMessage(e), e);
        }
    }

    /** Logs out of the card; the session is not kept beyond one command. */
    @Override
    public void close() {
        try {
            if (provider instanceof java.security.AuthProvider ap) {
                ap.logout();
            }
        } catch (Exception ignored) {
            // The process ends next; the module logs out when it is finalised.
        }
    }
}
