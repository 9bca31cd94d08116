package dev.shomei.ra.notice;

import dev.shomei.audit.Actor;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.officer.OfficerAuthentication;
import dev.shomei.ra.problem.Paging;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The officers' side of disputes (mutual TLS, as the rest of the officer API): {@code GET /officer/disputes}, the open
 * ones oldest first, and {@code POST /officer/disputes/{id}/decision} with UPHELD or DISMISSED and a reason.
 *
 * <p>Zone: online (ra-service). Delegates to {@link Disputes}.
 */
@Path("/officer/disputes")
@Produces(MediaType.APPLICATION_JSON)
public class OfficerDisputeResource {

    /** An officer's decision on a dispute: UPHELD or DISMISSED, with the reason the books keep. */
    public record DisputeDecision(String outcome, String reason) {}

    @Inject
    Disputes disputes;
    @Inject
    OfficerAuthentication authentication;
    @Inject
    RaConfig config;

    @GET
    public Map<String, Object> queue(@QueryParam("limit") String limit, @QueryParam("offset") String offset,
                                     @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request, OfficerAuthentication.Role.OFFICER);
        Paging page = Paging.of(limit, config.paging());
        int from = (int) Math.min(Integer.MAX_VALUE / 2, Paging.position("offset", offset));
        List<Map<String, Object>> open = disputes.open(from, page.limit());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("officer", officer.id());
        m.put("disputes", open);
        m.put("limit", page.limit());
        m.put("offset", from);
        return m;
    }

    @POST
    @Path("/{id}/decision")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> decide(@PathParam("id") String id, DisputeDecision body,
                                      @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request, OfficerAuthentication.Role.OFFICER);
        if (body == null) {
            throw RaProblem.badRequest("dispute-outcome-invalid", "Body missing", "send {\"outcome\": \"UPHELD\" or"
                    + " \"DISMISSED\", \"reason\": \"<what you checked>\"}");
        }
        return disputes.decide(uuid(id), body.outcome(), body.reason(), officer);
    }

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("id-malformed", "Malformed id", "'" + id + "' is not an id; ids are UUIDs");
        }
    }
}
