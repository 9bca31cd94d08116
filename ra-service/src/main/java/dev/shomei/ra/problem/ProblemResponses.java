package dev.shomei.ra.problem;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Turns every error that reaches a caller into RFC 9457 problem+json.
 *
 * <p>Zone: online (ra-service). Writes HTTP responses and the service log (codes and statuses only).
 */
public final class ProblemResponses {

    public static final MediaType PROBLEM_JSON = new MediaType("application", "problem+json");
    private static final Logger LOG = Logger.getLogger(ProblemResponses.class);

    private ProblemResponses() {}

    /** The problem object: RFC 9457 members first, then {@code code} and any extensions. */
    public static Response of(RaProblem p) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://shomei.dev/problems/" + p.code());
        body.put("title", p.title());
        body.put("status", p.status());
        body.put("detail", p.detail());
        body.put("code", p.code());
        body.putAll(p.extensions());
        return Response.status(p.status()).type(PROBLEM_JSON).entity(body).build();
    }

    @Provider
    public static final class RaProblemMapper implements ExceptionMapper<RaProblem> {
        @Override
        public Response toResponse(RaProblem p) {
            LOG.debugf("problem %d %s", p.status(), p.code());
            return of(p);
        }
    }

    /**
     * A JSON body that is not the object the endpoint takes (a field of the wrong type, an array, a second document):
     * Quarkus's own mapper would answer an empty 400; this one says what is wrong and where, without echoing the body.
     */
    @Provider
    public static final class MismatchedJsonMapper implements ExceptionMapper<MismatchedInputException> {
        @Override
        public Response toResponse(MismatchedInputException e) {
            return of(malformedJson(e));
        }
    }

    /**
     * A body in no Unicode encoding: Jackson detects UTF-8, -16 or -32 from the first bytes (RFC 4627 section 3) and
     * its UTF-32 reader fails on a code point above U+10FFFF with this IOException, which is not a Jackson exception.
     */
    @Provider
    public static final class UndecodableBodyMapper implements ExceptionMapper<java.io.CharConversionException> {
        @Override
        public Response toResponse(java.io.CharConversionException e) {
            return of(RaProblem.badRequest("body-malformed", "Malformed JSON body", "the request body could not be"
                    + " read: it is not text in UTF-8, UTF-16 or UTF-32 (" + e.getMessage() + "); send one JSON object"
                    + " with the documented fields, each once, in UTF-8"));
        }
    }

    /** The problem for a body Jackson could not read: the JSON location and, where known, the field. */
    static RaProblem malformedJson(JacksonException e) {
        StringBuilder where = new StringBuilder();
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
            where.append(" (line ").append(e.getLocation().getLineNr()).append(", column ")
                    .append(e.getLocation().getColumnNr()).append(')');
        }
        String field = null;
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            field = m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : String.valueOf(r.getIndex())).collect(java.util.stream.Collectors.joining("."));
        }
        String why = e instanceof MismatchedInputException
                ? (field != null ? "field '" + field + "' has the wrong type or form" : "it is not one JSON object")
                : "it is not valid JSON, has a key twice (RFC 8259 section 4) or has more after the object";
        RaProblem p = RaProblem.badRequest("body-malformed", "Malformed JSON body", "the request body could not be"
                + " read: " + why + where + "; send one JSON object with the documented fields, each once");
        return field != null ? p.with("field", field) : p;
    }

    /** 404 for unknown paths, 405 for e.g. DELETE on the books, 415 for a wrong content type. */
    @Provider
    public static final class WebApplicationExceptionMapper implements ExceptionMapper<WebApplicationException> {
        @Override
        public Response toResponse(WebApplicationException e) {
            if (e.getCause() instanceof JacksonException j) {
                return of(malformedJson(j)); // a body that is not JSON, or has a key twice
            }
            int status = e.getResponse().getStatus();
            String code = switch (status) {
                case 404 -> "not-found";
                case 405 -> "method-not-allowed";
                case 406 -> "not-acceptable";
                case 413 -> "body-too-large";
                case 415 -> "unsupported-media-type";
                default -> status >= 500 ? "internal-error" : "bad-request";
            };
            String title = Response.Status.fromStatusCode(status) == null ? "Error"
                    : Response.Status.fromStatusCode(status).getReasonPhrase();
            String detail = switch (status) {
                case 405 -> "this method is not offered on this resource (books entries, for instance, are never"
                        + " deleted through the API)";
                case 415 -> "send the signed application as Content-Type: application/cms (RFC 7193), the DER of a"
                        + " CMS SignedData";
                default -> e.getMessage();
            };
            return of(new RaProblem(status, code, title, detail));
        }
    }

    /** Anything unexpected: a 500 without internals, and the stack trace in the log (no request data). */
    @Provider
    public static final class UnexpectedMapper implements ExceptionMapper<Exception> {
        @Override
        public Response toResponse(Exception e) {
            LOG.error("unexpected error", e);
            return of(new RaProblem(500, "internal-error", "Internal error",
                    "the RA failed to process the request; nothing partial was recorded (every write is one"
                            + " transaction); retry later or contact the RA operator"));
        }
    }
}
