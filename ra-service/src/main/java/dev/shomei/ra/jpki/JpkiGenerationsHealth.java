package dev.shomei.ra.jpki;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/**
 * Health of the J-LIS trust anchors (GET /q/health, /q/health/well): DOWN, naming each pinned generation whose file
 * the operator has not installed yet, because applicants whose cards carry a certificate of that generation cannot
 * be verified. It is a wellness check, not readiness: the RA still serves every other applicant.
 *
 * <p>Zone: online (ra-service). Reads {@link JpkiTrustAnchors} only.
 */
@io.smallrye.health.api.Wellness
@ApplicationScoped
public class JpkiGenerationsHealth implements HealthCheck {

    @Inject
    JpkiTrustAnchors anchors;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("jpki-signing-ca-generations")
                .withData("installed", anchors.generations().size());
        if (anchors.missingGenerations().isEmpty()) {
            return b.up().build();
        }
        for (JpkiTrustAnchors.MissingGeneration m : anchors.missingGenerations()) {
            b.withData("missing " + m.name(), "pinned by " + m.configKey() + " (sha256 " + m.sha256() + ") but "
                    + m.path() + " is not installed: install the certificate J-LIS publishes and restart; until"
                    + " then applications signed under this generation are refused");
        }
        return b.down().build();
    }
}
