package dev.shomei.ra.decision;

/**
 * The three answers to an application or revocation request (諾否の決定), ordered by severity: the outcome of a
 * set of findings is the most severe outcome the policy gives any of them.
 *
 * <p>Zone: online (ra-service). Value type.
 */
public enum Outcome {
    APPROVED, REFERRED, REJECTED;

    public Outcome worst(Outcome other) {
        return other.ordinal() > ordinal() ? other : this;
    }
}
