package dev.shomei.ra.testkit;

import java.time.Instant;
import java.util.Date;
import java.util.Hashtable;
import java.util.List;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSAttributeTableGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInfoGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * CMS SignedData that a careless or hostile client might send: a chosen or missing signingTime, an unsigned
 * attribute added after signing (same signature, other bytes), detached content, two signers, SHA-1, no signed
 * attributes. Each is otherwise signed exactly as {@link ApplicantClient#sign} does.
 *
 * <p>Zone: tests only.
 */
public final class HostileCms {

    private HostileCms() {}

    /** Signed with the given signingTime signed attribute. */
    public static byte[] signedAt(SimulatedCard card, byte[] content, Instant signingTime) {
        Hashtable<org.bouncycastle.asn1.ASN1ObjectIdentifier, Attribute> attrs = new Hashtable<>();
        attrs.put(CMSAttributes.signingTime, new Attribute(CMSAttributes.signingTime,
                new DERSet(new Time(Date.from(signingTime)))));
        return sign(List.of(card), content, "SHA256withRSA", true,
                new DefaultSignedAttributeTableGenerator(new AttributeTable(attrs)));
    }

    /** Signed attributes contentType and messageDigest only: no signingTime. */
    public static byte[] withoutSigningTime(SimulatedCard card, byte[] content) {
        CMSAttributeTableGenerator inner = new DefaultSignedAttributeTableGenerator();
        return sign(List.of(card), content, "SHA256withRSA", true,
                params -> inner.getAttributes(params).remove(CMSAttributes.signingTime));
    }

    public static byte[] detached(SimulatedCard card, byte[] content) {
        return sign(List.of(card), content, "SHA256withRSA", false, null);
    }

    public static byte[] twoSigners(SimulatedCard first, SimulatedCard second, byte[] content) {
        return sign(List.of(first, second), content, "SHA256withRSA", true, null);
    }

    public static byte[] sha1(SimulatedCard card, byte[] content) {
        return sign(List.of(card), content, "SHA1withRSA", true, null);
    }

    /** Signed over the content directly (RFC 5652 5.4 without signed attributes). */
    public static byte[] withoutSignedAttributes(SimulatedCard card, byte[] content) {
        try {
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(card.key());
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .setDirectSignature(true).build(signer, card.certificate()));
            gen.addCertificates(new JcaCertStore(List.of(card.certificate())));
            return gen.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same SignedData with an unsigned attribute added to its signer: the signature is unchanged. */
    public static byte[] withUnsignedAttribute(byte[] cms) {
        try {
            CMSSignedData signed = new CMSSignedData(cms);
            SignerInformation s = signed.getSignerInfos().getSigners().iterator().next();
            ASN1EncodableVector v = new ASN1EncodableVector();
            v.add(new Attribute(new org.bouncycastle.asn1.ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                    new DERSet(new DERUTF8String("added after signing"))));
            SignerInformation changed = SignerInformation.replaceUnsignedAttributes(s, new AttributeTable(v));
            return CMSSignedData.replaceSigners(signed, new SignerInformationStore(changed)).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sign(List<SimulatedCard> cards, byte[] content, String algorithm, boolean encapsulate,
                               CMSAttributeTableGenerator signedAttributes) {
        try {
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            for (SimulatedCard card : cards) {
                JcaContentSignerBuilder builder = new JcaContentSignerBuilder(algorithm);
                if (card.provider() != null) {
                    builder.setProvider(card.provider());
                }
                JcaSignerInfoGeneratorBuilder info = new JcaSignerInfoGeneratorBuilder(
                        new JcaDigestCalculatorProviderBuilder().build());
                if (signedAttributes != null) {
                    info.setSignedAttributeGenerator(signedAttributes);
                }
                SignerInfoGenerator g = info.build(builder.build(card.key()), card.certificate());
                gen.addSignerInfoGenerator(g);
            }
            gen.addCertificates(new JcaCertStore(cards.stream().map(SimulatedCard::certificate).toList()));
            return gen.generate(new CMSProcessableByteArray(content), encapsulate).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
