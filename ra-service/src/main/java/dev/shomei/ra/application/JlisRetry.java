package dev.shomei.ra.application;

import dev.shomei.ra.RaConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Retries applications that wait for J-LIS, every {@code ra.jlis.retry-interval}. Waiting applications are rows
 * in the database, so a restart loses none of them; the policy refers an application to an officer once it has
 * waited too long.
 *
 * <p>Zone: online (ra-service). One background thread; works through {@link ApplicationIntake}.
 */
@ApplicationScoped
public class JlisRetry {

    private static final Logger LOG = Logger.getLogger(JlisRetry.class);

    @Inject
    RaConfig config;
    @Inject
    ApplicationIntake intake;
    @Inject
    ApplicationService service;
    @Inject
    Clock clock;

    private ScheduledExecutorService executor;

    void start(@Observes StartupEvent event) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ra-jlis-retry");
            t.setDaemon(true);
            return t;
        });
        long every = config.jlis().retryInterval().toMillis();
        executor.scheduleWithFixedDelay(this::runOnce, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    /** Retries every application whose next attempt is due; returns how many were retried. */
    public int runOnce() {
        int n = 0;
        try {
            for (UUID id : service.waitingDue(clock.instant(), 100)) {
                try {
                    intake.retry(id);
                    n++;
                } catch (RuntimeException e) {
                    LOG.warnf(e, "retry of application %s failed; it stays waiting", id);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("J-LIS retry round failed; next round in " + config.jlis().retryInterval(), e);
        }
        return n;
    }
}
