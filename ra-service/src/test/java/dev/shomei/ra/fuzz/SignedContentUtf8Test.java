package dev.shomei.ra.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shomei.ra.application.ApplicationContent;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.renewal.RenewalContent;
import dev.shomei.ra.revocation.RevocationContent;
import dev.shomei.ra.testkit.ApplicantClient;
import dev.shomei.ra.testkit.ApplicantClient.Claim;
import dev.shomei.ra.testkit.JpkiPerson;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Signed content (applications, revocation requests, renewals) is read only as well-formed UTF-8 JSON without a key
 * given twice (RFC 8259 sections 8.1 and 4). Jackson matches a key's bytes against keys it has read before without
 * checking that they are UTF-8: a key like {@code "form\xff\xffat"} must be refused, never read as a known key, since
 * another reader of the same signed bytes (an auditor's, a court's) would not read it so.
 *
 * <p>Zone: tests only (the RA's pure parsers).
 */
class SignedContentUtf8Test {

    @Test
    void anApplicationWithAKeyThatIsNotUtf8IsRefused() throws Exception {
        byte[] valid = ApplicantClient.applicationContent(Claim.of(JpkiPerson.hanako()),
                ApplicantClient.csr(ApplicantClient.ecKey()));
        assertRefusedWhenAKeyIsNotUtf8(valid, "format", ApplicationContent::parse);
        assertRefusedWhenAKeyIsNotUtf8(valid, "csr", ApplicationContent::parse);
    }

    @Test
    void aRevocationRequestWithAKeyThatIsNotUtf8IsRefused() throws Exception {
        byte[] valid = ApplicantClient.json(Map.of("format", RevocationContent.FORMAT,
                "applicationId", "6f1c2a9e-3b7d-4c1e-9a55-0d2f8e4b7c10", "reason", "keyCompromise"));
        assertRefusedWhenAKeyIsNotUtf8(valid, "reason", RevocationContent::parse);
        assertRefusedWhenAKeyIsNotUtf8(valid, "applicationId", RevocationContent::parse);
    }

    @Test
    void aRenewalWithAKeyThatIsNotUtf8OrGivenTwiceIsRefused() throws Exception {
        String csr = Base64.getEncoder().encodeToString(ApplicantClient.csr(ApplicantClient.ecKey()));
        byte[] valid = ApplicantClient.json(Map.of("format", RenewalContent.FORMAT, "csr", csr,
                "consent", Map.of("documentId", "consent-2026-04", "sha256", "00".repeat(32))));
        assertRefusedWhenAKeyIsNotUtf8(valid, "csr", RenewalContent::parse);
        assertRefusedWhenAKeyIsNotUtf8(valid, "format", RenewalContent::parse);
        // A second "csr" after the first: Jackson would keep the last one; another reader may keep the first.
        String twice = new String(valid, StandardCharsets.UTF_8).replaceFirst("\\{", "{\"csr\":\"" + csr + "\",");
        assertThatThrownBy(() -> RenewalContent.parse(twice.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(RaProblem.class, p -> assertThat(p.status()).isBetween(400, 499));
    }

    /**
     * Parses the valid sample (so the reader has seen its keys), then the sample with {@code key}'s name broken the way
     * that fooled Jackson: its last, partial four-byte group is stored padded with 0xff bytes, so the same 0xff bytes
     * put in front of that group's bytes give a key it matched as the known one ({@code "form\xff\xffat"} as
     * {@code "format"}).
     */
    private static void assertRefusedWhenAKeyIsNotUtf8(byte[] valid, String key, Function<byte[], ?> parse) {
        assertThat(parse.apply(valid)).isNotNull();
        assertThat(key.length() % 4).as("a key whose last four-byte group is partial").isNotZero();
        String text = new String(valid, StandardCharsets.UTF_8);
        int at = text.indexOf("\"" + key + "\"");
        assertThat(at).as("the sample has the key " + key).isNotNegative();
        int split = at + 1 + key.length() / 4 * 4;
        ByteArrayOutputStream broken = new ByteArrayOutputStream();
        broken.writeBytes(text.substring(0, split).getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 4 - key.length() % 4; i++) {
            broken.write(0xff);
        }
        broken.writeBytes(text.substring(split).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> parse.apply(broken.toByteArray()))
                .as("the key %s with bytes that are not UTF-8 in it", key)
                .isInstanceOfSatisfying(RaProblem.class, p -> assertThat(p.status()).isBetween(400, 499));
    }
}
