package dev.shomei.applicant.key;

import dev.shomei.applicant.card.CardException;
import dev.shomei.applicant.card.Pkcs11Module;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The subscriber's new key pair (利用者署名符号), whose public key travels in the signed application (同時送付).
 * Either in a file, PKCS#8 encrypted (RFC 5958 EncryptedPrivateKeyInfo; PBES2 of RFC 8018 with PBKDF2-HMAC-SHA256
 * and AES-256-CBC) in PEM, which {@code openssl pkey -passin} reads; or generated inside the applicant's own PKCS#11
 * token (sensitive, not extractable), where it waits under a self-signed placeholder certificate until
 * {@code apply fetch --key-token} stores the issued certificate next to it.
 *
 * <p>Zone: the applicant's PC. Writes the key file (owner-only) or the applicant's token; never prints a
 * passphrase, PIN or private key.
 */
public final class SubscriberKey {

    /**
     * PBKDF2-HMAC-SHA256 iterations: OWASP's Password Storage Cheat Sheet (2023) recommends 600,000; RFC 8018
     * section 4.2 sets only a floor of 1,000. About half a second on a PC, once per key.
     */
    public static final int PBKDF2_ITERATIONS = 600_000;
    /** The CA takes the subject from the JPKI identity, never from the CSR (RFC 2986 is only the key's carrier). */
    static final X500Name CSR_SUBJECT = new X500Name("CN=subscriber");

    private final KeyPair keys;
    private final Provider provider;
    private final KeyAlgorithm algorithm;
    private final String where;
    private final Map<String, Object> device;

    private SubscriberKey(KeyPair keys, Provider provider, KeyAlgorithm algorithm, String where,
                          Map<String, Object> device) {
        this.keys = keys;
        this.provider = provider;
        this.algorithm = algorithm;
        this.where = where;
        this.device = device;
    }

    /**
     * Where the key lives, as the application states it ({@code keyDevice}, ra-service README): a software key file,
     * or a PKCS#11 token with the manufacturer and model its CK_TOKEN_INFO reports.
     */
    public Map<String, Object> device() {
        return device;
    }

    /** Generates the key in software and writes it, encrypted with {@code passphrase}, to a new file. */
    public static SubscriberKey generateInFile(Path file, KeyAlgorithm algorithm, char[] passphrase)
            throws IOException, GeneralSecurityException {
        if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file.toString(), null, "a key file is never overwritten; choose"
                    + " another --key-out, or move the old key away if it is no longer needed");
        }
        KeyPair kp = algorithm.generator(null).generateKeyPair();
        Provider bc = new BouncyCastleProvider();
        OutputEncryptor encryptor;
        try {
            encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setPRF(PKCS8Generator.PRF_HMACSHA256).setIterationCount(PBKDF2_ITERATIONS)
                    .setRandom(new SecureRandom()).setPassword(passphrase).setProvider(bc).build();
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException("cannot set up the key file's encryption: " + e.getMessage(), e);
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // Created owner-only before a byte is written; createFile fails if the file appeared meanwhile.
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer w = new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.US_ASCII);
             JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(kp.getPrivate(), encryptor));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return new SubscriberKey(kp, null, algorithm, file.toString(), Map.of("kind", "software"));
    }

    /**
     * Generates the key inside the applicant's own PKCS#11 token under {@code keyLabel}, with a self-signed
     * placeholder certificate (SunPKCS11's key store keeps a key only with a certificate).
     */
    public static SubscriberKey generateOnToken(Path modulePath, String tokenLabel, String keyLabel, char[] pin,
                                                KeyAlgorithm algorithm) throws CardException {
        try {
            Provider p = tokenProvider(modulePath, tokenLabel);
            Pkcs11Module.Token info = token(modulePath, tokenLabel);
            KeyStore ks = login(p, tokenLabel, pin);
            if (ks.containsAlias(keyLabel)) {
                throw new CardException("token '" + tokenLabel + "' already holds an entry labelled '" + keyLabel
                        + "'; a key is never replaced: choose another --key-label");
            }
            KeyPair kp = algorithm.generator(p).generateKeyPair();
            Instant now = Instant.now();
            X500Name placeholder = new X500Name("CN=" + keyLabel + " (awaiting its certificate)");
            X509Certificate self = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                    placeholder, BigInteger.ONE, Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(Duration.ofDays(30))), placeholder, kp.getPublic())
                    .build(new JcaContentSignerBuilder(algorithm.signatureAlgorithm()).setProvider(p)
                            .build(kp.getPrivate())));
            ks.setKeyEntry(keyLabel, kp.getPrivate(), null, new Certificate[] {self});
            Map<String, Object> device = new LinkedHashMap<>();
            device.put("kind", "pkcs11-token");
            device.put("manufacturer", info.manufacturer());
            device.put("model", info.model());
            return new SubscriberKey(kp, p, algorithm, "token '" + tokenLabel + "', key '" + keyLabel + "'", device);
        } catch (CardException e) {
            throw e;
        } catch (Exception e) {
            throw new CardException("cannot generate the subscriber key in token '" + tokenLabel + "': "
                    + e.getMessage(), e);
        }
    }

    /** Stores the issued certificate chain next to the token key it certifies, replacing the placeholder. */
    public static void storeCertificateOnToken(Path modulePath, String tokenLabel, String keyLabel, char[] pin,
                                               List<X509Certificate> chain) throws CardException {
        try {
            Provider p = tokenProvider(modulePath, tokenLabel);
            KeyStore ks = login(p, tokenLabel, pin);
            if (!(ks.getKey(keyLabel, null) instanceof PrivateKey key)) {
                throw new CardException("token '" + tokenLabel + "' has no key labelled '" + keyLabel + "'; entries: "
                        + Collections.list(ks.aliases()));
            }
            if (!Arrays.equals(ks.getCertificate(keyLabel).getPublicKey().getEncoded(),
                    chain.get(0).getPublicKey().getEncoded())) {
                throw new CardException("the certificate does not certify the key '" + keyLabel + "' in token '"
                        + tokenLabel + "'; it belongs to another application");
            }
            ks.setKeyEntry(keyLabel, key, null, chain.toArray(new X509Certificate[0]));
        } catch (CardException e) {
            throw e;
        } catch (Exception e) {
            throw new CardException("cannot store the certificate in token '" + tokenLabel + "': " + e.getMessage(),
                    e);
        }
    }

    private static Pkcs11Module.Token token(Path modulePath, String tokenLabel) throws CardException {
        Pkcs11Module module = Pkcs11Module.load(modulePath, "the token for the subscriber key");
        return module.tokens().stream().filter(t -> t.label().equals(tokenLabel)).findFirst()
                .orElseThrow(() -> new CardException("no token labelled '" + tokenLabel + "' in " + modulePath));
    }

    static Provider tokenProvider(Path modulePath, String tokenLabel) throws CardException {
        Pkcs11Module.Token token = token(modulePath, tokenLabel);
        return Security.getProvider("SunPKCS11").configure("--name=subscriber-key\nlibrary = \"" + modulePath
                + "\"\nslot = " + token.slotId() + "\n"
                // Without this block SunPKCS11 generates private keys that are neither sensitive nor token objects.
                + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n  CKA_TOKEN = true\n  CKA_PRIVATE = true\n"
                + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_DECRYPT = false\n  CKA_UNWRAP = false\n}\n"
                + "attributes(generate, CKO_PUBLIC_KEY, *) = {\n  CKA_TOKEN = true\n}\n");
    }

    static KeyStore login(Provider p, String tokenLabel, char[] pin) throws CardException {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", p);
            ks.load(null, pin);
            return ks;
        } catch (Exception e) {
            throw new CardException("cannot log in to token '" + tokenLabel + "' (wrong PIN?)", e);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    public PublicKey publicKey() {
        return keys.getPublic();
    }

    public KeyAlgorithm algorithm() {
        return algorithm;
    }

    /** Where the key lives, for the applicant's messages. */
    public String where() {
        return where;
    }

    /** The PKCS#10 request (RFC 2986), DER, signed by the new key: its proof of possession. */
    public byte[] csr() throws GeneralSecurityException {
        try {
            JcaContentSignerBuilder b = new JcaContentSignerBuilder(algorithm.signatureAlgorithm());
            if (provider != null) {
                b.setProvider(provider);
            }
            return new JcaPKCS10CertificationRequestBuilder(CSR_SUBJECT, keys.getPublic())
                    .build(b.build(keys.getPrivate())).getEncoded();
        } catch (IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException("cannot build the certification request: " + e.getMessage(), e);
        }
    }
}
