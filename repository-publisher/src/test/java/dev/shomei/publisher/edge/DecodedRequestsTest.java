package dev.shomei.publisher.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The edge's memory of decoded requests stays bounded and keeps POST bodies from the caller's later writes. */
class DecodedRequestsTest {

    @Test
    void requestsMadeUpToFillItNeverGrowItBeyondItsBound() {
        DecodedRequests d = new DecodedRequests();
        for (int i = 0; i < DecodedRequests.MAX_ENTRIES * 2 + 7; i++) {
            d.put("request-" + i, "ocsp/k/" + i + ".der");
            assertThat(d.size()).isLessThanOrEqualTo(DecodedRequests.MAX_ENTRIES);
        }
        String last = "request-" + (DecodedRequests.MAX_ENTRIES * 2 + 6);
        assertThat(d.get(last)).isEqualTo("ocsp/k/" + (DecodedRequests.MAX_ENTRIES * 2 + 6) + ".der");
        assertThat(d.get("never-seen")).isNull();
    }

    @Test
    void aPostBodyIsRememberedByItsBytesNotByTheArrayItCameIn() {
        DecodedRequests d = new DecodedRequests();
        byte[] body = {0x30, 0x03, 0x02, 0x01, 0x07};
        d.put(body, "ocsp/k/7.der");
        assertThat(d.get(body.clone())).isEqualTo("ocsp/k/7.der");
        body[4] = 0x08; // the network buffer reused for another request
        assertThat(d.get(body)).isNull();
        assertThat(d.get(new byte[] {0x30, 0x03, 0x02, 0x01, 0x07})).isEqualTo("ocsp/k/7.der");
    }
}
