package dev.shomei.ra.status;

import dev.shomei.audit.Actor;
import dev.shomei.ra.officer.OfficerAuthentication;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;

/**
 * The operator status page and its JSON twin ({@code GET /status}, operator role by client certificate;
 * docs/monitoring.md): the same board, rendered by the Qute template {@code templates/status/page.html} for a
 * browser, or as JSON for scripts. The secure zone's part arrives through {@link CaStatusResource}.
 *
 * <p>Zone: online (ra-service), staff-facing. Delegates to {@link StatusBoard}; writes nothing.
 */
@Path("/status")
public class StatusResource {

    @Inject
    OfficerAuthentication staff;
    @Inject
    StatusBoard board;
    @Inject
    StatusMetrics metrics;
    @Inject
    @Location("status/page.html")
    Template page;

    Clock clock = Clock.systemUTC();

    @GET
    @Produces(MediaType.TEXT_HTML)
    public String html(@Context HttpServerRequest request) {
        Actor operator = staff.authenticate(request, OfficerAuthentication.Role.OPERATOR);
        StatusBoard.Board b = board.current(clock.instant());
        metrics.refresh(b);
        return page.data("board", b).data("groups", StatusBoard.GROUPS).data("operator", operator.id()).render();
    }

    @GET
    @Produces({MediaType.APPLICATION_JSON, "application/problem+json"})
    public StatusBoard.Board json(@Context HttpServerRequest request) {
        staff.authenticate(request, OfficerAuthentication.Role.OPERATOR);
        StatusBoard.Board b = board.current(clock.instant());
        metrics.refresh(b);
        return b;
    }
}
