package dev.shomei.ca.issuance;

import dev.shomei.ca.lint.LintException;
import dev.shomei.pkcs11.SignatureCheck;
import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Consumer;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * Signs a certificate in two steps so that the CA key signs exactly the bytes that were linted:
 * Step 1, let the builder produce the to-be-signed certificate (captured, not signed);
 * Step 2, lint it, and have the JDK's own X.509 parser read it back (Bouncy Castle tolerates encodings,
 * e.g. an AttributeTypeAndValue with an extra element, that relying parties' parsers refuse: such a
 * certificate must be refused before the CA key signs it, not discovered after);
 * Step 3, sign those same bytes with the HSM; Step 4, verify the result with the issuer's public key
 * (an HSM fault never leaves the CA as a certificate).
 *
 * <p>Zone: secure.
 */
public final class TbsSigning {

    private TbsSigning() {}

    /**
     * The to-be-signed certificate, wrapped with an empty signature, must be readable by the JDK's
     * CertificateFactory (which parses names, keys and extensions when it reads a certificate); a
     * {@link LintException} otherwise, which refuses this certificate only.
     */
    public static void parseBack(TBSCertificate tbs, AlgorithmIdentifier algId) {
        try {
            ASN1EncodableVector v = new ASN1EncodableVector(3);
            v.add(tbs);
            v.add(algId);
            v.add(new DERBitString(new byte[0]));
            CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(new DERSequence(v).getEncoded("DER")));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new LintException(List.of("the certificate would not be readable by the JDK's X.509 parser ("
                    + e.getMessage() + "); nothing was signed"));
        }
    }

    public static X509Certificate sign(X509v3CertificateBuilder builder, Signer signer, PublicKey issuerKey,
                                       Consumer<TBSCertificate> lint) {
        return signPrepared(prepare(builder, signer, lint), signer, issuerKey);
    }

    /**
     * Steps 1 and 2: the linted to-be-signed certificate (DER), not yet signed. The issuer records these bytes
     * in a signing intent before the HSM signs them (docs/faults.md).
     */
    public static byte[] prepare(X509v3CertificateBuilder builder, Signer signer, Consumer<TBSCertificate> lint) {
        return prepare(builder, signer, lint, null);
    }

    /** As {@link #prepare(X509v3CertificateBuilder, Signer, Consumer)}, counting its steps in {@code timings}. */
    static byte[] prepare(X509v3CertificateBuilder builder, Signer signer, Consumer<TBSCertificate> lint,
                          IssuanceTimings timings) {
        long t0 = IssuanceTimings.cpuNow();
        // Step 1: capture the TBSCertificate the builder would sign.
        AlgorithmIdentifier algId = signer.algorithm().algorithmIdentifier();
        ByteArrayOutputStream captured = new ByteArrayOutputStream(1024);
        builder.build(new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return algId;
            }

            @Override
            public OutputStream getOutputStream() {
                return captured;
            }

            @Override
            public byte[] getSignature() {
                return new byte[1];
            }
        });
        byte[] tbsBytes = captured.toByteArray();
        TBSCertificate tbs = TBSCertificate.getInstance(tbsBytes);

        // Step 2: lint before the CA key is used, and parse it as a relying party's JDK would.
        long t1 = IssuanceTimings.cpuNow();
        lint.accept(tbs);
        long t2 = IssuanceTimings.cpuNow();
        parseBack(tbs, algId);
        if (timings != null) {
            timings.add(IssuanceTimings.Work.BUILD, t1 - t0);
            timings.add(IssuanceTimings.Work.LINT, t2 - t1);
            timings.add(IssuanceTimings.Work.PARSE_BACK, IssuanceTimings.cpuNow() - t2);
        }

        return tbsBytes;
    }

    /** Steps 3 and 4 for bytes {@link #prepare} produced (or a signing intent kept): sign, then verify. */
    public static X509Certificate signPrepared(byte[] tbsBytes, Signer signer, PublicKey issuerKey) {
        return signPrepared(tbsBytes, signer, issuerKey, SignatureCheck.forKey(issuerKey), null);
    }

    /**
     * As {@link #signPrepared(byte[], Signer, PublicKey)}, with a {@link SignatureCheck} of the issuer key kept by the
     * caller (its precomputed table serves every certificate; null: the JDK verifies) and the time of each step
     * counted in {@code timings} (may be null).
     */
    static X509Certificate signPrepared(byte[] tbsBytes, Signer signer, PublicKey issuerKey, SignatureCheck issuerCheck,
                                        IssuanceTimings timings) {
        TBSCertificate tbs = TBSCertificate.getInstance(tbsBytes);
        AlgorithmIdentifier algId = tbs.getSignature(); // the outer algorithm must equal the inner (RFC 5280 §4.1.1.2)
        // Step 3: the CA key signs the linted bytes.
        long t0 = IssuanceTimings.cpuNow();
        byte[] signature = signer.sign(tbsBytes);
        long t1 = IssuanceTimings.cpuNow();
        ASN1EncodableVector v = new ASN1EncodableVector(3);
        v.add(tbs);
        v.add(algId);
        v.add(new DERBitString(signature));
        try {
            byte[] der = new DERSequence(v).getEncoded("DER");
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            // Step 4: the signature must verify under the issuer's key, over the to-be-signed bytes of the
            // certificate as the JDK read it.
            if (issuerCheck != null && issuerCheck.handles(algId)) {
                if (!issuerCheck.verify(algId, cert.getTBSCertificate(), cert.getSignature())) {
                    throw new java.security.SignatureException("the signature does not verify");
                }
            } else {
                cert.verify(issuerKey);
            }
            return cert;
        } catch (IOException | GeneralSecurityException e) {
            // The bytes were parsed back before signing: only the signature can be at fault here.
            throw new dev.shomei.pkcs11.HsmException("the HSM produced a certificate that does not verify under the"
                    + " issuer key: " + e.getMessage(), e);
        } finally {
            if (timings != null) {
                timings.add(IssuanceTimings.Work.HSM_SIGN, t1 - t0);
                timings.add(IssuanceTimings.Work.POST_SIGNATURE_CHECK, IssuanceTimings.cpuNow() - t1);
            }
        }
    }
}
