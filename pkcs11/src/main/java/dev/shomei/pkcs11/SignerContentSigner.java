package dev.shomei.pkcs11;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;

/**
 * The one adapter from {@link Signer} to Bouncy Castle's {@link ContentSigner}: certificate, CRL, OCSP
 * and CMS builders all sign through it. Each instance serves one signature, as BC builders expect.
 */
public final class SignerContentSigner implements ContentSigner {

    private final Signer signer;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);

    public SignerContentSigner(Signer signer) {
        this.signer = signer;
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return signer.algorithm().algorithmIdentifier();
    }

    @Override
    public OutputStream getOutputStream() {
        return buffer;
    }

    @Override
    public byte[] getSignature() {
        return signer.sign(buffer.toByteArray());
    }
}
