package dev.shomei.ca.issuance;

import java.util.Arrays;
import java.util.Locale;

/**
 * RFC 5280 §5.3.1 CRLReason values this CA uses. certificateHold (6) and removeFromCRL (8) are not
 * offered (CP/CPS §4.9.13: no suspension); aACompromise (10) is for attribute certificates.
 */
public enum RevocationReason {
    UNSPECIFIED(0, "unspecified"),
    KEY_COMPROMISE(1, "keyCompromise"),
    CA_COMPROMISE(2, "cACompromise"),
    AFFILIATION_CHANGED(3, "affiliationChanged"),
    SUPERSEDED(4, "superseded"),
    CESSATION_OF_OPERATION(5, "cessationOfOperation"),
    PRIVILEGE_WITHDRAWN(9, "privilegeWithdrawn");

    private final int code;
    private final String rfcName;

    RevocationReason(int code, String rfcName) {
        this.code = code;
        this.rfcName = rfcName;
    }

    public int code() { return code; }

    public String rfcName() { return rfcName; }

    public static RevocationReason parse(String text) {
        String t = text == null ? "" : text.trim();
        for (RevocationReason r : values()) {
            if (r.rfcName.equalsIgnoreCase(t) || r.name().equalsIgnoreCase(t.replace('-', '_'))
                    || String.valueOf(r.code).equals(t)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown revocation reason '" + text + "'; use one of "
                + Arrays.stream(values()).map(RevocationReason::rfcName).toList()
                + (t.toLowerCase(Locale.ROOT).contains("hold") ? " (certificateHold is not offered by this CA)" : ""));
    }

    public static RevocationReason of(int code) {
        for (RevocationReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown CRLReason code " + code);
    }
}
