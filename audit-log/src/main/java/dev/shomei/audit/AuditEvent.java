package dev.shomei.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a component asks the log to record: who acted, what they did, to what, and the SHA-256 of the
 * detailed record or evidence (kept elsewhere, e.g. in the books). The log stores only the digest, so a
 * detailed record can later be shown to be the one that was logged.
 *
 * <p>Zone: all. A value type; touches nothing.
 *
 * @param actor        who or what acted
 * @param action       e.g. {@code "certificate.issued"}
 * @param subject      e.g. {@code "serial:0a1b.."}, {@code "application:123"}; may be empty, never null
 * @param detailSha256 SHA-256 of the detailed record (32 bytes)
 */
public record AuditEvent(Actor actor, String action, String subject, byte[] detailSha256) {

    public AuditEvent {
        Objects.requireNonNull(actor, "actor");
        action = Text.required("action", action);
        subject = Text.checked("subject", subject);
        if (detailSha256 == null || detailSha256.length != 32) {
            throw new IllegalArgumentException("detailSha256 must be a 32-byte SHA-256 digest, found "
                    + (detailSha256 == null ? "null" : detailSha256.length + " bytes")
                    + "; use AuditEvent.of(..) to hash the detail");
        }
        detailSha256 = detailSha256.clone();
    }

    /** An event whose detail digest is the SHA-256 of {@code detail}. */
    public static AuditEvent of(Actor actor, String action, String subject, byte[] detail) {
        Objects.requireNonNull(detail, "detail");
        return new AuditEvent(actor, action, subject, sha256(detail));
    }

    @Override
    public byte[] detailSha256() {
        return detailSha256.clone();
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuditEvent e && actor.equals(e.actor) && action.equals(e.action)
                && subject.equals(e.subject) && Arrays.equals(detailSha256, e.detailSha256);
    }

    @Override
    public int hashCode() {
        return Objects.hash(actor, action, subject, Arrays.hashCode(detailSha256));
    }

    @Override
    public String toString() {
        return "AuditEvent[" + actor + ", " + action + ", " + subject + ", detailSha256="
                + HexFormat.of().formatHex(detailSha256) + "]";
    }
}
