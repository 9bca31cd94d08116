package dev.shomei.ra.console;

import dev.shomei.ra.RaConfig;
import dev.shomei.ra.console.Views.Row;
import dev.shomei.ra.officer.OfficerAuthentication.Role;
import dev.shomei.ra.problem.Paging;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's search in the REST API (HTTPS, officer client certificate): {@code q} = an application or revocation
 * request id, or a certificate serial; or {@code status} = applications in that status, newest first, paged.
 *
 * <p>Zone: online (ra-service), officer-facing. Read-only.
 */
@Path("/officer/search")
@Produces(MediaType.APPLICATION_JSON)
public class OfficerSearchResource {

    @Inject
    ConsoleAccess access;
    @Inject
    ConsoleQueries queries;
    @Inject
    RaConfig config;

    @GET
    public Map<String, Object> search(@QueryParam("q") String q, @QueryParam("status") String status,
                                      @QueryParam("limit") String limit, @QueryParam("offset") String offset,
                                      @Context HttpServerRequest request) {
        access.signIn(request, Role.OFFICER);
        ConsoleQueries.Search search = new ConsoleQueries.Search(q, status);
        if (search.empty()) {
            throw RaProblem.badRequest("search-query-missing", "Nothing to search for", "give q (an application or"
                    + " revocation request id, or a certificate serial) or status (an application status); the"
                    + " queue of referred items is GET /officer/queue").with("field", "q");
        }
        Paging page = Paging.of(limit, config.paging());
        int from = (int) Math.min(Integer.MAX_VALUE / 2, Paging.position("offset", offset));
        List<Row> rows = queries.search(search, from, page.limit());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("results", rows.stream().map(r -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("kind", r.kind());
            x.put("id", r.id());
            x.put("status", r.status());
            x.put("receivedAt", r.receivedAt());
            x.put("findings", r.findings());
            x.put("href", r.application() ? "/applications/" + r.id() : "/revocation-requests/" + r.id());
            return x;
        }).toList());
        m.put("limit", page.limit());
        m.put("offset", from);
        if (rows.size() == page.limit()) {
            StringBuilder next = new StringBuilder("/officer/search?");
            if (q != null && !q.isBlank()) {
                next.append("q=").append(java.net.URLEncoder.encode(q, java.nio.charset.StandardCharsets.UTF_8))
                        .append('&');
            }
            if (status != null && !status.isBlank()) {
                next.append("status=").append(java.net.URLEncoder.encode(status,
                        java.nio.charset.StandardCharsets.UTF_8)).append('&');
            }
            m.put("next", next.append("limit=").append(page.limit()).append("&offset=").append(from + page.limit())
                    .toString());
        }
        return m;
    }
}
