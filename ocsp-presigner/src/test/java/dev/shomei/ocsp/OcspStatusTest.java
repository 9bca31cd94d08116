package dev.shomei.ocsp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shomei.ocsp.status.OcspStatus;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The presigner's status document (docs/monitoring.md) counts what a relying party will meet: right after a run
 * every response is fresh; past half their validity they are reported as such (the RA warns); past nextUpdate as
 * lapsed (critical); a certificate issued since the run as missing.
 */
class OcspStatusTest {

    private PresignerFixture f;

    @BeforeEach
    void setUp() throws Exception {
        f = PresignerFixture.create("ocsp-status");
    }

    @AfterEach
    void tearDown() {
        f.close();
    }

    @Test
    void reportsFreshnessPerIssuerAsTimePasses() throws Exception {
        f.issue(3);
        f.presigner().run();
        long responses = f.count("SELECT count(*) FROM ocsp_response");
        Instant now = f.clock.instant();

        JsonNode fresh = issuer(collect(now));
        assertThat(fresh.path("responses").asLong()).isEqualTo(responses);
        assertThat(fresh.path("pastHalfValidity").asLong()).isZero();
        assertThat(fresh.path("lapsed").asLong()).isZero();
        assertThat(fresh.path("missing").asLong()).isZero();
        assertThat(Instant.parse(fresh.path("earliestNextUpdate").asText())).isAfter(now.plus(Duration.ofHours(90)));

        JsonNode halfway = issuer(collect(now.plus(Duration.ofHours(60))));
        assertThat(halfway.path("pastHalfValidity").asLong()).isEqualTo(responses);
        assertThat(halfway.path("lapsed").asLong()).isZero();

        JsonNode lapsed = issuer(collect(now.plus(Duration.ofHours(97))));
        assertThat(lapsed.path("lapsed").asLong()).isEqualTo(responses);

        f.issue(1);
        assertThat(issuer(collect(now)).path("missing").asLong()).isEqualTo(1);
    }

    private JsonNode collect(Instant at) throws Exception {
        try (Connection c = f.ca.database().dataSource().getConnection()) {
            var doc = OcspStatus.collect(c, at);
            c.rollback();
            assertThat(doc.path("format").asText()).isEqualTo("shomei-secure-zone-status/v1");
            assertThat(doc.path("component").asText()).isEqualTo("ocsp-presigner");
            return doc;
        }
    }

    private static JsonNode issuer(JsonNode doc) {
        for (JsonNode i : doc.path("issuers")) {
            if (i.path("issuer").asText().equals(PresignerFixture.ISSUING)) {
                return i;
            }
        }
        throw new AssertionError("no issuer " + PresignerFixture.ISSUING + " in " + doc);
    }
}
