package dev.shomei.ra.renewal;

import dev.shomei.ra.application.ApplicationResource;
import dev.shomei.ra.application.ApplicationService;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code POST /renewals}: a renewal signed with the subscriber's current certificate of this CA (CMS SignedData).
 * The answer is the new application, as {@code GET /applications/{id}} shows it; its certificate is fetched from
 * {@code /applications/{id}/certificate} once the CA has issued it.
 *
 * <p>Zone: online (ra-service), applicant-facing. Delegates to {@link RenewalIntake}.
 */
@Path("/renewals")
public class RenewalResource {

    @Inject
    RenewalIntake intake;
    @Inject
    ApplicationService applications;

    @POST
    @Consumes({ApplicationResource.APPLICATION_CMS, "application/pkcs7-mime", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    public Response submit(byte[] body) {
        RenewalIntake.Submission s = intake.submit(body == null ? new byte[0] : body);
        return ApplicationResource.respond(applications.view(s.applicationId()).orElseThrow(), s.duplicate());
    }
}
