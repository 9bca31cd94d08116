package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.RaConfig;
import dev.shomei.ra.testkit.JpkiPerson;
import dev.shomei.ra.testkit.JpkiTestCa;
import dev.shomei.ra.testkit.SimulatedCard;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every J-LIS signing CA generation in force is pinned: the 2019 generation (signca02) by its published SHA-256 in the
 * shipped configuration; its file is the operator's to install, and a file that does not match the pin stops the RA.
 */
class JpkiTrustAnchorsTest {

    static final String PIN_2019 = "79:67:9C:33:E4:CC:93:19:44:0F:1A:D1:20:A5:97:FF:18:44:E2:EF:21:70:63:AD:B1:76:96:6F:D5:E6:FB:EB";
    static final String PIN_2015 = "19:64:54:05:A1:FE:14:37:74:34:BD:55:95:76:28:AC:40:38:55:7C:54:24:03:A2:24:3F:21:C7:06:FC:93:55";
    static final String PIN_2023 = "D2:27:F6:CD:E1:1D:35:C5:25:21:78:F1:06:F8:43:D2:46:51:94:49:75:41:3B:53:9F:A2:FB:68:DB:FA:36:5F";

    record Anchor(String path, String sha256, Optional<String> name, boolean operatorSupplied,
                  Optional<String> issuedFrom, Optional<String> issuedUntil) implements RaConfig.TrustAnchor {
        static Anchor shipped(String path, String sha256) {
            return new Anchor(path, sha256, Optional.empty(), false, Optional.empty(), Optional.empty());
        }

        static Anchor operator(String path, String sha256) {
            return new Anchor(path, sha256, Optional.of("2019 (signca02, serial 0132C4AB)"), true,
                    Optional.of("2019-09-14"), Optional.of("2023-07-16"));
        }
    }

    @Test
    void theShippedProductionConfigurationPinsThe2019Generation() throws Exception {
        String properties;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("application.properties")) {
            properties = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(properties).contains("ra.jpki.signing-cas[2].sha256=" + PIN_2019)
                .contains("ra.jpki.signing-cas[2].operator-supplied=true")
                .contains("ra.jpki.signing-cas[0].sha256=" + PIN_2015)
                .contains("ra.jpki.signing-cas[1].sha256=" + PIN_2023);
    }

    @Test
    void untilTheOperatorInstallsTheFileTheGenerationIsReportedMissing(@TempDir Path dir) {
        JpkiTrustAnchors anchors = new JpkiTrustAnchors(List.of(
                Anchor.shipped("classpath:jpki/sign-ca-2015.pem", PIN_2015),
                Anchor.shipped("classpath:jpki/sign-ca-2023.pem", PIN_2023),
                Anchor.operator(dir.resolve("signca02.cer").toString(), PIN_2019)));
        assertThat(anchors.generations()).hasSize(2);
        assertThat(anchors.missingGenerations()).singleElement().satisfies(m -> {
            assertThat(m.name()).isEqualTo("2019 (signca02, serial 0132C4AB)");
            assertThat(m.sha256()).isEqualTo(PIN_2019.replace(":", "").toLowerCase());
            assertThat(m.configKey()).isEqualTo("ra.jpki.signing-cas[2]");
        });
    }

    @Test
    void startUpRefusesAFileThatDoesNotMatchThePin(@TempDir Path dir) throws Exception {
        // The operator installed the wrong file (here: the 2023 generation) under the 2019 pin.
        Path wrong = dir.resolve("signca02.cer");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("jpki/sign-ca-2023.pem")) {
            Files.write(wrong, in.readAllBytes());
        }
        assertThatThrownBy(() -> new JpkiTrustAnchors(List.of(
                Anchor.shipped("classpath:jpki/sign-ca-2015.pem", PIN_2015),
                Anchor.operator(wrong.toString(), PIN_2019))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ra.jpki.signing-cas[1].sha256 = " + PIN_2019)
                .hasMessageContaining("d227f6cd")
                .hasMessageContaining("compare the file with the hash J-LIS publishes");
    }

    @Test
    void aMatchingOperatorFileIsInstalled(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sign-ca-2015.pem");
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("jpki/sign-ca-2015.pem")) {
            Files.write(file, in.readAllBytes());
        }
        JpkiTrustAnchors anchors = new JpkiTrustAnchors(List.of(Anchor.operator(file.toString(), PIN_2015)));
        assertThat(anchors.generations()).hasSize(1);
        assertThat(anchors.missingGenerations()).isEmpty();
    }

    @Test
    void aMissingShippedFileStillStopsTheRa(@TempDir Path dir) {
        assertThatThrownBy(() -> new JpkiTrustAnchors(List.of(
                Anchor.shipped(dir.resolve("absent.pem").toString(), PIN_2015))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot read it");
    }

    @Test
    void theGenerationACardNamesIsTriedFirstButOnlyItsSignatureDecides() throws Exception {
        JpkiTrustAnchors anchors = new JpkiTrustAnchors(List.of(
                Anchor.shipped("classpath:jpki-test/sign-ca-2019.pem", pin(JpkiTestCa.GEN_2019)),
                Anchor.shipped("classpath:jpki-test/sign-ca-2024.pem", pin(JpkiTestCa.GEN_2024))));
        KeyPair card = SimulatedCard.rsaKey();
        JpkiPerson person = JpkiPerson.hanako();

        // Each generation's cards, whichever is listed first.
        assertThat(anchors.issuerOf(JpkiTestCa.signing(JpkiTestCa.GEN_2024, card.getPublic(), person)))
                .map(JpkiTrustAnchors.Generation::certificate).contains(JpkiTestCa.GEN_2024.certificate());
        assertThat(anchors.issuerOf(JpkiTestCa.signing(JpkiTestCa.GEN_2019, card.getPublic(), person)))
                .map(JpkiTrustAnchors.Generation::certificate).contains(JpkiTestCa.GEN_2019.certificate());

        // A certificate signed by the 2024 key that names the 2019 key: the signature decides, not the name.
        X509Certificate misnamed = signedBy(JpkiTestCa.GEN_2024, JpkiTestCa.GEN_2019, card.getPublic());
        assertThat(anchors.issuerOf(misnamed)).map(JpkiTrustAnchors.Generation::certificate)
                .contains(JpkiTestCa.GEN_2024.certificate());
        // The same DN and the 2024 key's identifier, another key's signature: no generation.
        X509Certificate lookAlike = signedBy(JpkiTestCa.lookAlike(), JpkiTestCa.GEN_2024, card.getPublic());
        assertThat(anchors.issuerOf(lookAlike)).isEmpty();
    }

    private static String pin(JpkiTestCa.Generation g) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(g.certificate().getEncoded()));
    }

    /** A certificate signed with {@code signer}'s key under its DN, whose authorityKeyIdentifier names {@code named}. */
    private static X509Certificate signedBy(JpkiTestCa.Generation signer, JpkiTestCa.Generation named, PublicKey key)
            throws Exception {
        var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(signer.subject(), BigInteger.valueOf(4711),
                new Date(System.currentTimeMillis() - 86_400_000L), new Date(System.currentTimeMillis() + 86_400_000L),
                new org.bouncycastle.asn1.x500.X500Name("CN=0000000000000000000000001,C=JP"), key);
        b.addExtension(org.bouncycastle.asn1.x509.Extension.authorityKeyIdentifier, false,
                new org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils()
                        .createAuthorityKeyIdentifier(named.certificate().getPublicKey()));
        var signerAlg = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(signer.key());
        return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(b.build(signerAlg));
    }
}
