package dev.shomei.ra.decision;

/**
 * One fact a check established about an application or revocation request, named by a stable code that the
 * approval policy maps to an outcome. The detail is shown to the applicant and recorded in the books: it names
 * what differs and how to fix it, but never quotes personal data.
 *
 * <p>Zone: online (ra-service). Value type.
 */
public record Finding(String code, String detail) {}
