package dev.shomei.applicant.card;

import java.security.cert.X509Certificate;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/**
 * What the applicant's tool needs to know about a certificate on the My Number card: is it the signing certificate
 * (署名用電子証明書), and whose identity does it state. Facts from the JPKI profile: the user-authentication CA's
 * DN has OU "JPKI for user authentication"; a signing certificate has keyUsage digitalSignature + nonRepudiation;
 * the holder's identity is in subjectAltName otherNames 1.2.392.200149.8.5.5.1-6, each {@code [0] EXPLICIT
 * UTF8String}.
 *
 * <p>Zone: the applicant's PC. Pure parsing. The identity is personal data: shown to the applicant, never logged.
 */
public final class JpkiCertificate {

    public static final String AUTHENTICATION_CA_OU = "JPKI for user authentication";
    static final String NAME = "1.2.392.200149.8.5.5.1";
    static final String NAME_SUBSTITUTES = "1.2.392.200149.8.5.5.2";
    static final String GENDER = "1.2.392.200149.8.5.5.3";
    static final String BIRTH_DATE = "1.2.392.200149.8.5.5.4";
    static final String ADDRESS = "1.2.392.200149.8.5.5.5";
    static final String ADDRESS_SUBSTITUTES = "1.2.392.200149.8.5.5.6";

    /** First day of each era, by the JPKI era digit (1 Meiji .. 5 Reiwa; 0 is "unknown"). */
    private static final LocalDate[] ERA_START = {
        null, LocalDate.of(1868, 1, 25), LocalDate.of(1912, 7, 30), LocalDate.of(1926, 12, 25),
        LocalDate.of(1989, 1, 8), LocalDate.of(2019, 5, 1)};

    private JpkiCertificate() {}

    /**
     * The identity the card states, in the words of the RA's application format ({@code shomei-ra-application/1}).
     *
     * @param birthDate null if the card's value cannot be read as a date of its era
     * @param gender male, female or not-known
     * @param substitutes true when the card marks a character of the name or address as a substitute (代替文字):
     *                    the RA then refers the application to an officer
     */
    public record Identity(String name, LocalDate birthDate, String gender, String address, boolean substitutes) {
        @Override
        public String toString() {
            return "Identity[redacted]";
        }
    }

    /** True for a certificate of the user-authentication CA (利用者証明用電子証明書), which must never sign an application. */
    public static boolean isAuthentication(X509Certificate cert) {
        return organisationalUnits(cert).contains(AUTHENTICATION_CA_OU);
    }

    /** A signing certificate: keyUsage digitalSignature and nonRepudiation, and not from the authentication CA. */
    public static boolean isSigning(X509Certificate cert) {
        boolean[] ku = cert.getKeyUsage();
        return ku != null && ku.length > 1 && ku[0] && ku[1] && !isAuthentication(cert);
    }

    public static Identity identity(X509Certificate cert) {
        Map<String, String> values = new HashMap<>();
        try {
            Extension san = new JcaX509CertificateHolder(cert).getExtension(Extension.subjectAlternativeName);
            if (san != null) {
                for (GeneralName gn : GeneralNames.getInstance(san.getParsedValue()).getNames()) {
                    if (gn.getTagNo() == GeneralName.otherName) {
                        ASN1Sequence other = ASN1Sequence.getInstance(gn.getName());
                        String oid = ASN1ObjectIdentifier.getInstance(other.getObjectAt(0)).getId();
                        ASN1Encodable v = ASN1TaggedObject.getInstance(other.getObjectAt(1)).getExplicitBaseObject();
                        if (v instanceof ASN1String s) {
                            values.put(oid, s.getString());
                        }
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalArgumentException("the card's signing certificate has a subjectAltName that cannot be"
                    + " read (" + e.getClass().getSimpleName() + ")");
        }
        for (String oid : new String[] {NAME, GENDER, BIRTH_DATE, ADDRESS}) {
            if (!values.containsKey(oid)) {
                throw new IllegalArgumentException("the card's signing certificate lacks otherName " + oid
                        + "; it is not a JPKI signing certificate, or the card is damaged");
            }
        }
        String gender = switch (values.get(GENDER)) {
            case "1" -> "male";
            case "2" -> "female";
            default -> "not-known";
        };
        // Null when the value is not a date of its era: the applicant then states it (--claim-birth-date).
        LocalDate birth = birthDate(values.get(BIRTH_DATE)).orElse(null);
        boolean substitutes = flagged(values.get(NAME_SUBSTITUTES)) || flagged(values.get(ADDRESS_SUBSTITUTES));
        return new Identity(values.get(NAME), birth, gender, values.get(ADDRESS), substitutes);
    }

    /**
     * The JPKI date of birth {@code EYYYYMMDD}: an era digit, then the date. Public documentation describes the
     * year as Gregorian (319800217 = 1980-02-17, Shōwa 55); some encoders write the year of the era (300550217).
     * The two cannot be confused (a Gregorian year is at least 1868, a year of an era at most 64), so both are
     * read; a date outside its stated era is refused.
     */
    public static Optional<LocalDate> birthDate(String eyyyymmdd) {
        if (eyyyymmdd == null || !eyyyymmdd.matches("[0-9]{9}")) {
            return Optional.empty();
        }
        int era = eyyyymmdd.charAt(0) - '0';
        int year = Integer.parseInt(eyyyymmdd.substring(1, 5));
        int month = Integer.parseInt(eyyyymmdd.substring(5, 7));
        int day = Integer.parseInt(eyyyymmdd.substring(7, 9));
        try {
            if (year >= 1868) {
                LocalDate d = LocalDate.of(year, month, day);
                return era == 0 || inEra(d, era) ? Optional.of(d) : Optional.empty();
            }
            if (era < 1 || era >= ERA_START.length || year < 1) {
                return Optional.empty();
            }
            LocalDate d = LocalDate.of(ERA_START[era].getYear() + year - 1, month, day);
            return inEra(d, era) ? Optional.of(d) : Optional.empty();
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    private static boolean inEra(LocalDate d, int era) {
        return era >= 1 && era < ERA_START.length && !d.isBefore(ERA_START[era])
                && (era + 1 >= ERA_START.length || d.isBefore(ERA_START[era + 1]));
    }

    private static boolean flagged(String flags) {
        return flags != null && flags.chars().anyMatch(c -> c != '0');
    }

    private static java.util.List<String> organisationalUnits(X509Certificate cert) {
        java.util.List<String> ous = new java.util.ArrayList<>();
        for (X500Name dn : new X500Name[] {
            X500Name.getInstance(cert.getIssuerX500Principal().getEncoded()),
            X500Name.getInstance(cert.getSubjectX500Principal().getEncoded())}) {
            for (RDN rdn : dn.getRDNs(BCStyle.OU)) {
                ous.add(IETFUtils.valueToString(rdn.getFirst().getValue()));
            }
        }
        return ous;
    }
}
