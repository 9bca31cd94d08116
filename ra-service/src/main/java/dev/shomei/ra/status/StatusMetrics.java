package dev.shomei.ra.status;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The status board as Prometheus metrics on the management interface ({@code /q/metrics}, docs/monitoring.md).
 * Times are exported as Unix timestamps (seconds), so an alert rule compares them with {@code time()} and the
 * metric need not change while nothing happens.
 *
 * <p>Zone: online (ra-service). Reads the board; writes only meters.
 */
@ApplicationScoped
public class StatusMetrics {

    private static final Logger LOG = Logger.getLogger(StatusMetrics.class);

    private final MeterRegistry registry;
    private final MultiGauge level;
    private final MultiGauge at;
    private final MultiGauge number;
    private final MultiGauge overall;

    @Inject
    StatusBoard board;

    @Inject
    public StatusMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.level = MultiGauge.builder("shomei.status.item.level")
                .description("0 OK, 1 WARNING or UNKNOWN, 2 CRITICAL, per line of the operator status page")
                .register(registry);
        this.at = MultiGauge.builder("shomei.status.item.timestamp.seconds")
                .description("the instant a status line is about: a CRL's or OCSP response's nextUpdate, a report's time")
                .register(registry);
        this.number = MultiGauge.builder("shomei.status.item.value")
                .description("the figure of a status line: CRL number, OCSP responses past half validity, pending orders,"
                        + " checkpoints, HSM up (1) or down (0), refused documents")
                .register(registry);
        this.overall = MultiGauge.builder("shomei.status.overall.level")
                .description("0 OK, 1 WARNING, 2 CRITICAL: the worst line of the status page").register(registry);
    }

    /** Counts a refused status document by its problem code. */
    public void refused(String code) {
        registry.counter("shomei.status.documents.refused", "code", code).increment();
    }

    public void refresh(StatusBoard.Board b) {
        List<MultiGauge.Row<?>> levels = new ArrayList<>();
        List<MultiGauge.Row<?>> times = new ArrayList<>();
        List<MultiGauge.Row<?>> figures = new ArrayList<>();
        for (StatusBoard.Item i : b.items()) {
            Tags tags = Tags.of("item", i.id(), "group", i.group());
            levels.add(MultiGauge.Row.of(tags, i.level().severity));
            if (i.at() != null) {
                times.add(MultiGauge.Row.of(tags, i.at().toEpochMilli() / 1000.0));
            }
            if (i.number() != null) {
                figures.add(MultiGauge.Row.of(tags, i.number()));
            }
        }
        level.register(levels, true);
        at.register(times, true);
        number.register(figures, true);
        overall.register(List.of(MultiGauge.Row.of(Tags.empty(), b.overall().severity)), true);
    }

    /** Levels change with time alone (a nextUpdate comes closer): recomputed between scrapes. */
    @Scheduled(every = "30s", delayed = "5s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        try {
            refresh(board.current(Clock.systemUTC().instant()));
        } catch (RuntimeException e) {
            LOG.warnf("status metrics not refreshed: %s", e.getMessage());
        }
    }
}
