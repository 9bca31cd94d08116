package dev.shomei.ra.testkit;

import dev.shomei.ra.jpki.EraDate;
import java.time.LocalDate;

/**
 * A fictional My Number card holder, as the JPKI signing certificate would state them.
 *
 * <p>Zone: tests only.
 *
 * @param gender JPKI code: 1 male, 2 female, 3 not known
 */
public record JpkiPerson(String name, String nameSubstitutes, String gender, LocalDate birthDate, String address,
                         String addressSubstitutes) {

    /** Family and given name are separated by a full-width space (U+3000), as on the card. */
    public static JpkiPerson of(String family, String given, String gender, LocalDate birthDate, String address) {
        String name = family + "\u3000" + given;
        return new JpkiPerson(name, "0".repeat(name.length()), gender, birthDate, address,
                "0".repeat(address.length()));
    }

    public static JpkiPerson hanako() {
        return of("試験", "花子", "2", LocalDate.of(1985, 4, 12), "東京都千代田区霞が関二丁目1番2号");
    }

    public static JpkiPerson taro() {
        return of("見本", "太郎", "1", LocalDate.of(1962, 11, 3), "大阪府大阪市北区中之島一丁目3番20号");
    }

    public String eraBirthDate() {
        return EraDate.fromGregorian(birthDate);
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
        return of(name.split("\u3000")[0], name.split("\u3000")[1], gender, birthDate, newAddress);
    }
}
