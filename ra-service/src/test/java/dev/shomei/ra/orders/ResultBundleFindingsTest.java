package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.RaTestEnvironment;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Result bundles the fuzzer ({@link ResultBundleFuzzTest}) found to fail the RA with a 500, kept as regression tests:
 * each must now be refused with a 4xx problem naming what is wrong.
 *
 * <p>Zone: tests only.
 */
@QuarkusTest
@WithTestResource(RaTestEnvironment.class)
class ResultBundleFindingsTest {

    /**
     * A BER result bundle whose SignerInfos hold a tagged object where a SignerInfo belongs: Bouncy Castle decodes the
     * signerInfos lazily, so counting them failed with an IllegalArgumentException (an HTTP 500) instead of refusing
     * the body.
     */
    @Test
    void aResultBundleWithAMalformedSignerInfoIsRefusedAsMalformed() throws Exception {
        byte[] input;
        try (InputStream in = getClass().getResourceAsStream("/fuzz-findings/result-bundle-tagged-signer-info.b64")) {
            input = Base64.getMimeDecoder().decode(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }

        Response r = Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")),
                Ra.config("test.tls.password")).contentType("application/pkcs7-mime").body(input)
                .post("/ca/result-bundles");

        r.then().statusCode(400).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("cms-malformed");
    }
}
