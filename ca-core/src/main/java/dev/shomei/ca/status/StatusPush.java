package dev.shomei.ca.status;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Posts a signed status document to the RA ({@code POST <orders.pull.url>/ca/status}) over the same outbound
 * mutual-TLS connection the CA pulls orders with (OrderPuller.client): the secure zone opens no port, it reports.
 *
 * <p>Zone: secure, outbound only. Never throws for an unreachable or refusing RA: the answer is returned to be
 * printed, and the next push tries again (monitoring must never stop the pull loop).
 */
public final class StatusPush {

    public static final String MEDIA_TYPE = "application/pkcs7-mime";
    private static final int MAX_ANSWER_BYTES = 2048;

    /** What the RA answered: accepted (2xx) or not, and its words. */
    public record Outcome(boolean accepted, String detail) {}

    private StatusPush() {}

    public static Outcome post(HttpClient http, URI raBase, byte[] signedDocument) {
        URI target = raBase.resolve("ca/status");
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", MEDIA_TYPE).POST(HttpRequest.BodyPublishers.ofByteArray(signedDocument))
                    .build(), HttpResponse.BodyHandlers.ofInputStream());
            String answer;
            try (InputStream in = r.body()) {
                answer = new String(in.readNBytes(MAX_ANSWER_BYTES), StandardCharsets.UTF_8);
            }
            boolean ok = r.statusCode() / 100 == 2;
            return new Outcome(ok, ok ? "status pushed to " + target : "the RA answered " + r.statusCode()
                    + " to POST " + target + ": " + answer);
        } catch (IOException e) {
            return new Outcome(false, "status not pushed: the RA at " + raBase + " is unreachable ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(false, "status not pushed: interrupted");
        }
    }
}
