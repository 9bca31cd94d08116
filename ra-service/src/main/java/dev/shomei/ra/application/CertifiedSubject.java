package dev.shomei.ra.application;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * The subject a subscriber certificate states: only what was verified (CP/CPS §3.1.1, §7.1.4; docs/identity.md).
 * The RA builds it and the signed issue order carries it; the CA never takes a subject from the CSR.
 * <ul>
 * <li>{@code C=JP}: the country of the register that verified the name (the Basic Resident Register, through
 * J-LIS), not the holder's residence;</li>
 * <li>{@code CN}: the holder's name exactly as the JPKI signing certificate states it (family and given name
 * separated by a full-width space), or as the deciding officer entered or confirmed it where the card flags
 * substitute characters (代替文字).</li>
 * </ul>
 * Neither the address, the date of birth nor the gender is certified. A CN holds at most 64 characters (RFC 5280
 * Appendix A, ub-common-name); a longer name is never shortened by the RA: the application goes to an officer, who
 * may approve only with a name that fits and that they checked.
 *
 * <p>Zone: online (ra-service). Pure functions; the values are personal data (never logged).
 */
public final class CertifiedSubject {

    /** RFC 5280 Appendix A: ub-common-name INTEGER ::= 64, counted in characters. */
    public static final int UB_COMMON_NAME = 64;
    public static final String COUNTRY = "JP";

    /** One RDN of the subject, as the order carries it: {@code {"type": "CN", "value": "..."}}. */
    public record Attribute(String type, String value) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private CertifiedSubject() {}

    /** {@code C=JP, CN=name}: the subject of a certificate for a person whose name was verified. */
    public static List<Attribute> ofName(String name) {
        return List.of(new Attribute("C", COUNTRY), new Attribute("CN", name));
    }

    /** Why this name cannot be certified as it is (no personal data in the text), or empty if it can. */
    public static Optional<String> nameProblem(String name) {
        if (name == null || name.isBlank()) {
            return Optional.of("the name is empty");
        }
        if (name.codePoints().anyMatch(Character::isISOControl)) {
            return Optional.of("the name contains a control character");
        }
        int length = name.codePointCount(0, name.length());
        if (length > UB_COMMON_NAME) {
            return Optional.of("the name has " + length + " characters; a certificate's commonName holds at most "
                    + UB_COMMON_NAME + " (RFC 5280 ub-common-name) and a verified name is never shortened");
        }
        return Optional.empty();
    }

    /** The subject of a certificate this CA issued, to be copied into its renewal (never the request's). */
    public static List<Attribute> of(X509Certificate certificate) {
        X500Name name = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        List<Attribute> out = new ArrayList<>();
        for (RDN rdn : name.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                String type = BCStyle.INSTANCE.oidToDisplayName(atv.getType());
                String value = atv.getValue() instanceof ASN1String s ? s.getString() : null;
                if (type == null || value == null) {
                    throw new IllegalArgumentException("the certificate's subject has an attribute "
                            + atv.getType().getId() + " that this RA does not certify");
                }
                out.add(new Attribute(type.toUpperCase(java.util.Locale.ROOT), value));
            }
        }
        return List.copyOf(out);
    }

    /** The 1-based positions of the characters a JPKI flag string marks as substitutes ('1'). */
    public static List<Integer> substitutePositions(String flags) {
        List<Integer> out = new ArrayList<>();
        if (flags != null) {
            for (int i = 0; i < flags.length(); i++) {
                if (flags.charAt(i) != '0') {
                    out.add(i + 1);
                }
            }
        }
        return out;
    }

    public static String toJson(List<Attribute> subject) {
        try {
            return JSON.writeValueAsString(subject);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<Attribute> fromJson(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<Attribute>>() { });
        } catch (IOException e) {
            throw new IllegalStateException("a stored certified subject cannot be read", e);
        }
    }
}
