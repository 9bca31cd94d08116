package dev.shomei.ra.notice;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.books.BookEntry;
import dev.shomei.ra.books.Books;
import io.quarkus.mailer.Mail;
import io.quarkus.mailer.Mailer;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Sends queued notices (the outbox {@link Notices} fills) over SMTP through Quarkus Mailer, in three steps:
 * <ol>
 * <li>claim due notices in a short transaction ({@code FOR UPDATE SKIP LOCKED}, then a lease: another RA instance or
 * run skips them while this one sends);</li>
 * <li>send each, outside any transaction (a slow mail server holds no database lock);</li>
 * <li>record the result: SENT with the SHA-256 of what was handed to the server and a NOTICE book entry; or the
 * failure (attempts, the error without the address) and the next attempt; after {@code ra.notice.max-attempts}
 * FAILED, with a NOTICE book entry, for an officer to reach the holder another way.</li>
 * </ol>
 * A crash between steps 2 and 3 sends the notice again after the lease: a holder may get a notice twice, never none.
 *
 * <p>Zone: online (ra-service). Talks to the SMTP server; updates {@code notice}, appends NOTICE book entries.
 */
@ApplicationScoped
public class NoticeSender {

    private static final Logger LOG = Logger.getLogger(NoticeSender.class);
    static final Duration LEASE = Duration.ofMinutes(10);
    static final int BATCH = 50;

    @Inject
    Mailer mailer;
    @Inject
    NoticeConfig config;
    @Inject
    Books books;

    record Claimed(UUID id, String recipient, String subjectLine, String body, int attempt) {}

    @Scheduled(every = "${ra.notice.send-every:30s}", delay = 5, delayUnit = java.util.concurrent.TimeUnit.SECONDS,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scheduled() {
        sendDue();
    }

    /** Sends what is due now; returns how many were sent. */
    public int sendDue() {
        int sent = 0;
        for (Claimed c : claim(Instant.now())) {
            // Step 2
            String text = c.body().replace(Notices.CODE_PLACEHOLDER, codeOf(c.id()));
            try {
                mailer.send(Mail.withText(c.recipient(), c.subjectLine(), text).setFrom(config.from()));
                sent(c, c.subjectLine() + "\n\n" + text, Instant.now());
                sent++;
            } catch (RuntimeException e) {
                failed(c, describe(e, c.recipient()), Instant.now());
            }
        }
        return sent;
    }

    /** Step 1 */
    @Transactional
    List<Claimed> claim(Instant now) {
        List<Notice> due = Notice.find("status = ?1 and nextAttemptAt <= ?2 order by nextAttemptAt",
                        Notice.Status.PENDING, now)
                .withLock(LockModeType.PESSIMISTIC_WRITE)
                // -2 is Hibernate's LockOptions.SKIP_LOCKED: rows another sender holds are left to it.
                .withHint("jakarta.persistence.lock.timeout", -2)
                .page(0, BATCH).list();
        return due.stream().map(n -> {
            n.nextAttemptAt = now.plus(LEASE);
            n.attempts++;
            return new Claimed(n.id, n.recipient, n.subjectLine, n.body, n.attempts);
        }).toList();
    }

    @Transactional
    String codeOf(UUID id) {
        Notice n = Notice.findById(id);
        return n.disputeCode == null ? "(see the RA office)" : n.disputeCode;
    }

    /** Step 3, success. */
    @Transactional
    void sent(Claimed c, String message, Instant now) {
        Notice n = Notice.findById(c.id(), LockModeType.PESSIMISTIC_WRITE);
        n.status = Notice.Status.SENT;
        n.sentAt = now;
        n.nextAttemptAt = null;
        n.lastError = null;
        n.disputeCode = null;
        n.messageSha256 = ConfiguredFile.sha256Hex(message.getBytes(StandardCharsets.UTF_8));
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("noticeId", n.id);
        entry.put("kind", n.kind.name());
        entry.put("state", "SENT");
        entry.put("channel", n.channel);
        entry.put("sentAt", now.toString());
        entry.put("attempt", c.attempt());
        entry.put("messageSha256", n.messageSha256);
        books.append(BookEntry.Book.NOTICE, n.subjectKind, n.subjectId, entry, now);
        LOG.infof("notice %s (%s) sent", n.id, n.kind);
    }

    /** Step 3, failure: retried later, and after the last attempt recorded FAILED for an officer. */
    @Transactional
    void failed(Claimed c, String error, Instant now) {
        Notice n = Notice.findById(c.id(), LockModeType.PESSIMISTIC_WRITE);
        n.lastError = error;
        boolean last = n.attempts >= config.maxAttempts();
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("noticeId", n.id);
        entry.put("kind", n.kind.name());
        entry.put("attempt", c.attempt());
        entry.put("error", error);
        if (last) {
            n.status = Notice.Status.FAILED;
            n.nextAttemptAt = null;
            entry.put("state", "FAILED");
        } else {
            n.nextAttemptAt = now.plus(config.retryInterval());
            entry.put("state", "ATTEMPT_FAILED");
            entry.put("nextAttemptAt", n.nextAttemptAt.toString());
        }
        books.append(BookEntry.Book.NOTICE, n.subjectKind, n.subjectId, entry, now);
        LOG.warnf("notice %s (%s): attempt %d failed (%s)%s", n.id, n.kind, c.attempt(), error,
                last ? "; no more attempts: an RA officer must reach the holder" : "");
    }

    /** The error for the books and the log: the exception and the server's reply, without the holder's address. */
    static String describe(Throwable e, String recipient) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 400; t = t.getCause()) {
            if (!b.isEmpty()) {
                b.append(" <- ");
            }
            b.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) {
                b.append(": ").append(t.getMessage());
            }
        }
        String s = recipient == null ? b.toString() : b.toString().replace(recipient, "[recipient]");
        s = s.replaceAll("\\p{Cntrl}", " ");
        return s.length() > 400 ? s.substring(0, 400) : s;
    }
}
