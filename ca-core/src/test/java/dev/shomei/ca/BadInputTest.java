package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.issuance.CsrException;
import dev.shomei.ca.issuance.RevocationReason;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.DERBitString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Each bad request gets an error that names the problem, and nothing is half-written: the certificate,
 * revocation and CRL tables are unchanged and no audit event is emitted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {

    private CaFixture f;
    private CertificateIssuer issuer;

    @BeforeAll
    void ceremony() throws Exception {
        f = CaFixture.create("bad", "EC-P256", "EC-P256");
        f.ceremony();
        issuer = f.ca.issuer();
    }

    @AfterAll
    void close() {
        f.close();
    }

    private void refusedWithNothingWritten(Runnable action, Class<? extends Throwable> type, String... message)
            throws Exception {
        long certs = f.count("certificate");
        long revocations = f.count("revocation");
        int events = f.events().size();
        var assertion = assertThatThrownBy(action::run).isInstanceOf(type);
        for (String m : message) {
            assertion.hasMessageContaining(m);
        }
        assertThat(f.count("certificate")).isEqualTo(certs);
        assertThat(f.count("revocation")).isEqualTo(revocations);
        assertThat(f.events()).hasSize(events);
    }

    @Test
    void garbageIsNotACsr() throws Exception {
        refusedWithNothingWritten(() -> issuer.issue(null, "hello, CA".getBytes(), "subscriber-signature"),
                CsrException.class, "not a PKCS#10 certificate signing request");
        refusedWithNothingWritten(() -> issuer.issue(null, new byte[0], "subscriber-signature"),
                CsrException.class, "the CSR is empty");
    }

    @Test
    void csrSignedWithAnotherKeyFailsProofOfPossession() throws Exception {
        KeyPair claimed = CaFixture.ecKey("secp256r1");
        KeyPair signer = CaFixture.ecKey("secp256r1");
        byte[] csr = CaFixture.csr("CN=Mallory,C=JP", claimed.getPublic(), signer.getPrivate());
        refusedWithNothingWritten(() -> issuer.issue(null, csr, "subscriber-signature"),
                CsrException.class, "proof of possession failed");
    }

    @Test
    void unsignedCsrIsRefused() throws Exception {
        CertificationRequest good = CertificationRequest.getInstance(
                CaFixture.csr("CN=Unsigned,C=JP", CaFixture.ecKey("secp256r1")));
        byte[] unsigned = new CertificationRequest(good.getCertificationRequestInfo(), good.getSignatureAlgorithm(),
                new DERBitString(new byte[0])).getEncoded();
        refusedWithNothingWritten(() -> issuer.issue(null, unsigned, "subscriber-signature"),
                CsrException.class, "CSR");
    }

    @Test
    void weakRsaAndUnapprovedCurvesAreRefused() throws Exception {
        byte[] rsa1024 = CaFixture.csr("CN=Weak,C=JP", CaFixture.rsaKey(1024));
        refusedWithNothingWritten(() -> issuer.issue(null, rsa1024, "subscriber-signature"),
                CsrException.class, "RSA key of 1024 bits", "at least 2048 bits");
        byte[] k1 = CaFixture.csr("CN=Curve,C=JP", CaFixture.ecKey("secp256k1"));
        refusedWithNothingWritten(() -> issuer.issue(null, k1, "subscriber-signature"),
                CsrException.class, "secp256k1", "not allowed");
        byte[] rsa4096 = CaFixture.csr("CN=Big,C=JP", CaFixture.rsaKey(4096));
        refusedWithNothingWritten(() -> issuer.issue(null, rsa4096, "subscriber-signature"),
                CsrException.class, "RSA-4096 is not allowed by the profile");
    }

    @Test
    void subjectAttributesOutsideTheProfileAreRefused() throws Exception {
        byte[] csr = CaFixture.csr("CN=Someone,E=someone@example.jp,C=JP", CaFixture.ecKey("secp256r1"));
        refusedWithNothingWritten(() -> issuer.issue(null, csr, "subscriber-signature"),
                CsrException.class, "subject attribute E is not allowed");
    }

    @Test
    void unknownProfileIsNamed() throws Exception {
        byte[] csr = CaFixture.csr("CN=Someone,C=JP", CaFixture.ecKey("secp256r1"));
        refusedWithNothingWritten(() -> issuer.issue(null, csr, "server-tls"),
                ConfigException.class, "no certificate profile named 'server-tls'", "subscriber-signature");
    }

    @Test
    void reusingARequestIdForAnotherKeyIsRefused() throws Exception {
        issuer.issue("order-reuse", CaFixture.csr("CN=First,C=JP", CaFixture.ecKey("secp256r1")), "subscriber-signature");
        byte[] second = CaFixture.csr("CN=Second,C=JP", CaFixture.ecKey("secp256r1"));
        refusedWithNothingWritten(() -> issuer.issue("order-reuse", second, "subscriber-signature"),
                CaOperationException.class, "request id order-reuse was already used");
    }

    @Test
    void revokingAnUnknownSerialOrTwiceIsRefused() throws Exception {
        refusedWithNothingWritten(() -> issuer.revoke("0a1b2c3d4e5f", RevocationReason.KEY_COMPROMISE, "op"),
                CaOperationException.class, "no certificate with serial a1b2c3d4e5f");
        refusedWithNothingWritten(() -> issuer.revoke("not-hex", RevocationReason.KEY_COMPROMISE, "op"),
                CaOperationException.class, "not a certificate serial number");
        X509Certificate cert = issuer.issue(null, CaFixture.csr("CN=Twice,C=JP", CaFixture.ecKey("secp256r1")),
                "subscriber-signature").certificate();
        String serial = cert.getSerialNumber().toString(16);
        // Colons and upper case, as operators copy serials from openssl output, name the same certificate.
        String withColons = String.join(":", serial.toUpperCase().split("(?<=\\G..)"));
        issuer.revoke(withColons, RevocationReason.SUPERSEDED, "op");
        refusedWithNothingWritten(() -> issuer.revoke(serial, RevocationReason.KEY_COMPROMISE, "op"),
                CaOperationException.class, "already revoked", "superseded");
        assertThatThrownBy(() -> RevocationReason.parse("certificateHold"))
                .hasMessageContaining("certificateHold is not offered");
    }
}
