package dev.shomei.ra.books;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.RaConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;

/**
 * Writes the books (帳簿書類): every entry gets its retention deadline (ra.books.retention, 10 years by default)
 * when it is written, in the caller's transaction, so a record and its book entry commit or fail together.
 *
 * <p>Zone: online (ra-service). Inserts into {@code book_entry}; never updates or deletes.
 */
@ApplicationScoped
public class Books {

    private final RaConfig config;
    private final ObjectMapper json;

    @Inject
    public Books(RaConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
    }

    /** The retention deadline of a record made at {@code at}, in UTC calendar terms (a year is a calendar year). */
    public Instant retainUntil(Instant at) {
        return at.atZone(ZoneOffset.UTC).plus(config.books().retention()).toInstant();
    }

    @Transactional(Transactional.TxType.MANDATORY)
    public BookEntry append(BookEntry.Book book, String subjectKind, UUID subjectId, Map<String, ?> entry,
                            Instant at) {
        try {
            return appendJson(book, subjectKind, subjectId, json.writeValueAsString(entry), at);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("book entry not serialisable", ex);
        }
    }

    /** {@link #append} of an entry the caller has serialised with the same ObjectMapper (and digests as it is). */
    @Transactional(Transactional.TxType.MANDATORY)
    public BookEntry appendJson(BookEntry.Book book, String subjectKind, UUID subjectId, String entryJson,
                                Instant at) {
        BookEntry e = new BookEntry();
        e.id = UUID.randomUUID();
        e.book = book;
        e.subjectKind = subjectKind;
        e.subjectId = subjectId;
        e.recordedAt = at;
        e.retainUntil = retainUntil(at);
        e.entry = entryJson;
        e.persist();
        return e;
    }
}
