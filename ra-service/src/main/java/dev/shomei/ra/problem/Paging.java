package dev.shomei.ra.problem;

import dev.shomei.ra.RaConfig;

/**
 * One page of a list or export: every list the RA serves is bounded ({@code ra.paging.*}), so no request makes it
 * read or send a whole table.
 *
 * <p>Zone: online (ra-service). Value type; validates query parameters.
 *
 * @param limit entries on this page (1 to {@code ra.paging.max-limit})
 */
public record Paging(int limit) {

    /** The page size asked for, or the default; a problem naming the bound if it is out of range. */
    public static Paging of(String limit, RaConfig.Paging config) {
        if (limit == null || limit.isBlank()) {
            return new Paging(Math.min(config.defaultLimit(), config.maxLimit()));
        }
        int n;
        try {
            n = Integer.parseInt(limit.strip());
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > config.maxLimit()) {
            throw RaProblem.badRequest("paging-limit", "Page size out of range", "limit '" + limit + "' is not"
                    + " between 1 and " + config.maxLimit() + " (ra.paging.max-limit); page with the next link")
                    .with("field", "limit");
        }
        return new Paging(n);
    }

    /** A non-negative offset or cursor value from a query parameter, 0 if absent. */
    public static long position(String field, String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            long n = Long.parseLong(value.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the problem
        }
        throw RaProblem.badRequest("paging-" + field, "Malformed page position", field + " '" + value + "' is not a"
                + " non-negative integer; use the value from the previous page's next link").with("field", field);
    }
}
