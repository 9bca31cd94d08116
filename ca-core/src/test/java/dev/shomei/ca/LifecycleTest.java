package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.ceremony.CaHashValues;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.issuance.RevocationReason;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.List;
import dev.shomei.audit.VerificationReport;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CA's whole life on real components: a ceremony on SoftHSM2, issuance from a CSR, revocation and
 * a CRL, each output checked by openssl and by the JDK's PKIX validator as well as by our own code.
 */
class LifecycleTest {

    @ParameterizedTest(name = "root {0}, issuing {1}")
    @CsvSource({"EC-P384, EC-P256", "RSA-3072, RSA-3072"})
    void ceremonyIssueRevokeAndCrlVerifyWithOutsideVerifiers(String rootAlg, String issuingAlg) throws Exception {
        try (CaFixture f = CaFixture.create("life" + rootAlg.replace("-", "").toLowerCase(), rootAlg, issuingAlg)) {
            CertificateAuthority ca = f.ceremony();
            Path out = f.dir.resolve("ceremony");
            X509Certificate root = load(out.resolve("root-ca.cer"));
            X509Certificate issuing = load(out.resolve("issuing-ca.cer"));

            // The ceremony's CA hash values are the certificates' real fingerprints.
            String hashes = Files.readString(out.resolve("ca-hash-values.txt"));
            assertThat(hashes).contains(CaHashValues.of(root).sha256()).contains(CaHashValues.of(issuing).sha1());
            assertThat(ExternalVerifiers.openssl(out, "x509", "-in", "root-ca.pem", "-noout", "-fingerprint", "-sha256")
                    .output().trim()).endsWith(CaHashValues.of(root).sha256());
            assertThat(Files.readString(out.resolve("ceremony-transcript.txt")))
                    .contains("Test Operator", "Test Witness", "non-extractable", "Step 6");
            assertThat(ExternalVerifiers.openssl(out, "verify", "-CAfile", "root-ca.pem", "issuing-ca.pem").output())
                    .contains("issuing-ca.pem: OK");

            // Issue two certificates.
            CertificateIssuer issuer = ca.issuer();
            X509Certificate good = issuer.issue("order-1",
                    CaFixture.csr("CN=Yamada Taro,C=JP", CaFixture.ecKey("secp256r1")), "subscriber-signature").certificate();
            X509Certificate doomed = issuer.issue("order-2",
                    CaFixture.csr("CN=Suzuki Hanako,C=JP", CaFixture.rsaKey(2048)), "subscriber-signature").certificate();
            assertThat(good.getKeyUsage()).containsExactly(true, true, false, false, false, false, false, false, false);
            assertThat(good.getBasicConstraints()).isEqualTo(-1);
            assertThat(good.getExtensionValue(Extension.cRLDistributionPoints.getId())).isNotNull();
            assertThat(good.getExtensionValue(Extension.authorityInfoAccess.getId())).isNotNull();
            assertThat(good.getSerialNumber().bitLength()).isGreaterThanOrEqualTo(64);

            // Revoke one and publish a CRL.
            issuer.revoke(doomed.getSerialNumber().toString(16), RevocationReason.KEY_COMPROMISE, "Test Operator");
            CrlIssuer.IssuedCrl issued = ca.crlIssuer().issue();
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(issued.der()));
            crl.verify(issuing.getPublicKey());
            assertThat(crl.getRevokedCertificates()).hasSize(1);
            X509CRLEntry entry = crl.getRevokedCertificate(doomed.getSerialNumber());
            assertThat(entry.getRevocationReason()).isEqualTo(CRLReason.KEY_COMPROMISE);
            assertThat(crl.getRevokedCertificate(good.getSerialNumber())).isNull();
            assertThat(issued.record().number()).isEqualTo(1);

            // openssl: chain, CRL signature, and revocation status through the CRL.
            Path work = f.dir;
            ExternalVerifiers.writePem(work.resolve("good.pem"), good);
            ExternalVerifiers.writePem(work.resolve("doomed.pem"), doomed);
            ExternalVerifiers.writePem(work.resolve("crl.pem"), crl);
            Files.copy(out.resolve("root-ca.pem"), work.resolve("root.pem"));
            Files.copy(out.resolve("issuing-ca.pem"), work.resolve("issuing.pem"));
            assertThat(ExternalVerifiers.openssl(work, "crl", "-in", "crl.pem", "-CAfile", "issuing.pem", "-noout").output())
                    .contains("verify OK");
            ExternalVerifiers.Run goodRun = ExternalVerifiers.openssl(work, "verify", "-crl_check", "-CAfile", "root.pem",
                    "-untrusted", "issuing.pem", "-CRLfile", "crl.pem", "good.pem");
            assertThat(goodRun.output()).contains("good.pem: OK");
            ExternalVerifiers.Run doomedRun = ExternalVerifiers.openssl(work, "verify", "-crl_check", "-CAfile", "root.pem",
                    "-untrusted", "issuing.pem", "-CRLfile", "crl.pem", "doomed.pem");
            assertThat(doomedRun.exit()).isNotZero();
            assertThat(doomedRun.output()).contains("certificate revoked");

            // The JDK's PKIX validator agrees.
            assertThat(ExternalVerifiers.pkix(good, issuing, root, crl)).isNull();
            CertPathValidatorException refused = ExternalVerifiers.pkix(doomed, issuing, root, crl);
            assertThat(refused).isNotNull();
            assertThat(refused.getReason()).isEqualTo(CertPathValidatorException.BasicReason.REVOKED);

            // A CRL is due again once half its validity has passed (24 h CRLs: after 12 h).
            assertThat(ca.crlIssuer().dueReason()).isNull();
            CrlIssuer later = new CrlIssuer(ca.database().dataSource(), ca.issuingSigner(), "issuing-test",
                    java.time.Duration.ofHours(24), java.time.Clock.offset(java.time.Clock.systemUTC(),
                    java.time.Duration.ofHours(13)), f.recordingEvents());
            assertThat(later.dueReason()).contains("half of CRL 1's validity has passed");

            // CRL numbers strictly increase; the second CRL still lists the revoked serial.
            CrlIssuer.IssuedCrl second = ca.crlIssuer().issue();
            assertThat(second.record().number()).isEqualTo(2);
            assertThat(f.count("crl")).isEqualTo(2);
            assertThat(f.events()).containsExactly("ca-key root-test", "ca-key issuing-test", "issued " + good.getSerialNumber().toString(16),
                    "issued " + doomed.getSerialNumber().toString(16), "revoked " + doomed.getSerialNumber().toString(16),
                    "crl 1", "crl 2");
            VerificationReport audit = f.verifyAudit();
            assertThat(audit.ok()).as(audit.render()).isTrue();
            assertThat(audit.entriesChecked()).isEqualTo(7);
        }
    }

    @org.junit.jupiter.api.Test
    void issuanceIsIdempotentByRequestIdAcrossRestarts() throws Exception {
        try (CaFixture f = CaFixture.create("idem", "EC-P256", "EC-P256")) {
            f.ceremony();
            byte[] csr = CaFixture.csr("CN=Sato Ichiro,C=JP", CaFixture.ecKey("secp256r1"));
            X509Certificate first = f.ca.issuer().issue("order-7", csr, "subscriber-signature").certificate();
            f.ca.close();
            // A restarted CA (new HSM login, new database pool) given the same order returns the same certificate.
            f.open();
            CertificateIssuer.Issued again = f.ca.issuer().issue("order-7", csr, "subscriber-signature");
            assertThat(again.alreadyIssued()).isTrue();
            assertThat(again.certificate()).isEqualTo(first);
            assertThat(f.count("certificate")).isEqualTo(1);
            // Without an order id, the CSR's digest is the request id: the same CSR twice is one certificate.
            byte[] other = CaFixture.csr("CN=Ito Jiro,C=JP", CaFixture.ecKey("secp384r1"));
            X509Certificate a = f.ca.issuer().issue(null, other, "subscriber-signature").certificate();
            X509Certificate b = f.ca.issuer().issue(null, other, "subscriber-signature").certificate();
            assertThat(b).isEqualTo(a);
            assertThat(f.count("certificate")).isEqualTo(2);
            assertThat(List.copyOf(f.events())).hasSize(4); // two CA keys, two certificates
        }
    }

    private static X509Certificate load(Path p) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(p)));
    }
}
