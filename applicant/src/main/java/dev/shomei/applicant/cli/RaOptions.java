package dev.shomei.applicant.cli;

import dev.shomei.applicant.ra.RaClient;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Where the RA is and how to reach it. The applicant's identity travels in the signed application, so plain HTTP is
 * refused except to this machine (the quickstart's RA).
 *
 * <p>Zone: the applicant's PC. Options only.
 */
final class RaOptions {

    @Option(names = "--ra", paramLabel = "URL", description = "the RA's address, e.g. https://ra.example.jp"
            + " (default: $SHOMEI_RA_URL)")
    String ra;

    @Option(names = "--ra-ca", paramLabel = "PEM", description = "trust these CA certificates for the RA's TLS"
            + " certificate instead of the system's")
    Path raCa;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class, defaultValue = "30s",
            description = "per request to the RA (default: ${DEFAULT-VALUE})")
    Duration timeout;

    RaClient client() throws UsageException {
        String url = ra != null ? ra : System.getenv("SHOMEI_RA_URL");
        if (url == null || url.isBlank()) {
            throw new UsageException("give the RA's address with --ra URL (or set SHOMEI_RA_URL)");
        }
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--ra '" + url + "' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            throw new UsageException("--ra '" + url + "' must start with https:// (or http:// for an RA on this"
                    + " machine)");
        }
        String host = uri.getHost() == null ? "" : uri.getHost();
        boolean local = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]")
                || host.equals("::1");
        if (scheme.equals("http") && !local) {
            throw new UsageException("--ra '" + url + "' is plain HTTP to another machine; the application carries"
                    + " your name, date of birth and address, so only https:// is used beyond localhost");
        }
        try {
            return new RaClient(uri, raCa, timeout);
        } catch (IOException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }
}
