package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.RaConfig;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
