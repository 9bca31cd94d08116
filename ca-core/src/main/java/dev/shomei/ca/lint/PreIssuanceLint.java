package dev.shomei.ca.lint;

import dev.shomei.pkcs11.KeyAlgorithm;
import java.io.IOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;

/**
 * Checks a to-be-signed certificate before the CA key signs it: RFC 5280 structure, serial number,
 * validity inside the issuer's, key usage and extended key usage consistent with the profile and with
 * each other, allowed key types and sizes, and the identifiers that chain it to its issuer.
 * Every finding is collected so that the operator sees all of them at once.
 *
 * <p>Zone: secure. Pure function of its inputs; touches nothing.
 */
public final class PreIssuanceLint {

    /** What the profile (or the ceremony, for CA certificates) requires of the certificate. */
    public record Expectation(boolean ca, int keyUsageBits, Set<KeyPurposeId> extendedKeyUsage,
                              Set<KeyAlgorithm> allowedKeys, boolean ocspNoCheck) {}

    /** RFC 5280 §4.1.2.2: at most 20 octets; CA/B practice and our CP: at least 64 bits of CSPRNG output. */
    static final int MIN_SERIAL_BITS = 64;

    private static final int CA_ONLY_USAGES = KeyUsage.keyCertSign | KeyUsage.cRLSign;

    private PreIssuanceLint() {}

    /**
     * @param issuer the issuing CA's certificate, or {@code null} for a self-signed root (then
     *               {@code issuerKey} is the root's own public key)
     */
    public static void check(TBSCertificate tbs, X509Certificate issuer, Expectation expected) {
        List<String> f = new ArrayList<>();

        // RFC 5280 §4.1.2.1: extensions require v3.
        if (tbs.getVersionNumber() != 3) {
            f.add("version must be v3, is v" + tbs.getVersionNumber());
        }

        BigInteger serial = tbs.getSerialNumber().getValue();
        if (serial.signum() <= 0) {
            f.add("serial number must be positive (RFC 5280 §4.1.2.2)");
        }
        if (serial.toByteArray().length > 20) {
            f.add("serial number is longer than 20 octets (RFC 5280 §4.1.2.2)");
        }
        if (serial.bitLength() < MIN_SERIAL_BITS) {
            f.add("serial number has " + serial.bitLength() + " bits; at least " + MIN_SERIAL_BITS + " random bits are required");
        }

        Date notBefore = tbs.getStartDate().getDate();
        Date notAfter = tbs.getEndDate().getDate();
        if (!notBefore.before(notAfter)) {
            f.add("notBefore " + notBefore.toInstant() + " is not before notAfter " + notAfter.toInstant());
        }
        checkTimeEncoding(tbs.getStartDate(), "notBefore", f);
        checkTimeEncoding(tbs.getEndDate(), "notAfter", f);
        if (issuer != null) {
            if (notBefore.before(issuer.getNotBefore())) {
                f.add("notBefore " + notBefore.toInstant() + " is before the issuer's notBefore "
                        + issuer.getNotBefore().toInstant());
            }
            if (notAfter.after(issuer.getNotAfter())) {
                f.add("notAfter " + notAfter.toInstant() + " is after the issuer's notAfter "
                        + issuer.getNotAfter().toInstant() + " (a certificate must not outlive its issuer)");
            }
            if (!Arrays.equals(encoded(tbs.getIssuer()), issuer.getSubjectX500Principal().getEncoded())) {
                f.add("issuer name does not match the issuing CA's subject byte for byte (RFC 5280 §4.1.2.4)");
            }
        } else if (!Arrays.equals(encoded(tbs.getIssuer()), encoded(tbs.getSubject()))) {
            f.add("a self-signed root must have issuer = subject");
        }
        if (tbs.getSubject().getRDNs().length == 0) {
            f.add("subject is empty");
        }

        PublicKey key = null;
        try {
            key = subjectKey(tbs.getSubjectPublicKeyInfo());
            KeyAlgorithm ka = KeyAlgorithm.of(key);
            if (!expected.allowedKeys().contains(ka)) {
                f.add("subject key " + ka.label() + " is not allowed by the profile (allowed: "
                        + expected.allowedKeys().stream().map(KeyAlgorithm::label).sorted().toList() + ")");
            }
            for (String problem : KeyQuality.problems(key)) {
                f.add("subject key: " + problem);
            }
        } catch (IllegalArgumentException e) {
            f.add("subject key refused: " + e.getMessage());
        } catch (IOException e) {
            f.add("subject public key cannot be parsed: " + e.getMessage());
        }

        Extensions ext = tbs.getExtensions();
        if (ext == null) {
            f.add("no extensions: keyUsage, subjectKeyIdentifier and basicConstraints are required");
            throw new LintException(f);
        }
        checkBasicConstraints(ext, expected, f);
        checkKeyUsage(ext, expected, f);
        checkExtendedKeyUsage(ext, expected, f);
        checkKeyIdentifiers(ext, issuer, f);
        checkUris(ext, f);
        boolean hasNoCheck = ext.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck) != null;
        if (hasNoCheck != expected.ocspNoCheck()) {
            f.add(expected.ocspNoCheck() ? "id-pkix-ocsp-nocheck is required by the profile (RFC 6960 §4.2.2.2.1)"
                    : "id-pkix-ocsp-nocheck is only for OCSP responder certificates");
        }
        if (!f.isEmpty()) {
            throw new LintException(f);
        }
    }

    private static void checkTimeEncoding(Time t, String name, List<String> f) {
        // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
        boolean utc = t.toASN1Primitive() instanceof org.bouncycastle.asn1.ASN1UTCTime;
        int year = t.getDate().toInstant().atZone(java.time.ZoneOffset.UTC).getYear();
        if (year < 2050 && !utc || year >= 2050 && utc) {
            f.add(name + " in " + year + " must be encoded as " + (year < 2050 ? "UTCTime" : "GeneralizedTime"));
        }
    }

    private static void checkBasicConstraints(Extensions ext, Expectation e, List<String> f) {
        Extension bcExt = ext.getExtension(Extension.basicConstraints);
        BasicConstraints bc = bcExt == null ? null : BasicConstraints.getInstance(bcExt.getParsedValue());
        if (e.ca()) {
            if (bc == null || !bc.isCA()) {
                f.add("a CA certificate needs basicConstraints cA=TRUE (RFC 5280 §4.2.1.9)");
            } else if (!bcExt.isCritical()) {
                f.add("basicConstraints must be critical in a CA certificate (RFC 5280 §4.2.1.9)");
            }
        } else if (bc != null && bc.isCA()) {
            f.add("an end-entity profile must not issue a certificate with cA=TRUE");
        }
    }

    private static void checkKeyUsage(Extensions ext, Expectation e, List<String> f) {
        Extension kuExt = ext.getExtension(Extension.keyUsage);
        if (kuExt == null) {
            f.add("keyUsage is missing (required by the profile)");
            return;
        }
        if (!kuExt.isCritical()) {
            f.add("keyUsage should be critical (RFC 5280 §4.2.1.3)");
        }
        int bits = KeyUsage.getInstance(kuExt.getParsedValue()).getBytes().length == 0 ? 0
                : keyUsageBits(KeyUsage.getInstance(kuExt.getParsedValue()));
        if (bits != e.keyUsageBits()) {
            f.add("keyUsage " + Integer.toBinaryString(bits) + " differs from the profile's "
                    + Integer.toBinaryString(e.keyUsageBits()));
        }
        if (!e.ca() && (bits & CA_ONLY_USAGES) != 0) {
            f.add("keyCertSign/cRLSign are only for CA certificates (RFC 5280 §4.2.1.3)");
        }
        if (e.ca() && (bits & KeyUsage.keyCertSign) == 0) {
            f.add("a CA certificate must assert keyCertSign");
        }
    }

    private static int keyUsageBits(KeyUsage ku) {
        int bits = 0;
        for (int b : new int[] {KeyUsage.digitalSignature, KeyUsage.nonRepudiation, KeyUsage.keyEncipherment,
                KeyUsage.dataEncipherment, KeyUsage.keyAgreement, KeyUsage.keyCertSign, KeyUsage.cRLSign,
                KeyUsage.encipherOnly, KeyUsage.decipherOnly}) {
            if (ku.hasUsages(b)) {
                bits |= b;
            }
        }
        return bits;
    }

    private static void checkExtendedKeyUsage(Extensions ext, Expectation e, List<String> f) {
        Extension ekuExt = ext.getExtension(Extension.extendedKeyUsage);
        Set<KeyPurposeId> present = ekuExt == null ? Set.of()
                : Set.of(ExtendedKeyUsage.getInstance(ekuExt.getParsedValue()).getUsages());
        if (!present.equals(e.extendedKeyUsage())) {
            f.add("extendedKeyUsage " + present + " differs from the profile's " + e.extendedKeyUsage());
        }
        if (present.contains(KeyPurposeId.anyExtendedKeyUsage)) {
            f.add("anyExtendedKeyUsage is never issued");
        }
        if (present.contains(KeyPurposeId.id_kp_OCSPSigning)) {
            Extension ku = ext.getExtension(Extension.keyUsage);
            if (ku == null || !KeyUsage.getInstance(ku.getParsedValue()).hasUsages(KeyUsage.digitalSignature)) {
                f.add("an OCSP signing certificate needs keyUsage digitalSignature (RFC 6960 §4.2.2.2)");
            }
        }
    }

    private static void checkKeyIdentifiers(Extensions ext, X509Certificate issuer, List<String> f) {
        if (ext.getExtension(Extension.subjectKeyIdentifier) == null) {
            f.add("subjectKeyIdentifier is missing (RFC 5280 §4.2.1.2)");
        }
        if (issuer == null) {
            return;
        }
        Extension akiExt = ext.getExtension(Extension.authorityKeyIdentifier);
        if (akiExt == null) {
            f.add("authorityKeyIdentifier is missing (RFC 5280 §4.2.1.1)");
            return;
        }
        byte[] aki = AuthorityKeyIdentifier.getInstance(akiExt.getParsedValue()).getKeyIdentifier();
        byte[] issuerSki = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (issuerSki != null) {
            byte[] ski = SubjectKeyIdentifier.getInstance(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(issuerSki).getOctets()).getKeyIdentifier();
            if (!Arrays.equals(ski, aki)) {
                f.add("authorityKeyIdentifier does not equal the issuer's subjectKeyIdentifier");
            }
        }
    }

    private static void checkUris(Extensions ext, List<String> f) {
        Extension cdp = ext.getExtension(Extension.cRLDistributionPoints);
        if (cdp != null) {
            for (DistributionPoint dp : CRLDistPoint.getInstance(cdp.getParsedValue()).getDistributionPoints()) {
                DistributionPointName n = dp.getDistributionPoint();
                if (n != null && n.getType() == DistributionPointName.FULL_NAME) {
                    for (GeneralName g : GeneralNames.getInstance(n.getName()).getNames()) {
                        checkUri(g, "cRLDistributionPoints", f);
                    }
                }
            }
        }
        Extension aia = ext.getExtension(Extension.authorityInfoAccess);
        if (aia != null) {
            for (AccessDescription ad : AuthorityInformationAccess.getInstance(aia.getParsedValue()).getAccessDescriptions()) {
                checkUri(ad.getAccessLocation(), "authorityInfoAccess", f);
            }
        }
    }

    private static void checkUri(GeneralName g, String where, List<String> f) {
        if (g.getTagNo() != GeneralName.uniformResourceIdentifier) {
            return;
        }
        String uri = g.getName().toString();
        if (!uri.startsWith("http://") && !uri.startsWith("https://")) {
            f.add(where + " URI '" + uri + "' must be http:// or https://");
        }
    }

    private static byte[] encoded(org.bouncycastle.asn1.x500.X500Name name) {
        try {
            return name.getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For callers that build expectations from OIDs in configuration. */
    public static KeyPurposeId purpose(ASN1ObjectIdentifier oid) {
        return KeyPurposeId.getInstance(oid);
    }

    /**
     * The subject key through the JDK's key factory of its family. (Bouncy Castle's PEM converter first asks every
     * installed provider for an "ECDSA" key factory, which none of the JDK's has: a provider scan and a thrown
     * exception per certificate.) A family other than EC or RSA is refused here, as {@link KeyAlgorithm#of} would.
     */
    private static PublicKey subjectKey(SubjectPublicKeyInfo spki) throws IOException {
        String oid = spki.getAlgorithm().getAlgorithm().getId();
        String family = switch (oid) {
            case "1.2.840.10045.2.1" -> "EC"; // id-ecPublicKey (RFC 5480)
            case "1.2.840.113549.1.1.1" -> "RSA"; // rsaEncryption (RFC 8017)
            default -> throw new IllegalArgumentException("key algorithm " + oid + " is not allowed (RSA or EC only)");
        };
        try {
            return java.security.KeyFactory.getInstance(family)
                    .generatePublic(new java.security.spec.X509EncodedKeySpec(spki.getEncoded(ASN1Encoding.DER)));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(family + " key: " + e.getMessage(), e);
        }
    }
}
