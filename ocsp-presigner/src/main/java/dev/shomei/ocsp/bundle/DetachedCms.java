package dev.shomei.ocsp.bundle;

import dev.shomei.pkcs11.Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.IssuerSerial;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.CMSTypedData;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A detached CMS SignedData (RFC 5652 §5) made in the HSM through {@link SignerContentSigner}: for
 * {@code manifest.p7s} and for the CAdES signature inside a PAdES PDF.
 *
 * <p>Zone: secure. Signs only through the given {@link Signer}. The signed attributes are content-type,
 * message-digest, CMS algorithm protection (RFC 6211) and ESS signing-certificate-v2 (RFC 5035), which
 * binds the signer certificate to the signature as CAdES (ETSI EN 319 122-1 §5.2.2) requires.
 */
public final class DetachedCms {

    private DetachedCms() {}

    /**
     * @param withSigningTime false for PAdES: ETSI EN 319 142-1 §5.1 forbids the signing-time attribute
     *                        there (the time is the signature dictionary's M entry)
     */
    public static byte[] sign(Signer signer, List<X509Certificate> certificates, CMSTypedData content,
                              boolean withSigningTime) {
        try {
            X509Certificate cert = signer.certificate();
            Attribute signingCertificate = new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
                    new DERSet(signingCertificateV2(cert)));
            DefaultSignedAttributeTableGenerator defaults = new DefaultSignedAttributeTableGenerator(
                    new AttributeTable(signingCertificate));
            CMSAttributeTableGenerator attributes = parameters -> {
                AttributeTable t = defaults.getAttributes(parameters);
                return withSigningTime ? t : t.remove(CMSAttributes.signingTime);
            };
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .setSignedAttributeGenerator(attributes)
                    .build(new SignerContentSigner(signer), cert));
            gen.addCertificates(new JcaCertStore(certificates));
            return gen.generate(content, false).getEncoded(ASN1Encoding.DER);
        } catch (CMSException | OperatorCreationException | CertificateEncodingException | IOException e) {
            throw new IllegalStateException("cannot make the CMS signature with " + signer.keyUri() + ": "
                    + e.getMessage(), e);
        }
    }

    /** ESSCertIDv2 with SHA-256 (the default algorithm, so omitted) and the issuer/serial of the certificate. */
    static SigningCertificateV2 signingCertificateV2(X509Certificate cert) throws CertificateEncodingException {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        JcaX509CertificateHolder h = new JcaX509CertificateHolder(cert);
        IssuerSerial issuerSerial = new IssuerSerial(new GeneralNames(new GeneralName(X500Name.getInstance(
                h.getIssuer()))), h.getSerialNumber());
        return new SigningCertificateV2(new ESSCertIDv2[] {new ESSCertIDv2(hash, issuerSerial)});
    }
}
