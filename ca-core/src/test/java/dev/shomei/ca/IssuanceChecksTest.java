package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.issuance.CsrException;
import dev.shomei.pkcs11.SignatureCheck;
import dev.shomei.pkcs11.HsmException;
import dev.shomei.pkcs11.Signer;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.CertificationRequestInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The two signature checks of issuance, on the fast path they now take ({@link SignatureCheck}: Bouncy Castle's
 * lightweight ECDSA for a CSR's key, fixed-base comb tables for the issuing key): a signature the issuing key did not make over exactly the linted
 * bytes never leaves the CA as a certificate, and a CSR without a valid proof of possession is refused. Each case is
 * checked against the JDK's own verifier too, so the faster check refuses what the JDK refuses and accepts what it
 * accepts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IssuanceChecksTest {

    private CaFixture f;
    private CertificateAuthority ca;

    @BeforeAll
    void ceremony() throws Exception {
        f = CaFixture.create("checks", "EC-P256", "EC-P256");
        ca = f.ceremony();
    }

    @AfterAll
    void close() {
        f.close();
    }

    /** The issuing signer, with what the HSM returns passed through {@code fault}. */
    private static Signer faulty(Signer s, UnaryOperator<byte[]> fault) {
        return new Signer() {
            public dev.shomei.pkcs11.SignatureAlgorithm algorithm() { return s.algorithm(); }
            public X509Certificate certificate() { return s.certificate(); }
            public java.security.PublicKey publicKey() { return s.publicKey(); }
            public dev.shomei.pkcs11.Pkcs11Uri keyUri() { return s.keyUri(); }
            public byte[] sign(byte[] data) { return fault.apply(s.sign(data)); }
            public byte[] sign(Content c) { return fault.apply(s.sign(c)); }
            public Health health() { return s.health(); }
        };
    }

    @Test
    void theIssuingKeyIsCheckedOnTheFastPath() {
        SignatureCheck check = SignatureCheck.forFixedKey(ca.issuingSigner().certificate().getPublicKey());
        assertThat(check).as("the P-256 issuing key has a kept-table check").isNotNull();
        assertThat(check.handles(ca.issuingSigner().algorithm().algorithmIdentifier())).isTrue();
    }

    @Test
    void aSignatureTheIssuingKeyDidNotMakeOverTheLintedBytesNeverBecomesACertificate() throws Exception {
        KeyPair other = CaFixture.ecKey("secp256r1");
        Signer real = ca.issuingSigner();
        List<UnaryOperator<byte[]>> faults = List.of(
                // One bit of s flipped: still a well-formed DER signature.
                sig -> withRs(sig, (r, s) -> new BigInteger[] {r, s.flipBit(0)}),
                // r and s swapped.
                sig -> withRs(sig, (r, s) -> new BigInteger[] {s, r}),
                // A valid signature, by another key, of the same bytes: the HSM used the wrong key.
                sig -> sign(other, lastSigned[0]),
                // A valid signature by the issuing key of other bytes: the HSM signed something else.
                sig -> real.sign(new byte[] {1, 2, 3}),
                // Not a signature at all.
                sig -> new byte[] {0x30, 0x00});
        int n = 0;
        for (UnaryOperator<byte[]> fault : faults) {
            long certificates = f.count("certificate");
            List<String> events = f.events();
            Signer bad = new Signer() {
                final Signer inner = faulty(real, fault);
                public dev.shomei.pkcs11.SignatureAlgorithm algorithm() { return real.algorithm(); }
                public X509Certificate certificate() { return real.certificate(); }
                public java.security.PublicKey publicKey() { return real.publicKey(); }
                public dev.shomei.pkcs11.Pkcs11Uri keyUri() { return real.keyUri(); }
                public byte[] sign(byte[] data) { lastSigned[0] = data; return inner.sign(data); }
                public byte[] sign(Content c) { return inner.sign(c); }
                public Health health() { return real.health(); }
            };
            CertificateIssuer issuer = new CertificateIssuer(ca.database().dataSource(), bad, "issuing-test", ca.config(),
                    Clock.systemUTC(), f.recordingEvents());
            int k = n++;
            byte[] csr = CaFixture.csr("CN=Fault " + k + ",C=JP", CaFixture.ecKey("secp256r1"));
            String id = "fault-" + k;
            assertThatThrownBy(() -> issuer.issue(id, csr, "subscriber-signature"))
                    .as("fault %d", k).isInstanceOf(HsmException.class)
                    .hasMessageContaining("does not verify under the issuer key");
            // Also as one request of a batch: the whole batch stops, nothing is recorded.
            byte[] csr2 = CaFixture.csr("CN=Fault batch " + k + ",C=JP", CaFixture.ecKey("secp256r1"));
            byte[] csr3 = CaFixture.csr("CN=Fault batch2 " + k + ",C=JP", CaFixture.ecKey("secp256r1"));
            assertThatThrownBy(() -> issuer.issueAll(List.of(new CertificateIssuer.IssueRequest(id + "-b1", csr2,
                    "subscriber-signature"), new CertificateIssuer.IssueRequest(id + "-b2",
                    csr3, "subscriber-signature"))))
                    .isInstanceOf(HsmException.class);
            assertThat(f.count("certificate")).as("fault %d: nothing recorded", k).isEqualTo(certificates);
            assertThat(f.events()).as("fault %d: no audit entry", k).isEqualTo(events);
        }
        // The same signer without a fault issues, and the JDK verifies what it issued.
        CertificateIssuer good = new CertificateIssuer(ca.database().dataSource(), faulty(real, sig -> sig),
                "issuing-test", ca.config(), Clock.systemUTC(), f.recordingEvents());
        X509Certificate cert = good.issue("fault-free", CaFixture.csr("CN=Fine,C=JP", CaFixture.ecKey("secp256r1")),
                "subscriber-signature").certificate();
        cert.verify(real.certificate().getPublicKey());
    }

    private final byte[][] lastSigned = new byte[1][];

    @Test
    void aCsrWithoutAValidProofOfPossessionIsRefusedOnTheFastPath() throws Exception {
        CertificateIssuer issuer = ca.issuer();
        KeyPair key = CaFixture.ecKey("secp256r1");
        CertificationRequest good = CertificationRequest.getInstance(CaFixture.csr("CN=Holder,C=JP", key));
        assertThat(SignatureCheck.forKey(good.getCertificationRequestInfo().getSubjectPublicKeyInfo())).isNotNull();
        assertThat(jdkVerifies(good)).isTrue();

        // Signed by another key than the one it carries.
        CertificationRequest otherKey = CertificationRequest.getInstance(CaFixture.csr("CN=Holder,C=JP",
                key.getPublic(), CaFixture.ecKey("secp256r1").getPrivate()));
        // The subject changed after signing.
        CertificationRequestInfo info = good.getCertificationRequestInfo();
        CertificationRequest altered = new CertificationRequest(new CertificationRequestInfo(new X500Name("CN=Someone Else,C=JP"),
                info.getSubjectPublicKeyInfo(), info.getAttributes()), good.getSignatureAlgorithm(), good.getSignature());
        // A bit of s flipped; r and s swapped; r = 0; s = n (out of range); the signature's DER not canonical.
        BigInteger[] rs = rs(good.getSignature().getOctets());
        BigInteger n = new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);
        CertificationRequest flipped = resigned(good, der(rs[0], rs[1].flipBit(3)));
        CertificationRequest swapped = resigned(good, der(rs[1], rs[0]));
        CertificationRequest rZero = resigned(good, der(BigInteger.ZERO, rs[1]));
        CertificationRequest sIsN = resigned(good, der(rs[0], n));
        byte[] canonical = good.getSignature().getOctets();
        byte[] longForm = new byte[canonical.length + 1]; // SEQUENCE length in long form: BER, not DER
        longForm[0] = 0x30;
        longForm[1] = (byte) 0x81;
        System.arraycopy(canonical, 1, longForm, 2, canonical.length - 1);
        CertificationRequest ber = resigned(good, longForm);

        int i = 0;
        for (CertificationRequest bad : List.of(otherKey, altered, flipped, swapped, rZero, sIsN, ber)) {
            byte[] der = bad.getEncoded(ASN1Encoding.DER);
            long before = f.count("certificate");
            String id = "pop-" + i++;
            assertThatThrownBy(() -> issuer.issue(id, der, "subscriber-signature")).as("case %d", i)
                    .isInstanceOf(CsrException.class).hasMessageContaining("proof of possession failed");
            assertThat(f.count("certificate")).isEqualTo(before);
            if (bad != ber) {
                assertThat(jdkVerifies(bad)).as("case %d: the JDK refuses it too", i).isFalse();
            }
        }
        // The untouched request is issued.
        assertThat(issuer.issue("pop-good", good.getEncoded(ASN1Encoding.DER), "subscriber-signature").alreadyIssued())
                .isFalse();
    }

    @Test
    void theFastCheckAgreesWithTheJdkOnEveryCurveAndDigestItHandles() throws Exception {
        byte[] data = "to be signed".getBytes();
        for (String curve : List.of("secp256r1", "secp384r1", "secp521r1")) {
            KeyPair k = CaFixture.ecKey(curve);
            for (SignatureCheck check : List.of(SignatureCheck.forKey(k.getPublic()), SignatureCheck.forFixedKey(k.getPublic())))
            for (String digest : List.of("SHA256", "SHA384", "SHA512")) {
                AlgorithmIdentifier alg = new AlgorithmIdentifier(switch (digest) {
                    case "SHA256" -> X9ObjectIdentifiers.ecdsa_with_SHA256;
                    case "SHA384" -> X9ObjectIdentifiers.ecdsa_with_SHA384;
                    default -> X9ObjectIdentifiers.ecdsa_with_SHA512;
                });
                Signature s = Signature.getInstance(digest + "withECDSA");
                s.initSign(k.getPrivate());
                s.update(data);
                byte[] sig = s.sign();
                assertThat(check.verify(alg, data, sig)).as(curve + " " + digest).isTrue();
                byte[] other = data.clone();
                other[0] ^= 1;
                assertThat(check.verify(alg, other, sig)).as(curve + " " + digest + ", other data").isFalse();
                // A signature under another digest of the same key does not pass for this one.
                AlgorithmIdentifier wrong = new AlgorithmIdentifier(digest.equals("SHA256")
                        ? X9ObjectIdentifiers.ecdsa_with_SHA384 : X9ObjectIdentifiers.ecdsa_with_SHA256);
                assertThat(check.verify(wrong, data, sig)).as(curve + " " + digest + ", wrong digest").isFalse();
                // Many signatures of the one key (the issuing key's case: the fixed-key tables serve each of them),
                // each also refused with one bit of s flipped.
                for (int i = 0; i < 20; i++) {
                    byte[] d = (i + " to be signed").getBytes();
                    s.update(d);
                    byte[] si = s.sign();
                    assertThat(check.verify(alg, d, si)).as(curve + " " + digest + " #" + i).isTrue();
                    assertThat(check.verify(alg, d, withRs(si, (r, x) -> new BigInteger[] {r, x.flipBit(0)})))
                            .as(curve + " " + digest + " #" + i + ", s altered").isFalse();
                }
            }
        }
        // An RSA key has no fast check: the JDK verifies it.
        assertThat(SignatureCheck.forKey(CaFixture.rsaKey(2048).getPublic())).isNull();
    }

    private byte[] sign(KeyPair k, byte[] data) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(k.getPrivate());
            s.update(data);
            return s.sign();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean jdkVerifies(CertificationRequest cr) {
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initVerify(new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(cr.getEncoded()).getPublicKey());
            s.update(cr.getCertificationRequestInfo().getEncoded(ASN1Encoding.DER));
            return s.verify(cr.getSignature().getOctets());
        } catch (Exception e) {
            return false;
        }
    }

    private static CertificationRequest resigned(CertificationRequest cr, byte[] signature) {
        return new CertificationRequest(cr.getCertificationRequestInfo(), cr.getSignatureAlgorithm(),
                new DERBitString(signature));
    }

    private static BigInteger[] rs(byte[] der) {
        ASN1Sequence seq = ASN1Sequence.getInstance(der);
        return new BigInteger[] {ASN1Integer.getInstance(seq.getObjectAt(0)).getValue(),
                ASN1Integer.getInstance(seq.getObjectAt(1)).getValue()};
    }

    private static byte[] der(BigInteger r, BigInteger s) {
        try {
            return new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private interface RsChange {
        BigInteger[] apply(BigInteger r, BigInteger s);
    }

    private static byte[] withRs(byte[] sig, RsChange change) {
        BigInteger[] rs = rs(sig);
        BigInteger[] out = change.apply(rs[0], rs[1]);
        return der(out[0], out[1]);
    }
}
