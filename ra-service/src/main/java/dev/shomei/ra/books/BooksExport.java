package dev.shomei.ra.books;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.Actor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the books for auditors (指定調査機関) and records in audit-log who exported what.
 *
 * <p>Zone: online (ra-service). Reads {@code book_entry}; appends to audit-log.
 */
@ApplicationScoped
public class BooksExport {

    @Inject
    AuditTrail audit;
    @Inject
    ObjectMapper json;

    @Transactional
    public List<BookEntry> entries(Instant from, Instant to, BookEntry.Book book, long afterSeq, int limit,
                                   Actor reader) {
        // Keyset paging on seq (the order of recording): stable while new entries are appended.
        List<BookEntry> list = book == null
                ? BookEntry.find("recordedAt >= ?1 and recordedAt < ?2 and seq > ?3 order by seq", from, to,
                        afterSeq).page(0, limit).list()
                : BookEntry.find("recordedAt >= ?1 and recordedAt < ?2 and seq > ?3 and book = ?4 order by seq",
                        from, to, afterSeq, book).page(0, limit).list();
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("from", from.toString());
        detail.put("to", to.toString());
        detail.put("book", book == null ? "ALL" : book.name());
        detail.put("afterSeq", afterSeq);
        detail.put("limit", limit);
        detail.put("entries", list.size());
        audit.append(reader, "books.exported", "books", write(detail).getBytes(StandardCharsets.UTF_8));
        return list;
    }

    /** One entry as exported: its columns, with the entry JSON parsed. */
    public Map<String, Object> view(BookEntry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq);
        m.put("id", e.id);
        m.put("book", e.book);
        m.put("subjectKind", e.subjectKind);
        m.put("subjectId", e.subjectId);
        m.put("recordedAt", e.recordedAt.toString());
        m.put("retainUntil", e.retainUntil.toString());
        try {
            m.put("entry", json.readValue(e.entry, Object.class));
        } catch (JsonProcessingException ex) {
            m.put("entry", e.entry);
        }
        return m;
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
