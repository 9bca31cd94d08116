package dev.shomei.evidence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;

/**
 * Replays an approval policy file over the findings a system decision recorded. This re-implements, outside the
 * RA (a Quarkus application an auditor does not run), exactly the evaluation of ra-service's
 * {@code ApprovalPolicy.decide}: the outcome is the most severe of the outcomes the policy gives each finding
 * (APPROVED &lt; REFERRED &lt; REJECTED), and a finding the policy does not name is REFERRED. The RA records only the
 * findings that made the outcome what it is (those not mapped to APPROVED), so the replay also checks that every
 * recorded finding is one the policy does not approve.
 *
 * <p>Zone: all (auditor's machine). Pure function of the policy bytes.
 */
public final class PolicyReplay {

    public enum Outcome { APPROVED, REFERRED, REJECTED }

    /** @param mismatch null when the recorded outcome is what the policy gives; otherwise why not */
    public record Result(String policyLabel, Outcome replayed, String mismatch) {}

    private final JsonNode policy;

    public PolicyReplay(byte[] policyJson) throws IOException {
        this.policy = new ObjectMapper().readTree(policyJson);
        if (policy == null || !policy.path("outcomes").isObject() || !policy.path("id").isTextual()
                || !policy.path("version").isTextual()) {
            throw new IOException("not an approval policy: id, version and outcomes are required");
        }
    }

    /** {@code id@version}, as the decider's policyId names it. */
    public String label() {
        return policy.get("id").asText() + "@" + policy.get("version").asText();
    }

    public Outcome outcomeOf(String code) {
        JsonNode o = policy.get("outcomes").get(code);
        return o == null ? Outcome.REFERRED : Outcome.valueOf(o.asText());
    }

    public Result replay(List<String> findingCodes, String recordedOutcome) {
        Outcome outcome = Outcome.APPROVED;
        for (String code : findingCodes) {
            Outcome o = outcomeOf(code);
            if (o == Outcome.APPROVED) {
                return new Result(label(), null, "finding '" + code + "' is recorded as a reason, but this policy"
                        + " approves it: the decision was not made under this policy");
            }
            if (o.ordinal() > outcome.ordinal()) {
                outcome = o;
            }
        }
        String mismatch = outcome.name().equals(recordedOutcome) ? null
                : "the policy gives " + outcome + " for findings " + findingCodes + ", the decision says " + recordedOutcome;
        return new Result(label(), outcome, mismatch);
    }
}
