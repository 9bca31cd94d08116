package dev.shomei.ca.profile;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * The subject of a certificate issued from an RA order: the identity the RA verified, as the signed order states it
 * (ARCHITECTURE.md, Identity). The CSR's subject is never used for such a certificate; the CSR contributes only the
 * public key and its proof of possession.
 *
 * <p>Encoding (RFC 5280 §4.1.2.4 and Appendix A): countryName and serialNumber are PrintableString (their ASN.1 type
 * allows nothing else); every other attribute is UTF8String. Values are checked against the upper bounds of RFC 5280
 * Appendix A, counted in characters (Unicode code points): a value that does not fit is refused, never truncated,
 * because a shortened name is not the name that was verified.
 *
 * <p>Zone: secure. Pure.
 */
public final class CertifiedSubject {

    /** One attribute of the subject, one RDN each, in the order given (most significant first, e.g. C then CN). */
    public record Attribute(String type, String value) {}

    private record Rule(ASN1ObjectIdentifier oid, int upperBound, boolean printable) {}

    /** RFC 5280 Appendix A upper bounds: ub-common-name 64, ub-organization-name 64, ub-organizational-unit-name 64,
     *  ub-locality-name 128, ub-state-name 128, ub-serial-number 64; country is exactly two letters (ISO 3166). */
    private static final Map<String, Rule> RULES = Map.of(
            "CN", new Rule(BCStyle.CN, 64, false),
            "O", new Rule(BCStyle.O, 64, false),
            "OU", new Rule(BCStyle.OU, 64, false),
            "L", new Rule(BCStyle.L, 128, false),
            "ST", new Rule(BCStyle.ST, 128, false),
            "C", new Rule(BCStyle.C, 2, true),
            "SERIALNUMBER", new Rule(BCStyle.SERIALNUMBER, 64, true));

    private CertifiedSubject() {}

    /**
     * Builds the subject, refusing (IllegalArgumentException naming the attribute) an empty subject, an attribute the
     * profile does not certify, an empty or over-long value, or a value its string type cannot carry.
     */
    public static X500Name build(List<Attribute> attributes, CertificateProfile profile) {
        if (attributes == null || attributes.isEmpty()) {
            throw new IllegalArgumentException("the order's subject is empty; the RA must state the verified identity");
        }
        List<String> certified = profile.subjectAttributes().stream().map(s -> s.toUpperCase(Locale.ROOT)).toList();
        RDN[] rdns = new RDN[attributes.size()];
        for (int i = 0; i < attributes.size(); i++) {
            Attribute a = attributes.get(i);
            String type = a.type() == null ? "" : a.type().toUpperCase(Locale.ROOT);
            Rule rule = RULES.get(type);
            if (rule == null || !certified.contains(type)) {
                throw new IllegalArgumentException("subject attribute '" + a.type() + "' is not certified by the"
                        + " profile (it certifies " + profile.subjectAttributes() + ")");
            }
            String v = a.value();
            if (v == null || v.isBlank()) {
                throw new IllegalArgumentException("subject attribute " + type + " is empty");
            }
            if (v.codePoints().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException("subject attribute " + type + " contains a control character");
            }
            int length = v.codePointCount(0, v.length());
            if (length > rule.upperBound()) {
                throw new IllegalArgumentException("subject attribute " + type + " has " + length + " characters; RFC"
                        + " 5280 Appendix A allows at most " + rule.upperBound() + ", and a certified value is never"
                        + " shortened");
            }
            if (type.equals("C") && !v.matches("[A-Z]{2}")) {
                throw new IllegalArgumentException("subject attribute C must be a two-letter ISO 3166 code");
            }
            ASN1Encodable value;
            if (rule.printable()) {
                if (!DERPrintableString.isPrintableString(v)) {
                    throw new IllegalArgumentException("subject attribute " + type + " must be a PrintableString");
                }
                value = new DERPrintableString(v);
            } else {
                value = new DERUTF8String(v);
            }
            rdns[i] = new RDN(new AttributeTypeAndValue(rule.oid(), value));
        }
        return new X500Name(rdns);
    }
}
