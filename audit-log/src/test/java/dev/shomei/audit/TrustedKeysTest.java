package dev.shomei.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trusted checkpoint keys come from PEM public keys or certificates, never from private keys. */
class TrustedKeysTest {

    @TempDir
    Path dir;

    @Test
    void readsPublicKeysAndCertificatesAndRefusesPrivateKeys() throws Exception {
        KeyPair a = LogFixture.ecKeyPair();
        KeyPair b = LogFixture.ecKeyPair();
        X509CertificateHolder cert = new JcaX509v3CertificateBuilder(new X500Name("CN=audit-2026"), BigInteger.ONE,
                new Date(), new Date(System.currentTimeMillis() + 86_400_000L), new X500Name("CN=audit-2026"), b.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(b.getPrivate()));
        String certPem = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        Path both = Files.writeString(dir.resolve("keys.pem"), TrustedKeys.toPem(a.getPublic()) + certPem);

        assertThat(TrustedKeys.read(both)).containsExactly(a.getPublic(), b.getPublic());

        CheckpointSigner signer = new PrivateKeyCheckpointSigner("audit-2026", "SHA256withECDSA", b.getPrivate(), b.getPublic());
        Checkpoint cp = Checkpoint.sign("o", 0, MerkleTree.emptyRoot(), java.time.Instant.now(), signer);
        assertThat(cp.signedBy(TrustedKeys.read(both))).contains(b.getPublic());

        Path priv = Files.writeString(dir.resolve("private.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(a.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TrustedKeys.read(priv)).hasMessageContaining("never a private key");
    }
}
