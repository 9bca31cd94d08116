package dev.shomei.applicant.ra;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The RA refused a request and said why (RFC 9457 problem+json): status, its stable {@code code}, title and detail.
 * A rejected application is recorded by the RA; its id is in the problem ({@link #applicationId()}).
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
public class RaProblemException extends Exception {

    private final int status;
    private final String code;
    private final String title;
    private final String detail;
    private final JsonNode body;

    public RaProblemException(int status, String code, String title, String detail, JsonNode body) {
        super(title + ": " + detail);
        this.status = status;
        this.code = code;
        this.title = title;
        this.detail = detail;
        this.body = body;
    }

    public int status() { return status; }

    public String code() { return code; }

    public String title() { return title; }

    public String detail() { return detail; }

    /** The id of the recorded (rejected) application, if the problem names one. */
    public String applicationId() {
        return body == null ? null : RaClient.text(body, "applicationId").isEmpty() ? null
                : RaClient.text(body, "applicationId");
    }
}
