package dev.shomei.ra.status;

import dev.shomei.audit.Actor;
import dev.shomei.ra.orders.CaAuthentication;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Instant;

/**
 * Where the secure zone pushes its signed status documents ({@code POST /ca/status}): the CA's pinned mTLS client
 * certificate, on the same connection it pulls orders with, since the secure zone opens no port
 * (docs/monitoring.md). A refused document is answered with problem+json and recorded.
 *
 * <p>Zone: online (ra-service), CA-facing. Delegates to {@link StatusDocumentVerifier} and {@link SecureZoneReports}.
 */
@Path("/ca/status")
public class CaStatusResource {

    /** The largest status document read (they are a few KiB). */
    static final int MAX_DOCUMENT_BYTES = 256 * 1024;

    @Inject
    CaAuthentication ca;
    @Inject
    StatusDocumentVerifier verifier;
    @Inject
    SecureZoneReports reports;
    @Inject
    StatusBoard board;
    @Inject
    StatusMetrics metrics;

    Clock clock = Clock.systemUTC();

    @POST
    @Consumes({"application/pkcs7-mime", "application/cms", MediaType.APPLICATION_OCTET_STREAM})
    @Produces({MediaType.APPLICATION_JSON, "application/problem+json"})
    public Response push(@Context HttpServerRequest request, byte[] body) {
        Actor caActor;
        try {
            caActor = ca.authenticate(request);
        } catch (RaProblem p) {
            metrics.refused(p.code()); // counted, not recorded: anyone can knock, and must not fill the audit log
            throw p;
        }
        byte[] doc = body == null ? new byte[0] : body;
        Instant now = clock.instant();
        try {
            if (doc.length > MAX_DOCUMENT_BYTES) {
                throw new RaProblem(413, "status-document-too-large", "Status document too large",
                        "a status document is at most " + MAX_DOCUMENT_BYTES + " bytes; this one is " + doc.length);
            }
            StatusDocumentVerifier.Verified v = verifier.verify(doc, now);
            reports.accept(v, doc, now);
            metrics.refresh(board.current(now));
            return Response.ok(java.util.Map.of("component", v.component(), "documentId", v.documentId(),
                    "producedAt", v.producedAt().toString(), "accepted", true)).build();
        } catch (RaProblem p) {
            if (p.status() != 503) {
                reports.refused(p, doc, caActor, now);
            }
            metrics.refused(p.code());
            throw p;
        }
    }
}
