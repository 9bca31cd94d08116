package dev.shomei.ca.issuance;

/**
 * A CA operation refused because of what was asked (unknown serial, already revoked, request id
 * reused with another CSR); the message says what and why. Nothing was written.
 */
public class CaOperationException extends RuntimeException {
    public CaOperationException(String message) {
        super(message);
    }
}
