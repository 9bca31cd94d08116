package dev.shomei.ca.approval;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.pkcs11.HsmConfig;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.PinSource;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.Pkcs11Uri;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * One person's signing credential: a key on their own PKCS#11 token or smartcard (its certificate stored
 * beside it), or, for tests and demonstrations, a certificate file and a PEM key file.
 *
 * <p>Zone: secure, on the approver's own workstation or in the CA room. The token's PIN comes from a
 * file or variable, like the CA's; a key file is read only to sign and is never copied.
 */
public final class ApproverCredential implements AutoCloseable {

    private final X509Certificate certificate;
    private final PrivateKey fileKey;
    private final HsmToken token;
    private final Pkcs11Signer tokenSigner;

    private ApproverCredential(X509Certificate certificate, PrivateKey fileKey, HsmToken token, Pkcs11Signer signer) {
        this.certificate = certificate;
        this.fileKey = fileKey;
        this.token = token;
        this.tokenSigner = signer;
    }

    /** The key labelled by the URI's {@code object} on the token its {@code token} names (RFC 7512). */
    public static ApproverCredential pkcs11(String uri, Path module, String pinSource) {
        Pkcs11Uri u = Pkcs11Uri.parse(uri);
        String label = u.requireObject();
        String tokenLabel = u.token().orElseThrow(() -> new ConfigException("credential URI " + uri
                + " names no token: give pkcs11:token=YOUR-TOKEN;object=KEY-LABEL"));
        Path mod = module != null ? module : u.modulePath().map(Path::of).orElseThrow(() -> new ConfigException(
                "no PKCS#11 module for credential " + uri + ": give --module or module-path in the URI"));
        String pin = pinSource != null ? pinSource : u.pinSource().orElseThrow(() -> new ConfigException(
                "no PIN source for credential " + uri + ": give --pin file:PATH or env:NAME"));
        HsmToken t = HsmToken.login(new HsmConfig(mod, tokenLabel, PinSource.parse(pin), 1));
        try {
            Pkcs11Signer s = Pkcs11Signer.open(t, label);
            return new ApproverCredential(s.certificate(), null, t, s);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** A certificate (PEM or DER) and an unencrypted PEM key (PKCS#8 or traditional): for tests. */
    public static ApproverCredential files(Path certificateFile, Path keyFile) {
        try (var in = Files.newInputStream(certificateFile); Reader r = Files.newBufferedReader(keyFile)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            Object o = new PEMParser(r).readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            PrivateKey key;
            if (o instanceof PEMKeyPair kp) {
                key = conv.getPrivateKey(kp.getPrivateKeyInfo());
            } else if (o instanceof PrivateKeyInfo pki) {
                key = conv.getPrivateKey(pki);
            } else {
                throw new ConfigException(keyFile + " holds no unencrypted PEM private key");
            }
            return new ApproverCredential(cert, key, null, null);
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException("cannot read the credential " + certificateFile + " / " + keyFile + ": "
                    + e.getMessage());
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public byte[] sign(byte[] data) {
        if (tokenSigner != null) {
            return tokenSigner.sign(data);
        }
        try {
            Signature s = Signature.getInstance(Approval.algorithmFor(certificate).jcaName());
            s.initSign(fileKey);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new ConfigException("the key does not sign with the algorithm of its certificate ("
                    + Approval.algorithmFor(certificate).jcaName() + "): " + e.getMessage()
                    + "; are key and certificate a pair?");
        }
    }

    @Override
    public void close() {
        if (token != null) {
            token.close();
        }
    }
}
