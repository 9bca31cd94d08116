package dev.shomei.ra.safeguard;

import io.quarkus.arc.Arc;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * The channel of the request being served, captured by a request filter for every request and read by the intake
 * code that records applications, renewals and revocation requests ({@link #current()}).
 *
 * <p>Zone: online (ra-service). Request-scoped state only.
 */
@RequestScoped
public class Arrival {

    private Channel channel = Channel.UNKNOWN;

    /** The channel of the request on this thread, or {@link Channel#UNKNOWN} outside an HTTP request. */
    public static Channel current() {
        var container = Arc.container();
        if (container == null || !container.requestContext().isActive()) {
            return Channel.UNKNOWN;
        }
        return container.instance(Arrival.class).get().channel;
    }

    /** The JAX-RS filter that fills it in. */
    public static class Filter {
        @Inject
        Arrival arrival;

        @ServerRequestFilter
        public void capture(ContainerRequestContext request, HttpServerRequest http) {
            arrival.channel = Channel.of(request.getHeaderString(Channel.CLIENT_HEADER),
                    request.getHeaderString("User-Agent"),
                    http.remoteAddress() == null ? null : http.remoteAddress().hostAddress());
        }
    }
}
