package dev.shomei.ra.testkit;

import dev.shomei.ra.jpki.EraDate;
import java.time.LocalDate;

/**
 * A fictional My Number card holder, as the JPKI signing certificate would state them.
 *
 * <p>Zone: tests only.
 *
 * @param gender JPKI code: 1 male, 2 female, 3 not known
 * @param rawBirthDate the EYYYYMMDD value written to the certificate when a test needs one that is not the era
 *                     encoding of {@code birthDate} (era 0, a date outside its era); null otherwise
 */
public record JpkiPerson(String name, String nameSubstitutes, String gender, LocalDate birthDate, String address,
                         String addressSubstitutes, String rawBirthDate) {

    /** Family and given name are separated by a full-width space (U+3000), as on the card. */
    public static JpkiPerson of(String family, String given, String gender, LocalDate birthDate, String address) {
        String name = family + "\u3000" + given;
        return new JpkiPerson(name, "0".repeat(name.length()), gender, birthDate, address,
                "0".repeat(address.length()), null);
    }

    public static JpkiPerson hanako() {
        return of("試験", "花子", "2", LocalDate.of(1985, 4, 12), "東京都千代田区霞が関二丁目1番2号");
    }

    public static JpkiPerson taro() {
        return of("見本", "太郎", "1", LocalDate.of(1962, 11, 3), "大阪府大阪市北区中之島一丁目3番20号");
    }

    /** The value the card carries: era code and Gregorian date (JPKI.md), unless the test set another. */
    public String eraBirthDate() {
        return rawBirthDate != null ? rawBirthDate : EraDate.fromGregorian(birthDate);
    }

    public String apiGender() {
        return switch (gender) {
            case "1" -> "male";
            case "2" -> "female";
            default -> "not-known";
        };
    }

    public JpkiPerson withName(String family, String given) {
        return of(family, given, gender, birthDate, address);
    }

    public JpkiPerson withAddress(String newAddress) {
        return new JpkiPerson(name, nameSubstitutes, gender, birthDate, newAddress, "0".repeat(newAddress.length()),
                rawBirthDate);
    }

    /** The certificate states this EYYYYMMDD value instead of the era encoding of the birth date. */
    public JpkiPerson withRawBirthDate(String eyyyymmdd) {
        return new JpkiPerson(name, nameSubstitutes, gender, birthDate, address, addressSubstitutes, eyyyymmdd);
    }

    /** The card flags these characters of the name (0-based positions) as substitutes (代替文字). */
    public JpkiPerson withNameSubstitutesAt(int... positions) {
        char[] flags = "0".repeat(name.length()).toCharArray();
        for (int p : positions) {
            flags[p] = '1';
        }
        return new JpkiPerson(name, new String(flags), gender, birthDate, address, addressSubstitutes, rawBirthDate);
    }
}
