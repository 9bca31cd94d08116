package dev.shomei.ca.issuance;

/** A certificate signing request that cannot be honoured; the message says what is wrong with it. */
public class CsrException extends RuntimeException {
    public CsrException(String message) {
        super(message);
    }

    public CsrException(String message, Throwable cause) {
        super(message, cause);
    }
}
