package dev.shomei.ra.jpki;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/**
 * The holder's identity as the JPKI signing certificate states it: the subjectAltName otherName values
 * 1.2.392.200149.8.5.5.1-6, each {@code [0] EXPLICIT UTF8String} (JPKI.md).
 *
 * <p>Zone: online (ra-service). Pure parsing. This is personal data: it goes to the database and the books,
 * never to logs ({@link #toString()} is redacted for that reason).
 *
 * @param birthDate EYYYYMMDD, era-encoded (see {@link EraDate})
 * @param gender "1" male, "2" female, "3" not known
 */
public record JpkiIdentity(String name, String nameSubstitutes, String gender, String birthDate, String address,
                           String addressSubstitutes) {

    /** Reads the identity; fails naming the missing OID if the certificate lacks one of the required values. */
    public static JpkiIdentity from(X509Certificate certificate) throws CertificateParsingException {
        Map<String, String> values = new HashMap<>();
        try {
            Extension san = new JcaX509CertificateHolder(certificate).getExtension(Extension.subjectAlternativeName);
            if (san == null) {
                throw new CertificateParsingException("the JPKI certificate has no subjectAltName; a JPKI signing"
                        + " certificate carries the holder's identity there");
            }
            for (GeneralName gn : GeneralNames.getInstance(san.getParsedValue()).getNames()) {
                if (gn.getTagNo() != GeneralName.otherName) {
                    continue;
                }
                // OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY } (RFC 5280 4.2.1.6)
                ASN1Sequence other = ASN1Sequence.getInstance(gn.getName());
                String oid = ASN1ObjectIdentifier.getInstance(other.getObjectAt(0)).getId();
                ASN1Encodable value = ASN1TaggedObject.getInstance(other.getObjectAt(1)).getExplicitBaseObject();
                if (value instanceof ASN1String s) {
                    values.put(oid, s.getString());
                }
            }
        } catch (CertificateParsingException e) {
            throw e;
        } catch (Exception e) {
            throw new CertificateParsingException("the JPKI certificate's subjectAltName cannot be parsed: "
                    + e.getClass().getSimpleName());
        }
        for (String required : new String[] {JpkiOids.NAME, JpkiOids.GENDER, JpkiOids.BIRTH_DATE, JpkiOids.ADDRESS}) {
            if (!values.containsKey(required)) {
                throw new CertificateParsingException("the JPKI certificate's subjectAltName lacks otherName "
                        + required + "; a JPKI signing certificate has 1.2.392.200149.8.5.5.1 to .6");
            }
        }
        return new JpkiIdentity(values.get(JpkiOids.NAME), values.getOrDefault(JpkiOids.NAME_SUBSTITUTES, ""),
                values.get(JpkiOids.GENDER), values.get(JpkiOids.BIRTH_DATE), values.get(JpkiOids.ADDRESS),
                values.getOrDefault(JpkiOids.ADDRESS_SUBSTITUTES, ""));
    }

    /** True if any character of the name is flagged as a substitute (代替文字): a mismatch may be benign. */
    public boolean nameHasSubstitutes() {
        return nameSubstitutes != null && nameSubstitutes.chars().anyMatch(c -> c != '0');
    }

    public boolean addressHasSubstitutes() {
        return addressSubstitutes != null && addressSubstitutes.chars().anyMatch(c -> c != '0');
    }

    @Override
    public String toString() {
        return "JpkiIdentity[redacted]";
    }
}
