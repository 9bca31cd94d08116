package dev.shomei.applicant.ra;

/**
 * The RA could not be reached or could not answer (connection refused, timeout, TLS failure, HTTP 5xx). Sending the
 * same signed bytes again is safe: the RA recognises them and never decides twice.
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
public class RaUnavailableException extends Exception {

    public RaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
