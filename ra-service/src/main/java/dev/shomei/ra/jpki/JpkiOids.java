package dev.shomei.ra.jpki;

/**
 * Object identifiers of the JPKI certificate profile (JPKI.md; J-LIS arc 1.2.392.200149.8.5).
 *
 * <p>Zone: online (ra-service). Constants only.
 */
public final class JpkiOids {

    private JpkiOids() {}

    /** subjectAltName otherName: the holder's name, family and given name separated by a full-width space. */
    public static final String NAME = "1.2.392.200149.8.5.5.1";
    /** Per-character flags of the name marking substitute characters (代替文字). */
    public static final String NAME_SUBSTITUTES = "1.2.392.200149.8.5.5.2";
    /** Gender: 1 male, 2 female, 3 not known. */
    public static final String GENDER = "1.2.392.200149.8.5.5.3";
    /** Date of birth, EYYYYMMDD with E the era (see {@link EraDate}). */
    public static final String BIRTH_DATE = "1.2.392.200149.8.5.5.4";
    /** Address, from the prefecture onward. */
    public static final String ADDRESS = "1.2.392.200149.8.5.5.5";
    /** Per-character substitute flags of the address. */
    public static final String ADDRESS_SUBSTITUTES = "1.2.392.200149.8.5.5.6";

    /** Certificate policy of production signing certificates (署名用電子証明書). */
    public static final String POLICY_SIGNING = "1.2.392.200149.8.5.1.1.20";
    /** Certificate policy of J-LIS test-card signing certificates. */
    public static final String POLICY_SIGNING_TEST = "1.2.392.200149.8.5.1.0.20";

    /** The organisational unit of the user-authentication CA, whose certificates never sign applications. */
    public static final String AUTHENTICATION_CA_OU = "JPKI for user authentication";
}
