package dev.shomei.ra.jpki;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Optional;

/**
 * The JPKI date of birth, {@code EYYYYMMDD}: E is the era (0 unknown, 1 Meiji, 2 Taishō, 3 Shōwa, 4 Heisei,
 * 5 Reiwa), YYYY the year of that era (first year = 1), MMDD month and day (JPKI.md).
 *
 * <p>Zone: online (ra-service). Pure function; touches nothing.
 */
public final class EraDate {

    private EraDate() {}

    /** First day of each era, indexed by the era digit (index 0, "unknown", has none). */
    private static final LocalDate[] ERA_START = {
        null,
        LocalDate.of(1868, 1, 25),  // Meiji (the calendar reform makes earlier days moot here)
        LocalDate.of(1912, 7, 30),  // Taishō
        LocalDate.of(1926, 12, 25), // Shōwa
        LocalDate.of(1989, 1, 8),   // Heisei
        LocalDate.of(2019, 5, 1),   // Reiwa
    };

    /** The Gregorian date, or empty if the era is unknown (0) or the value is not a valid date of that era. */
    public static Optional<LocalDate> toGregorian(String eyyyymmdd) {
        if (eyyyymmdd == null || !eyyyymmdd.matches("[0-9]{9}")) {
            return Optional.empty();
        }
        int era = eyyyymmdd.charAt(0) - '0';
        if (era < 1 || era >= ERA_START.length) {
            return Optional.empty();
        }
        int yearOfEra = Integer.parseInt(eyyyymmdd.substring(1, 5));
        int month = Integer.parseInt(eyyyymmdd.substring(5, 7));
        int day = Integer.parseInt(eyyyymmdd.substring(7, 9));
        if (yearOfEra < 1) {
            return Optional.empty();
        }
        try {
            LocalDate date = LocalDate.of(ERA_START[era].getYear() + yearOfEra - 1, month, day);
            boolean inEra = !date.isBefore(ERA_START[era])
                    && (era + 1 >= ERA_START.length || date.isBefore(ERA_START[era + 1]));
            return inEra ? Optional.of(date) : Optional.empty();
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /** The era encoding of a Gregorian date on or after the start of Meiji. */
    public static String fromGregorian(LocalDate date) {
        for (int era = ERA_START.length - 1; era >= 1; era--) {
            if (!date.isBefore(ERA_START[era])) {
                int yearOfEra = date.getYear() - ERA_START[era].getYear() + 1;
                return String.format("%d%04d%02d%02d", era, yearOfEra, date.getMonthValue(), date.getDayOfMonth());
            }
        }
        throw new IllegalArgumentException(date + " is before the Meiji era; JPKI encodes it with era 0 (unknown)");
    }
}
