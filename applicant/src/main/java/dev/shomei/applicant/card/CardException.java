package dev.shomei.applicant.card;

/**
 * The card or token cannot do what was asked: no module, no reader, no card, wrong or locked PIN, card removed.
 * The message says what happened and what the applicant can do; it never holds a PIN.
 *
 * <p>Zone: the applicant's PC. Plain value.
 */
public class CardException extends Exception {

    public CardException(String message) {
        super(message);
    }

    public CardException(String message, Throwable cause) {
        super(message, cause);
    }
}
