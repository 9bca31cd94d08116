package dev.shomei.ra.revocation;

import dev.shomei.ra.problem.RaProblem;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The subscriber's revocation API: submit a JPKI-signed revocation request, read its status.
 *
 * <p>Zone: online (ra-service), public-facing. Delegates to {@link RevocationIntake}.
 */
@Path("/revocation-requests")
public class RevocationResource {

    @Inject
    RevocationIntake intake;
    @Inject
    RevocationService service;

    @POST
    @Consumes({"application/cms", "application/pkcs7-mime", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    public Response submit(byte[] body) {
        RevocationIntake.Submission s = intake.submit(body == null ? new byte[0] : body);
        Map<String, Object> view = service.view(s.requestId()).orElseThrow();
        if (view.get("status") == RevocationRequest.Status.REJECTED) {
            @SuppressWarnings("unchecked")
            Map<String, Object> decision = (Map<String, Object>) view.get("decision");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> reasons = (List<Map<String, Object>>) decision.get("reasons");
            throw RaProblem.unprocessable(String.valueOf(reasons.get(0).get("code")), "Revocation request rejected",
                            reasons.stream().map(r -> String.valueOf(r.get("detail"))).collect(Collectors.joining("; ")))
                    .with("revocationRequestId", s.requestId()).with("reasons", reasons);
        }
        URI location = URI.create("/revocation-requests/" + s.requestId());
        return (s.duplicate() ? Response.ok(view) : Response.created(location).entity(view)).build();
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> status(@PathParam("id") String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("id-malformed", "Malformed id", "'" + id + "' is not an id; ids are UUIDs");
        }
        return service.view(uuid).orElseThrow(() -> RaProblem.notFound("revocation-request-not-found",
                "no revocation request " + id));
    }
}
