package dev.shomei.audit;

/**
 * A failure of the audit log: a database error (wrapped with what was being done) or a refusal to act
 * on a log that is not in the state it must be in. Unchecked, because a caller cannot continue its
 * transaction without its audit entry anyway: it must roll back.
 *
 * <p>Zone: all.
 */
public class AuditException extends RuntimeException {

    public AuditException(String message) {
        super(message);
    }

    public AuditException(String message, Throwable cause) {
        super(message, cause);
    }
}
