package dev.shomei.ra.application;

import dev.shomei.ra.orders.CaGenerations;
import dev.shomei.ra.problem.RaProblem;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The applicant's API: submit a JPKI-signed application, read its status.
 *
 * <p>Zone: online (ra-service), public-facing. Delegates to {@link ApplicationIntake}; holds no state.
 */
@Path("/applications")
public class ApplicationResource {

    /** RFC 7193 media type of CMS; octet-stream is accepted for clients that cannot set it. */
    public static final String APPLICATION_CMS = "application/cms";

    @Inject
    ApplicationIntake intake;
    @Inject
    ApplicationService service;
    @Inject
    CaGenerations generations;

    @POST
    @Consumes({APPLICATION_CMS, "application/pkcs7-mime", MediaType.APPLICATION_OCTET_STREAM})
    @Produces(MediaType.APPLICATION_JSON)
    public Response submit(byte[] body) {
        ApplicationIntake.Submission s = intake.submit(body == null ? new byte[0] : body);
        Map<String, Object> view = s.view() != null ? s.view() : service.view(s.applicationId()).orElseThrow();
        return respond(view, s.duplicate());
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> status(@PathParam("id") String id) {
        return service.view(parse(id)).orElseThrow(() -> RaProblem.notFound("application-not-found",
                "no application with id " + id + "; use the applicationId returned when it was submitted"));
    }

    /** The issued certificate and its chain (the issuing CA), PEM, once the CA has issued it. */
    @GET
    @Path("/{id}/certificate")
    @Produces({"application/pem-certificate-chain", "application/problem+json"})
    public Response certificate(@PathParam("id") String id) {
        Application a = service.find(parse(id)).orElseThrow(() -> RaProblem.notFound("application-not-found",
                "no application with id " + id + "; use the applicationId returned when it was submitted"));
        if (a.certificate == null) {
            throw RaProblem.notFound("certificate-not-issued", "application " + id + " has no certificate yet (status "
                    + a.status + "); it is issued after approval, when the CA has executed the order. Try again later"
                    + (a.caRefusal == null ? "" : "; the CA refused the order: " + a.caRefusal));
        }
        StringBuilder pem = new StringBuilder(pem(a.certificate));
        // The chain of this certificate: the issuing generation that signed it (after a renewal, the old or the new).
        try {
            X509Certificate cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(a.certificate));
            java.util.Optional<X509Certificate> issuer = generations.issuerOf(cert);
            if (issuer.isPresent()) {
                pem.append(pem(issuer.get().getEncoded()));
            }
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
        return Response.ok(pem.toString(), "application/pem-certificate-chain").build();
    }

    private static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END CERTIFICATE-----\n";
    }

    /**
     * The same bytes always get the same answer: 201 (200 when repeated) for approved or referred, 202 while
     * J-LIS is awaited, and a 422 problem naming the reasons for a rejected application.
     */
    public static Response respond(Map<String, Object> view, boolean duplicate) {
        Object status = view.get("status");
        if (status == Application.Status.REJECTED) {
            @SuppressWarnings("unchecked")
            Map<String, Object> decision = (Map<String, Object>) view.get("decision");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> reasons = (List<Map<String, Object>>) decision.get("reasons");
            String code = reasons.isEmpty() ? "application-rejected" : String.valueOf(reasons.get(0).get("code"));
            String detail = reasons.stream().map(r -> String.valueOf(r.get("detail"))).collect(Collectors.joining("; "));
            throw RaProblem.unprocessable(code, "Application rejected", detail)
                    .with("applicationId", view.get("applicationId"))
                    .with("reasons", reasons)
                    .with("decision", decision);
        }
        URI location = URI.create("/applications/" + view.get("applicationId"));
        if (status == Application.Status.WAITING_FOR_JLIS) {
            return Response.accepted(view).location(location).build();
        }
        return (duplicate ? Response.ok(view) : Response.created(location).entity(view)).build();
    }

    static UUID parse(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw RaProblem.badRequest("id-malformed", "Malformed id", "'" + id + "' is not an id; ids are UUIDs"
                    + " such as 3f1c2e9a-8d4b-4c7e-9a21-5b6f0d1e2c3a");
        }
    }
}
