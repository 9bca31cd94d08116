package dev.shomei.applicant.cli;

/**
 * The exit codes of {@code apply}, so that scripts can tell what to do next. 1 and 2 mean what they mean for the
 * operators' commands ({@code ca}, {@code presigner}); 3-5 are the applicant's own.
 *
 * <p>Zone: the applicant's PC. Constants.
 */
public final class ExitCodes {

    /** Done: submitted (and, when waiting, issued and saved), or the status shown. */
    public static final int OK = 0;
    /** Refused: by the RA (problem+json, a rejected application), by the tool (the card's authentication
     *  certificate), or declined by the applicant. Sending the same thing again will not help. */
    public static final int REFUSED = 1;
    /** Usage: a wrong or missing option, an unreadable file, no terminal to ask on. Nothing was signed. */
    public static final int USAGE = 2;
    /** The card or token: no module, no reader, no card, wrong or locked PIN, card removed. */
    public static final int CARD = 3;
    /** The network or the RA: unreachable, timeout, TLS, HTTP 5xx. Try again later; resending is safe. */
    public static final int NETWORK = 4;
    /** Not finished within --wait: the application is still being decided or the certificate not yet issued. */
    public static final int PENDING = 5;

    private ExitCodes() {}
}
