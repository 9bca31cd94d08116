package dev.shomei.ra.testkit;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The RA under a policy with tight rate and anomaly rules and a hardware-key requirement
 * (policy/approval-policy-safeguards.json), notices retried at once and sent only when a test says so, and forwarded-header handling for a proxy on
 * loopback, so that a test can stand for clients at different addresses (X-Forwarded-For), as an RA behind its
 * TLS-terminating proxy sees them.
 *
 * <p>Zone: tests only.
 */
public class SafeguardsProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("ra.policy.path", "classpath:policy/approval-policy-safeguards.json",
                "ra.notice.retry-interval", "PT0S",
                // The tests send with NoticeSender.sendDue() at the moment they choose: no scheduled round between.
                "ra.notice.send-every", "off",
                "ra.notice.max-attempts", "2",
                "ra.notice.public-url", "https://ra.example.test",
                "quarkus.http.proxy.proxy-address-forwarding", "true",
                "quarkus.http.proxy.allow-x-forwarded", "true",
                "quarkus.http.proxy.trusted-proxies", "127.0.0.1,::1");
    }
}
