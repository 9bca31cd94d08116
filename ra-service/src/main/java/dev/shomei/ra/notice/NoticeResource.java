package dev.shomei.ra.notice;

import dev.shomei.ra.problem.RaProblem;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The holder's objection to a notice: {@code POST /notices/{id}/disputes}. The code from the e-mail is the credential;
 * a dispute only ever puts the act in front of an officer ({@link OfficerDisputeResource}), never undoes it.
 *
 * <p>Zone: online (ra-service). Delegates to {@link Disputes}.
 */
@Path("/notices")
@Produces(MediaType.APPLICATION_JSON)
public class NoticeResource {

    /** What the holder sends: the code the notice carried, and what they object to. */
    public record DisputeRequest(String code, String statement) {}

    @Inject
    Disputes disputes;

    @POST
    @Path("/{id}/disputes")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response dispute(@PathParam("id") String id, DisputeRequest body) {
        if (body == null) {
            throw RaProblem.badRequest("dispute-body-missing", "Body missing", "send {\"code\": \"<from the"
                    + " notice>\", \"statement\": \"<what you object to>\"}");
        }
        NoticeDispute d = disputes.file(uuid(id), body.code(), body.statement(), Instant.now());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("disputeId", d.id);
        m.put("noticeId", d.noticeId);
        m.put("status", d.status);
        m.put("receivedAt", d.receivedAt.toString());
        m.put("next", "an RA officer reviews the dispute and contacts you at the address the notice was sent to");
        return Response.created(URI.create("/notices/" + d.noticeId + "/disputes/" + d.id)).entity(m).build();
    }

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("id-malformed", "Malformed id", "'" + id + "' is not an id; ids are UUIDs");
        }
    }
}
