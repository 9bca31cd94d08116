package dev.shomei.ra.books;

import dev.shomei.audit.Actor;
import dev.shomei.ra.officer.OfficerAuthentication;
import dev.shomei.ra.problem.Paging;
import dev.shomei.ra.problem.RaProblem;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * Export of the books (帳簿書類) for auditors, as CSV or JSON; over mutual TLS with an auditor's certificate (the
 * auditor role: officers decide, auditors read), since the books hold personal data. Paged: at most
 * {@code ra.paging.max-limit} entries per response, in recording order ({@code seq}); the next page is in the
 * {@code Link: <...>; rel="next"} header (RFC 8288) and starts after the last {@code seq} sent. There is
 * deliberately no endpoint that deletes or changes an entry.
 *
 * <p>Zone: online (ra-service), officer/auditor-facing. Read-only.
 */
@Path("/books")
public class BooksResource {

    @Inject
    OfficerAuthentication authentication;
    @Inject
    BooksExport export;
    @Inject
    dev.shomei.ra.RaConfig config;

    @GET
    @Path("/export")
    @Produces({MediaType.APPLICATION_JSON, "text/csv"})
    public Response export(@QueryParam("format") String format, @QueryParam("from") String from,
                           @QueryParam("to") String to, @QueryParam("book") String book,
                           @QueryParam("limit") String limit, @QueryParam("after") String after,
                           @Context HttpServerRequest request) {
        Actor reader = authentication.authenticate(request, OfficerAuthentication.Role.AUDITOR);
        Paging page = Paging.of(limit, config.paging());
        long afterSeq = Paging.position("after", after);
        String f = format == null ? "json" : format;
        if (!f.equals("json") && !f.equals("csv")) {
            throw RaProblem.badRequest("books-format", "Unknown format", "format '" + format + "' is not offered;"
                    + " use format=csv or format=json").with("field", "format");
        }
        Instant start = instant("from", from, Instant.EPOCH);
        Instant end = instant("to", to, Instant.parse("9999-01-01T00:00:00Z"));
        BookEntry.Book which = null;
        if (book != null) {
            try {
                which = BookEntry.Book.valueOf(book);
            } catch (IllegalArgumentException e) {
                throw RaProblem.badRequest("books-book", "Unknown book", "book '" + book + "' is not one of "
                        + List.of(BookEntry.Book.values())).with("field", "book");
            }
        }
        List<BookEntry> entries = export.entries(start, end, which, afterSeq, page.limit(), reader);
        String next = entries.size() < page.limit() ? null : "/books/export?format=" + f
                + (from == null ? "" : "&from=" + start) + (to == null ? "" : "&to=" + end)
                + (which == null ? "" : "&book=" + which) + "&limit=" + page.limit()
                + "&after=" + entries.get(entries.size() - 1).seq;
        if (f.equals("json")) {
            Response.ResponseBuilder r = Response.ok(entries.stream().map(export::view).toList(),
                    MediaType.APPLICATION_JSON);
            return (next == null ? r : r.header("Link", "<" + next + ">; rel=\"next\"")).build();
        }
        StringBuilder csv = new StringBuilder("seq,id,book,subject_kind,subject_id,recorded_at,retain_until,entry\r\n");
        for (BookEntry e : entries) {
            csv.append(e.seq).append(',').append(e.id).append(',').append(e.book).append(',')
                    .append(e.subjectKind).append(',').append(e.subjectId).append(',').append(e.recordedAt)
                    .append(',').append(e.retainUntil).append(',').append(quote(e.entry)).append("\r\n");
        }
        Response.ResponseBuilder r = Response.ok(csv.toString(), "text/csv; charset=UTF-8")
                .header("Content-Disposition", "attachment; filename=\"ra-books.csv\"");
        return (next == null ? r : r.header("Link", "<" + next + ">; rel=\"next\"")).build();
    }

    /** RFC 4180: a field with quotes, commas or line breaks is quoted, quotes doubled. */
    static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static Instant instant(String field, String value, Instant otherwise) {
        if (value == null) {
            return otherwise;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw RaProblem.badRequest("books-" + field, "Malformed time", field + " '" + value + "' is not an"
                    + " RFC 3339 UTC time such as 2026-04-01T00:00:00Z").with("field", field);
        }
    }
}
