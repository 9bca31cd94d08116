package dev.shomei.ra.problem;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A problem the RA reports to its caller as RFC 9457 problem+json: an HTTP status, a stable
 * machine-readable {@code code}, a short title, and a detail naming the field, the value and the fix.
 *
 * <p>Zone: online (ra-service). Plain value; touches nothing. The detail is sent to the caller and may
 * be logged, so it must never hold personal data from a JPKI certificate.
 */
public final class RaProblem extends RuntimeException {

    private final int status;
    private final String code;
    private final String title;
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    public RaProblem(int status, String code, String title, String detail) {
        super(detail);
        this.status = status;
        this.code = code;
        this.title = title;
    }

    public RaProblem(int status, String code, String title, String detail, Throwable cause) {
        super(detail, cause);
        this.status = status;
        this.code = code;
        this.title = title;
    }

    public static RaProblem badRequest(String code, String title, String detail) {
        return new RaProblem(400, code, title, detail);
    }

    public static RaProblem unprocessable(String code, String title, String detail) {
        return new RaProblem(422, code, title, detail);
    }

    public static RaProblem notFound(String code, String detail) {
        return new RaProblem(404, code, "Not found", detail);
    }

    /** Adds a member to the problem object (RFC 9457 section 3.2 extension members). */
    public RaProblem with(String name, Object value) {
        extensions.put(name, value);
        return this;
    }

    public int status() { return status; }

    public String code() { return code; }

    public String title() { return title; }

    public String detail() { return getMessage(); }

    public Map<String, Object> extensions() { return extensions; }
}
