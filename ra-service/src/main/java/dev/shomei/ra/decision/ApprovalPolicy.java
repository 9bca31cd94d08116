package dev.shomei.ra.decision;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.ConfiguredFile;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A versioned approval policy: which outcome each finding leads to, which subscriber keys a CSR may carry, and
 * how long an application may wait for J-LIS before an officer takes it. It is configuration (a JSON file), and
 * its SHA-256 is recorded with every decision it makes, so an auditor can tell which rules decided.
 *
 * <p>Zone: online (ra-service). Pure function of its file; touches nothing.
 */
public final class ApprovalPolicy {

    /** The file's shape. Unknown members are refused so that a typo cannot silently weaken the policy. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Document(String id, String version, CsrKeys csrKeys, Map<String, Outcome> outcomes,
                           Duration referAfterJlisUnavailable, Rules rules, KeyDeviceRules keyDevice) {}

    /**
     * Rate and anomaly rules (optional; an absent rule does not fire). Each firing rule is a finding whose code starts
     * with {@value #RULE_PREFIX}; whatever {@code outcomes} says, such a finding is never approved automatically.
     * Evaluated by {@code dev.shomei.ra.safeguard.SafeguardRules}.
     *
     * @param applicationsPerCard   applications signed with one JPKI certificate within the period
     * @param applicationsPerPerson applications for one JPKI identity (name, date of birth, gender), any card
     * @param requestsPerClientAddress applications and revocation requests from one client address
     * @param keyOfferedBefore      a subscriber key already offered in an earlier application
     * @param renewalSoonAfterIssuance    a renewal of a certificate issued less than this ago
     * @param revocationSoonAfterIssuance a revocation of a certificate issued (or approved) less than this ago
     */
    public record Rules(Rate applicationsPerCard, Rate applicationsPerPerson, Rate requestsPerClientAddress,
                        Boolean keyOfferedBefore, Duration renewalSoonAfterIssuance,
                        Duration revocationSoonAfterIssuance) {}

    /** At most {@code max} earlier requests within {@code period}; one more fires the rule. */
    public record Rate(int max, Duration period) {}

    /** Certificate profiles whose subscriber key must be kept in hardware (a PKCS#11 token or a platform key). */
    public record KeyDeviceRules(Set<String> hardwareRequiredFor) {}

    /** Findings of rate and anomaly rules: always at least REFERRED. */
    public static final String RULE_PREFIX = "rule-";

    /** Subscriber key rules: RSA modulus floor and allowed named EC curves (JCA names, e.g. secp256r1). */
    public record CsrKeys(int rsaMinimumBits, Set<String> ecCurves) {}

    private final Document document;
    private final String digestHex;

    private ApprovalPolicy(Document document, String digestHex) {
        this.document = document;
        this.digestHex = digestHex;
    }

    public static ApprovalPolicy load(String location) {
        byte[] bytes = ConfiguredFile.read("ra.policy.path", location);
        try {
            Document d = new ObjectMapper().findAndRegisterModules()
                    .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(bytes, Document.class);
            List<String> missing = new ArrayList<>();
            if (d.id() == null) missing.add("id");
            if (d.version() == null) missing.add("version");
            if (d.csrKeys() == null) missing.add("csrKeys");
            if (d.outcomes() == null) missing.add("outcomes");
            if (d.referAfterJlisUnavailable() == null) missing.add("referAfterJlisUnavailable");
            if (!missing.isEmpty()) {
                throw new IllegalStateException("ra.policy.path = " + location + ": missing " + missing);
            }
            return new ApprovalPolicy(d, ConfiguredFile.sha256Hex(bytes));
        } catch (IOException e) {
            throw new IllegalStateException("ra.policy.path = " + location + ": not a valid approval policy ("
                    + e.getMessage() + ")", e);
        }
    }

    /**
     * The outcome is the most severe one among the findings. A finding the policy does not name is referred
     * to an officer: new checks must never approve by default.
     */
    public Decision decide(List<Finding> findings) {
        Outcome outcome = Outcome.APPROVED;
        List<Finding> reasons = new ArrayList<>();
        for (Finding f : findings) {
            Outcome o = outcomeOf(f.code());
            if (o == Outcome.APPROVED && f.code().startsWith(RULE_PREFIX)) {
                // A rule that fires refers to an officer; a policy file cannot turn it into an approval.
                o = Outcome.REFERRED;
            }
            if (o != Outcome.APPROVED) {
                reasons.add(f);
            }
            outcome = outcome.worst(o);
        }
        return new Decision(outcome, reasons);
    }

    public Outcome outcomeOf(String code) {
        return document.outcomes().getOrDefault(code, Outcome.REFERRED);
    }

    public String id() { return document.id(); }

    public String version() { return document.version(); }

    public String digestHex() { return digestHex; }

    public CsrKeys csrKeys() { return document.csrKeys(); }

    public Duration referAfterJlisUnavailable() { return document.referAfterJlisUnavailable(); }

    /** The rate and anomaly rules; an empty set of rules when the file has none. */
    public Rules rules() {
        return document.rules() != null ? document.rules() : new Rules(null, null, null, false, null, null);
    }

    /** Whether a certificate of this profile may only certify a key kept in hardware. */
    public boolean hardwareKeyRequired(String profile) {
        return document.keyDevice() != null && document.keyDevice().hardwareRequiredFor() != null
                && document.keyDevice().hardwareRequiredFor().contains(profile);
    }
}
