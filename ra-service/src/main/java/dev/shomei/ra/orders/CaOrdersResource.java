package dev.shomei.ra.orders;

import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The CA-facing API (mutual TLS with a pinned CA client certificate): pull the next order bundle, post the result
 * bundle. The CA never listens; it calls here.
 *
 * <p>Zone: online (ra-service), CA-facing. Delegates to {@link Orders}.
 */
@Path("/ca")
public class CaOrdersResource {

    public static final String PKCS7_MIME = "application/pkcs7-mime";

    @Inject
    CaAuthentication authentication;
    @Inject
    Orders orders;

    @GET
    @Path("/order-bundles/next")
    @Produces({PKCS7_MIME, "application/problem+json"})
    public Response next(@Context HttpServerRequest request) {
        authentication.authenticate(request);
        return orders.nextBundle().map(b -> Response.ok(b, PKCS7_MIME).build())
                .orElseGet(() -> Response.noContent().build());
    }

    @POST
    @Path("/result-bundles")
    @Consumes({PKCS7_MIME, "application/cms", MediaType.APPLICATION_OCTET_STREAM})
    public Response result(@Context HttpServerRequest request, byte[] body) {
        orders.ingest(body == null ? new byte[0] : body, authentication.authenticate(request));
        // Committed (ingest is its own transaction); a crash here loses only the CA's answer: it delivers again.
        CrashPoints.reach(CrashPoints.INGEST_AFTER_COMMIT, "");
        return Response.noContent().build();
    }
}
