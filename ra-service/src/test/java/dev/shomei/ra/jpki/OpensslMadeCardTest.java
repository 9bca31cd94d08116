package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A new user's first try, with nothing of ours building the input: a JPKI-shaped signing certificate made by openssl
 * alone (otherName SANs as real cards write them, in their order .1, .4, .3, .5, .2, .6, the date of birth as era code
 * + Gregorian date), issued by the pinned test generation, and the application signed with {@code openssl cms -sign}.
 * A correct application is approved automatically.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class OpensslMadeCardTest {

    static final Path DIR = Path.of("target", "openssl-card");
    static final Path CA = Path.of("src", "test", "resources", "jpki-test").toAbsolutePath();

    @Test
    void anApplicationSignedByOpensslWithAnOpensslMadeCardIsApproved() throws Exception {
        Files.createDirectories(DIR);
        String name = "試験\u3000花子";
        String address = "東京都千代田区霞が関二丁目1番2号";
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "card.key");
        openssl("req", "-new", "-key", "card.key", "-subj", "/C=JP/L=Tokyo-to/L=Chiyoda-ku/CN=0123456789ABCDEF012345678",
                "-out", "card.csr");
        // One otherName per line (in a list, a comma would split the value), and FORMAT:UTF8 so that openssl takes
        // the kanji as UTF-8 (without it, openssl reads the bytes as Latin-1 and double-encodes them). The order is
        // the one real cards use: .1, .4, .3, .5, .2, .6.
        Files.writeString(DIR.resolve("jpki.ext"), """
                [jpki]
                keyUsage = critical, digitalSignature, nonRepudiation
                certificatePolicies = 1.2.392.200149.8.5.1.0.20
                subjectKeyIdentifier = hash
                authorityKeyIdentifier = keyid
                subjectAltName = @identity
                [identity]
                otherName.1 = 1.2.392.200149.8.5.5.1;FORMAT:UTF8,UTF8:%s
                otherName.2 = 1.2.392.200149.8.5.5.4;UTF8:319800217
                otherName.3 = 1.2.392.200149.8.5.5.3;UTF8:2
                otherName.4 = 1.2.392.200149.8.5.5.5;FORMAT:UTF8,UTF8:%s
                otherName.5 = 1.2.392.200149.8.5.5.2;UTF8:%s
                otherName.6 = 1.2.392.200149.8.5.5.6;UTF8:%s
                """.formatted(name, address, "0".repeat(name.length()), "0".repeat(address.length())),
                StandardCharsets.UTF_8);
        openssl("x509", "-req", "-in", "card.csr", "-CA", CA.resolve("sign-ca-2024.pem").toString(),
                "-CAkey", CA.resolve("sign-ca-2024.key").toString(), "-set_serial", "0x5A17C0DE", "-days", "1825",
                "-sha256", "-extfile", "jpki.ext", "-extensions", "jpki", "-out", "card.pem");

        // The applicant's content: a CSR of a new key, the claimed identity, the consent document.
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", "shomei-ra-application/1");
        content.put("csr", Base64.getEncoder().encodeToString(ApplicantClient.csr(ApplicantClient.ecKey())));
        content.put("claimedIdentity", Map.of("name", "試験 花子", "birthDate", "1980-02-17", "gender", "female",
                "address", address));
        content.put("consent", Map.of("documentId", ApplicantClient.CONSENT_ID, "sha256", ApplicantClient.CONSENT_SHA256));
        Files.write(DIR.resolve("application.json"), ApplicantClient.json(content));
        openssl("cms", "-sign", "-binary", "-nodetach", "-md", "sha256", "-in", "application.json",
                "-signer", "card.pem", "-inkey", "card.key", "-outform", "DER", "-out", "application.cms");

        Response r = Ra.submit(Files.readAllBytes(DIR.resolve("application.cms")));
        r.then().statusCode(201);
        JsonPath j = r.jsonPath();
        assertThat(j.getString("status")).as(r.asString()).isEqualTo("APPROVED");
        assertThat(j.getString("jpkiCertificate.serial")).isEqualTo("5a17c0de");
        assertThat(j.getList("decision.reasons")).isEmpty();
    }

    static String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl " + args[0] + " did not finish in 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("openssl " + String.join(" ", args) + "\n" + out).isZero();
        return out;
    }
}
