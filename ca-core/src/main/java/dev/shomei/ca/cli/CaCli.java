package dev.shomei.ca.cli;

import dev.shomei.audit.Actor;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.VerificationReport;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.approval.ActKind;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.ceremony.CaHashValues;
import dev.shomei.ca.ceremony.KeyCeremony;
import dev.shomei.ca.ceremony.KeyCustody;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.crl.CrlIssuer;
import dev.shomei.ca.io.AtomicFiles;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ca.issuance.CertificateIssuer;
import dev.shomei.ca.issuance.CsrException;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.pkcs11.Signer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code ca} command for CA operators (docs/ca-cli.md). One-shot commands; no inbound port.
 *
 * <p>Zone: secure, in the CA room. Exit codes: 0 done; 1 refused (bad CSR, unknown or revoked serial,
 * lint findings); 2 configuration or usage error; 3 HSM or database failure.
 */
@Command(name = "ca", mixinStandardHelpOptions = true, version = "shomei ca 0.1.0",
        description = "Operate the offline-leaning CA: key ceremony, issuance, revocation, CRLs.",
        subcommands = {CaCli.CeremonyCommand.class, CaCli.IssueCommand.class, CaCli.RevokeCommand.class,
                CaCli.CrlCommand.class, CaCli.DelegateCommand.class, OrdersCommand.class, CaCli.ShowCommand.class, CaCli.HealthCommand.class,
                CaCli.AuditVerifyCommand.class, ApprovalCommand.class, CaCli.RootCrlCommand.class,
                CaCli.RenewIssuingCommand.class, CaCli.GenerationCrlCommand.class, CaCli.DestroyKeyCommand.class,
                CaCli.RevokeCaCommand.class, CaCli.ConfigApproveCommand.class, CaCli.BackupKeyCommand.class,
                CaCli.RestoreKeyCommand.class, StatusCommand.class})
public final class CaCli {

    @Option(names = {"-c", "--config"}, description = "CA configuration file (default: $SHOMEI_CA_CONFIG or ./ca.yaml)")
    Path config;

    @Option(names = "--verbose", description = "log library diagnostics")
    boolean verbose;

    /** Set by 'ca approval request': the act is written here instead of being done. */
    Path requestActOut;
    Duration requestValidity;

    /** A copy of this command line that writes acts for approval instead of doing them. */
    CaCli forRequest(Path out, Duration validity) {
        CaCli c = new CaCli();
        c.config = config;
        c.verbose = verbose;
        c.requestActOut = out;
        c.requestValidity = validity;
        return c;
    }

    Clock clock() {
        return Clock.systemUTC();
    }

    public static void main(String[] args) {
        SecureZoneCommandLine.ownProcess();
        System.exit(run(args));
    }

    public static int run(String... args) {
        return SecureZoneCommandLine.execute("ca", new CaCli(), args);
    }

    CaConfig loadConfig() {
        SecureZoneCommandLine.quietLogging(verbose);
        Path file = config;
        if (file == null) {
            String env = System.getenv("SHOMEI_CA_CONFIG");
            file = Path.of(env == null ? "ca.yaml" : env);
        }
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("CA configuration " + file.toAbsolutePath() + " not found; give one with --config");
        }
        return CaConfig.load(file);
    }

    /** Opens the CA with the actor the command acts as. */
    CertificateAuthority open(CaConfig cfg, String operator) {
        Actor actor = operator == null ? AuditedCaEvents.system() : AuditedCaEvents.operator(operator, cfg.hsmConfig().tokenLabel());
        return openAs(cfg, actor);
    }

    /** Opens the CA acting as {@code actor} (the approvers of a quorum decision, ActAuthorization). */
    CertificateAuthority openAs(CaConfig cfg, Actor actor) {
        AuditedCaEvents events = new AuditedCaEvents(auditLog(cfg), actor);
        return approvingConfiguration ? CertificateAuthority.openToApproveConfiguration(cfg, events, clock())
                : CertificateAuthority.open(cfg, events, clock());
    }

    /** Set by 'ca config-approve': the CA opens with a configuration not yet approved, to approve (or refuse) it. */
    boolean approvingConfiguration;

    static AuditLog auditLog(CaConfig cfg) {
        return AuditedCaEvents.logFor(cfg);
    }

    static void writePem(Path file, Object... objects) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            for (Object o : objects) {
                p.writeObject(o);
            }
        }
        AtomicFiles.write(file, w.toString().getBytes(StandardCharsets.US_ASCII));
    }

    @Command(name = "ceremony", description = "Generate the root and issuing CA keys in the HSM and certify them.")
    static final class CeremonyCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--operator", description = "name of the operator conducting the ceremony (only where no"
                + " quorum is configured for it: approvals.quorum.ceremony)")
        String operator;
        @Option(names = "--witness", description = "name of a witness (repeatable; without a quorum)")
        List<String> witnesses = new ArrayList<>();
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() {
            CaConfig cfg = parent.loadConfig();
            PrintWriter out = new PrintWriter(System.out, true);
            ActAuthorization.Opened opened = ActAuthorization.open(parent, cfg, ActKind.CEREMONY, ceremonyAct(cfg),
                    approvals, operator, true, ca -> KeyCustody.of(cfg, ca.token()));
            if (opened == null) {
                return 0;
            }
            if (opened.decision() != null && !witnesses.isEmpty()) {
                out.println("note: --witness is ignored under a quorum; witnesses approve with their own credential");
            }
            try (CertificateAuthority ca = opened.ca()) {
                KeyCustody custody = KeyCustody.of(cfg, ca.token());
                KeyCeremony.Result r = ca.ceremony(opened.attribution(operator),
                        opened.decision() == null ? witnesses : List.of(), opened.approverLines(), custody,
                        () -> recordCustody(cfg, ca, opened), s -> out.println(s));
                out.println();
                out.println("CA hash values (publish in the official gazette; witnesses compare them):");
                for (X509Certificate c : List.of(r.root(), r.issuing())) {
                    CaHashValues h = CaHashValues.of(c);
                    out.println("  " + c.getSubjectX500Principal().getName());
                    out.println("    SHA-256: " + h.sha256());
                    out.println("    SHA-1:   " + h.sha1());
                }
                out.println("Ceremony record: " + r.outputDirectory() + " (transcript: " + r.transcript().getFileName() + ")");
            }
            return 0;
        }

        /** What the approvers of a ceremony approve: the token and every key setting (docs/key-ceremony.md). */
        static Map<String, String> ceremonyAct(CaConfig cfg) {
            CaConfig.Ceremony c = cfg.ceremony();
            if (c == null || c.root() == null || c.issuing() == null) {
                throw new ConfigException("the 'ceremony' section needs 'root' and 'issuing' keys (label, algorithm, subject, validityYears)");
            }
            Map<String, String> p = new TreeMap<>();
            for (Map.Entry<String, CaConfig.CaKey> e : Map.of("root", c.root(), "issuing", c.issuing()).entrySet()) {
                CaConfig.CaKey k = e.getValue();
                p.put(e.getKey() + ".label", String.valueOf(k.label()));
                p.put(e.getKey() + ".algorithm", String.valueOf(k.algorithm()));
                p.put(e.getKey() + ".subject", String.valueOf(k.subject()));
                p.put(e.getKey() + ".validity-years", String.valueOf(k.validityYears()));
                p.put(e.getKey() + ".path-length", String.valueOf(k.pathLength()));
            }
            p.put("output", c.output() == null ? "ceremony" : c.output());
            p.put("root.token", cfg.rootHsmConfig().tokenLabel());
            return p;
        }

        /** The token holding the keys, as PKCS#11 reports it and as configured, into the audit log. */
        static void recordCustody(CaConfig cfg, CertificateAuthority ca, ActAuthorization.Opened opened) {
            List<KeyCustody> custody = new ArrayList<>(List.of(KeyCustody.of(cfg, ca.token())));
            if (cfg.separateRootToken()) {
                try (dev.shomei.pkcs11.HsmToken root = dev.shomei.pkcs11.HsmToken.login(cfg.rootHsmConfig())) {
                    custody.add(KeyCustody.of(cfg, cfg.rootHsm(), root));
                }
            }
            Actor actor = opened.decision() != null ? opened.decision().actor() : AuditedCaEvents.system();
            try (Connection c = ca.database().dataSource().getConnection()) {
                c.setAutoCommit(false);
                for (KeyCustody k : custody) {
                    auditLog(cfg).append(c, dev.shomei.audit.AuditEvent.of(actor, "hsm.custody",
                            "token:" + k.token().label() + " serial:" + k.token().serialNumber(),
                            k.describe().getBytes(StandardCharsets.UTF_8)));
                }
                c.commit();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot record the token information: " + e.getMessage(), e);
            }
        }
    }

    @Command(name = "issue", description = "Issue a certificate from a PKCS#10 CSR (PEM or DER).")
    static final class IssueCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--csr", required = true) Path csr;
        @Option(names = "--profile", required = true, description = "certificate profile from the configuration")
        String profile;
        @Option(names = "--request-id", description = "idempotency key (default: the CSR's SHA-256)") String requestId;
        @Option(names = "--out", description = "write the certificate (PEM) here") Path out;
        @Option(names = "--operator", description = "operator name for the audit log (default: the CA component;"
                + " not taken where approvals.quorum.issue is set)")
        String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            if (!Files.isRegularFile(csr)) {
                throw new CsrException("CSR file " + csr + " not found");
            }
            byte[] bytes = Files.readAllBytes(csr);
            Map<String, String> act = new TreeMap<>(Map.of("csr-sha256", CaHashValues.fingerprint("SHA-256", bytes)
                    .replace(":", "").toLowerCase(java.util.Locale.ROOT), "profile", profile));
            if (requestId != null) {
                act.put("request-id", requestId);
            }
            return ActAuthorization.perform(parent, cfg, ActKind.ISSUE, act, approvals, operator, false, (opened, ca) -> {
                CertificateIssuer.Issued issued = ca.issuer().issue(requestId, bytes, profile);
                X509Certificate c = issued.certificate();
                if (out != null) {
                    writePem(out, c);
                }
                System.out.println((issued.alreadyIssued() ? "already issued for this request: " : "issued: ")
                        + "serial " + issued.serialHex());
                System.out.println("  subject:  " + c.getSubjectX500Principal().getName());
                System.out.println("  validity: " + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant());
                System.out.println("  profile:  " + profile + (out == null ? "" : ", written to " + out));
            });
        }
    }

    @Command(name = "revoke", description = "Revoke a certificate by serial number (hex).")
    static final class RevokeCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--serial", required = true) String serial;
        @Option(names = "--reason", required = true, description = "RFC 5280 reason: ${COMPLETION-CANDIDATES}")
        String reason;
        @Option(names = "--operator", description = "operator revoking the certificate (where no quorum is"
                + " configured for revoke)") String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            RevocationReason r = RevocationReason.parse(reason);
            CaConfig cfg = parent.loadConfig();
            return ActAuthorization.perform(parent, cfg, ActKind.REVOKE, Map.of("serial",
                    CertificateIssuer.normaliseSerial(serial), "reason", r.rfcName()), approvals, operator, true,
                    (opened, ca) -> {
                        CertificateStore.Revocation rev = ca.issuer().revoke(serial, r, opened.attribution(operator));
                        System.out.println("revoked: serial " + CertificateIssuer.normaliseSerial(serial) + " at "
                                + rev.revokedAt() + ", reason " + r.rfcName() + "; publish a new CRL with 'ca crl'");
                    });
        }
    }

    @Command(name = "delegate", description = "Generate a key in the HSM and certify it under the issuing CA"
            + " (e.g. the delegated OCSP responder: --profile ocsp-responder).")
    static final class DelegateCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--label", required = true, description = "label of the new key on the token") String label;
        @Option(names = "--algorithm", defaultValue = "EC-P256", description = "EC-P256, EC-P384, RSA-2048, ...")
        String algorithm;
        @Option(names = "--subject", required = true, description = "e.g. \"CN=Shomei OCSP Responder 2026,O=...,C=JP\"")
        String subject;
        @Option(names = "--profile", required = true) String profile;
        @Option(names = "--operator", description = "operator (where no quorum is configured for delegate)")
        String operator;
        @Option(names = "--out", description = "write the certificate (PEM) here") Path out;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            return ActAuthorization.perform(parent, cfg, ActKind.DELEGATE, Map.of("label", label,
                    "algorithm", dev.shomei.pkcs11.KeyAlgorithm.parse(algorithm).label(), "subject", subject,
                    "profile", profile), approvals, operator, true, (opened, ca) -> {
                X509Certificate c = ca.delegate(label, dev.shomei.pkcs11.KeyAlgorithm.parse(algorithm),
                        new org.bouncycastle.asn1.x500.X500Name(subject), profile);
                if (out != null) {
                    writePem(out, c);
                }
                System.out.println("delegated key '" + label + "' certified: serial " + c.getSerialNumber().toString(16)
                        + ", profile " + profile + ", valid to " + c.getNotAfter().toInstant()
                        + (out == null ? "" : ", written to " + out));
            });
        }
    }

    @Command(name = "crl", description = "Sign the next full CRL and, in the same transaction, an audit-log checkpoint.")
    static final class CrlCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--out", description = "write the CRL (DER) here") Path out;
        @Option(names = "--checkpoint-out", description = "write the signed audit checkpoint here (publish it next to the CRL)")
        Path checkpointOut;
        @Option(names = "--proof-out", description = "write the consistency proof from the previous checkpoint here"
                + " (for 'audit monitor')")
        Path proofOut;
        @Option(names = "--operator", description = "operator name for the audit log (default: the CA component)")
        String operator;
        @Option(names = "--if-due", description = "only if due: no CRL yet, a revocation since the last one, or half"
                + " its validity passed (run it from a scheduler)")
        boolean ifDue;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = parent.open(cfg, operator)) {
                refuseRevokedGeneration(cfg, ca, cfg.issuingKeyLabel(), "crl");
                if (ifDue) {
                    String why = ca.crlIssuer().dueReason();
                    if (why == null) {
                        System.out.println("no CRL due: no revocation since the latest CRL, and less than half its validity has passed");
                        return 0;
                    }
                    System.out.println("CRL due: " + why);
                }
                CrlIssuer.IssuedCrl crl = ca.crlIssuer().issue();
                dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.AFTER_COMMIT_BEFORE_RESULT_FILE,
                        "crl " + crl.record().number());
                if (out != null) {
                    AtomicFiles.copy(crl.file(), out, dev.shomei.ca.fault.CrashPoints.DURING_CRL_WRITE);
                }
                System.out.println("CRL " + crl.record().number() + ": " + crl.record().entries() + " revoked"
                        + " certificate(s), thisUpdate " + crl.record().thisUpdate() + ", nextUpdate "
                        + crl.record().nextUpdate() + (out == null ? "" : ", written to " + out));
                writeCheckpoint(ca, crl.checkpoint(), checkpointOut, proofOut);
            }
            return 0;
        }
    }

    @Command(name = "renew-issuing", description = "Issuing-key renewal: a new issuing key in the HSM, certified by"
            + " the root, beside the old one; writes the new CA hash values (docs/key-ceremony.md).")
    static final class RenewIssuingCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--label", required = true, description = "label of the new key on the token") String label;
        @Option(names = "--subject", required = true, description = "the new issuing CA's name") String subject;
        @Option(names = "--algorithm", defaultValue = "EC-P256") String algorithm;
        @Option(names = "--validity-years", defaultValue = "10") int validityYears;
        @Option(names = "--out", required = true, description = "directory for the renewal record (empty or new)") Path out;
        @Option(names = "--operator", description = "operator (only where no quorum is configured for renewal)")
        String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            if (cfg.ceremony() == null || cfg.ceremony().root() == null) {
                throw new ConfigException("renewal needs ceremony.root (the root key that certifies the new issuing key)");
            }
            List<String> shared = cfg.repositoryOrEmpty().sharedAcrossGenerations();
            if (!shared.isEmpty()) {
                // Both generations live side by side: a certificate must name its own generation's CRL (RFC 5280
                // §4.2.1.13), which only that generation's key signs; one URL for both would leave one unverifiable.
                throw new ConfigException(String.join(" and ", shared) + " hold no " + CaConfig.Repository.GENERATION
                        + ": after the renewal the certificates of both generations would name one CRL or CA certificate;"
                        + " write them with the generation as a path segment, e.g. https://repo.example/crl/"
                        + CaConfig.Repository.GENERATION + ".crl and https://repo.example/certs/"
                        + CaConfig.Repository.GENERATION + ".cer (the bundle's crl/<label>.crl, certs/<label>.cer),"
                        + " before renewing");
            }
            String alg = dev.shomei.pkcs11.KeyAlgorithm.parse(algorithm).label();
            return ActAuthorization.perform(parent, cfg, ActKind.RENEWAL, Map.of("label", label,
                    "subject", subject, "algorithm", alg, "validity-years", String.valueOf(validityYears),
                    "root.label", cfg.ceremony().root().label(), "root.token", cfg.rootHsmConfig().tokenLabel()),
                    approvals, operator, true, (opened, ca) -> {
                PrintWriter pw = new PrintWriter(System.out, true);
                var r = ca.renewIssuingKey(opened.attribution(operator), new CaConfig.CaKey(label, alg, subject,
                        validityYears, null), opened.approverLines(), out, pw::println);
                CaHashValues h = CaHashValues.of(r.issuing());
                pw.println();
                pw.println("new issuing CA '" + label + "': " + r.issuing().getSubjectX500Principal().getName());
                pw.println("    SHA-256: " + h.sha256());
                pw.println("    SHA-1:   " + h.sha1());
                pw.println("CA hash values of every generation: " + out.resolve("ca-hash-values.txt"));
                pw.println("next: set issuingKey: pkcs11:token=" + cfg.hsmConfig().tokenLabel() + ";object=" + label);
            });
        }
    }

    @Command(name = "generation-crl", description = "Sign the next CRL of one issuing-key generation by its label"
            + " (after a renewal, the old generation's certificates stay on its own CRLs).")
    static final class GenerationCrlCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--issuer", required = true, description = "label of the generation's issuing key") String issuer;
        @Option(names = "--out", required = true, description = "write the CRL (DER) here") Path out;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = parent.open(cfg, null)) {
                refuseRevokedGeneration(cfg, ca, issuer, "generation-crl --issuer " + issuer);
                CrlIssuer.IssuedCrl crl = ca.crlIssuer(issuer).issue();
                AtomicFiles.copy(crl.file(), out, dev.shomei.ca.fault.CrashPoints.DURING_CRL_WRITE);
                System.out.println("CRL " + crl.record().number() + " of '" + issuer + "': " + crl.record().entries()
                        + " revoked certificate(s), nextUpdate " + crl.record().nextUpdate() + ", written to " + out);
            }
            return 0;
        }
    }

    /**
     * A generation whose CA certificate the root revoked ({@code ca revoke-ca}) signs no more CRLs (docs/crl.md,
     * "A revoked generation"). RFC 5280 §6.3.3 (f) has a relying party validate the CRL issuer's own path before it
     * uses a CRL, and the ARL fails that path, so a later CRL of that key answers nobody; under cACompromise its
     * signature proves nothing either, since whoever holds the key could sign any CRL. The ARL (§6.1.3 (a)(3))
     * already makes every certificate of the generation fail. Refused with exit 1 and a {@code crl.refused} audit
     * entry, like the other refused acts on CA keys.
     */
    static void refuseRevokedGeneration(CaConfig cfg, CertificateAuthority ca, String label, String command) {
        try (Connection c = ca.database().dataSource().getConnection()) {
            c.setAutoCommit(false);
            var revoked = dev.shomei.ca.store.CaKeyRevocations.all(c).stream()
                    .filter(e -> e.label().equals(label)).findFirst();
            if (revoked.isEmpty()) {
                c.rollback();
                return;
            }
            var e = revoked.get();
            String why = "the CA certificate of issuing generation '" + label + "' (serial " + e.serial().toString(16)
                    + ") was revoked (" + e.reason().rfcName() + ") at " + e.revokedAt() + " by " + e.revokedBy()
                    + " and is on the root's CRL: a revoked CA signs no further CRL (RFC 5280 §6.3.3 (f): its CRLs"
                    + " cannot be validated; the ARL already rejects all of its certificates). Its last CRL stays"
                    + " published until its nextUpdate";
            auditLog(cfg).append(c, dev.shomei.audit.AuditEvent.of(AuditedCaEvents.system(), "crl.refused",
                    "ca-key:" + label, ("command=ca " + command + " reason=ca-certificate-revoked serial="
                            + e.serial().toString(16) + " revocationReason=" + e.reason().rfcName())
                            .getBytes(StandardCharsets.UTF_8)));
            c.commit();
            throw new CaOperationException(why);
        } catch (java.sql.SQLException ex) {
            throw new IllegalStateException("cannot read the revoked CA certificates: " + ex.getMessage(), ex);
        }
    }

    @Command(name = "backup-key", description = "Back up a CA key wrapped in the HSM under a key-encryption key split"
            + " among custodians (needs keys generated with hsm.keyBackup: wrap).")
    static final class BackupKeyCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--label", required = true) String label;
        @Option(names = "--out", required = true, description = "new or empty directory: backup.json and share-N.txt")
        Path out;
        @Option(names = "--custodians", required = true, description = "number of key-encryption key shares (N)")
        int custodians;
        @Option(names = "--threshold", required = true, description = "shares needed to restore (M, at least 2)")
        int threshold;
        @Option(names = "--operator", description = "operator (only where no quorum is configured for backup)")
        String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            if (threshold < 2 || threshold > custodians) {
                throw new ConfigException("--threshold " + threshold + " of --custodians " + custodians + ": give"
                        + " 2 <= threshold <= custodians (no custodian alone may restore a CA key)");
            }
            return ActAuthorization.perform(parent, cfg, ActKind.BACKUP, Map.of("label", label,
                    "token", cfg.hsmConfig().tokenLabel(), "custodians", String.valueOf(custodians), "threshold",
                    String.valueOf(threshold), "out", out.toString()), approvals, operator, true, (opened, ca) -> {
                Actor actor = opened.actor(operator, cfg.hsmConfig().tokenLabel());
                var w = new dev.shomei.ca.ceremony.KeyBackup(ca.database().dataSource(), auditLog(cfg), parent.clock())
                        .backup(ca.token(), label, custodians, threshold, out, actor);
                System.out.println("key '" + label + "' backed up wrapped (backup " + w.backupId() + ", public key SHA-256 "
                        + w.publicKeySha256() + ") to " + w.backupFile());
                System.out.println(custodians + " key-encryption key shares, any " + threshold + " restore it: "
                        + w.shares() + "; hand each to its custodian and delete it here");
            });
        }
    }

    @Command(name = "restore-key", description = "Restore a CA key backup into the configured (fresh) token from the"
            + " custodians' shares; proves the restored key signs for the backed-up public key.")
    static final class RestoreKeyCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--backup", required = true, description = "backup.json from 'ca backup-key'") Path backup;
        @Option(names = "--shares", arity = "1..*", description = "the custodians' share files (not with 'approval request')")
        List<Path> shares;
        @Option(names = "--operator", description = "operator (only where no quorum is configured for restore)")
        String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() {
            CaConfig cfg = parent.loadConfig();
            String label = dev.shomei.ca.ceremony.KeyBackup.label(backup);
            Map<String, String> act = Map.of("label", label, "backup.sha256",
                    dev.shomei.ca.ceremony.KeyBackup.fileSha256(backup), "token", cfg.hsmConfig().tokenLabel());
            if (parent.requestActOut != null) {
                // The approvers approve the backup file and target; the shares stay with the custodians until the act.
                ActAuthorization.open(parent, cfg, ActKind.RESTORE, act, approvals, operator, true);
                return 0;
            }
            if (shares == null || shares.isEmpty()) {
                throw new ConfigException("give the custodians' share files with --shares (at least the backup's threshold)");
            }
            // Shares are checked before an approval is spent on them.
            byte[] kek = dev.shomei.ca.ceremony.KeyBackup.recoverKek(backup, shares);
            try {
                ActAuthorization.Opened opened = ActAuthorization.open(parent, cfg, ActKind.RESTORE, act, approvals,
                        operator, true);
                Actor actor = opened.actor(operator, cfg.hsmConfig().tokenLabel());
                try (CertificateAuthority ca = opened.ca()) {
                    new dev.shomei.ca.ceremony.KeyBackup(ca.database().dataSource(), auditLog(cfg), parent.clock())
                            .restore(ca.token(), backup, kek, shares.size(), actor);
                    System.out.println("key '" + label + "' restored into token '" + cfg.hsmConfig().tokenLabel()
                            + "' and signs for the backed-up public key");
                }
            } finally {
                java.util.Arrays.fill(kek, (byte) 0);
            }
            return 0;
        }
    }

    @Command(name = "config-approve", description = "Approve the CA configuration as it is now (under"
            + " approvals.quorum.configuration the CA refuses to run with any other).")
    static final class ConfigApproveCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() {
            CaConfig cfg = parent.loadConfig();
            if (!dev.shomei.ca.config.ApprovedConfiguration.required(cfg)) {
                throw new ConfigException("approvals.quorum.configuration is not set: configuration changes need no"
                        + " approval, so there is nothing to approve");
            }
            String canonical = dev.shomei.ca.config.ApprovedConfiguration.canonical(cfg);
            String digest = dev.shomei.ca.config.ApprovedConfiguration.sha256(canonical);
            java.util.Optional<dev.shomei.ca.config.ApprovedConfiguration.Approved> last;
            try (dev.shomei.ca.store.CaDatabase db = dev.shomei.ca.store.CaDatabase.open(cfg);
                 java.sql.Connection c = db.dataSource().getConnection()) {
                last = dev.shomei.ca.config.ApprovedConfiguration.latest(c);
                c.rollback();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot read the approved configuration: " + e.getMessage(), e);
            }
            if (last.isPresent() && last.get().sha256().equals(digest)) {
                System.out.println("the configuration (SHA-256 " + digest + ") is the one approved at "
                        + last.get().approvedAt() + " by " + last.get().approvedBy() + "; nothing to approve");
                return 0;
            }
            List<String> changed = last.map(l -> dev.shomei.ca.config.ApprovedConfiguration.changed(l.canonical(), canonical))
                    .orElse(List.of("all (first approval)"));
            parent.approvingConfiguration = true;
            // The people of the configuration approved so far must carry the change too: otherwise a change that adds
            // approvers (or lowers the quorum) could be approved by the very people it adds.
            ActAuthorization.Opened opened = ActAuthorization.open(parent, cfg, ActKind.CONFIGURATION, Map.of(
                    "config.sha256", digest, "config.changed", String.join(",", changed),
                    "config.previous", last.map(dev.shomei.ca.config.ApprovedConfiguration.Approved::sha256).orElse("none")),
                    approvals, null, false, ca -> { }, d -> last.ifPresent(l -> {
                        long known = d.approvers().stream().filter(a -> l.approverFingerprints().contains(a.fingerprint()))
                                .count();
                        if (known < l.quorum()) {
                            throw new dev.shomei.ca.approval.ApprovalRefused("a configuration change needs " + l.quorum()
                                    + " approval(s) from the approvers of the configuration approved before it (at "
                                    + l.approvedAt() + "); " + known + " of these approvals are theirs");
                        }
                    }));
            if (opened == null) {
                return 0;
            }
            try (CertificateAuthority ca = opened.ca(); java.sql.Connection c = ca.database().dataSource().getConnection()) {
                Actor actor = opened.decision().actor();
                dev.shomei.ca.config.ApprovedConfiguration.record(c, cfg, canonical, actor.id(), opened.decision().act().id(),
                        parent.clock().instant());
                auditLog(cfg).append(c, dev.shomei.audit.AuditEvent.of(actor, "configuration.approved",
                        "configuration:" + digest, ("sha256=" + digest + " changed=" + String.join(",", changed)
                                + " previous=" + last.map(dev.shomei.ca.config.ApprovedConfiguration.Approved::sha256)
                                .orElse("none") + "\n" + canonical).getBytes(StandardCharsets.UTF_8)));
                c.commit();
                System.out.println("configuration approved (SHA-256 " + digest + "), changed: " + changed + "; by "
                        + actor.id());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("cannot record the approved configuration: " + e.getMessage(), e);
            }
            return 0;
        }
    }

    @Command(name = "revoke-ca", description = "Revoke an issuing CA certificate (a generation compromised or retired):"
            + " recorded with who approved it, listed on the root's CRL from the next 'ca root-crl'.")
    static final class RevokeCaCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--label", required = true, description = "the generation's issuing key label") String label;
        @Option(names = "--reason", required = true, description = "cACompromise, superseded, cessationOfOperation,"
                + " affiliationChanged or unspecified (RFC 5280 §5.3.1)") String reason;
        @Option(names = "--operator", description = "operator (only where no quorum is configured for ca-revocation)")
        String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            dev.shomei.ca.issuance.RevocationReason r;
            try {
                r = dev.shomei.ca.ceremony.CaCertificateRevocation.checkReason(reason);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage());
            }
            if (label.equals(cfg.issuingKeyLabel())) {
                // Refused before an approval is spent: the same check as CaCertificateRevocation's.
                throw new dev.shomei.ca.issuance.CaOperationException("'" + label + "' is the issuing key in use"
                        + " (issuingKey): renew (ca renew-issuing) and set issuingKey to the new generation first");
            }
            return ActAuthorization.perform(parent, cfg, ActKind.CA_REVOCATION, Map.of("label",
                    label, "reason", r.rfcName(), "root.label", cfg.ceremony() == null || cfg.ceremony().root() == null
                            ? "" : cfg.ceremony().root().label()), approvals, operator, true, (opened, ca) -> {
                Actor actor = opened.actor(operator, cfg.hsmConfig().tokenLabel());
                var e = new dev.shomei.ca.ceremony.CaCertificateRevocation(cfg, ca.database().dataSource(), auditLog(cfg),
                        parent.clock()).revoke(label, r, actor);
                System.out.println("CA certificate of '" + label + "' (serial " + e.serial().toString(16) + ") revoked ("
                        + r.rfcName() + ") by " + actor.id() + "; it goes on the root's CRL with the next 'ca root-crl'");
            });
        }
    }

    @Command(name = "destroy-key", description = "Destroy a CA key at the end of its life (not the issuing key in"
            + " use); recorded with who approved it.")
    static final class DestroyKeyCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--label", required = true) String label;
        @Option(names = "--operator", description = "operator (only where no quorum is configured for destruction)")
        String operator;
        @Option(names = "--approvals", arity = "1..*", description = "approval files ('ca approval sign')")
        List<Path> approvals;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            boolean root = cfg.separateRootToken() && label.equals(cfg.ceremony().root().label());
            String tokenLabel = root ? cfg.rootHsmConfig().tokenLabel() : cfg.hsmConfig().tokenLabel();
            return ActAuthorization.perform(parent, cfg, ActKind.DESTRUCTION, Map.of("label", label,
                    "token", tokenLabel), approvals, operator, true, (opened, ca) -> {
                Actor actor = opened.actor(operator, tokenLabel);
                var destruction = new dev.shomei.ca.ceremony.KeyDestruction(cfg, ca.database().dataSource(),
                        auditLog(cfg), parent.clock());
                String pub;
                if (root) {
                    try (dev.shomei.pkcs11.HsmToken t = dev.shomei.pkcs11.HsmToken.login(cfg.rootHsmConfig())) {
                        pub = destruction.destroy(t, label, actor);
                    }
                } else {
                    pub = destruction.destroy(ca.token(), label, actor);
                }
                System.out.println("destroyed key '" + label + "' on token '" + tokenLabel + "' (public key SHA-256 "
                        + pub + "), recorded as destroyed by " + actor.id());
            });
        }
    }

    @Command(name = "root-crl", description = "Sign the root CA's CRL (ARL) with the root key; needs the root's token"
            + " (ceremony.rootToken when the root is kept offline).")
    static final class RootCrlCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--out", required = true, description = "write the ARL (DER) here") Path out;
        @Option(names = "--operator", description = "operator name for the audit log (default: the CA component)")
        String operator;

        @Override
        public Integer call() throws IOException {
            CaConfig cfg = parent.loadConfig();
            Actor actor = operator == null ? AuditedCaEvents.system()
                    : AuditedCaEvents.operator(operator, cfg.rootHsmConfig().tokenLabel());
            try (dev.shomei.ca.store.CaDatabase db = dev.shomei.ca.store.CaDatabase.open(cfg)) {
                // The ARL is an act of the root like any other: under approvals.quorum.configuration it is signed
                // only with the approved configuration (its interval, the root's token and label are part of it).
                // The root room does not log in to the issuing token, so the check is made here, not by open().
                try (Connection c = db.dataSource().getConnection()) {
                    try {
                        dev.shomei.ca.config.ApprovedConfiguration.check(cfg, c);
                    } finally {
                        c.rollback();
                    }
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException("cannot read the approved configuration: " + e.getMessage(), e);
                }
                dev.shomei.ca.ceremony.RootCrl.Issued arl = new dev.shomei.ca.ceremony.RootCrl(cfg, db.dataSource(),
                        auditLog(cfg), actor, parent.clock()).issue();
                AtomicFiles.write(out, arl.der());
                System.out.println("root CRL " + arl.number() + " signed on token '" + cfg.rootHsmConfig().tokenLabel()
                        + "', nextUpdate " + arl.crl().getNextUpdate().toInstant() + ", written to " + out);
            }
            return 0;
        }
    }

    /** Writes a checkpoint signed with a CRL, and its consistency proof, where the operator publishes them. */
    static void writeCheckpoint(CertificateAuthority ca, Checkpoint cp, Path checkpointOut, Path proofOut)
            throws IOException, java.sql.SQLException {
        if (checkpointOut != null) {
            AtomicFiles.writeString(checkpointOut, cp.text());
        }
        if (proofOut != null) {
            try (Connection c = ca.database().dataSource().getConnection()) {
                AtomicFiles.writeString(proofOut, ca.auditCheckpoints().proof(c, cp).text());
                c.rollback();
            }
        }
        System.out.println("audit checkpoint: " + cp.treeSize() + " entries, signed by " + cp.keyName()
                + (checkpointOut == null ? "" : ", written to " + checkpointOut)
                + (proofOut == null ? "" : ", consistency proof written to " + proofOut));
    }

    @Command(name = "show", description = "Show the CA keys with their hash values, counts and the latest CRL; or one certificate.")
    static final class ShowCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;
        @Option(names = "--serial", description = "show one certificate") String serial;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = parent.open(cfg, null); Connection c = ca.database().dataSource().getConnection()) {
                CertificateStore store = new CertificateStore();
                if (serial != null) {
                    String s = CertificateIssuer.normaliseSerial(serial);
                    CertificateStore.CertificateRecord r = store.bySerial(c, s, false).orElseThrow(
                            () -> new CaOperationException("no certificate with serial " + s + " was issued by this CA"));
                    System.out.println("serial:     " + r.serial());
                    System.out.println("subject:    " + r.subject());
                    System.out.println("profile:    " + r.profile() + ", request " + r.requestId());
                    System.out.println("validity:   " + r.notBefore() + " to " + r.notAfter());
                    System.out.println("issued at:  " + r.issuedAt());
                    System.out.println("status:     " + (r.revocation() == null ? "good" : "revoked at "
                            + r.revocation().revokedAt() + " (" + RevocationReason.of(r.revocation().reason()).rfcName()
                            + ", by " + r.revocation().requestedBy() + ")"));
                    c.rollback();
                    return 0;
                }
                System.out.println("CA keys (HSM token '" + cfg.hsmConfig().tokenLabel() + "', database "
                        + ca.database().description() + "):");
                for (CertificateStore.CaKeyRecord k : store.caKeys(c)) {
                    System.out.println("  " + k.role() + " " + k.label() + ": " + k.subject());
                    System.out.println("    valid " + k.notBefore() + " to " + k.notAfter());
                    System.out.println("    SHA-256: " + k.sha256());
                    System.out.println("    SHA-1:   " + k.sha1());
                }
                System.out.println("certificates issued: " + store.count(c, "SELECT count(*) FROM certificate")
                        + ", revoked: " + store.count(c, "SELECT count(*) FROM revocation"));
                store.latestCrl(c, cfg.issuingKeyLabel()).ifPresentOrElse(
                        crl -> System.out.println("latest CRL: number " + crl.number() + ", " + crl.entries()
                                + " entries, nextUpdate " + crl.nextUpdate()),
                        () -> System.out.println("latest CRL: none yet (run 'ca crl')"));
                System.out.println("audit log: " + auditLog(cfg).size(c) + " entries");
                c.rollback();
            }
            return 0;
        }
    }

    @Command(name = "audit-verify", description = "Verify the CA's audit log: hash chain, Merkle tree and every"
            + " checkpoint signature (trusting the audit checkpoint key, and the issuing CA key for checkpoints made"
            + " before there was one); names the first bad entry.")
    static final class AuditVerifyCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;

        @Override
        public Integer call() throws Exception {
            CaConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = parent.open(cfg, null); Connection c = ca.database().dataSource().getConnection()) {
                // Checkpoints are signed by the checkpoint key, or (older configurations) the issuing key of their
                // day: trust every generation's (renewal).
                List<java.security.PublicKey> keys = new ArrayList<>(List.of(ca.issuingSigner().publicKey(),
                        ca.auditCheckpoints().signer().publicKey()));
                for (CertificateStore.CaKeyRecord k : new CertificateStore().caKeys(c)) {
                    if (k.role().equals("ISSUING")) {
                        keys.add(java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(
                                new java.io.ByteArrayInputStream(k.certificate())).getPublicKey());
                    }
                }
                c.rollback(); // the verifier sets its own isolation level
                VerificationReport report = new AuditVerifier(keys).verify(c);
                c.rollback();
                System.out.println(report.render());
                return report.ok() ? 0 : SecureZoneCommandLine.REFUSED;
            }
        }
    }

    @Command(name = "health", description = "Sign and verify a probe with the issuing key; check the database.")
    static final class HealthCommand implements Callable<Integer> {
        @ParentCommand CaCli parent;

        @Override
        public Integer call() {
            CaConfig cfg = parent.loadConfig();
            try (CertificateAuthority ca = parent.open(cfg, null)) {
                Signer.Health h = ca.issuingSigner().health();
                System.out.println((h.ok() ? "ok: " : "FAILED: ") + h.detail());
                System.out.println("ok: database " + ca.database().description());
                return h.ok() ? 0 : SecureZoneCommandLine.FAILURE;
            }
        }
    }
}
