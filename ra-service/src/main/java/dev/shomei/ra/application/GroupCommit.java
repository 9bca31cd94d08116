package dev.shomei.ra.application;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Group commit for new applications. audit-log serialises appends on its head row until commit, so one
 * transaction per application caps throughput at one commit round trip per decision. Verified applications are
 * queued here and one writer records whatever has queued up in a single transaction; each submitter waits for the
 * commit that holds its own application, so a response still means "recorded". If a group fails (say, two
 * submissions of the same bytes in one group), each application is retried in its own transaction, so one bad
 * apple never costs the others.
 *
 * <p>Zone: online (ra-service). Two writer threads; writes only through {@link ApplicationService}.
 */
@ApplicationScoped
public class GroupCommit {

    private static final Logger LOG = Logger.getLogger(GroupCommit.class);
    /** Larger groups add latency without adding much throughput once the head lock is amortised. */
    static final int MAX_GROUP = 256;

    record Job(String cmsSha256, byte[] cms, Assessment assessment, Instant receivedAt, CompletableFuture<ApplicationService.Recorded> done) {}

    @Inject
    ApplicationService service;

    /**
     * Two writers pipeline: while one holds the audit-log head (appends and commit), the other inserts its rows,
     * which take no lock that the first holds.
     */
    static final int WRITERS = 2;

    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicLong groups = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong items = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
    private final List<Thread> writers = new ArrayList<>();

    void start(@Observes StartupEvent event) {
        for (int i = 0; i < WRITERS; i++) {
            Thread t = new Thread(this::run, "ra-group-commit-" + i);
            t.setDaemon(true);
            t.start();
            writers.add(t);
        }
    }

    void stop(@Observes ShutdownEvent event) {
        writers.forEach(Thread::interrupt);
    }

    /** Queues one application and waits until the transaction that records it has committed. */
    ApplicationService.Recorded record(String cmsSha256, byte[] cms, Assessment assessment, Instant receivedAt) {
        CompletableFuture<ApplicationService.Recorded> done = new CompletableFuture<>();
        queue.add(new Job(cmsSha256, cms, assessment, receivedAt, done));
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while recording an application", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("recording the application took longer than 30 s", e);
        }
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            List<Job> group = new ArrayList<>();
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(group, MAX_GROUP - 1);
            long t0 = System.nanoTime();
            try {
                List<ApplicationService.Recorded> ids = service.recordNew(group);
                long n = groups.incrementAndGet();
                items.addAndGet(group.size());
                nanos.addAndGet(System.nanoTime() - t0);
                if (n % 50 == 0) {
                    LOG.debugf("group commit: %d groups, %.1f applications per group, %.1f ms per group", (Object) n,
                            items.get() / (double) n, nanos.get() / 1e6 / n);
                }
                for (int i = 0; i < group.size(); i++) {
                    group.get(i).done().complete(ids.get(i));
                }
            } catch (RuntimeException groupFailure) {
                if (group.size() > 1) {
                    LOG.debugf("group of %d failed (%s); recording one by one", group.size(),
                            groupFailure.getClass().getSimpleName());
                }
                for (Job j : group) {
                    try {
                        j.done().complete(service.recordNew(j.cmsSha256(), j.cms(), j.assessment(), j.receivedAt()));
                    } catch (RuntimeException e) {
                        j.done().completeExceptionally(e);
                    }
                }
            }
        }
    }
}
