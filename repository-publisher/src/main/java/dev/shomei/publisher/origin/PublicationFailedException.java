package dev.shomei.publisher.origin;

import java.io.IOException;

/**
 * A publication that did not complete. The message says what the live repository looks like now: unchanged
 * (the normal case), or, if even the rollback failed, which objects are in which state and that re-running the
 * same bundle completes it.
 */
public class PublicationFailedException extends IOException {
    public PublicationFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
