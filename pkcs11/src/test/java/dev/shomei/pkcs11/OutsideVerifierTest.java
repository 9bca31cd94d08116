package dev.shomei.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.testsupport.SoftHsmToken;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every zone signs through this module (a raw signature: audit checkpoints; a certificate through
 * {@link SignerContentSigner}; CMS SignedData: the RA's order bundles, the CA's result bundles) is checked by verifiers
 * that are not ours: the openssl command and the JDK's own provider. The key lives in a private SoftHSM2 token, is
 * generated there, and is opened again by its label from a fresh login, as a service does at start-up.
 */
class OutsideVerifierTest {

    private static final String PIN = "4242-pin";

    @ParameterizedTest
    @EnumSource(value = KeyAlgorithm.class, names = {"EC_P256", "EC_P384", "RSA_2048"})
    void signaturesMadeInTheTokenVerifyWithOpensslAndTheJdk(KeyAlgorithm algorithm) throws Exception {
        SoftHsmToken t = SoftHsmToken.create("outside-" + algorithm.label().toLowerCase(), PIN);
        HsmConfig config = new HsmConfig(t.module(), t.label(), PinSource.parse("file:" + t.writePinFile()), 2);
        Path dir = Files.createTempDirectory(t.directory(), "openssl-");

        // Step 1: a key generated in the token signs its own certificate through the ContentSigner adapter.
        X509Certificate cert;
        try (HsmToken ceremony = HsmToken.login(config)) {
            KeyPair kp = ceremony.generateKeyPair(algorithm);
            X500Name name = new X500Name("CN=outside verifier " + algorithm.label());
            var holder = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, new Date(),
                    new Date(System.currentTimeMillis() + 86_400_000L), name, kp.getPublic())
                    .build(new SignerContentSigner(Pkcs11Signer.uncertified(ceremony, kp.getPrivate(), kp.getPublic())));
            cert = new JcaX509CertificateConverter().getCertificate(holder);
            ceremony.storeCertificateChain("outside-key", kp.getPrivate(), cert);
        }
        Path certPem = pem(dir.resolve("cert.pem"), cert);
        assertThat(openssl(dir, "verify", "-CAfile", "cert.pem", "cert.pem").output()).contains("cert.pem: OK");

        // Step 2: a fresh login opens the key by its label, as the CA and the RA do at start-up.
        try (HsmToken token = HsmToken.login(config)) {
            Pkcs11Signer signer = Pkcs11Signer.open(token, "outside-key");
            assertThat(signer.algorithm()).isEqualTo(SignatureAlgorithm.forKey(algorithm));
            assertThat(signer.certificate()).isEqualTo(cert);

            // A raw signature (what an audit checkpoint carries), over content streamed in pieces.
            byte[] data = "checkpoint body: origin, size, root hash\n".getBytes(StandardCharsets.UTF_8);
            byte[] sig = signer.sign(out -> {
                out.write(data, 0, 10);
                out.write(data, 10, data.length - 10);
            });
            Files.write(dir.resolve("data"), data);
            Files.write(dir.resolve("sig"), sig);
            Files.write(dir.resolve("tampered"), "checkpoint body: origin, size, root hasH\n".getBytes(StandardCharsets.UTF_8));
            Files.writeString(dir.resolve("pub.pem"), openssl(dir, "x509", "-in", "cert.pem", "-pubkey", "-noout").output());
            String digest = "-" + signer.algorithm().digestName().replace("-", "").toLowerCase();
            Run good = openssl(dir, "dgst", digest, "-verify", "pub.pem", "-signature", "sig", "data");
            assertThat(good.exit()).as(good.output()).isZero();
            assertThat(good.output()).contains("Verified OK");
            Run bad = openssl(dir, "dgst", digest, "-verify", "pub.pem", "-signature", "sig", "tampered");
            assertThat(bad.exit()).as("openssl must refuse the signature over other content").isNotZero();

            Signature jdk = Signature.getInstance(signer.algorithm().jcaName());
            jdk.initVerify(cert.getPublicKey());
            jdk.update(data);
            assertThat(jdk.verify(sig)).isTrue();

            // CMS SignedData, content encapsulated, signer certificate included: the shape of an order bundle.
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new SignerContentSigner(signer), cert));
            g.addCertificates(new JcaCertStore(List.of(cert)));
            Files.write(dir.resolve("bundle.p7s"), g.generate(new CMSProcessableByteArray(data), true).getEncoded());
            Run cms = openssl(dir, "cms", "-verify", "-inform", "DER", "-in", "bundle.p7s", "-CAfile", certPem.toString(),
                    "-purpose", "any", "-out", "content");
            assertThat(cms.exit()).as(cms.output()).isZero();
            assertThat(Files.readAllBytes(dir.resolve("content"))).isEqualTo(data);
        }
    }

    private record Run(int exit, String output) {}

    /** Runs openssl in {@code dir}, waited for with a deadline: a hung process fails the test, never hangs it. */
    private static Run openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile(dir, "openssl-", ".out");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("openssl " + String.join(" ", args) + " did not finish within 60 s");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        return new Run(p.exitValue(), out);
    }

    private static Path pem(Path file, Object o) throws Exception {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(o);
        }
        Files.writeString(file, w.toString());
        return file;
    }
}
