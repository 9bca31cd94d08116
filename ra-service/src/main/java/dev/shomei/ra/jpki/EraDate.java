package dev.shomei.ra.jpki;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Optional;

/**
 * The JPKI date of birth, {@code EYYYYMMDD} (otherName 1.2.392.200149.8.5.5.4): E is the era code (0 unknown,
 * 1 Meiji, 2 Taishō, 3 Shōwa, 4 Heisei, 5 Reiwa), followed by the <b>Gregorian</b> date (JPKI.md). {@code 319800217}
 * is 1980-02-17 (Shōwa 55). The era code is redundant information: a date outside its stated era is malformed, and
 * era 0 says the era is not known. Neither can be verified automatically; an officer looks at them.
 *
 * <p>Zone: online (ra-service). Pure function; touches nothing.
 */
public final class EraDate {

    private EraDate() {}

    /** The era names, indexed by the era code (0 has none). */
    private static final String[] ERA_NAME = {"unknown", "Meiji", "Taishō", "Shōwa", "Heisei", "Reiwa"};

    /** First day of each era, indexed by the era code (index 0, "unknown", has none). */
    private static final LocalDate[] ERA_START = {
        null,
        LocalDate.of(1868, 1, 25),  // Meiji (the calendar reform makes earlier days moot here)
        LocalDate.of(1912, 7, 30),  // Taishō
        LocalDate.of(1926, 12, 25), // Shōwa
        LocalDate.of(1989, 1, 8),   // Heisei (Shōwa ended on 1989-01-07)
        LocalDate.of(2019, 5, 1),   // Reiwa (Heisei ended on 2019-04-30)
    };

    /**
     * What the RA can tell from the value: the Gregorian date when it is a valid date inside its stated era, else
     * the reason it cannot be verified automatically (no personal data: the reason names the era, never the date).
     */
    public record Reading(LocalDate date, String problem) {
        public boolean verified() {
            return date != null;
        }
    }

    /** Reads {@code EYYYYMMDD}; never throws. */
    public static Reading read(String eyyyymmdd) {
        if (eyyyymmdd == null || !eyyyymmdd.matches("[0-9]{9}")) {
            return new Reading(null, "the date of birth is not nine digits EYYYYMMDD (era code and Gregorian date)");
        }
        int era = eyyyymmdd.charAt(0) - '0';
        if (era == 0) {
            return new Reading(null, "the date of birth has era code 0 (era not known), so the card does not state"
                    + " it completely");
        }
        if (era >= ERA_START.length) {
            return new Reading(null, "the date of birth has era code " + era + ", which is not an era JPKI defines"
                    + " (1 Meiji to 5 Reiwa)");
        }
        LocalDate date;
        try {
            date = LocalDate.of(Integer.parseInt(eyyyymmdd.substring(1, 5)), Integer.parseInt(eyyyymmdd.substring(5, 7)),
                    Integer.parseInt(eyyyymmdd.substring(7, 9)));
        } catch (DateTimeException e) {
            return new Reading(null, "the date of birth is not a calendar date");
        }
        boolean inEra = !date.isBefore(ERA_START[era])
                && (era + 1 >= ERA_START.length || date.isBefore(ERA_START[era + 1]));
        if (!inEra) {
            return new Reading(null, "the date of birth lies outside its stated era (" + ERA_NAME[era] + ", era code "
                    + era + "), so the value is malformed");
        }
        return new Reading(date, null);
    }

    /** The Gregorian date, or empty if it cannot be verified (see {@link #read}). */
    public static Optional<LocalDate> toGregorian(String eyyyymmdd) {
        return Optional.ofNullable(read(eyyyymmdd).date());
    }

    /** The era code of a Gregorian date on or after the start of Meiji. */
    public static int eraOf(LocalDate date) {
        for (int era = ERA_START.length - 1; era >= 1; era--) {
            if (!date.isBefore(ERA_START[era])) {
                return era;
            }
        }
        throw new IllegalArgumentException(date + " is before the Meiji era; JPKI encodes it with era 0 (unknown)");
    }

    /** The JPKI encoding of a Gregorian date on or after the start of Meiji: era code, then yyyyMMdd. */
    public static String fromGregorian(LocalDate date) {
        return String.format("%d%04d%02d%02d", eraOf(date), date.getYear(), date.getMonthValue(), date.getDayOfMonth());
    }
}
