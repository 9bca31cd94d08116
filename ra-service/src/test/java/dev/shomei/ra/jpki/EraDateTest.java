package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** The JPKI date of birth EYYYYMMDD: era code, then the Gregorian date (JPKI.md), around every era boundary. */
class EraDateTest {

    @Test
    void theValuesRealCardsCarryAreGregorianDates() {
        assertThat(EraDate.toGregorian("319800217")).contains(LocalDate.of(1980, 2, 17)); // Shōwa 55
        assertThat(EraDate.toGregorian("419900314")).contains(LocalDate.of(1990, 3, 14)); // Heisei 2
    }

    @Test
    void everyEraReadsWithinItsBounds() {
        assertThat(EraDate.toGregorian("118680125")).contains(LocalDate.of(1868, 1, 25)); // Meiji, first day
        assertThat(EraDate.toGregorian("119120729")).contains(LocalDate.of(1912, 7, 29)); // Meiji, last day
        assertThat(EraDate.toGregorian("219120730")).contains(LocalDate.of(1912, 7, 30)); // Taishō, first day
        assertThat(EraDate.toGregorian("219261224")).contains(LocalDate.of(1926, 12, 24)); // Taishō, last day
        assertThat(EraDate.toGregorian("319261225")).contains(LocalDate.of(1926, 12, 25)); // Shōwa, first day
        assertThat(EraDate.toGregorian("319890107")).contains(LocalDate.of(1989, 1, 7)); // Shōwa, last day
        assertThat(EraDate.toGregorian("419890108")).contains(LocalDate.of(1989, 1, 8)); // Heisei, first day
        assertThat(EraDate.toGregorian("420190430")).contains(LocalDate.of(2019, 4, 30)); // Heisei, last day
        assertThat(EraDate.toGregorian("520190501")).contains(LocalDate.of(2019, 5, 1)); // Reiwa, first day
        assertThat(EraDate.toGregorian("520240229")).contains(LocalDate.of(2024, 2, 29)); // Reiwa, leap day
    }

    @Test
    void aDateOutsideItsStatedEraIsMalformed() {
        assertThat(EraDate.read("419890107").problem()).contains("outside its stated era (Heisei"); // still Shōwa
        assertThat(EraDate.read("319890108").problem()).contains("outside its stated era (Shōwa");  // already Heisei
        assertThat(EraDate.read("520190430").problem()).contains("outside its stated era (Reiwa");  // still Heisei
        assertThat(EraDate.read("420190501").problem()).contains("outside its stated era (Heisei"); // already Reiwa
        assertThat(EraDate.read("219120729").problem()).contains("outside its stated era (Taishō");
        assertThat(EraDate.read("119120730").problem()).contains("outside its stated era (Meiji");
        assertThat(EraDate.read("118680124").problem()).contains("outside its stated era (Meiji");
        // The old, wrong reading (year of the era) is now simply outside the era: never silently misread.
        assertThat(EraDate.read("300550217").verified()).isFalse();
    }

    @Test
    void eraZeroAndNonsenseCannotBeVerified() {
        assertThat(EraDate.read("019800217").problem()).contains("era code 0");
        assertThat(EraDate.read("619800217").problem()).contains("era code 6");
        assertThat(EraDate.read("319800230").problem()).contains("not a calendar date");
        assertThat(EraDate.read("31980021").problem()).contains("nine digits");
        assertThat(EraDate.read(null).verified()).isFalse();
        assertThat(EraDate.toGregorian("019800217")).isEmpty();
    }

    @Test
    void encodesGregorianDatesWithTheirEraCode() {
        assertThat(EraDate.fromGregorian(LocalDate.of(1980, 2, 17))).isEqualTo("319800217");
        assertThat(EraDate.fromGregorian(LocalDate.of(1989, 1, 7))).isEqualTo("319890107");
        assertThat(EraDate.fromGregorian(LocalDate.of(1989, 1, 8))).isEqualTo("419890108");
        assertThat(EraDate.fromGregorian(LocalDate.of(2019, 4, 30))).isEqualTo("420190430");
        assertThat(EraDate.fromGregorian(LocalDate.of(2019, 5, 1))).isEqualTo("520190501");
        for (LocalDate d = LocalDate.of(1900, 1, 1); d.isBefore(LocalDate.of(2030, 1, 1)); d = d.plusDays(97)) {
            assertThat(EraDate.toGregorian(EraDate.fromGregorian(d))).contains(d);
        }
    }
}
