package dev.shomei.applicant.cli;

/**
 * --wait ran out before the application reached its end (certificate issued, rejected, refused by the CA).
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
class PendingException extends Exception {

    PendingException(String message) {
        super(message);
    }
}
