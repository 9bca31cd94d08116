package dev.shomei.applicant.cli;

/**
 * The applicant declined, or the RA's answer means the request will not succeed as it is.
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
class RefusedException extends Exception {

    RefusedException(String message) {
        super(message);
    }
}
