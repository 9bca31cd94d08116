package dev.shomei.applicant.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How long to follow a request's status, and how often to ask.
 *
 * <p>Zone: the applicant's PC. Options only.
 */
final class FollowOptions {

    @Option(names = "--wait", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "10m",
            description = "follow the status until the end or for this long (0: do not wait; default: ${DEFAULT-VALUE})")
    Duration wait;

    @Option(names = "--poll-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "5s", description = "how often to ask the RA while waiting (default: ${DEFAULT-VALUE})")
    Duration pollInterval;
}
