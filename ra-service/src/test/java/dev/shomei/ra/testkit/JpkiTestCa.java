package dev.shomei.ra.testkit;

import dev.shomei.ra.jpki.JpkiOids;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * A simulated J-LIS hierarchy with the real shape (JPKI.md): two generations of the signing CA with one DN
 * (C=JP PrintableString, O=JPKI-TEST, OU=JPKI for digital signature, OU=Japan Agency for Local Authority
 * Information Systems; committed under src/test/resources/jpki-test and pinned by the %test profile), a
 * user-authentication CA, and a look-alike CA with the signing CA's DN but another key. It issues end-entity
 * certificates with the JPKI signing profile: keyUsage digitalSignature+nonRepudiation (critical), the test
 * policy 1.2.392.200149.8.5.1.0.20, the holder's identity as subjectAltName otherNames 1.2.392.200149.8.5.5.1-6
 * ({@code [0] EXPLICIT UTF8String}), a CRL distribution point as a directory name and no AIA.
 *
 * <p>Zone: tests only.
 */
public final class JpkiTestCa {

    public static final String POLICY_TEST_AUTHENTICATION = "1.2.392.200149.8.5.1.0.10";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A CA: its certificate and private key. */
    public record Generation(X509Certificate certificate, PrivateKey key) {
        public X500Name subject() {
            try {
                return new JcaX509CertificateHolder(certificate).getSubject();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static final Generation GEN_2019 = load("sign-ca-2019");
    public static final Generation GEN_2024 = load("sign-ca-2024");
    /**
     * A generation with the same DN that the %test profile pins but does not install (as production pins the 2019
     * generation until the operator installs it); its key is here so that tests can issue cards under it.
     */
    public static final Generation GEN_2021_NOT_INSTALLED = load("jpki-test-absent/", "sign-ca-2021");
    private static Generation authenticationCa;
    private static Generation lookAlike;

    private JpkiTestCa() {}

    /** The user-authentication CA (利用者証明用認証局), generated per JVM; never pinned. */
    public static synchronized Generation authenticationCa() {
        if (authenticationCa == null) {
            authenticationCa = selfSigned(dn("JPKI for user authentication"));
        }
        return authenticationCa;
    }

    /** A CA with exactly the signing CA's DN but its own key: the RA must tell it apart by signature. */
    public static synchronized Generation lookAlike() {
        if (lookAlike == null) {
            lookAlike = selfSigned(GEN_2024.subject());
        }
        return lookAlike;
    }

    public static X500Name dn(String ou) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.C, "JP")
                .addRDN(BCStyle.O, "JPKI-TEST")
                .addRDN(BCStyle.OU, ou)
                .addRDN(BCStyle.OU, "Japan Agency for Local Authority Information Systems")
                .build();
    }

    /** A signing certificate (署名用電子証明書) for the holder's card key, valid from now for five years. */
    public static X509Certificate signing(Generation ca, PublicKey cardKey, JpkiPerson person) {
        Instant now = Instant.now();
        return signing(ca, cardKey, person, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(5 * 365)));
    }

    public static X509Certificate signing(Generation ca, PublicKey cardKey, JpkiPerson person, Instant notBefore,
                                          Instant notAfter) {
        return signing(ca, cardKey, person, notBefore, notAfter, JpkiOids.POLICY_SIGNING_TEST);
    }

    /** A signing certificate under another certificate policy (e.g. one shaped like a smartphone's). */
    public static X509Certificate signing(Generation ca, PublicKey cardKey, JpkiPerson person, String policy) {
        Instant now = Instant.now();
        return signing(ca, cardKey, person, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(5 * 365)), policy);
    }

    public static X509Certificate signing(Generation ca, PublicKey cardKey, JpkiPerson person, Instant notBefore,
                                          Instant notAfter, String policy) {
        List<ASN1Encodable> names = new ArrayList<>();
        names.add(otherName(JpkiOids.NAME, person.name()));
        names.add(otherName(JpkiOids.NAME_SUBSTITUTES, person.nameSubstitutes()));
        names.add(otherName(JpkiOids.GENDER, person.gender()));
        names.add(otherName(JpkiOids.BIRTH_DATE, person.eraBirthDate()));
        names.add(otherName(JpkiOids.ADDRESS, person.address()));
        names.add(otherName(JpkiOids.ADDRESS_SUBSTITUTES, person.addressSubstitutes()));
        return endEntity(ca, cardKey, notBefore, notAfter, policy,
                KeyUsage.digitalSignature | KeyUsage.nonRepudiation, names);
    }

    /**
     * A certificate from the signing CA with the holder's identity but another policy or keyUsage than a JPKI
     * signing certificate's: what the RA must not take for one.
     */
    public static X509Certificate signingLike(Generation ca, PublicKey cardKey, JpkiPerson person, String policy,
                                              int keyUsage) {
        Instant now = Instant.now();
        List<ASN1Encodable> names = new ArrayList<>();
        names.add(otherName(JpkiOids.NAME, person.name()));
        names.add(otherName(JpkiOids.NAME_SUBSTITUTES, person.nameSubstitutes()));
        names.add(otherName(JpkiOids.GENDER, person.gender()));
        names.add(otherName(JpkiOids.BIRTH_DATE, person.eraBirthDate()));
        names.add(otherName(JpkiOids.ADDRESS, person.address()));
        names.add(otherName(JpkiOids.ADDRESS_SUBSTITUTES, person.addressSubstitutes()));
        return endEntity(ca, cardKey, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)), policy, keyUsage,
                names);
    }

    /** An authentication certificate (利用者証明用電子証明書): no identity, keyUsage digitalSignature only. */
    public static X509Certificate authentication(PublicKey cardKey) {
        Instant now = Instant.now();
        return endEntity(authenticationCa(), cardKey, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(365)),
                POLICY_TEST_AUTHENTICATION, KeyUsage.digitalSignature, List.of());
    }

    private static X509Certificate endEntity(Generation ca, PublicKey key, Instant notBefore, Instant notAfter,
                                             String policy, int keyUsage, List<ASN1Encodable> otherNames) {
        try {
            // The CN is an issuance serial, not the holder's name; the localities are romanised (JPKI.md).
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.C, "JP")
                    .addRDN(BCStyle.L, "Tokyo-to")
                    .addRDN(BCStyle.L, "Chiyoda-ku")
                    .addRDN(BCStyle.CN, String.format("%025d", new BigInteger(80, RANDOM)).substring(0, 25))
                    .build();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.subject(), new BigInteger(64, RANDOM),
                    Date.from(notBefore), Date.from(notAfter), subject, key);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
            b.addExtension(Extension.certificatePolicies, false,
                    new CertificatePolicies(new PolicyInformation(new ASN1ObjectIdentifier(policy))));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(ca.certificate().getPublicKey()));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
            if (!otherNames.isEmpty()) {
                GeneralName[] gns = otherNames.stream()
                        .map(o -> new GeneralName(GeneralName.otherName, o)).toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(gns));
            }
            // J-LIS names the CRL by directory name only: there is no URL to fetch (JPKI.md).
            X500Name crlName = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.C, "JP")
                    .addRDN(BCStyle.O, "JPKI-TEST").addRDN(BCStyle.OU, "CRL Distribution Points")
                    .addRDN(BCStyle.CN, "CRL1").build();
            b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {
                new DistributionPoint(new DistributionPointName(new GeneralNames(
                        new GeneralName(GeneralName.directoryName, crlName))), null, null)}));
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.key())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A delegated OCSP responder certificate (id-kp-OCSPSigning, RFC 6960 section 4.2.2.2) with a P-256 key. */
    public static Generation ocspResponder(Generation ca) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.subject(), new BigInteger(64, RANDOM),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(30))),
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.C, "JP").addRDN(BCStyle.O, "JPKI-TEST")
                            .addRDN(BCStyle.CN, "JPKI-TEST OCSP responder").build(), kp.getPublic());
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(ca.key())));
            return new Generation(cert, kp.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ASN1Encodable otherName(String oid, String value) {
        // OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT UTF8String } (RFC 5280 4.2.1.6; JPKI.md)
        return new DERSequence(new ASN1Encodable[] {
            new ASN1ObjectIdentifier(oid), new DERTaggedObject(true, 0, new DERUTF8String(value))});
    }

    private static Generation selfSigned(X500Name dn) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(dn, new BigInteger(32, RANDOM),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), dn,
                    kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(kp.getPublic()));
            return new Generation(new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate()))), kp.getPrivate());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Generation load(String name) {
        return load("jpki-test/", name);
    }

    private static Generation load(String dir, String name) {
        try {
            X509Certificate cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(resource(dir + name + ".pem"));
            try (PEMParser p = new PEMParser(new StringReader(new String(resource(dir + name + ".key")
                    .readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII)))) {
                PrivateKey key = new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) p.readObject());
                return new Generation(cert, key);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the simulated J-LIS CA " + name, e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = JpkiTestCa.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("test resource " + name + " is missing");
        }
        return in;
    }
}
