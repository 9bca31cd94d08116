package dev.shomei.applicant.card;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/**
 * What the applicant is told about the card's PIN state, and how the card's date of birth is read. SoftHSM2 (the
 * test "card") reports a wrong PIN and CKF_USER_PIN_COUNT_LOW but never locks; the locked and final-try states of a
 * real JPKI card (OpenSC maps its retry counter to these flags) are checked here on the mapping itself.
 */
class CardMessagesTest {

    @Test
    void aLockedPinSaysOnlyTheMunicipalOfficeCanResetIt() {
        String m = MyNumberCard.loginFailure(MyNumberCard.CKR_PIN_LOCKED, 0, "JPKI (Digital Signature PIN)", "");
        assertThat(m).contains("locked", "municipal office");
        // The fifth wrong PIN: the login fails as incorrect, and the flags read afterwards say locked.
        String fifth = MyNumberCard.loginFailure(MyNumberCard.CKR_PIN_INCORRECT, Pkcs11Module.CKF_USER_PIN_LOCKED,
                "JPKI (Digital Signature PIN)", "");
        assertThat(fifth).startsWith("wrong PIN, and now").contains("locked");
    }

    @Test
    void aWrongPinNamesTheTriesLeftAsFarAsTheCardTellsThem() {
        assertThat(MyNumberCard.loginFailure(MyNumberCard.CKR_PIN_INCORRECT, Pkcs11Module.CKF_USER_PIN_FINAL_TRY,
                "t", "")).contains("wrong PIN", "ONE try left");
        assertThat(MyNumberCard.loginFailure(MyNumberCard.CKR_PIN_INCORRECT, Pkcs11Module.CKF_USER_PIN_COUNT_LOW,
                "t", "")).contains("wrong PIN", "few tries left");
        assertThat(MyNumberCard.loginFailure(MyNumberCard.CKR_PIN_INCORRECT, 0, "t", ""))
                .contains("wrong PIN").doesNotContain("few").doesNotContain("ONE");
    }

    @Test
    void aRemovedCardIsNotCalledAWrongPin() {
        assertThat(MyNumberCard.loginFailure(MyNumberCard.CKR_DEVICE_REMOVED, 0, "t", ""))
                .contains("removed").doesNotContain("wrong PIN");
        assertThat(MyNumberCard.loginFailure(MyNumberCard.CKR_TOKEN_NOT_PRESENT, 0, "t", ""))
                .contains("removed");
    }

    @Test
    void theBirthDateIsReadInBothEncodingsAndRefusedOutsideItsEra() {
        // Gregorian year after the era digit (319800217: Shōwa, 1980-02-17).
        assertThat(JpkiCertificate.birthDate("319800217")).contains(LocalDate.of(1980, 2, 17));
        // Year of the era (Shōwa 60 = 1985).
        assertThat(JpkiCertificate.birthDate("300600412")).contains(LocalDate.of(1985, 4, 12));
        // Heisei 2 = 1990.
        assertThat(JpkiCertificate.birthDate("419900314")).contains(LocalDate.of(1990, 3, 14));
        // 1980 is not in Heisei; Shōwa had no 70th year; not a date.
        assertThat(JpkiCertificate.birthDate("419800217")).isEmpty();
        assertThat(JpkiCertificate.birthDate("300700101")).isEmpty();
        assertThat(JpkiCertificate.birthDate("319801345")).isEmpty();
        assertThat(JpkiCertificate.birthDate("abc")).isEmpty();
    }
}
