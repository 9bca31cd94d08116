package dev.shomei.ra.decision;

import java.util.List;

/**
 * What a policy or an officer decided, as data: the service records it and acts on it (the step-ca model:
 * authorisation returns a decision, the caller applies it).
 *
 * <p>Zone: online (ra-service). Value type.
 *
 * @param reasons the findings that made the outcome what it is (empty for a clean approval)
 */
public record Decision(Outcome outcome, List<Finding> reasons) {

    public Decision {
        reasons = List.copyOf(reasons);
    }
}
