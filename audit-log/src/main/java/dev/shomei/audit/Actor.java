package dev.shomei.audit;

import java.util.HexFormat;
import java.util.Locale;

/**
 * Who or what acted (責任を有する者の識別): a named person with how they were authenticated, or a
 * component with its version and, when a policy decided, the policy's id and digest.
 *
 * <p>Zone: all. A value type; touches nothing.
 *
 * @param kind           PERSON or SYSTEM
 * @param id             officer/operator name (PERSON) or component name (SYSTEM)
 * @param authentication how the person was authenticated, e.g. {@code "mTLS client cert SHA-256 ab12.."};
 *                       required for PERSON, optional for SYSTEM
 * @param version        component version; required for SYSTEM, absent for PERSON
 * @param policyId       the deciding policy's id; SYSTEM only, set together with policyDigest
 * @param policyDigest   lowercase hex digest of the deciding policy; SYSTEM only
 */
public record Actor(Kind kind, String id, String authentication, String version, String policyId,
                    String policyDigest) {

    public enum Kind { PERSON, SYSTEM }

    public Actor {
        if (kind == null) {
            throw new IllegalArgumentException("actor kind is missing: use Actor.person(..) or Actor.system(..)");
        }
        id = Text.required("actor id", id);
        authentication = Text.optional("actor authentication", authentication);
        version = Text.optional("actor version", version);
        policyId = Text.optional("actor policyId", policyId);
        policyDigest = Text.optional("actor policyDigest", policyDigest);
        if (kind == Kind.PERSON) {
            if (authentication == null) {
                throw new IllegalArgumentException("actor " + id + " is a PERSON but has no authentication:"
                        + " record how they were authenticated (e.g. the client certificate's SHA-256)");
            }
            if (version != null || policyId != null || policyDigest != null) {
                throw new IllegalArgumentException("actor " + id
                        + " is a PERSON: version, policyId and policyDigest belong to SYSTEM actors");
            }
        } else {
            if (version == null) {
                throw new IllegalArgumentException("actor " + id + " is a SYSTEM component but has no version");
            }
            if ((policyId == null) != (policyDigest == null)) {
                throw new IllegalArgumentException("actor " + id
                        + ": policyId and policyDigest must be set together (found only one)");
            }
            if (policyDigest != null) {
                policyDigest = policyDigest.toLowerCase(Locale.ROOT);
                if (!policyDigest.matches("([0-9a-f]{2})+")) {
                    throw new IllegalArgumentException("actor " + id + ": policyDigest must be hex, found '"
                            + policyDigest + "'");
                }
            }
        }
    }

    /** An officer or operator, with how they were authenticated. */
    public static Actor person(String name, String authentication) {
        return new Actor(Kind.PERSON, name, authentication, null, null, null);
    }

    /** A component acting on its own (no policy decision involved). */
    public static Actor system(String component, String version) {
        return new Actor(Kind.SYSTEM, component, null, version, null, null);
    }

    /** A component whose policy decided; the digest identifies the exact policy text that was applied. */
    public static Actor policy(String component, String version, String policyId, String policyDigestHex) {
        if (policyId == null || policyDigestHex == null) {
            throw new IllegalArgumentException("Actor.policy needs both policyId and policyDigestHex");
        }
        return new Actor(Kind.SYSTEM, component, null, version, policyId, policyDigestHex);
    }

    /** The policy digest as bytes, or null when no policy decided. */
    public byte[] policyDigestBytes() {
        return policyDigest == null ? null : HexFormat.of().parseHex(policyDigest);
    }
}
