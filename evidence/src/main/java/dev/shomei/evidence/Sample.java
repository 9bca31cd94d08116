package dev.shomei.evidence;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A reproducible, stratified sample of decisions (docs/auditor-guide.md, "Drawing the sample").
 *
 * <p>The algorithm, so that anyone holding the same inputs draws the same sample:
 * <ol>
 *   <li>The seed is the root hash (32 bytes) of a signed audit checkpoint published <em>after</em> the period
 *       closed: the operator cannot choose it after the fact without rewriting the published log.</li>
 *   <li>Each decision of the period falls in one stratum: {@code <subject kind> / <outcome> / <decider>}, where the
 *       decider is {@code system <policyId>} or {@code officer <officer id>}.</li>
 *   <li>Within a stratum, decisions are ordered by {@code HMAC-SHA256(key = seed, message = UTF-8 of the decision id
 *       in lowercase canonical UUID form)}, compared as unsigned bytes; ties (none in practice) by decision id.</li>
 *   <li>The first {@code perStratum} decisions of each stratum are the sample (all of them if fewer).</li>
 * </ol>
 *
 * <p>Zone: all (the auditor re-derives it offline from the exported decision list). Pure function.
 */
public final class Sample {

    /** One decision as the sample sees it. */
    public record Candidate(String decisionId, String subjectKind, String outcome, String decider) {
        public String stratum() {
            return subjectKind + " / " + outcome + " / " + decider;
        }
    }

    /** The sample: per stratum, its size and the chosen decision ids in draw order. */
    public record Drawn(String seedHex, int perStratum, Map<String, Integer> stratumSizes,
                        Map<String, List<String>> chosen) {
        public List<String> all() {
            return chosen.values().stream().flatMap(List::stream).toList();
        }
    }

    private Sample() {}

    public static Drawn draw(byte[] seed, List<Candidate> candidates, int perStratum) {
        if (seed == null || seed.length == 0) {
            throw new IllegalArgumentException("the sample needs a seed: a published checkpoint's root hash");
        }
        if (perStratum < 1) {
            throw new IllegalArgumentException("--per-stratum must be at least 1, found " + perStratum);
        }
        Map<String, List<Candidate>> strata = new TreeMap<>();
        for (Candidate c : candidates) {
            strata.computeIfAbsent(c.stratum(), k -> new ArrayList<>()).add(c);
        }
        Map<String, Integer> sizes = new LinkedHashMap<>();
        Map<String, List<String>> chosen = new LinkedHashMap<>();
        for (var e : strata.entrySet()) {
            List<String> ids = e.getValue().stream().map(c -> c.decisionId().toLowerCase(java.util.Locale.ROOT))
                    .sorted(Comparator.comparing((String id) -> rank(seed, id), Sample::compareUnsigned)
                            .thenComparing(Comparator.naturalOrder()))
                    .limit(perStratum).toList();
            sizes.put(e.getKey(), e.getValue().size());
            chosen.put(e.getKey(), ids);
        }
        return new Drawn(Digests.hex(seed), perStratum, sizes, chosen);
    }

    /** HMAC-SHA256(seed, decision id): the decision's place in its stratum's draw. */
    public static byte[] rank(byte[] seed, String decisionId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(seed, "HmacSHA256"));
            return mac.doFinal(decisionId.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }

    private static int compareUnsigned(byte[] a, byte[] b) {
        return java.util.Arrays.compareUnsigned(a, b);
    }
}
