package dev.shomei.ra.officer;

import dev.shomei.audit.Actor;
import dev.shomei.ra.application.ApplicationService;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationService;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The RA officers' API (mutual TLS): the review queue of referred applications and revocation requests, their
 * decisions, and officer-initiated revocations.
 *
 * <p>Zone: online (ra-service), officer-facing. Authenticates every call, then delegates to the services.
 */
@Path("/officer")
@Produces(MediaType.APPLICATION_JSON)
public class OfficerResource {

    @Inject
    OfficerAuthentication authentication;
    @Inject
    ApplicationService applications;
    @Inject
    RevocationService revocations;

    /**
     * An officer's decision: APPROVED or REJECTED, and the reason, which the books keep. {@code certifiedName}
     * (applications only, optional): the name the certificate will state, as the officer entered or confirmed it;
     * required to approve where the card flags substitute characters (docs/identity.md).
     */
    public record OfficerDecision(String outcome, String reason, String certifiedName) {}

    /** An officer-initiated revocation of the certificate applied for in {@code applicationId}. */
    public record OfficerRevocation(String applicationId, String certificateSerial, String reason) {}

    @GET
    @Path("/queue")
    public Map<String, Object> queue(@Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("officer", officer.id());
        m.put("applications", applications.referredQueue());
        m.put("revocationRequests", revocations.referredQueue());
        return m;
    }

    @POST
    @Path("/applications/{id}/decision")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> decideApplication(@PathParam("id") String id, OfficerDecision body,
                                                 @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request);
        UUID applicationId = uuid(id);
        Outcome outcome = outcome(body);
        applications.decideByOfficer(applicationId, outcome, body.reason().strip(), body.certifiedName(), officer);
        return applications.view(applicationId).orElseThrow();
    }

    @POST
    @Path("/revocation-requests/{id}/decision")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> decideRevocationRequest(@PathParam("id") String id, OfficerDecision body,
                                                       @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request);
        UUID requestId = uuid(id);
        revocations.decideByOfficer(requestId, outcome(body), body.reason().strip(), officer);
        return revocations.view(requestId).orElseThrow();
    }

    @POST
    @Path("/revocations")
    @Consumes(MediaType.APPLICATION_JSON)
    public jakarta.ws.rs.core.Response revoke(OfficerRevocation body, @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request);
        if (body == null || body.applicationId() == null || body.reason() == null || body.reason().isBlank()) {
            throw RaProblem.badRequest("revocation-fields-missing", "Fields missing",
                    "send {\"applicationId\": \"<uuid>\", \"reason\": \"<why>\"} (certificateSerial optional)");
        }
        UUID requestId = revocations.revokeByOfficer(uuid(body.applicationId()), body.certificateSerial(),
                body.reason().strip(), officer);
        return jakarta.ws.rs.core.Response.status(201).entity(revocations.view(requestId).orElseThrow()).build();
    }

    private static Outcome outcome(OfficerDecision body) {
        if (body == null || body.outcome() == null || body.reason() == null || body.reason().isBlank()) {
            throw RaProblem.badRequest("officer-decision-fields-missing", "Fields missing",
                    "send {\"outcome\": \"APPROVED\" or \"REJECTED\", \"reason\": \"<why>\"}; the reason is kept in"
                            + " the books");
        }
        return switch (body.outcome()) {
            case "APPROVED" -> Outcome.APPROVED;
            case "REJECTED" -> Outcome.REJECTED;
            default -> throw RaProblem.badRequest("officer-decision-outcome", "Unknown outcome",
                    "outcome '" + body.outcome() + "' is not a decision an officer makes; use APPROVED or REJECTED")
                    .with("field", "outcome");
        };
    }

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("id-malformed", "Malformed id", "'" + id + "' is not an id; ids are UUIDs");
        }
    }
}
