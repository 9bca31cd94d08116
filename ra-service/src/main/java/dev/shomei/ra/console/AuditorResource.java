package dev.shomei.ra.console;

import dev.shomei.audit.Actor;
import dev.shomei.ra.officer.OfficerAuthentication.Role;
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
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The auditor's acts in the REST API (HTTPS, auditor client certificate), the same as the console's auditor view:
 * statistics of a period, drawing a sample, one decision's evidence package (zip), the reconciliation result.
 *
 * <p>Zone: online (ra-service), auditor-facing. Read-only apart from the audit-log events of {@link AuditorEvidence}.
 */
@Path("/auditor")
@Produces(MediaType.APPLICATION_JSON)
public class AuditorResource {

    /** A sample request: the period [from, to) and how many decisions to draw per stratum (default 3). */
    public record SampleRequest(String from, String to, Integer perStratum) {}

    @Inject
    ConsoleAccess access;
    @Inject
    AuditorEvidence evidence;

    @GET
    @Path("/statistics")
    public Map<String, Object> statistics(@QueryParam("from") String from, @QueryParam("to") String to,
                                          @Context HttpServerRequest request) {
        access.signIn(request, Role.AUDITOR);
        AuditorConsole.Period p = AuditorConsole.period(from, to);
        return evidence.statistics(p.from(), p.to());
    }

    @POST
    @Path("/samples")
    @Consumes(MediaType.APPLICATION_JSON)
    public Map<String, Object> sample(SampleRequest body, @Context HttpServerRequest request) {
        Actor auditor = access.signIn(request, Role.AUDITOR);
        if (body == null) {
            throw RaProblem.badRequest("sample-fields-missing", "Fields missing", "send {\"from\": \"<instant>\","
                    + " \"to\": \"<instant>\", \"perStratum\": 3}");
        }
        AuditorConsole.Period p = AuditorConsole.period(body.from(), body.to());
        AuditorEvidence.Drawn d = evidence.sample(p.from(), p.to(),
                body.perStratum() == null ? 3 : body.perStratum(), auditor);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("from", d.from().toString());
        m.put("to", d.to().toString());
        m.put("algorithm", "per stratum (subjectKind / outcome / decider), order by HMAC-SHA256(key = seed,"
                + " message = UTF-8 lowercase decision id) as unsigned bytes, take the first perStratum");
        m.put("seedCheckpoint", d.seed().text());
        m.put("seedHex", d.sample().seedHex());
        m.put("seedBeforePeriodEnd", d.seedBeforePeriodEnd());
        m.put("perStratum", d.sample().perStratum());
        m.put("stratumSizes", d.sample().stratumSizes());
        m.put("chosen", d.sample().chosen());
        return m;
    }

    @GET
    @Path("/packages/{decisionId}")
    @Produces("application/zip")
    public Response evidencePackage(@PathParam("decisionId") String decisionId, @Context HttpServerRequest request) {
        Actor auditor = access.signIn(request, Role.AUDITOR);
        UUID id = OfficerConsole.uuid(decisionId);
        return zip(id, evidence.packageZip(id, auditor));
    }

    @GET
    @Path("/reconciliation")
    public Map<String, Object> reconciliation(@Context HttpServerRequest request) {
        access.signIn(request, Role.AUDITOR);
        return evidence.reconciliation().orElseThrow(() -> RaProblem.notFound("reconciliation-report-not-installed",
                "no reconciliation result is installed: run bin/evidence report where the CA's database is"
                        + " reachable and set ra.console.reconciliation-report to its report.json"));
    }

    static Response zip(UUID id, byte[] zip) {
        return Response.ok(zip, "application/zip")
                .header("Content-Disposition", "attachment; filename=\"evidence-" + id + ".zip\"")
                .header("Cache-Control", "no-store").build();
    }
}
