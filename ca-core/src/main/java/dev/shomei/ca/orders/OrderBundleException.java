package dev.shomei.ca.orders;

/** An order bundle refused whole (unknown signer, tampered, malformed, replayed); nothing was executed. */
public class OrderBundleException extends RuntimeException {
    public OrderBundleException(String message) {
        super(message);
    }

    public OrderBundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
