package dev.shomei.ca;

import dev.shomei.ca.audit.AuditCheckpoints;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.audit.SignerCheckpointSigner;
import dev.shomei.ca.ceremony.KeyCeremony;
import dev.shomei.ca.config.ApprovedConfiguration;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.orders.OrderBundleProcessor;
import dev.shomei.ca.orders.OrderBundleVerifier;
import dev.shomei.ca.orders.ResultSigners;
import dev.shomei.ca.store.CaDatabase;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.Signer;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.X500Name;

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
    private Pkcs11Signer auditSigner;
    private Signer resultSigner;
    private boolean intentsRecovered;

    private CertificateAuthority(CaConfig config, HsmToken token, CaDatabase database, CaEventLog events, Clock clock) {
        this.config = config;
        this.token = token;
        this.database = database;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Logs in to the HSM token, then opens (and migrates) the CA database. Under {@code approvals.quorum.configuration}
     * a configuration other than the last approved one is refused, naming what changed ({@link ApprovedConfiguration}).
     */
    public static CertificateAuthority open(CaConfig config, CaEventLog events, Clock clock) {
        return open(config, events, clock, true);
    }

    /** As {@link #open}, without the approved-configuration check: for approving (or refusing) a configuration. */
    public static CertificateAuthority openToApproveConfiguration(CaConfig config, CaEventLog events, Clock clock) {
        return open(config, events, clock, false);
    }

    private static CertificateAuthority open(CaConfig config, CaEventLog events, Clock clock, boolean approvedOnly) {
        HsmToken token = HsmToken.login(config.hsmConfig());
        CaDatabase db = null;
        try {
            db = CaDatabase.open(config);
            if (approvedOnly && ApprovedConfiguration.required(config)) {
                try (java.sql.Connection c = db.dataSource().getConnection()) {
                    try {
                        ApprovedConfiguration.check(config, c);
                    } finally {
                        c.rollback();
                    }
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException("cannot read the approved configuration: " + e.getMessage(), e);
                }
            }
            return new CertificateAuthority(config, token, db, events, clock);
        } catch (RuntimeException e) {
            if (db != null) {
                db.close();
            }
            token.close();
            throw e;
        }
    }

    public KeyCeremony.Result ceremony(String operator, List<String> witnesses, Consumer<String> progress) {
        return new KeyCeremony(config, token, database.dataSource(), clock, events, progress).run(operator, witnesses);
    }

    /** The ceremony under a quorum: the approvers' lines go into the transcript (docs/key-ceremony.md). */
    public KeyCeremony.Result ceremony(String operator, List<String> witnesses, List<String> approvals,
                                       dev.shomei.ca.ceremony.KeyCustody custody, Runnable onStart,
                                       Consumer<String> progress) {
        KeyCeremony ceremony = new KeyCeremony(config, token, database.dataSource(), clock, events, progress)
                .onStart(onStart);
        if (!config.separateRootToken()) {
            return ceremony.run(operator, witnesses, approvals, custody);
        }
        // An offline root: its token is logged in for the ceremony only (CP/CPS 6.2.7).
        try (HsmToken root = HsmToken.login(config.rootHsmConfig())) {
            return ceremony.withRootToken(root, dev.shomei.ca.ceremony.KeyCustody.of(config, config.rootHsm(), root))
                    .run(operator, witnesses, approvals, custody);
        }
    }

    public synchronized Pkcs11Signer issuingSigner() {
        if (issuingSigner == null) {
            issuingSigner = Pkcs11Signer.open(token, config.issuingKeyLabel());
        }
        return issuingSigner;
    }

    public CertificateIssuer issuer() {
        CertificateIssuer issuer = new CertificateIssuer(database.dataSource(), issuingSigner(), config.issuingKeyLabel(),
                config, clock, events);
        recoverOnce(issuer);
        return issuer;
    }

    /**
     * The first issuer this process makes resolves what a crashed process left (signing intents without a record,
     * docs/faults.md) before anything new is signed; once per process, not per batch.
     */
    private synchronized void recoverOnce(CertificateIssuer issuer) {
        if (!intentsRecovered) {
            issuer.recoverIntents();
            intentsRecovered = true;
        }
    }

    public CrlIssuer crlIssuer() {
        return new CrlIssuer(database.dataSource(), issuingSigner(), config.issuingKeyLabel(),
                Duration.ofHours(config.crlNextUpdateHours()), clock, events, auditCheckpoints())
                .partitioned(config.crlShards(),
                        config.repositoryOrEmpty().forGeneration(config.issuingKeyLabel()).crlUrl());
    }

    /**
     * The CRL issuer of an issuing-key generation by its label: after a renewal the old generation keeps signing
     * the CRLs of its own certificates (docs/key-ceremony.md, renewal). No audit checkpoint rides on these.
     */
    public CrlIssuer crlIssuer(String issuerLabel) {
        return new CrlIssuer(database.dataSource(), Pkcs11Signer.open(token, issuerLabel), issuerLabel,
                Duration.ofHours(config.crlNextUpdateHours()), clock, events)
                .partitioned(config.crlShards(), config.repositoryOrEmpty().forGeneration(issuerLabel).crlUrl());
    }

    /** A new issuing key beside the old one, certified by the root (docs/key-ceremony.md, renewal). */
    public dev.shomei.ca.ceremony.IssuingKeyRenewal.Result renewIssuingKey(String operator, CaConfig.CaKey key,
            List<String> approvals, java.nio.file.Path out, Consumer<String> progress) {
        return new dev.shomei.ca.ceremony.IssuingKeyRenewal(config, token, database.dataSource(), clock, events, progress)
                .run(operator, key, approvals, dev.shomei.ca.ceremony.KeyCustody.of(config, token), out);
    }

    /**
     * Signs the CA's audit checkpoints (with every CRL) with the key {@code crl.auditCheckpointKey} names: a
     * delegated key of its own, certified by the issuing CA for digital signatures only, not a CA. Older
     * configurations without one sign with the issuing key, which is reported.
     */
    public synchronized AuditCheckpoints auditCheckpoints() {
        if (auditSigner == null) {
            String label = config.auditCheckpointKeyLabel();
            if (label == null) {
                java.util.logging.Logger.getLogger(CertificateAuthority.class.getName()).warning("audit checkpoints"
                        + " are signed with the issuing CA key, whose certificate says certificates and CRLs only; make"
                        + " a key of their own (ca delegate --profile audit-checkpoint) and set crl.auditCheckpointKey");
                auditSigner = issuingSigner();
            } else {
                Pkcs11Signer s = Pkcs11Signer.open(token, label);
                checkAuditKey(label, s.certificate(), issuingSigner().certificate());
                auditSigner = s;
            }
        }
        return new AuditCheckpoints(AuditedCaEvents.logFor(config), new SignerCheckpointSigner(auditSigner));
    }

    private static void checkAuditKey(String label, X509Certificate cert, X509Certificate issuing) {
        try {
            cert.verify(issuing.getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            throw new dev.shomei.ca.config.ConfigException("crl.auditCheckpointKey: the certificate of key '" + label
                    + "' is not signed by the issuing CA " + issuing.getSubjectX500Principal() + "; delegate it with"
                    + " ca delegate --profile audit-checkpoint");
        }
        boolean[] ku = cert.getKeyUsage();
        if (cert.getBasicConstraints() >= 0 || ku == null || !ku[0] || ku[5] || ku[6]
                || cert.getPublicKey().equals(issuing.getPublicKey())) {
            throw new dev.shomei.ca.config.ConfigException("crl.auditCheckpointKey: key '" + label + "' must be a key of"
                    + " its own whose certificate allows digitalSignature only (no CA, no certificate or CRL signing);"
                    + " delegate one with ca delegate --profile audit-checkpoint");
        }
    }

    /**
     * Generates a key in the HSM and certifies it under the issuing CA with the given profile: the delegated
     * OCSP responder key ({@code ocsp-responder}) or another signing key the secure zone uses. The key is
     * stored on the token with its chain under {@code label}; certifying the same label again returns the
     * certificate already issued.
     */
    public X509Certificate delegate(String label, KeyAlgorithm algorithm, X500Name subject, String profile) {
        if (token.containsKey(label)) {
            throw new CaOperationException("token '" + token.config().tokenLabel() + "' already holds a key labelled '"
                    + label + "'; choose a new label");
        }
        KeyPair keys = token.generateKeyPair(algorithm);
        X509Certificate cert = issuer().issueForHsmKey("delegated:" + label, subject, keys.getPublic(), profile).certificate();
        X509Certificate[] caChain = token.certificateChain(config.issuingKeyLabel());
        X509Certificate[] chain = new X509Certificate[caChain.length + 1];
        chain[0] = cert;
        System.arraycopy(caChain, 0, chain, 1, caChain.length);
        token.storeCertificateChain(label, keys.getPrivate(), chain);
        return cert;
    }

    /** Executes RA order bundles; results are signed by the result signer ({@link #resultSigner()}). */
    public OrderBundleProcessor orderProcessor() {
        return new OrderBundleProcessor(database.dataSource(), issuer(), resultSigner(),
                new OrderBundleVerifier(config.trustedRaCertificates()), events, clock, config.orderProfiles());
    }

    /**
     * The key that signs result bundles ({@code orders.resultSigningKey}): a delegated key of its own, certified by
     * the issuing CA for digitalSignature and resultBundleSigning only (docs/order-bundles.md, "The result
     * signer"). Older configurations without one sign with the issuing key, which is reported.
     */
    public synchronized Signer resultSigner() {
        if (resultSigner == null) {
            String label = config.resultSigningKeyLabel();
            if (label == null) {
                java.util.logging.Logger.getLogger(CertificateAuthority.class.getName()).warning("result bundles are"
                        + " signed with the issuing CA key, whose certificate says certificates and CRLs only; make a"
                        + " key of their own (ca delegate --profile result-bundle-signer) and set orders.resultSigningKey");
                resultSigner = issuingSigner();
            } else {
                Pkcs11Signer s = Pkcs11Signer.open(token, label);
                ResultSigners.check(label, s.certificate(), issuingSigner().certificate());
                resultSigner = s;
            }
        }
        return resultSigner;
    }

    /** A signer for another key on the same token (a delegated key), by label. */
    public Pkcs11Signer signer(String label) {
        return Pkcs11Signer.open(token, label);
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
