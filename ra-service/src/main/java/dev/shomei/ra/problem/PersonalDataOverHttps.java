package dev.shomei.ra.problem;

import dev.shomei.ra.RaConfig;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Refuses a signed application or revocation request that arrived over plain HTTP: both carry the applicant's
 * name, date of birth, gender and address (in the JPKI certificate and the claimed identity), which the Act on the
 * Protection of Personal Information requires to be protected in transit. The dev and test profiles switch this
 * off ({@code ra.application.require-https=false}). Behind a TLS-terminating proxy, enable Quarkus' forwarded-header
 * handling for that proxy only, so that the request's scheme is the client's.
 *
 * <p>Zone: online (ra-service). Reads the request line; no state.
 */
public class PersonalDataOverHttps {

    /** The endpoints whose bodies carry personal data. */
    static final Set<String> PATHS = Set.of("/applications", "/revocation-requests");

    @Inject
    RaConfig config;

    @ServerRequestFilter(preMatching = true)
    public Response refusePlainHttp(ContainerRequestContext context, HttpServerRequest request) {
        if (!config.application().requireHttps() || !"POST".equals(context.getMethod())) {
            return null;
        }
        String path = context.getUriInfo().getPath();
        if (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        if (!PATHS.contains(path) || "https".equalsIgnoreCase(request.scheme())) {
            return null;
        }
        return ProblemResponses.of(new RaProblem(403, "https-required", "HTTPS required", "POST " + path
                + " carries personal data (the JPKI certificate and the claimed identity) and is accepted only over"
                + " HTTPS; send it to the RA's HTTPS port (https://…:8443" + path + "). Nothing was stored"));
    }
}
