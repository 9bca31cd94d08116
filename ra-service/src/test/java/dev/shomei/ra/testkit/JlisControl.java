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
        forgetCachedCrl();
    }

    public static void ocsp(boolean up) {
        post("ocsp", up ? "up" : "down");
    }

    public static void crl(boolean up) {
        post("crl", up ? "up" : "down");
        forgetCachedCrl();
    }

    /** Makes OCSP answer wrongly in one way (see {@link SimulatedJlis}); "good" restores correct answers. */
    public static void ocspMode(String mode) {
        post("ocsp-mode", mode);
    }

    /** Makes the CRL wrong in one way (see {@link SimulatedJlis}); "good" restores a correct CRL. */
    public static void crlMode(String mode) {
        post("crl-mode", mode);
        forgetCachedCrl();
    }

    /** How many times the CRL has been downloaded. */
    public static int crlFetches() {
        String ocsp = ConfigProvider.getConfig().getValue("ra.jlis.ocsp-url", String.class);
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(ocsp.replace("/ocsp",
                    "/control/crl-fetches"))).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            return Integer.parseInt(r.body().strip());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The RA keeps a verified CRL until its nextUpdate (a day here); after the simulated J-LIS changed its CRL the
     * test drops the RA's copy, as an operator would after J-LIS published one early.
     */
    public static void forgetCachedCrl() {
        io.quarkus.arc.Arc.container().instance(dev.shomei.ra.jpki.JlisRevocationCheck.class).get().forgetCachedCrl();
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
