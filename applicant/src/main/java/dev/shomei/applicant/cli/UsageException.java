package dev.shomei.applicant.cli;

/**
 * The command cannot run as given: a missing option, a file that cannot be read, no terminal to ask on.
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
class UsageException extends Exception {

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
