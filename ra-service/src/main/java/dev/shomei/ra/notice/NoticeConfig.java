package dev.shomei.ra.notice;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * Out-of-band notices to holders ({@code ra.notice.*}; docs/holders.md). The SMTP server itself is Quarkus Mailer's
 * configuration ({@code quarkus.mailer.host}, {@code .port}, {@code .username}, {@code .password},
 * {@code .start-tls}).
 *
 * <p>Zone: online (ra-service). Read-only view of configuration.
 */
@ConfigMapping(prefix = "ra.notice")
public interface NoticeConfig {

    /** The From address of notices. */
    @WithDefault("shomei-ra@localhost")
    String from();

    /** The RA's public base URL the notice names for objections (POST {public-url}/notices/{id}/disputes). */
    @WithDefault("https://localhost:8443")
    String publicUrl();

    /** How the holder can reach the RA office otherwise (a phone number, an address); shown in every notice. */
    @WithDefault("the RA office (see the CP/CPS, section 1.5.2)")
    String office();

    /** How long after a notice is created the holder may dispute the act it reports. */
    @WithDefault("P14D")
    Duration disputeWindow();

    /** How often the sender looks for notices to send; {@code off} disables it (tests send on demand). */
    @WithDefault("30s")
    String sendEvery();

    /** Wait between attempts to send one notice after a failure. */
    @WithDefault("PT5M")
    Duration retryInterval();

    /** After this many failed attempts a notice is FAILED (recorded in the NOTICE book) and an officer must act. */
    @WithDefault("12")
    int maxAttempts();
}
