package dev.shomei.ra.console;

import dev.shomei.audit.Actor;
import dev.shomei.evidence.Report;
import dev.shomei.ra.console.Views.Fact;
import dev.shomei.ra.console.Views.Page;
import dev.shomei.ra.officer.OfficerAuthentication.Role;
import dev.shomei.ra.problem.RaProblem;
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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The auditor's view (HTTPS, auditor client certificate; read-only: it decides nothing): the evidence report's
 * statistics and charts for a period, drawing a sample and downloading each sampled decision's evidence package, and
 * the reconciliation result. Drawing a sample only reads (and records in audit-log who drew it); it is a form so that
 * the sample is not drawn by a link another site could make the browser follow.
 *
 * <p>The same acts are in the REST API: {@code GET /auditor/statistics}, {@code POST /auditor/samples},
 * {@code GET /auditor/packages/{decisionId}}, {@code GET /auditor/reconciliation} ({@link AuditorResource}).
 *
 * <p>Zone: online (ra-service), auditor-facing. Delegates to {@link AuditorEvidence}.
 */
@Path("/console/auditor")
@Produces(MediaType.TEXT_HTML)
public class AuditorConsole {

    static final String SAMPLE_ACT = "draw sample";

    @Inject
    ConsoleAccess access;
    @Inject
    AuditorEvidence evidence;

    @GET
    public Response view(@QueryParam("from") String from, @QueryParam("to") String to,
                         @QueryParam("lang") String lang, @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie,
                         @Context HttpHeaders headers, @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(lang, cookie, headers);
        return Html.page(access, request, Role.AUDITOR, ctx, "/console/auditor", (auditor, page) ->
                render(page, ctx, auditor, from, to, null, null, 200));
    }

    @POST
    @Path("/sample")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response sample(@FormParam("from") String from, @FormParam("to") String to,
                           @FormParam("perStratum") String perStratum, @FormParam("token") String token,
                           @CookieParam(ConsoleAccess.LANG_COOKIE) String cookie, @Context HttpHeaders headers,
                           @Context HttpServerRequest request) {
        Html.Context ctx = Html.Context.of(null, cookie, headers);
        return Html.form(access, request, Role.AUDITOR, ctx, "/console/auditor", () -> SAMPLE_ACT, token,
                (auditor, page) -> {
            try {
                Period period = period(from, to);
                AuditorEvidence.Drawn d = evidence.sample(period.from(), period.to(), perStratum(perStratum), auditor);
                return render(page, ctx, auditor, from, to, sampleView(d), null, 200);
            } catch (RaProblem p) {
                return render(page, ctx, auditor, from, to, null, p.detail() + " (" + p.code() + ")", p.status());
            }
        });
    }

    /** One decision's evidence package, as a zip (the same bytes as {@code GET /auditor/packages/{id}}). */
    @GET
    @Path("/packages/{decisionId}")
    @Produces("application/zip")
    public Response download(@PathParam("decisionId") String decisionId, @Context HttpServerRequest request) {
        Actor auditor = access.signIn(request, Role.AUDITOR);
        UUID id = OfficerConsole.uuid(decisionId);
        return AuditorResource.zip(id, evidence.packageZip(id, auditor));
    }

    private Response render(Page page, Html.Context ctx, Actor auditor, String from, String to, Views.SampleView sample,
                            String error, int status) {
        Period period = period(from, to);
        Map<String, Object> stats = evidence.statistics(period.from(), period.to());
        @SuppressWarnings("unchecked")
        Map<String, Object> decisions = (Map<String, Object>) stats.get("decisions");
        return Html.send(ConsoleTemplates.auditor(page, period.from().toString(), period.to().toString(),
                statsView(stats), Report.barChart("Decisions by decider", map(decisions.get("byDecider"))),
                Report.perDayChart(map(decisions.get("perDay"))), access.formToken(auditor, SAMPLE_ACT),
                evidence.reconciliation().map(AuditorConsole::reconciliationView).orElse(null), sample, error), ctx,
                status);
    }

    record Period(Instant from, Instant to) {}

    /** The period asked for; by default the last 30 days up to the next whole hour. */
    static Period period(String from, String to) {
        Instant t = to == null || to.isBlank() ? Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1))
                : AuditorEvidence.instant("to", to);
        Instant f = from == null || from.isBlank() ? t.minus(Duration.ofDays(30)) : AuditorEvidence.instant("from", from);
        return new Period(f, t);
    }

    static int perStratum(String s) {
        try {
            return s == null || s.isBlank() ? 3 : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw RaProblem.badRequest("sample-per-stratum", "Sample size malformed", "perStratum '" + s + "' is"
                    + " not a whole number").with("field", "perStratum");
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<Fact> facts(Object o) {
        List<Fact> out = new ArrayList<>();
        map(o).forEach((k, v) -> out.add(new Fact(k, String.valueOf(v))));
        return out;
    }

    static Views.StatsView statsView(Map<String, Object> s) {
        Map<String, Object> app = map(s.get("applications"));
        Map<String, Object> dec = map(s.get("decisions"));
        List<Fact> ttd = new ArrayList<>();
        map(s.get("timeToDecision")).forEach((k, v) -> {
            Map<String, Object> t = map(v);
            ttd.add(new Fact(k, t.get("count") + " / " + seconds(t.get("medianSeconds")) + " / "
                    + seconds(t.get("p90Seconds")) + " / " + seconds(t.get("maxSeconds"))));
        });
        return new Views.StatsView(String.valueOf(app.get("received")), facts(app.get("byFinalOutcome")),
                facts(dec.get("byDecider")), facts(dec.get("byFinding")), ttd, facts(s.get("jlisAnswers")),
                facts(s.get("revocationRequests")));
    }

    private static String seconds(Object s) {
        return s instanceof Number n ? String.format(java.util.Locale.ROOT, "%.1f", n.doubleValue()) : "-";
    }

    static Views.SampleView sampleView(AuditorEvidence.Drawn d) {
        List<Views.Stratum> strata = new ArrayList<>();
        d.sample().chosen().forEach((k, v) -> strata.add(new Views.Stratum(k, d.sample().stratumSizes().get(k), v)));
        return new Views.SampleView(d.from().toString(), d.to().toString(), d.seed().rootHex(), d.seed().treeSize(),
                d.seed().time().toString(), d.seedBeforePeriodEnd(), d.sample().perStratum(), strata);
    }

    @SuppressWarnings("unchecked")
    static Views.ReconciliationView reconciliationView(Map<String, Object> r) {
        Map<String, Object> rec = map(r.get("reconciliation"));
        return new Views.ReconciliationView(String.valueOf(r.get("period")), String.valueOf(r.get("generatedAt")),
                String.valueOf(r.get("sha256")), facts(rec.get("counts")),
                ((List<Object>) rec.getOrDefault("manualActs", List.of())).stream().map(String::valueOf).toList(),
                ((List<Object>) rec.getOrDefault("discrepancies", List.of())).stream().map(String::valueOf).toList());
    }
}
