package dev.shomei.audit;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit for audit events that stand alone: many threads call {@link #append}; one committer thread takes
 * every event queued so far, appends them with {@link AuditLog#appendAll} (one round trip, one head lock) in one
 * transaction and commits it. Each caller returns only after the commit that holds its event: its entry is durable
 * (the database commits synchronously: {@code database.DurableSettings}) and has its sequence number.
 *
 * <p>Why: {@link AuditLog#append} holds the head row's lock until the caller commits, so with one entry per
 * transaction the log takes one commit (one WAL flush) at a time, and with many writers much of that time goes into
 * handing the lock from one waiting backend to the next. Here a group of N events costs one commit. The committer
 * is a thread rather than "whoever holds a lock": woken one after another through a lock, callers whose events were
 * already committed would each wait for their turn at the lock just to learn so.
 *
 * <p>Events that must commit together with a business write use {@link AuditLog#append} or
 * {@link AuditLog#appendAll} on that write's own transaction instead; this class has no transaction of the caller's
 * to join. Nothing is lost on a crash: an event whose group did not commit was never acknowledged, and its caller
 * got an {@link AuditException}.
 *
 * <p>Zone: all. One connection at a time from its {@link ConnectionSource}, used only by its committer thread;
 * writes only through {@code audit_append_batch}.
 */
public final class GroupAppender implements AutoCloseable {

    /** Opens a connection to the log's database, as a member of {@code shomei_audit_writer}. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    /** Larger groups only lengthen the lock and the wait; 16–256 writers fill a group of this size. */
    static final int MAX_GROUP = 512;

    private record Pending(AuditEvent event, CompletableFuture<Long> seq) {}

    private final AuditLog log;
    private final ConnectionSource connections;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread committer;
    private volatile boolean closed;
    private Connection connection; // the committer thread's only
    private final AtomicLong groupsCommitted = new AtomicLong();
    private final AtomicLong entriesCommitted = new AtomicLong();

    GroupAppender(AuditLog log, ConnectionSource connections) {
        this.log = log;
        this.connections = connections;
        this.committer = Thread.ofPlatform().daemon().name("audit-group-commit " + log.origin()).start(this::run);
    }

    /**
     * Appends {@code event} and returns its sequence number once the transaction holding it has committed.
     *
     * @throws AuditException if the group holding the event could not be appended or committed (then the event is
     *         not in the log, unless the commit itself failed in flight; the caller may retry), or the appender is
     *         closed
     */
    public long append(AuditEvent event) {
        Pending p = new Pending(event, new CompletableFuture<>());
        queue.add(p);
        if (closed) {
            failQueued(); // close() may have drained the queue before this event arrived
        }
        try {
            return p.seq().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof AuditException a ? a : new AuditException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuditException("interrupted while waiting for the commit of audit entry '" + event.action()
                    + "' (it may still be committed)", e);
        }
    }

    private void run() {
        List<Pending> group = new ArrayList<>();
        while (!closed) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
            } catch (InterruptedException e) {
                break;
            }
            queue.drainTo(group, MAX_GROUP - 1);
            commit(group);
            group.clear();
        }
        discardConnection();
        failQueued();
    }

    /** Appends and commits one group; completes each caller's future with its number or the failure. */
    private void commit(List<Pending> group) {
        long[] seqs = new long[group.size()];
        try {
            if (connection == null) {
                connection = connections.open();
                connection.setAutoCommit(false);
            }
            List<Long> stored = log.appendAll(connection, group.stream().map(Pending::event).toList());
            connection.commit();
            for (int i = 0; i < seqs.length; i++) {
                seqs[i] = stored.get(i);
            }
        } catch (RuntimeException | SQLException e) {
            discardConnection();
            AuditException failure = e instanceof AuditException a ? a
                    : new AuditException("cannot commit a group of " + group.size() + " audit entries to log "
                            + log.origin() + ": " + e.getMessage(), e);
            group.forEach(p -> p.seq().completeExceptionally(failure));
            return;
        }
        groupsCommitted.incrementAndGet();
        entriesCommitted.addAndGet(group.size());
        for (int i = 0; i < seqs.length; i++) {
            group.get(i).seq().complete(seqs[i]);
        }
    }

    /** After a failure the connection's state is unknown: roll back what may be open and start afresh next time. */
    private void discardConnection() {
        if (connection == null) {
            return;
        }
        try (Connection c = connection) {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is being thrown away; the rollback was a courtesy to the server
        }
        connection = null;
    }

    private void failQueued() {
        AuditException closedFailure = new AuditException("the group appender of log " + log.origin() + " is closed");
        for (Pending p; (p = queue.poll()) != null; ) {
            p.seq().completeExceptionally(closedFailure);
        }
    }

    /** Mean number of events per committed group so far (the benchmark prints it). */
    double meanGroupSize() {
        long groups = groupsCommitted.get();
        return groups == 0 ? 0 : entriesCommitted.get() / (double) groups;
    }

    /** Stops the committer after the group it is committing; events queued after that fail as "closed". */
    @Override
    public void close() {
        closed = true;
        try {
            committer.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued();
    }
}
