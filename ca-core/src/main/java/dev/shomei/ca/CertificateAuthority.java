package dev.shomei.ca;

import dev.shomei.ca.ceremony.KeyCeremony;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.hsm.HsmToken;
import dev.shomei.ca.hsm.Pkcs11Signer;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.store.CaDatabase;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Wires one CA instance together from its configuration: the HSM token, the CA database, and the
 * issuing key's signer. Only wiring; the work is done by the classes it hands out.
 *
 * <p>Zone: secure.
 */
public final class CertificateAuthority implements AutoCloseable {

    private final CaConfig config;
    private final HsmToken token;
    private final CaDatabase database;
    private final CaEventLog events;
    private final Clock clock;
    private Pkcs11Signer issuingSigner;

    private CertificateAuthority(CaConfig config, HsmToken token, CaDatabase database, CaEventLog events, Clock clock) {
        this.config = config;
        this.token = token;
        this.database = database;
        this.events = events;
        this.clock = clock;
    }

    /** Logs in to the HSM token, then opens (and migrates) the CA database. */
    public static CertificateAuthority open(CaConfig config, CaEventLog events, Clock clock) {
        HsmToken token = HsmToken.login(config.hsmConfig());
        CaDatabase db = null;
        try {
            db = CaDatabase.open(config);
            return new CertificateAuthority(config, token, db, events, clock);
        } catch (RuntimeException e) {
            token.close();
            throw e;
        }
    }

    public KeyCeremony.Result ceremony(String operator, List<String> witnesses, Consumer<String> progress) {
        return new KeyCeremony(config, token, database.dataSource(), clock, events, progress).run(operator, witnesses);
    }

    public synchronized Pkcs11Signer issuingSigner() {
        if (issuingSigner == null) {
            issuingSigner = Pkcs11Signer.open(token, config.issuingKeyLabel());
        }
        return issuingSigner;
    }

    public CertificateIssuer issuer() {
        return new CertificateIssuer(database.dataSource(), issuingSigner(), config.issuingKeyLabel(), config, clock, events);
    }

    public CrlIssuer crlIssuer() {
        return new CrlIssuer(database.dataSource(), issuingSigner(), config.issuingKeyLabel(),
                Duration.ofHours(config.crlNextUpdateHours()), clock, events);
    }

    public CaConfig config() {
        return config;
    }

    public HsmToken token() {
        return token;
    }

    public CaDatabase database() {
        return database;
    }

    @Override
    public void close() {
        database.close();
        token.close();
    }
}
