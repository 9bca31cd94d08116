package dev.shomei.ra.testkit;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The test's remote control of {@link SimulatedJlis}: revoke a certificate, take OCSP or the CRL down.
 *
 * <p>Zone: tests only.
 */
public final class JlisControl {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private JlisControl() {}

    public static void revoke(BigInteger serial) {
        post("revoke", serial.toString(16));
    }

    public static void ocsp(boolean up) {
        post("ocsp", up ? "up" : "down");
    }

    public static void crl(boolean up) {
        post("crl", up ? "up" : "down");
    }

    private static void post(String what, String body) {
        String ocsp = ConfigProvider.getConfig().getValue("ra.jlis.ocsp-url", String.class);
        URI uri = URI.create(ocsp.replace("/ocsp", "/control/" + what));
        try {
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() != 204) {
                throw new IllegalStateException("simulated J-LIS control " + what + ": HTTP " + r.statusCode());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
