package dev.shomei.ca.approval;

import dev.shomei.ca.config.ConfigException;
import java.util.Arrays;

/**
 * The kinds of act a quorum may be configured for ({@code approvals.quorum} in ca.yaml; docs/key-ceremony.md).
 * The name is the configuration key and the first field of every act description, so an approval of one
 * kind can never stand for another (CP/CPS §5.2.2: number of persons required per task).
 *
 * <p>Zone: secure. A value type.
 */
public enum ActKind {
    CEREMONY("ceremony"),
    RENEWAL("renewal"),
    DELEGATE("delegate"),
    ISSUE("issue"),
    REVOKE("revoke"),
    CONFIGURATION("configuration"),
    BACKUP("backup"),
    RESTORE("restore"),
    DESTRUCTION("destruction"),
    /** Revoking an issuing CA certificate onto the root's CRL (ca revoke-ca). */
    CA_REVOCATION("ca-revocation");

    private final String key;

    ActKind(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static ActKind parse(String key) {
        for (ActKind k : values()) {
            if (k.key.equals(key)) {
                return k;
            }
        }
        throw new ConfigException("unknown kind of act '" + key + "'; known kinds: "
                + Arrays.stream(values()).map(ActKind::key).toList());
    }
}
