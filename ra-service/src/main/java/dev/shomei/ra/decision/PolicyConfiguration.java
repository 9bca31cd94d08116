package dev.shomei.ra.decision;

import dev.shomei.audit.Actor;
import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Loads the approval policy named by {@code ra.policy.path} once at start-up, and names the system decider.
 *
 * <p>Zone: online (ra-service). Reads the policy file.
 */
@ApplicationScoped
public class PolicyConfiguration {

    private static final Logger LOG = Logger.getLogger(PolicyConfiguration.class);
    public static final String COMPONENT = "ra-service";

    @Produces
    @Singleton
    @io.quarkus.runtime.Startup
    ApprovalPolicy policy(RaConfig config) {
        ApprovalPolicy p = ApprovalPolicy.load(config.policy().path());
        LOG.infof("approval policy %s version %s sha256 %s", p.id(), p.version(), p.digestHex());
        return p;
    }

    /** The decider recorded for automatic decisions: this component, its version, and the policy with its digest. */
    @Produces
    @Singleton
    SystemDecider systemDecider(ApprovalPolicy policy,
                                @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        return new SystemDecider(Actor.policy(COMPONENT, version, policy.id() + "@" + policy.version(),
                policy.digestHex()));
    }

    /** The system as decider (a named type, so that it cannot be confused with an officer). */
    public record SystemDecider(Actor actor) {}
}
