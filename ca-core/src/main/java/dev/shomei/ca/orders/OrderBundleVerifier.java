package dev.shomei.ca.orders;

import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * Checks an order bundle's CMS signature against the RA order-signing certificates the CA trusts
 * (configured, compared byte for byte), before any order is read.
 *
 * <p>Zone: secure. Pure: touches nothing.
 */
public final class OrderBundleVerifier {

    /** A bundle whose signature and signer were accepted. */
    public record Verified(OrderBundle bundle, X509Certificate signer, String signerSha256, String contentSha256) {}

    private final List<X509Certificate> trustedSigners;

    public OrderBundleVerifier(List<X509Certificate> trustedSigners) {
        if (trustedSigners.isEmpty()) {
            throw new IllegalArgumentException("no RA order-signing certificate is configured (orders.trustedRaCertificates)");
        }
        this.trustedSigners = List.copyOf(trustedSigners);
    }

    public Verified verify(byte[] cms, Instant now) {
        CMSSignedData signed;
        try {
            signed = new CMSSignedData(cms);
        } catch (CMSException | RuntimeException e) {
            throw new OrderBundleException("not an order bundle (a DER CMS SignedData is expected): " + e.getMessage());
        }
        if (signed.getSignedContent() == null) {
            throw new OrderBundleException("the order bundle carries no content (a detached signature is not accepted)");
        }
        // Bouncy Castle decodes signerInfos and certificates lazily: a malformed one fails here, not in the constructor.
        Collection<SignerInformation> signers;
        try {
            signers = signed.getSignerInfos().getSigners();
        } catch (RuntimeException e) {
            throw new OrderBundleException("the order bundle's signerInfos field is malformed: " + e.getMessage());
        }
        if (signers.size() != 1) {
            throw new OrderBundleException("an order bundle must have exactly one signer, it has " + signers.size());
        }
        SignerInformation si = signers.iterator().next();
        Collection<X509CertificateHolder> matches;
        try {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> m = signed.getCertificates().getMatches(si.getSID());
            matches = m;
        } catch (RuntimeException e) {
            throw new OrderBundleException("the order bundle's certificates field is malformed: " + e.getMessage());
        }
        if (matches.isEmpty()) {
            throw new OrderBundleException("the order bundle does not include its signer's certificate");
        }
        X509Certificate signer;
        try {
            signer = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
        } catch (java.security.cert.CertificateException e) {
            throw new OrderBundleException("the signer certificate cannot be read: " + e.getMessage());
        }
        if (trustedSigners.stream().noneMatch(signer::equals)) {
            throw new OrderBundleException("the order bundle is signed by " + signer.getSubjectX500Principal().getName()
                    + " (SHA-256 " + fingerprint(signer) + "), which is not a configured RA order-signing certificate");
        }
        if (now.isBefore(signer.getNotBefore().toInstant()) || now.isAfter(signer.getNotAfter().toInstant())) {
            throw new OrderBundleException("the RA order-signing certificate is not valid now (valid "
                    + signer.getNotBefore().toInstant() + " to " + signer.getNotAfter().toInstant() + ")");
        }
        try {
            if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer))) {
                throw new OrderBundleException("the order bundle's signature does not verify: it was altered after signing");
            }
        } catch (OrderBundleException e) {
            throw e;
        } catch (CMSException | org.bouncycastle.operator.OperatorCreationException | RuntimeException e) {
            throw new OrderBundleException("the order bundle's signature does not verify (" + e.getMessage()
                    + "): it was altered after signing or is malformed");
        }
        byte[] content = (byte[]) signed.getSignedContent().getContent();
        OrderBundle bundle = OrderBundle.parse(content);
        return new Verified(bundle, signer, fingerprint(signer), hex(sha256(content)));
    }

    static String fingerprint(X509Certificate c) {
        try {
            return hex(sha256(c.getEncoded()));
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

}
