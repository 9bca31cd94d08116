package dev.shomei.ca.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.pkcs11.KeyAlgorithm;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule of the pre-issuance lint, from the failing side: a to-be-signed certificate that is valid except
 * for one thing is refused, naming that thing. The baseline (a subscriber certificate as the CA builds it)
 * passes, so each case shows that its one change is what the lint refuses.
 *
 * <p>The lint is a pure function of the TBSCertificate; the issuer here is a software CA.
 */
class PreIssuanceLintTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final KeyPair ISSUER_KEYS = ec("secp256r1");
    private static final X509Certificate ISSUER = issuerCertificate();
    private static final KeyPair SUBJECT_KEYS = ec("secp256r1");
    private static final int SUBSCRIBER_USAGE = KeyUsage.digitalSignature | KeyUsage.nonRepudiation;
    private static final PreIssuanceLint.Expectation SUBSCRIBER = new PreIssuanceLint.Expectation(false,
            SUBSCRIBER_USAGE, Set.of(), Set.of(KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048), false);
    private static final PreIssuanceLint.Expectation CA = new PreIssuanceLint.Expectation(true,
            KeyUsage.keyCertSign | KeyUsage.cRLSign, Set.of(), Set.of(KeyAlgorithm.EC_P256), false);
    private static final PreIssuanceLint.Expectation RESPONDER = new PreIssuanceLint.Expectation(false,
            KeyUsage.digitalSignature, Set.of(KeyPurposeId.id_kp_OCSPSigning), Set.of(KeyAlgorithm.EC_P256), true);

    /** A to-be-signed certificate, valid for {@link #SUBSCRIBER} until a case changes one thing. */
    static final class Tbs {
        int version = 3;
        BigInteger serial = new BigInteger(128, RANDOM).setBit(127);
        Time notBefore = new Time(Date.from(NOW));
        Time notAfter = new Time(Date.from(NOW.plus(Duration.ofDays(365))));
        X500Name issuer = X500Name.getInstance(ISSUER.getSubjectX500Principal().getEncoded());
        X500Name subject = new X500Name("CN=Yamada Taro,C=JP");
        SubjectPublicKeyInfo key = SubjectPublicKeyInfo.getInstance(SUBJECT_KEYS.getPublic().getEncoded());
        final Map<ASN1ObjectIdentifier, Extension> extensions = new LinkedHashMap<>();

        Tbs() {
            try {
                JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
                put(Extension.keyUsage, true, new KeyUsage(SUBSCRIBER_USAGE));
                put(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(key));
                put(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ISSUER));
                put(Extension.cRLDistributionPoints, false, cdp("http://repo.test/crl/issuing.crl"));
                put(Extension.authorityInfoAccess, false, aia("http://repo.test/ocsp"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        Tbs put(ASN1ObjectIdentifier oid, boolean critical, ASN1Encodable value) {
            try {
                extensions.put(oid, new Extension(oid, critical, value.toASN1Primitive().getEncoded("DER")));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return this;
        }

        TBSCertificate build() {
            try {
                ContentSigner s = new JcaContentSignerBuilder("SHA256withECDSA").build(ISSUER_KEYS.getPrivate());
                if (version == 1) {
                    return new X509v1CertificateBuilder(issuer, serial, notBefore, notAfter, subject, key).build(s)
                            .toASN1Structure().getTBSCertificate();
                }
                X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, serial, notBefore, notAfter, subject, key);
                for (Extension e : extensions.values()) {
                    b.addExtension(e);
                }
                return b.build(s).toASN1Structure().getTBSCertificate();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static CRLDistPoint cdp(String uri) {
        return new CRLDistPoint(new DistributionPoint[] {new DistributionPoint(new DistributionPointName(
                new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri))), null, null)});
    }

    static AuthorityInformationAccess aia(String uri) {
        return new AuthorityInformationAccess(new AccessDescription(AccessDescription.id_ad_ocsp,
                new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
    }

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair rsa(int bits, int exponent) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(new RSAKeyGenParameterSpec(bits, BigInteger.valueOf(exponent)));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static X509Certificate issuerCertificate() {
        try {
            X500Name name = new X500Name("CN=Lint Test Issuing CA,O=Shomei Test,C=JP");
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(7),
                    Date.from(NOW.minus(Duration.ofDays(1))), Date.from(NOW.plus(Duration.ofDays(3650))), name,
                    ISSUER_KEYS.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(ISSUER_KEYS.getPublic()));
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ISSUER_KEYS.getPrivate())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Arguments rule(String finding, Consumer<Tbs> change) {
        return Arguments.of(finding, SUBSCRIBER, change);
    }

    private static Arguments rule(String finding, PreIssuanceLint.Expectation expected, Consumer<Tbs> change) {
        return Arguments.of(finding, expected, change);
    }

    static Stream<Arguments> rules() {
        return Stream.of(
                rule("version must be v3", t -> t.version = 1),
                rule("serial number must be positive", t -> t.serial = BigInteger.ZERO),
                rule("serial number is longer than 20 octets", t -> t.serial = BigInteger.ONE.shiftLeft(164)),
                rule("random bits are required", t -> t.serial = BigInteger.valueOf(4711)),
                rule("is not before notAfter", t -> t.notAfter = t.notBefore),
                rule("must be encoded as UTCTime", t -> t.notAfter = new Time(new ASN1GeneralizedTime(
                        Date.from(NOW.plus(Duration.ofDays(30)))))),
                rule("notBefore in " + NOW.atZone(java.time.ZoneOffset.UTC).getYear() + " must be encoded as UTCTime",
                        t -> t.notBefore = new Time(new ASN1GeneralizedTime(Date.from(NOW)))),
                rule("before the issuer's notBefore", t -> t.notBefore = new Time(Date.from(NOW.minus(Duration.ofDays(2))))),
                rule("a certificate must not outlive its issuer", t -> t.notAfter = new Time(
                        Date.from(NOW.plus(Duration.ofDays(4000))))),
                rule("issuer name does not match the issuing CA's subject", t -> t.issuer = new X500Name("CN=Another CA")),
                rule("subject is empty", t -> t.subject = new X500Name(new RDN[0])),
                rule("subject key EC-P384 is not allowed by the profile", t -> t.key =
                        SubjectPublicKeyInfo.getInstance(ec("secp384r1").getPublic().getEncoded())),
                rule("subject key refused: RSA key of 1024 bits", t -> t.key =
                        SubjectPublicKeyInfo.getInstance(rsa(1024, 65_537).getPublic().getEncoded())),
                rule("subject key refused: key algorithm 1.3.101.112 is not allowed (RSA or EC only)", t -> t.key =
                        SubjectPublicKeyInfo.getInstance(ed25519().getPublic().getEncoded())),
                rule("subject public key cannot be parsed: EC key", t -> t.key = new SubjectPublicKeyInfo(
                        t.key.getAlgorithm(), new byte[] {4, 1, 2, 3})),
                rule("subject key: RSA public exponent is 3", t -> t.key =
                        SubjectPublicKeyInfo.getInstance(rsa(2048, 3).getPublic().getEncoded())),
                rule("no extensions", t -> t.extensions.clear()),
                rule("needs basicConstraints cA=TRUE", CA, t -> t.put(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))),
                rule("basicConstraints must be critical in a CA certificate", CA, t -> t
                        .put(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                        .put(Extension.basicConstraints, false, new BasicConstraints(0))),
                rule("must not issue a certificate with cA=TRUE", t -> t.put(Extension.basicConstraints, true,
                        new BasicConstraints(true))),
                rule("keyUsage is missing", t -> t.extensions.remove(Extension.keyUsage)),
                rule("keyUsage should be critical", t -> t.put(Extension.keyUsage, false, new KeyUsage(SUBSCRIBER_USAGE))),
                rule("differs from the profile's", t -> t.put(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))),
                rule("keyCertSign/cRLSign are only for CA certificates", new PreIssuanceLint.Expectation(false,
                        SUBSCRIBER_USAGE | KeyUsage.keyCertSign, Set.of(), Set.of(KeyAlgorithm.EC_P256), false),
                        t -> t.put(Extension.keyUsage, true, new KeyUsage(SUBSCRIBER_USAGE | KeyUsage.keyCertSign))),
                rule("a CA certificate must assert keyCertSign", new PreIssuanceLint.Expectation(true, KeyUsage.cRLSign,
                        Set.of(), Set.of(KeyAlgorithm.EC_P256), false), t -> t
                        .put(Extension.keyUsage, true, new KeyUsage(KeyUsage.cRLSign))
                        .put(Extension.basicConstraints, true, new BasicConstraints(0))),
                rule("extendedKeyUsage [", t -> t.put(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))),
                rule("anyExtendedKeyUsage is never issued", new PreIssuanceLint.Expectation(false, SUBSCRIBER_USAGE,
                        Set.of(KeyPurposeId.anyExtendedKeyUsage), Set.of(KeyAlgorithm.EC_P256), false),
                        t -> t.put(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.anyExtendedKeyUsage))),
                rule("an OCSP signing certificate needs keyUsage digitalSignature", new PreIssuanceLint.Expectation(false,
                        KeyUsage.nonRepudiation, Set.of(KeyPurposeId.id_kp_OCSPSigning), Set.of(KeyAlgorithm.EC_P256), true),
                        t -> t.put(Extension.keyUsage, true, new KeyUsage(KeyUsage.nonRepudiation))
                                .put(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning))
                                .put(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE)),
                rule("subjectKeyIdentifier is missing", t -> t.extensions.remove(Extension.subjectKeyIdentifier)),
                rule("authorityKeyIdentifier is missing", t -> t.extensions.remove(Extension.authorityKeyIdentifier)),
                rule("authorityKeyIdentifier does not equal the issuer's subjectKeyIdentifier", t -> t.put(
                        Extension.authorityKeyIdentifier, false, new AuthorityKeyIdentifier(new byte[20]))),
                rule("cRLDistributionPoints URI 'ldap://repo.test/crl' must be http:// or https://",
                        t -> t.put(Extension.cRLDistributionPoints, false, cdp("ldap://repo.test/crl"))),
                rule("authorityInfoAccess URI 'file:///etc/passwd' must be http:// or https://",
                        t -> t.put(Extension.authorityInfoAccess, false, aia("file:///etc/passwd"))),
                rule("id-pkix-ocsp-nocheck is required by the profile", RESPONDER, t -> t
                        .put(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                        .put(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning))),
                rule("id-pkix-ocsp-nocheck is only for OCSP responder certificates",
                        t -> t.put(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE)));
    }

    @Test
    void theBaselineAndItsResponderAndCaVariantsPass() {
        assertThatCode(() -> PreIssuanceLint.check(new Tbs().build(), ISSUER, SUBSCRIBER)).doesNotThrowAnyException();
        Tbs responder = new Tbs().put(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .put(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning))
                .put(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
        assertThatCode(() -> PreIssuanceLint.check(responder.build(), ISSUER, RESPONDER)).doesNotThrowAnyException();
        Tbs ca = new Tbs().put(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .put(Extension.basicConstraints, true, new BasicConstraints(0));
        assertThatCode(() -> PreIssuanceLint.check(ca.build(), ISSUER, CA)).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void eachRuleRefuses(String finding, PreIssuanceLint.Expectation expected, Consumer<Tbs> change) {
        Tbs t = new Tbs();
        change.accept(t);
        TBSCertificate tbs = t.build();
        assertThatThrownBy(() -> PreIssuanceLint.check(tbs, ISSUER, expected)).isInstanceOf(LintException.class)
                .satisfies(e -> assertThat(((LintException) e).findings()).anyMatch(x -> x.contains(finding)));
    }

    @Test
    void aSelfSignedRootMustNameItselfAsIssuer() {
        Tbs t = new Tbs();
        t.put(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .put(Extension.basicConstraints, true, new BasicConstraints(1));
        t.extensions.remove(Extension.authorityKeyIdentifier);
        assertThatThrownBy(() -> PreIssuanceLint.check(t.build(), null, CA)).isInstanceOf(LintException.class)
                .hasMessageContaining("a self-signed root must have issuer = subject");
        t.subject = t.issuer;
        assertThatCode(() -> PreIssuanceLint.check(t.build(), null, CA)).doesNotThrowAnyException();
    }

    /**
     * The limits themselves pass (RFC 5280 §4.1.2.2: at most 20 octets; the CA's own floor of 64 bits), one past
     * them does not: a boundary moved by one either way is caught.
     */
    @Test
    void serialNumbersAtTheLimitsPassAndOnePastThemAreRefused() {
        BigInteger twentyOctets = BigInteger.ONE.shiftLeft(158).or(new BigInteger(128, RANDOM)); // 159 bits, sign bit 0
        BigInteger sixtyFourBits = BigInteger.ONE.shiftLeft(63).or(new BigInteger(62, RANDOM));
        for (BigInteger ok : List.of(twentyOctets, sixtyFourBits)) {
            Tbs t = new Tbs();
            t.serial = ok;
            assertThatCode(() -> PreIssuanceLint.check(t.build(), ISSUER, SUBSCRIBER)).as(ok.bitLength() + " bits")
                    .doesNotThrowAnyException();
        }
        Tbs tooLong = new Tbs();
        tooLong.serial = BigInteger.ONE.shiftLeft(159); // 160 bits: 21 octets with the sign octet
        assertThatThrownBy(() -> PreIssuanceLint.check(tooLong.build(), ISSUER, SUBSCRIBER))
                .hasMessageContaining("longer than 20 octets");
        Tbs tooShort = new Tbs();
        tooShort.serial = BigInteger.ONE.shiftLeft(62); // 63 bits
        assertThatThrownBy(() -> PreIssuanceLint.check(tooShort.build(), ISSUER, SUBSCRIBER))
                .hasMessageContaining("serial number has 63 bits");
    }

    /**
     * RFC 5280 §4.1.2.5: from 2050 on, validity dates are GeneralizedTime, and that is no finding. (A UTCTime cannot
     * state 2050: its two-digit year 50 reads as 1950, so the lint's "must be GeneralizedTime" branch is there for
     * a date it can never meet from a UTCTime; see docs/testing.md.)
     */
    @Test
    void generalizedTimeFrom2050IsNoFinding() {
        Tbs t = new Tbs();
        t.notAfter = new Time(new ASN1GeneralizedTime(Date.from(Instant.parse("2050-01-01T00:00:00Z"))));
        // The issuer expires before 2050, so the lint refuses for that; not for the encoding.
        assertThatThrownBy(() -> PreIssuanceLint.check(t.build(), ISSUER, SUBSCRIBER)).isInstanceOf(LintException.class)
                .satisfies(e -> assertThat(((LintException) e).findings())
                        .anyMatch(x -> x.contains("must not outlive its issuer"))
                        .noneMatch(x -> x.contains("must be encoded")));
    }

    @Test
    void everyFindingIsReportedAtOnce() {
        Tbs t = new Tbs();
        t.serial = BigInteger.valueOf(5);
        t.extensions.remove(Extension.subjectKeyIdentifier);
        t.put(Extension.keyUsage, false, new KeyUsage(SUBSCRIBER_USAGE));
        assertThatThrownBy(() -> PreIssuanceLint.check(t.build(), ISSUER, SUBSCRIBER)).isInstanceOf(LintException.class)
                .satisfies(e -> assertThat(((LintException) e).findings()).hasSize(3));
    }

    @Test
    void aCertificateTheJdkCannotReadIsRefusedBeforeSigning() {
        ASN1EncodableVector atv = new ASN1EncodableVector();
        atv.add(BCStyle.CN);
        atv.add(new DERUTF8String("Mallory"));
        atv.add(new DERUTF8String("extra"));
        Tbs t = new Tbs();
        t.subject = X500Name.getInstance(new DERSequence(RDN.getInstance(new DERSet(new DERSequence(atv)))));
        TBSCertificate tbs = t.build();
        // The lint itself (Bouncy Castle's view) has nothing against it: the JDK's parser is the second reader.
        assertThatCode(() -> PreIssuanceLint.check(tbs, ISSUER, SUBSCRIBER)).doesNotThrowAnyException();
        assertThatThrownBy(() -> dev.shomei.ca.issuance.TbsSigning.parseBack(tbs,
                new AlgorithmIdentifier(new ASN1ObjectIdentifier("1.2.840.10045.4.3.2"))))
                .isInstanceOf(LintException.class).hasMessageContaining("JDK's X.509 parser");
    }
}
