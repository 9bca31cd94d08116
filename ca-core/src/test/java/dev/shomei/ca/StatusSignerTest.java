package dev.shomei.ca;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ca.profile.ProfileExtensions;
import dev.shomei.pkcs11.KeyAlgorithm;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.junit.jupiter.api.Test;

/**
 * One key, one purpose (docs/monitoring.md, "The status signer"): the secure zone's status documents are signed by
 * the key {@code status.signingKey} names, a delegated key whose certificate says statusSigning; the audit checkpoint
 * key, a key certified without that purpose, and an unset setting are refused before anything is signed, each
 * naming the setting and the fix.
 */
class StatusSignerTest {

    private static final String PROFILES = """
            profiles:
              status-signer:
                validityDays: 365
                keyUsage: [digitalSignature]
                extendedKeyUsage: [statusSigning]
                allowedKeys: [EC-P256]
            """;

    @Test
    void statusDocumentsAreSignedByTheStatusSignerAndByNoOtherKey() throws Exception {
        try (CaFixture f = CaFixture.create("status-signer", "EC-P256", "EC-P256")) {
            String yaml = Files.readString(f.configFile).replace("profiles:\n", PROFILES)
                    .replace("crl:\n  nextUpdateHours: 24\n", "crl:\n  nextUpdateHours: 24\n  auditCheckpointKey: pkcs11:token="
                            + f.token.label() + ";object=audit-test\n");
            Files.writeString(f.configFile, yaml);
            X509Certificate statusCert;
            try (CertificateAuthority ca = f.ceremony()) {
                statusCert = ca.delegate("status-test", KeyAlgorithm.parse("EC-P256"),
                        new X500Name("CN=Shomei Test Status Signer,C=JP"), "status-signer");
                ca.delegate("audit-test", KeyAlgorithm.parse("EC-P256"),
                        new X500Name("CN=Shomei Test Audit,C=JP"), "audit-checkpoint");
                ca.delegate("plain-test", KeyAlgorithm.parse("EC-P256"),
                        new X500Name("CN=Shomei Test Plain Signer,C=JP"), "audit-checkpoint");
            }
            f.ca = null;
            assertThat(statusCert.getExtendedKeyUsage()).containsExactly(ProfileExtensions.STATUS_SIGNING_OID);
            assertThat(statusCert.getBasicConstraints()).isEqualTo(-1);
            Path out = f.dir.resolve("status.p7m");

            // Unset: nothing is signed, and the error says what to set.
            CaCommand.Result unset = CaCommand.run("--config", f.configFile.toString(), "status", "--out", out.toString());
            assertThat(unset.exit()).isNotZero();
            assertThat(unset.out() + unset.err()).contains("status.signingKey is not set")
                    .contains("ca delegate --profile status-signer");
            assertThat(out).doesNotExist();

            // The audit checkpoint key: it has a purpose already.
            Files.writeString(f.configFile, yaml + "status:\n  signingKey: pkcs11:object=audit-test\n");
            CaCommand.Result audit = CaCommand.run("--config", f.configFile.toString(), "status", "--out", out.toString());
            assertThat(audit.exit()).isNotZero();
            assertThat(audit.out() + audit.err()).contains("status.signingKey").contains("another purpose");
            assertThat(out).doesNotExist();

            // A delegated key certified without statusSigning.
            Files.writeString(f.configFile, yaml + "status:\n  signingKey: pkcs11:object=plain-test\n");
            CaCommand.Result plain = CaCommand.run("--config", f.configFile.toString(), "status", "--out", out.toString());
            assertThat(plain.exit()).isNotZero();
            assertThat(plain.out() + plain.err()).contains("lacks the statusSigning extended key usage");
            assertThat(out).doesNotExist();

            // The status signer: the document is signed by it, and verifies with its certificate.
            Files.writeString(f.configFile, yaml + "status:\n  signingKey: pkcs11:object=status-test\n");
            CaCommand.Result ok = CaCommand.run("--config", f.configFile.toString(), "status", "--out", out.toString());
            assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
            CMSSignedData signed = new CMSSignedData(Files.readAllBytes(out));
            SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
            assertThat(si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(statusCert))).isTrue();
            X509CertificateHolder embedded = (X509CertificateHolder) signed.getCertificates().getMatches(si.getSID())
                    .iterator().next();
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(embedded.getEncoded()));
            assertThat(c).isEqualTo(statusCert);
        }
    }
}
