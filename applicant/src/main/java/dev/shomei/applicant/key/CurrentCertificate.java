package dev.shomei.applicant.key;

import dev.shomei.applicant.card.CardException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The subscriber's current certificate from this CA and its key, which sign a renewal (the second automatic route,
 * docs/identity.md): the key from the passphrase-protected file {@code apply} wrote, or from the applicant's own
 * token where {@code apply fetch --key-token} stored the certificate next to it.
 *
 * <p>The signature is the one the RA's SubscriberSignatureVerifier checks: CMS SignedData (RFC 5652), the content
 * encapsulated, one signer, SHA-256 with the signed attributes contentType, messageDigest and signingTime (section
 * 5.3), the signer's certificate included.
 *
 * <p>Zone: the applicant's PC. Reads the key file or token it is given; never prints or keeps a passphrase, PIN or
 * private key.
 */
public final class CurrentCertificate {

    private final X509Certificate certificate;
    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final Provider provider;
    private final String where;

    private CurrentCertificate(List<X509Certificate> chain, PrivateKey key, Provider provider, String where) {
        this.certificate = chain.get(0);
        this.chain = List.copyOf(chain);
        this.key = key;
        this.provider = provider;
        this.where = where;
    }

    /**
     * The certificate chain in {@code certificateFile} (as {@code apply} saved it: the certificate first) and the key
     * in {@code keyFile} (encrypted PKCS#8 PEM), decrypted with {@code passphrase}, which is wiped.
     *
     * @throws KeyFileException if a file cannot be read, the passphrase is wrong or the key is not the certificate's
     */
    public static CurrentCertificate fromFiles(Path certificateFile, Path keyFile, char[] passphrase)
            throws KeyFileException {
        try {
            List<X509Certificate> chain = readChain(certificateFile);
            PrivateKey key = readKey(keyFile, passphrase);
            CurrentCertificate c = new CurrentCertificate(chain, key, null, keyFile.toString());
            c.requireKeyMatches("--current-key " + keyFile, "--current-cert " + certificateFile);
            return c;
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    /** The key labelled {@code keyLabel} in the applicant's token, and the certificate stored next to it. */
    public static CurrentCertificate fromToken(Path modulePath, String tokenLabel, String keyLabel, char[] pin)
            throws CardException {
        Provider p = SubscriberKey.tokenProvider(modulePath, tokenLabel);
        KeyStore ks = SubscriberKey.login(p, tokenLabel, pin);
        try {
            if (!(ks.getKey(keyLabel, null) instanceof PrivateKey key)) {
                throw new CardException("token '" + tokenLabel + "' has no key labelled '" + keyLabel + "'; entries: "
                        + Collections.list(ks.aliases()));
            }
            List<X509Certificate> chain = new ArrayList<>();
            for (var c : ks.getCertificateChain(keyLabel)) {
                chain.add((X509Certificate) c);
            }
            if (chain.isEmpty() || chain.get(0).getSubjectX500Principal().equals(chain.get(0).getIssuerX500Principal())) {
                throw new CardException("the key '" + keyLabel + "' in token '" + tokenLabel + "' has no certificate"
                        + " from the CA yet (only its placeholder); fetch it first with apply fetch --key-token");
            }
            return new CurrentCertificate(chain, key, p, "token '" + tokenLabel + "', key '" + keyLabel + "'");
        } catch (CardException e) {
            throw e;
        } catch (Exception e) {
            throw new CardException("cannot read the key '" + keyLabel + "' in token '" + tokenLabel + "': "
                    + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate and, if it came with it, its issuing CA's certificate. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** Where the key is, for the applicant's messages. */
    public String where() {
        return where;
    }

    /** True if the certificate is valid at {@code at} (an expired certificate cannot renew itself). */
    public boolean validAt(Instant at) {
        return !at.isBefore(certificate.getNotBefore().toInstant()) && !at.isAfter(certificate.getNotAfter().toInstant());
    }

    /** Signs {@code content} as an encapsulated CMS SignedData with the current key, the certificate included. */
    public byte[] sign(byte[] content) throws KeyFileException {
        String algorithm = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        try {
            JcaContentSignerBuilder signer = new JcaContentSignerBuilder(algorithm);
            if (provider != null) {
                signer.setProvider(provider);
            }
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            // JcaSignerInfoGeneratorBuilder adds the signed attributes contentType, messageDigest and signingTime.
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder()
                    .build()).build(signer.build(key), certificate));
            gen.addCertificates(new JcaCertStore(List.of(certificate)));
            return gen.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            throw new KeyFileException("the current key (" + where + ") could not sign: " + e.getMessage(), e);
        }
    }

    private void requireKeyMatches(String keyWhat, String certWhat) throws KeyFileException {
        // Sign and verify a probe: works for every key type, and is what the RA will check.
        String algorithm = key.getAlgorithm().startsWith("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        boolean matches;
        try {
            java.security.Signature s = java.security.Signature.getInstance(algorithm);
            s.initSign(key);
            byte[] probe = "shomei renewal key check".getBytes(StandardCharsets.US_ASCII);
            s.update(probe);
            byte[] sig = s.sign();
            java.security.Signature v = java.security.Signature.getInstance(algorithm);
            v.initVerify(certificate.getPublicKey());
            v.update(probe);
            matches = v.verify(sig);
        } catch (java.security.GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new KeyFileException(keyWhat + " is not the key of the certificate in " + certWhat + " (serial "
                    + certificate.getSerialNumber().toString(16) + "); give the key file written when that"
                    + " certificate was applied for", null);
        }
    }

    static List<X509Certificate> readChain(Path file) throws KeyFileException {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(
                    Files.readAllBytes(file))).forEach(c -> chain.add((X509Certificate) c));
        } catch (IOException e) {
            throw new KeyFileException("--current-cert " + file + " cannot be read: " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new KeyFileException("--current-cert " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new KeyFileException("--current-cert " + file + " holds no certificate; give the certificate.pem"
                    + " apply saved", null);
        }
        return chain;
    }

    static PrivateKey readKey(Path file, char[] passphrase) throws KeyFileException {
        Object pem;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
            pem = parser.readObject();
        } catch (IOException e) {
            throw new KeyFileException("--current-key " + file + " cannot be read: " + e.getMessage(), e);
        }
        try {
            PrivateKeyInfo info;
            if (pem instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                info = encrypted.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                        .setProvider(new BouncyCastleProvider()).build(passphrase));
            } else if (pem instanceof PrivateKeyInfo plain) {
                info = plain;
            } else {
                throw new KeyFileException("--current-key " + file + " is not a PKCS#8 private key (PEM 'ENCRYPTED"
                        + " PRIVATE KEY'); give the key file apply wrote", null);
            }
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (PKCSException e) {
            throw new KeyFileException("the passphrase does not open --current-key " + file + " (wrong passphrase?)",
                    e);
        } catch (KeyFileException e) {
            throw e;
        } catch (Exception e) {
            throw new KeyFileException("--current-key " + file + " cannot be decrypted: " + e.getMessage(), e);
        }
    }

    /** A key or certificate file that cannot be used, with what to do. */
    public static final class KeyFileException extends Exception {
        public KeyFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
