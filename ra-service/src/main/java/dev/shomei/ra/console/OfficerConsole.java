package dev.shomei.ra.console;

import dev.shomei.audit.Actor;
import dev.shomei.ra.RaConfig;
import dev.shomei.ra.application.Application;
import dev.shomei.ra.console.Views.Page;
import dev.shomei.ra.console.Views.Row;
import dev.shomei.ra.decision.Outcome;
import dev.shomei.ra.officer.OfficerAuthentication.Role;
import dev.shomei.ra.officer.OfficerDecisions;
import dev.shomei.ra.problem.Paging;
import dev.shomei.ra.problem.RaProblem;
import dev.shomei.ra.revocation.RevocationService;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The RA officers' console (HTTPS, officer client certificate): the queue of referred applications and revocation
 * requests with their findings, search by id, certificate serial or status, each application's verified identity
 * (substitute characters highlighted) and evidence, and the decision forms.
 *
 * <p>Every act calls the same service as the REST API ({@code POST /officer/applications/{id}/decision} and
 * {@code POST /officer/revocation-requests/{id}/decision}: {@link OfficerDecisions}, {@link RevocationService}), so
 * four eyes, the J-LIS override, the certified name, the row lock and the books are the same whichever is used.
 *
 * <p>Zone: online (ra-service), officer-facing. Authenticates every request; reads through {@link ConsoleQueries}.
 */
@Path("/console")
@Produces(MediaType.TEXT_HTML)
public class OfficerConsole {

    @Inject
    ConsoleAccess access;
    @Inject
    ConsoleQueries queries;
    @Inject
    OfficerDecisions decisions;
    @Inject
    RevocationService revocations;
    @Inject
    RaConfig config;

    /** The queue (no query), or a search by id, serial or status; paged with limit and offset. */
    @GET
    public Response queue(@QueryParam("q") String q, @QueryParam("status") String status,
                          @QueryParam("limit") String limit, @QueryParam("offset") String offset,
                          @QueryParam("lang") String lang, @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie,
                          @Context HttpHeaders headers, @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(lang, cookie, headers);
        return Html.page(access, request, Role.OFFICER, ctx, "/console", (officer, page) -> {
            Paging paging = Paging.of(limit, config.paging());
            int from = (int) Math.min(Integer.MAX_VALUE / 2, Paging.position("offset", offset));
            ConsoleQueries.Search search = new ConsoleQueries.Search(q, status);
            boolean searching = !search.empty();
            List<Row> rows = searching ? queries.search(search, from, paging.limit())
                    : queries.queue(from, paging.limit());
            String base = "/console?" + (q == null || q.isBlank() ? "" : "q=" + enc(q) + "&")
                    + (status == null || status.isBlank() ? "" : "status=" + enc(status) + "&")
                    + "limit=" + paging.limit() + "&offset=";
            // The queue pages its two lists together (as GET /officer/queue): a full page means there may be more.
            boolean more = rows.stream().filter(Row::application).count() == paging.limit()
                    || rows.stream().filter(r -> !r.application()).count() == paging.limit();
            String previous = from == 0 ? null : base + Math.max(0, from - paging.limit());
            String next = more ? base + (from + paging.limit()) : null;
            List<String> statuses = Arrays.stream(Application.Status.values()).map(Enum::name).toList();
            return Html.send(ConsoleTemplates.queue(page, rows, q == null ? "" : q, status == null ? "" : status,
                    statuses, searching, previous, next), ctx, 200);
        });
    }

    @GET
    @Path("/applications/{id}")
    public Response application(@PathParam("id") String id, @QueryParam("done") String done,
                                @QueryParam("lang") String lang, @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie,
                                @Context HttpHeaders headers, @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(lang, cookie, headers);
        return Html.page(access, request, Role.OFFICER, ctx, "/console/applications/" + id, (officer, page) ->
                applicationPage(page, ctx, officer, uuid(id), notice(done), null, "", "", 200));
    }

    /** An officer's decision from the form; the same call as {@code POST /officer/applications/{id}/decision}. */
    @POST
    @Path("/applications/{id}/decision")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response decideApplication(@PathParam("id") String id, @FormParam("outcome") String outcome,
                                      @FormParam("reason") String reason,
                                      @FormParam("certifiedName") String certifiedName,
                                      @FormParam("jlisOverride") String jlisOverride,
                                      @FormParam("token") String token,
                                      @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie,
                                      @Context HttpHeaders headers, @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(null, cookie, headers);
        String path = "/console/applications/" + id;
        return Html.form(access, request, Role.OFFICER, ctx, path, () -> act("application", uuid(id)), token,
                (officer, page) -> {
            UUID applicationId = uuid(id);
            try {
                OfficerDecisions.Result result = decisions.decideApplication(applicationId, outcome(outcome),
                        required(reason), certifiedName == null || certifiedName.isBlank() ? null : certifiedName,
                        "on".equals(jlisOverride) || "true".equals(jlisOverride), officer);
                return Html.seeOther(path + "?done=" + (result == OfficerDecisions.Result.APPROVAL_PENDING
                        ? "pending" : "decided"));
            } catch (RaProblem p) {
                // The form again, with what was refused and why, and what the officer typed.
                return applicationPage(page, ctx, officer, applicationId, null, p, reason == null ? "" : reason,
                        certifiedName == null ? "" : certifiedName, p.status());
            }
        });
    }

    @GET
    @Path("/revocation-requests/{id}")
    public Response revocation(@PathParam("id") String id, @QueryParam("done") String done,
                               @QueryParam("lang") String lang, @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie,
                               @Context HttpHeaders headers, @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(lang, cookie, headers);
        return Html.page(access, request, Role.OFFICER, ctx, "/console/revocation-requests/" + id, (officer, page) ->
                revocationPage(page, ctx, officer, uuid(id), notice(done), null, 200));
    }

    /** An officer's decision on a referred revocation request; as {@code POST /officer/revocation-requests/{id}/decision}. */
    @POST
    @Path("/revocation-requests/{id}/decision")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response decideRevocation(@PathParam("id") String id, @FormParam("outcome") String outcome,
                                     @FormParam("reason") String reason, @FormParam("token") String token,
                                     @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie,
                                     @Context HttpHeaders headers, @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(null, cookie, headers);
        String path = "/console/revocation-requests/" + id;
        return Html.form(access, request, Role.OFFICER, ctx, path, () -> act("revocation-request", uuid(id)), token,
                (officer, page) -> {
            UUID requestId = uuid(id);
            try {
                revocations.decideByOfficer(requestId, outcome(outcome), required(reason), officer);
                return Html.seeOther(path + "?done=decided");
            } catch (RaProblem p) {
                return revocationPage(page, ctx, officer, requestId, null, p, p.status());
            }
        });
    }

    private Response applicationPage(Page page, Html.Context ctx, Actor officer, UUID id, String notice,
                                     RaProblem error, String reason, String certifiedName, int status) {
        Views.ApplicationPage app = queries.application(id).orElseThrow(() -> RaProblem.notFound(
                "application-not-found", "no application " + id));
        return Html.send(ConsoleTemplates.application(page, app, access.formToken(officer, act("application", id)),
                notice, error == null ? null : error.detail() + " (" + error.code() + ")", reason, certifiedName),
                ctx, status);
    }

    private Response revocationPage(Page page, Html.Context ctx, Actor officer, UUID id, String notice,
                                    RaProblem error, int status) {
        Views.RevocationPage rev = queries.revocation(id).orElseThrow(() -> RaProblem.notFound(
                "revocation-request-not-found", "no revocation request " + id));
        return Html.send(ConsoleTemplates.revocation(page, rev, access.formToken(officer,
                act("revocation-request", id)), notice, error == null ? null : error.detail() + " (" + error.code()
                + ")"), ctx, status);
    }

    /** The act a form token is issued for: deciding this one application or request. */
    static String act(String kind, UUID id) {
        return "decide " + kind + " " + id;
    }

    private static String notice(String done) {
        return "pending".equals(done) || "decided".equals(done) ? done : null;
    }

    private static Outcome outcome(String outcome) {
        if ("APPROVED".equals(outcome)) {
            return Outcome.APPROVED;
        }
        if ("REJECTED".equals(outcome)) {
            return Outcome.REJECTED;
        }
        throw RaProblem.badRequest("officer-decision-outcome", "Unknown outcome", "outcome '" + outcome + "' is not"
                + " a decision an officer makes; use APPROVED or REJECTED").with("field", "outcome");
    }

    private static String required(String reason) {
        if (reason == null || reason.isBlank()) {
            throw RaProblem.badRequest("officer-decision-fields-missing", "Reason missing", "give the reason for"
                    + " the decision; the books keep it").with("field", "reason");
        }
        return reason.strip();
    }

    static UUID uuid(String id) {
        return ConsoleQueries.uuid(id).orElseThrow(() -> RaProblem.badRequest("id-malformed", "Malformed id",
                "'" + id + "' is not an id; ids are UUIDs"));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
