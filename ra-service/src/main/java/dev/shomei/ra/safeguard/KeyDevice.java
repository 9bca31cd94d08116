package dev.shomei.ra.safeguard;

import dev.shomei.ra.application.ApplicationContent;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where the subscriber key lives, as the applicant's tool states it inside the signed application: a software key
 * file, a PKCS#11 token (its manufacturer and model, as the token reports them in CK_TOKEN_INFO), or a platform key
 * (a phone's keystore) with the platform's attestation where it provides one. The statement is signed with the
 * card, so it is the applicant's word, recorded with the decision; an attestation is kept by digest, not yet
 * verified against the platform's roots (docs/holders.md says so).
 *
 * <pre>{@code
 * "keyDevice": {"kind": "pkcs11-token", "manufacturer": "Yubico", "model": "YubiKey PIV", "serialNumber": "...",
 *               "attestation": "<base64, optional>", "attestationFormat": "<optional, e.g. yubico-piv>"}
 * }</pre>
 *
 * <p>Zone: online (ra-service) and the applicant's PC (same JSON). Value type; touches nothing.
 */
public record KeyDevice(String kind, String manufacturer, String model, String serialNumber, String attestation,
                        String attestationFormat) {

    public static final String SOFTWARE = "software";
    public static final String PKCS11_TOKEN = "pkcs11-token";
    public static final String PLATFORM = "platform";
    public static final Set<String> KINDS = Set.of(SOFTWARE, PKCS11_TOKEN, PLATFORM);
    /** CK_TOKEN_INFO's manufacturerID and model are 32 and 16 characters; leave room for a platform's names. */
    static final int MAX_TEXT = 128;
    /** An attestation certificate chain fits comfortably; the whole signed body is bounded anyway. */
    static final int MAX_ATTESTATION = 16384;

    /** Refuses a statement the RA could not record meaningfully, naming the field (as an application's). */
    public void check(String field) {
        check(field, ApplicationContent::malformed);
    }

    /** As {@link #check(String)}, with the problem of the document it is in (a renewal's). */
    public void check(String field,
                      java.util.function.BiFunction<String, String, dev.shomei.ra.problem.RaProblem> malformed) {
        if (kind == null || !KINDS.contains(kind)) {
            throw malformed.apply(field + ".kind", "is '" + kind + "'; use one of software,"
                    + " pkcs11-token, platform");
        }
        if (PKCS11_TOKEN.equals(kind) && (blank(manufacturer) || blank(model))) {
            throw malformed.apply(field + (blank(manufacturer) ? ".manufacturer" : ".model"),
                    "is missing; a PKCS#11 token is stated with its manufacturerID and model from CK_TOKEN_INFO");
        }
        for (Map.Entry<String, String> e : Map.of("manufacturer", nz(manufacturer), "model", nz(model),
                "serialNumber", nz(serialNumber), "attestationFormat", nz(attestationFormat)).entrySet()) {
            if (e.getValue().length() > MAX_TEXT) {
                throw malformed.apply(field + "." + e.getKey(), "is longer than " + MAX_TEXT
                        + " characters");
            }
        }
        if (attestation != null) {
            if (attestation.length() > MAX_ATTESTATION) {
                throw malformed.apply(field + ".attestation", "is longer than " + MAX_ATTESTATION
                        + " characters");
            }
            try {
                Base64.getDecoder().decode(attestation);
            } catch (IllegalArgumentException e) {
                throw malformed.apply(field + ".attestation", "is not base64");
            }
        }
    }

    /** A key the RA may count as kept in hardware: a token, or a platform key (an attestation makes it checkable). */
    public boolean hardware() {
        return PKCS11_TOKEN.equals(kind) || PLATFORM.equals(kind);
    }

    /** As recorded with the application and the decision: the attestation by SHA-256 only. */
    public Map<String, Object> record() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind);
        if (manufacturer != null) m.put("manufacturer", manufacturer);
        if (model != null) m.put("model", model);
        if (serialNumber != null) m.put("serialNumber", serialNumber);
        if (attestation != null) {
            m.put("attestationSha256", dev.shomei.ra.ConfiguredFile.sha256Hex(Base64.getDecoder().decode(attestation)));
            m.put("attestationFormat", attestationFormat);
            m.put("attestationVerified", false);
        }
        return m;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
