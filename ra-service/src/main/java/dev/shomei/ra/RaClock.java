package dev.shomei.ra;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * The RA's time, one {@link Clock} bean for every place that decides by the time: when an application was received,
 * when a J-LIS retry is due and when an application has waited too long for J-LIS (the policy's
 * {@code referAfterJlisUnavailable}), and when a decision is recorded. Production uses the system clock in UTC; a
 * test supplies its own {@code Clock} bean (this one is a {@link DefaultBean}, so any other replaces it) and moves
 * time by hand instead of waiting for it to pass.
 *
 * <p>Zone: online (ra-service). Reads the system clock only.
 */
@ApplicationScoped
public class RaClock {

    @Produces
    @Singleton
    @DefaultBean
    Clock clock() {
        return Clock.systemUTC();
    }
}
