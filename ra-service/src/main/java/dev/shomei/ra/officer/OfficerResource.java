package dev.shomei.ra.officer;

import dev.shomei.audit.Actor;
import dev.shomei.ra.application.ApplicationService;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.problem.Paging;
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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
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
    @Inject
    OfficerDecisions decisions;
    @Inject
    dev.shomei.ra.RaConfig config;

    /**
     * An officer's decision: APPROVED or REJECTED, and the reason, which the books keep. {@code certifiedName}
     * (applications only, optional): the name the certificate will state, as the officer entered or confirmed it;
     * required to approve where the card flags substitute characters (docs/identity.md). {@code jlisOverride}
     * approves an application that has no good answer from J-LIS; it is recorded with the decision.
     */
    public record OfficerDecision(String outcome, String reason, String certifiedName, Boolean jlisOverride) {}

    /** An officer-initiated revocation of the certificate applied for in {@code applicationId}. */
    public record OfficerRevocation(String applicationId, String certificateSerial, String reason) {}

    @GET
    @Path("/queue")
    public Map<String, Object> queue(@QueryParam("limit") String limit, @QueryParam("offset") String offset,
                                     @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request, OfficerAuthentication.Role.OFFICER);
        Paging page = Paging.of(limit, config.paging());
        int from = (int) Math.min(Integer.MAX_VALUE / 2, Paging.position("offset", offset));
        List<Map<String, Object>> apps = new java.util.ArrayList<>();
        for (Map<String, Object> a : applications.referredQueue(from, page.limit())) {
            Map<String, Object> withApprovals = new LinkedHashMap<>(a);
            withApprovals.put("pendingApprovals", decisions.pending((UUID) a.get("applicationId")));
            apps.add(withApprovals);
        }
        List<Map<String, Object>> revs = revocations.referredQueue(from, page.limit());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("officer", officer.id());
        m.put("applications", apps);
        m.put("revocationRequests", revs);
        m.put("limit", page.limit());
        m.put("offset", from);
        // Both lists are paged together; a full page of either means there may be more.
        if (apps.size() == page.limit() || revs.size() == page.limit()) {
            m.put("next", "/officer/queue?limit=" + page.limit() + "&offset=" + (from + page.limit()));
        }
        return m;
    }

    @POST
    @Path("/applications/{id}/decision")
    @Consumes(MediaType.APPLICATION_JSON)
    public jakarta.ws.rs.core.Response decideApplication(@PathParam("id") String id, OfficerDecision body,
                                                         @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request, OfficerAuthentication.Role.OFFICER);
        UUID applicationId = uuid(id);
        Outcome outcome = outcome(body);
        OfficerDecisions.Result result = decisions.decideApplication(applicationId, outcome, body.reason().strip(),
                body.certifiedName(), Boolean.TRUE.equals(body.jlisOverride()), officer);
        Map<String, Object> view = new LinkedHashMap<>(applications.view(applicationId).orElseThrow());
        view.put("pendingApprovals", decisions.pending(applicationId));
        if (result == OfficerDecisions.Result.APPROVAL_PENDING) {
            // Accepted, not decided: a second, different officer completes the approval (four eyes).
            view.put("approval", "PENDING_SECOND_OFFICER");
            return jakarta.ws.rs.core.Response.status(202).entity(view).build();
        }
        return jakarta.ws.rs.core.Response.ok(view).build();
    }

    @POST
    @Path("/revocation-requests/{id}/decision")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> decideRevocationRequest(@PathParam("id") String id, OfficerDecision body,
                                                       @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request, OfficerAuthentication.Role.OFFICER);
        UUID requestId = uuid(id);
        revocations.decideByOfficer(requestId, outcome(body), body.reason().strip(), officer);
        return revocations.view(requestId).orElseThrow();
    }

    @POST
    @Path("/revocations")
    @Consumes(MediaType.APPLICATION_JSON)
    public jakarta.ws.rs.core.Response revoke(OfficerRevocation body, @Context HttpServerRequest request) {
        Actor officer = authentication.authenticate(request, OfficerAuthentication.Role.OFFICER);
        UUID requestId = revocations.revokeByOfficer(applicationId(body), body.certificateSerial(),
                body.reason().strip(), officer);
        return jakarta.ws.rs.core.Response.status(201).entity(revocations.view(requestId).orElseThrow()).build();
    }

    /** The application an officer's revocation names, once its fields are there (package-private: fuzzed). */
    static UUID applicationId(OfficerRevocation body) {
        if (body == null || body.applicationId() == null || body.reason() == null || body.reason().isBlank()) {
            throw RaProblem.badRequest("revocation-fields-missing", "Fields missing",
                    "send {\"applicationId\": \"<uuid>\", \"reason\": \"<why>\"} (certificateSerial optional)");
        }
        // The columns of revocation_request: a longer value would fail the insert (an HTTP 500).
        text("reason", body.reason(), 256);
        text("certificateSerial", body.certificateSerial(), 64);
        return uuid(body.applicationId());
    }

    /** The outcome of an officer's decision, once its fields are there (package-private: fuzzed). */
    static Outcome outcome(OfficerDecision body) {
        if (body == null || body.outcome() == null || body.reason() == null || body.reason().isBlank()) {
            throw RaProblem.badRequest("officer-decision-fields-missing", "Fields missing",
                    "send {\"outcome\": \"APPROVED\" or \"REJECTED\", \"reason\": \"<why>\"}; the reason is kept in"
                            + " the books");
        }
        text("reason", body.reason(), Integer.MAX_VALUE);
        text("certifiedName", body.certifiedName(), Integer.MAX_VALUE);
        return switch (body.outcome()) {
            case "APPROVED" -> Outcome.APPROVED;
            case "REJECTED" -> Outcome.REJECTED;
            default -> throw RaProblem.badRequest("officer-decision-outcome", "Unknown outcome",
                    "outcome '" + body.outcome() + "' is not a decision an officer makes; use APPROVED or REJECTED")
                    .with("field", "outcome");
        };
    }

    /**
     * Text kept in the books: no U+0000 (PostgreSQL text refuses it) and at most {@code max} characters (the column's
     * length); either would fail the write, an HTTP 500.
     */
    private static void text(String field, String value, int max) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw RaProblem.badRequest("text-holds-nul", "Text holds U+0000",
                    field + " holds U+0000 (\\u0000), which no text kept in the books may hold").with("field", field);
        }
        if (value != null && value.codePointCount(0, value.length()) > max) {
            throw RaProblem.badRequest("text-too-long", "Text too long",
                    field + " is longer than " + max + " characters").with("field", field);
        }
    }

    static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("id-malformed", "Malformed id", "'" + id + "' is not an id; ids are UUIDs");
        }
    }
}
