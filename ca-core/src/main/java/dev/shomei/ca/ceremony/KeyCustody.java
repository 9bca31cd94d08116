package dev.shomei.ca.ceremony;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.Pkcs11Slots;

/**
 * What holds the CA keys, on record: the token as PKCS#11 reports it (C_GetTokenInfo: manufacturer, model,
 * serial, firmware) and what the configuration declares (certification level, location). A production CA
 * ({@code hsm.production: true}) refuses a software token unless {@code hsm.softwareTokenOverride} gives the
 * reason, which is then recorded with the rest (CP/CPS 6.2.1: cryptographic module standards and controls).
 *
 * <p>Zone: secure. Reads token information; touches no key.
 */
public record KeyCustody(Pkcs11Slots.TokenInfo token, String certification, String location, boolean production,
                         String softwareTokenOverride) {

    /** Reads the token's information and checks it against the configuration. */
    public static KeyCustody of(CaConfig cfg, HsmToken token) {
        return of(cfg, cfg.hsm(), token);
    }

    /**
     * As {@link #of(CaConfig, HsmToken)}, for the token {@code h} describes (the root's, when separate); a
     * production CA ({@code hsm.production}) is production for its root token too.
     */
    public static KeyCustody of(CaConfig cfg, CaConfig.Hsm h, HsmToken token) {
        boolean production = Boolean.TRUE.equals(cfg.hsm().production()) || Boolean.TRUE.equals(h.production());
        KeyCustody k = new KeyCustody(token.tokenInfo(), blankToNull(h.certification()), blankToNull(h.location()),
                production, blankToNull(h.softwareTokenOverride()));
        if (k.production && k.token.isSoftwareToken() && k.softwareTokenOverride == null) {
            throw new ConfigException("hsm.production is true but token '" + k.token.label() + "' is a software token ("
                    + k.token.manufacturer() + ", " + k.token.model() + "): a production CA keeps its keys in a"
                    + " certified HSM; use one, or set hsm.softwareTokenOverride to the reason (it is recorded)");
        }
        return k;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Transcript and audit lines, one fact a line. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("token:         '").append(token.label()).append("' in slot ").append(token.slotId()).append('\n');
        b.append("manufacturer:  ").append(token.manufacturer()).append('\n');
        b.append("model:         ").append(token.model()).append('\n');
        b.append("serial:        ").append(token.serialNumber()).append('\n');
        b.append("firmware:      ").append(token.firmwareVersion()).append(" (hardware ").append(token.hardwareVersion())
                .append(")\n");
        b.append("certification: ").append(certification == null ? "(not declared: hsm.certification)" : certification)
                .append('\n');
        b.append("location:      ").append(location == null ? "(not declared: hsm.location)" : location).append('\n');
        b.append("setting:       ").append(production ? "production" : "not production (hsm.production unset)");
        if (token.isSoftwareToken()) {
            b.append("; SOFTWARE TOKEN").append(softwareTokenOverride == null ? "" : ", accepted because: "
                    + softwareTokenOverride);
        }
        b.append('\n');
        return b.toString();
    }
}
