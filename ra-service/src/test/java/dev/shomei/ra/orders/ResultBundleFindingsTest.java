package dev.shomei.ra.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shomei.ra.Ra;
import dev.shomei.ra.testkit.RaTestEnvironment;
import dev.shomei.ra.testkit.StandInCa;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Result bundles the fuzzer ({@link ResultBundleFuzzTest}) found to fail the RA with a 500, or to be read otherwise
 * than another reader reads them, kept as regression tests: each must now be refused with a 4xx problem naming what is
 * wrong.
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

    /**
     * Found in process ({@link ResultBundleFuzzTest}'s and OfficerBodyFuzzTest's oracles): Jackson matches a key's
     * bytes against the keys it has read before without checking their UTF-8, so {@code "form\xff\xffat"} was read
     * as {@code "format"} once the RA had read one result bundle; another reader refuses those bytes or reads another
     * key (RFC 8259 section 8.1: JSON is UTF-8). The signed content must be UTF-8.
     */
    @Test
    void signedResultContentThatIsNotUtf8IsRefused() throws Exception {
        KeyStore ks = StandInCa.caKeyStore();
        X509Certificate ca = (X509Certificate) ks.getCertificate("ca");
        PrivateKey key = (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray());
        String json = "{\"format\":\"" + Orders.RESULT_FORMAT + "\",\"orderBundleId\":\"no-such-bundle\",\"results\":[]}";
        // First a well-formed one, so that the RA's mapper has read the key "format" (refused: no such bundle).
        Response first = postResult(StandInCa.sign(json.getBytes(StandardCharsets.UTF_8), ca, key));
        first.then().statusCode(422);
        assertThat(first.jsonPath().getString("code")).isEqualTo("order-bundle-unknown");
        byte[] bad = json.replace("\"format\"", "\"form__at\"").getBytes(StandardCharsets.UTF_8);
        int at = json.indexOf("format") + 4;
        bad[at] = (byte) 0xff;
        bad[at + 1] = (byte) 0xff;

        Response r = postResult(StandInCa.sign(bad, ca, key));

        r.then().statusCode(422).contentType("application/problem+json");
        assertThat(r.jsonPath().getString("code")).isEqualTo("result-content-malformed");
    }

    /**
     * Found over HTTP ({@link ResultBundleFuzzTest}, CA-signed content): an id holding U+0000 ({@code "\u0000"} in
     * the JSON) reached the database in a lookup, and PostgreSQL refuses NUL in text ("invalid byte sequence for
     * encoding UTF8: 0x00"): an HTTP 500 to the CA. The signed content may hold no U+0000 anywhere: 422.
     */
    @Test
    void signedResultContentHoldingNulIsRefusedNotAServerError() throws Exception {
        KeyStore ks = StandInCa.caKeyStore();
        X509Certificate ca = (X509Certificate) ks.getCertificate("ca");
        PrivateKey key = (PrivateKey) ks.getKey("ca", Ra.config("test.tls.password").toCharArray());
        for (String json : new String[] {
                "{\"format\":\"" + Orders.RESULT_FORMAT + "\",\"orderBundleId\":\"\\u0000\",\"results\":[]}",
                "{\"format\":\"" + Orders.RESULT_FORMAT + "\",\"orderBundleId\":\"x\",\"results\":[{\"orderId\":"
                        + "\"app-\\u0000\",\"status\":\"refused\"}]}",
                "{\"format\":\"" + Orders.RESULT_FORMAT + "\",\"orderBundleId\":\"x\",\"results\":[],\"\\u0000\":1}"}) {
            Response r = postResult(StandInCa.sign(json.getBytes(StandardCharsets.UTF_8), ca, key));

            r.then().statusCode(422).contentType("application/problem+json");
            assertThat(r.jsonPath().getString("code")).as(json).isEqualTo("result-content-malformed");
        }
    }

    static Response postResult(byte[] cms) {
        return Ra.tls().keyStore(new File(Ra.config("test.orders.ca-client-keystore")), Ra.config("test.tls.password"))
                .contentType("application/pkcs7-mime").body(cms).post("/ca/result-bundles");
    }
}
