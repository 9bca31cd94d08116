package dev.shomei.ra.jpki;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** The JPKI date of birth EYYYYMMDD, around era boundaries. */
class EraDateTest {

    @Test
    void convertsEachEraToTheGregorianCalendar() {
        assertThat(EraDate.toGregorian("300600412")).contains(LocalDate.of(1985, 4, 12));  // Shōwa 60
        assertThat(EraDate.toGregorian("400010108")).contains(LocalDate.of(1989, 1, 8));   // Heisei 1, first day
        assertThat(EraDate.toGregorian("300640107")).contains(LocalDate.of(1989, 1, 7));   // Shōwa 64, last day
        assertThat(EraDate.toGregorian("500010501")).contains(LocalDate.of(2019, 5, 1));   // Reiwa 1
        assertThat(EraDate.toGregorian("200150101")).contains(LocalDate.of(1926, 1, 1));   // Taishō 15
    }

    @Test
    void refusesUnknownErasAndDatesOutsideTheirEra() {
        assertThat(EraDate.toGregorian("000000000")).isEmpty();   // era 0: unknown
        assertThat(EraDate.toGregorian("400010107")).isEmpty();   // Heisei 1-01-07 is still Shōwa
        assertThat(EraDate.toGregorian("500010430")).isEmpty();   // Reiwa began on 1 May
        assertThat(EraDate.toGregorian("300600230")).isEmpty();   // 30 February
        assertThat(EraDate.toGregorian("6000101")).isEmpty();     // wrong length
        assertThat(EraDate.toGregorian(null)).isEmpty();
    }

    @Test
    void encodesGregorianDatesRoundTrip() {
        for (LocalDate d = LocalDate.of(1900, 1, 1); d.isBefore(LocalDate.of(2030, 1, 1)); d = d.plusDays(97)) {
            assertThat(EraDate.toGregorian(EraDate.fromGregorian(d))).contains(d);
        }
        assertThat(EraDate.fromGregorian(LocalDate.of(2019, 4, 30))).isEqualTo("400310430");
        assertThat(EraDate.fromGregorian(LocalDate.of(2019, 5, 1))).isEqualTo("500010501");
    }
}
