package dev.shomei.ca.ceremony;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.SerialNumbers;
import dev.shomei.ca.issuance.TbsSigning;
import dev.shomei.ca.lint.PreIssuanceLint;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.Signer;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/**
 * The key ceremony (鍵生成式典): generates the root and issuing CA keys inside the HSM, self-signs the
 * root, certifies the issuing CA, and writes the certificates, their CA hash values and a transcript
 * for the witnesses (docs/key-ceremony.md).
 *
 * <p>Zone: secure, in the CA room. Keys are generated as sensitive, non-extractable token objects and
 * never leave the HSM; the ceremony refuses to overwrite an existing key or a previous ceremony's output.
 */
public final class KeyCeremony {

    /** What the ceremony produced. */
    public record Result(X509Certificate root, X509Certificate issuing, Path outputDirectory, Path transcript) {}

    /** Key types a CA key may have (CP/CPS §6.1.5). */
    private static final Set<KeyAlgorithm> CA_KEYS = Set.of(KeyAlgorithm.EC_P256, KeyAlgorithm.EC_P384,
            KeyAlgorithm.RSA_3072, KeyAlgorithm.RSA_4096);

    private final CaConfig config;
    private final HsmToken token;
    /** The root key's token: its own when {@code ceremony.rootToken} is set (offline root), else {@code token}. */
    private HsmToken rootToken;
    private KeyCustody rootCustody;
    private Runnable onStart = () -> { };
    private final DataSource dataSource;
    private final Clock clock;
    private final Consumer<String> progress;
    private final CaEventLog events;
    private final List<String> transcript = new ArrayList<>();

    public KeyCeremony(CaConfig config, HsmToken token, DataSource dataSource, Clock clock, CaEventLog events,
                       Consumer<String> progress) {
        this.config = config;
        this.token = token;
        this.rootToken = token;
        this.dataSource = dataSource;
        this.clock = clock;
        this.events = events;
        this.progress = progress;
    }

    /** Makes the root key on its own token (an offline root), described by {@code custody}. */
    public KeyCeremony withRootToken(HsmToken root, KeyCustody custody) {
        this.rootToken = root;
        this.rootCustody = custody;
        return this;
    }

    /** Runs {@code action} once the checks have passed, just before Step 1 (to record what holds the keys). */
    public KeyCeremony onStart(Runnable action) {
        this.onStart = action;
        return this;
    }

    public Result run(String operator, List<String> witnesses) {
        return run(operator, witnesses, List.of(), KeyCustody.of(config, token));
    }

    /**
     * Runs the ceremony. {@code approvals} are the quorum's approvers (one line each: name, role, certificate
     * SHA-256, when signed), empty when a typed operator conducts it; {@code custody} is what holds the keys.
     */
    public Result run(String operator, List<String> witnesses, List<String> approvals, KeyCustody custody) {
        CaConfig.Ceremony c = config.ceremony();
        if (c == null || c.root() == null || c.issuing() == null) {
            throw new ConfigException("the 'ceremony' section needs 'root' and 'issuing' keys (label, algorithm, subject, validityYears)");
        }
        KeyAlgorithm rootAlg = caKeyAlgorithm(c.root(), "ceremony.root");
        KeyAlgorithm issuingAlg = caKeyAlgorithm(c.issuing(), "ceremony.issuing");
        Path out = config.resolve(c.output() == null ? "ceremony" : c.output());
        checkOutputDirectory(out);
        for (HsmToken t : rootToken == token ? List.of(token) : List.of(token, rootToken)) {
            for (CaConfig.CaKey k : List.of(c.root(), c.issuing())) {
                if (t.containsKey(k.label())) {
                    throw new ConfigException("token '" + t.config().tokenLabel() + "' already holds a key labelled '"
                            + k.label() + "'; a ceremony never overwrites a key: choose a new label");
                }
            }
        }
        onStart.run();
        Instant start = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        note("Key ceremony transcript (shomei-ceremony/v1)");
        note("started:   " + start);
        if (approvals.isEmpty()) {
            note("operator:  " + operator + " (typed: no quorum is configured for the ceremony)");
            note("witnesses: " + (witnesses.isEmpty() ? "(none recorded)" : String.join(", ", witnesses)));
        } else {
            note("approved by quorum (each signature verified against approvals.approvers):");
            approvals.forEach(a -> note("  " + a));
        }
        note("HSM:       module " + token.config().module() + (rootToken == token ? " (root and issuing keys)"
                : " (issuing key)"));
        custody.describe().lines().forEach(l -> note("  " + l));
        if (rootToken != token) {
            note("Root HSM:  module " + rootToken.config().module() + " (root key only; offline between ceremonies)");
            rootCustody.describe().lines().forEach(l -> note("  " + l));
        }
        note("");

        // Step 1: root key, inside the HSM.
        step("Step 1: generate root CA key '" + c.root().label() + "' (" + rootAlg.label() + ") in the HSM");
        KeyPair rootKeys = rootToken.generateKeyPair(rootAlg);
        checkProtection(rootKeys, c.root().label());

        // Step 2: self-signed root certificate.
        step("Step 2: self-sign the root CA certificate");
        Signer rootSigner = Pkcs11Signer.uncertified(rootToken, rootKeys.getPrivate(), rootKeys.getPublic());
        X500Name rootName = name(c.root());
        Instant rootEnd = start.atZone(ZoneOffset.UTC).plusYears(years(c.root())).toInstant();
        X509Certificate root = caCertificate(rootName, rootKeys.getPublic(), rootName, null, rootSigner,
                rootKeys.getPublic(), start, rootEnd, c.root().pathLength(), rootAlg);
        rootToken.storeCertificateChain(c.root().label(), rootKeys.getPrivate(), root);

        // Step 3: issuing key, inside the HSM.
        step("Step 3: generate issuing CA key '" + c.issuing().label() + "' (" + issuingAlg.label() + ") in the HSM");
        KeyPair issuingKeys = token.generateKeyPair(issuingAlg);
        checkProtection(issuingKeys, c.issuing().label());

        // Step 4: the root certifies the issuing CA.
        step("Step 4: the root CA certifies the issuing CA");
        Instant issuingEnd = start.atZone(ZoneOffset.UTC).plusYears(years(c.issuing())).toInstant();
        if (issuingEnd.isAfter(rootEnd)) {
            throw new ConfigException("ceremony.issuing.validityYears (" + years(c.issuing())
                    + ") must not exceed ceremony.root.validityYears (" + years(c.root()) + ")");
        }
        int pathLen = c.issuing().pathLength() == null ? 0 : c.issuing().pathLength();
        X509Certificate issuing = caCertificate(name(c.issuing()), issuingKeys.getPublic(), rootName, root,
                rootSigner, rootKeys.getPublic(), start, issuingEnd, pathLen, issuingAlg);
        token.storeCertificateChain(c.issuing().label(), issuingKeys.getPrivate(), issuing, root);

        // Step 5: the stored keys sign and verify from the token, by label.
        step("Step 5: verify the keys on the token by label");
        for (String label : List.of(c.root().label(), c.issuing().label())) {
            Signer.Health h = Pkcs11Signer.open(label.equals(c.root().label()) ? rootToken : token, label).health();
            note("  " + h.detail());
            if (!h.ok()) {
                throw new IllegalStateException("key '" + label + "' failed its probe signature: " + h.detail());
            }
        }

        // Step 6: record the CA keys and write what the witnesses sign off.
        step("Step 6: record the CA certificates and write their CA hash values");
        record(c.root().label(), "ROOT", root);
        record(c.issuing().label(), "ISSUING", issuing);
        try {
            Files.createDirectories(out);
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("root-ca.pem", pem(root));
            files.put("root-ca.cer", root.getEncoded());
            files.put("issuing-ca.pem", pem(issuing));
            files.put("issuing-ca.cer", issuing.getEncoded());
            files.put("ca-chain.pem", (new String(pem(issuing), StandardCharsets.US_ASCII)
                    + new String(pem(root), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            List<X509Certificate> cas = List.of(root, issuing);
            files.put("ca-hash-values.txt", CaHashValues.text(cas).getBytes(StandardCharsets.UTF_8));
            files.put("ca-hash-values.json", CaHashValues.json(cas).getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(out.resolve(f.getKey()), f.getValue());
            }
            note("");
            note("Certificates:");
            describe("root", c.root().label(), root);
            describe("issuing", c.issuing().label(), issuing);
            note("");
            note("Files written to " + out + " (SHA-256 of each):");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                note("  " + CaHashValues.fingerprint("SHA-256", f.getValue()).replace(":", "").toLowerCase()
                        + "  " + f.getKey());
            }
            note("");
            note("finished:  " + clock.instant().truncatedTo(ChronoUnit.SECONDS));
            note("");
            if (approvals.isEmpty()) {
                note("Operator signature: ______________________");
                for (String w : witnesses) {
                    note("Witness (" + w + ") signature: ______________________");
                }
            } else {
                for (String a : approvals) {
                    note("Signature (" + a.split(",")[0] + "): ______________________");
                }
            }
            Path transcriptFile = out.resolve("ceremony-transcript.txt");
            Files.writeString(transcriptFile, String.join("\n", transcript) + "\n", StandardCharsets.UTF_8);
            return new Result(root, issuing, out, transcriptFile);
        } catch (IOException | CertificateEncodingException e) {
            throw new IllegalStateException("the keys were made and recorded, but writing the ceremony files to " + out
                    + " failed: " + e.getMessage() + "; re-export them with 'ca show --export'", e);
        }
    }

    static X509Certificate caCertificate(X500Name subject, PublicKey subjectKey, X500Name issuerName,
                                          X509Certificate issuer, Signer signer, PublicKey issuerKey,
                                          Instant notBefore, Instant notAfter, Integer pathLength, KeyAlgorithm alg) {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, SerialNumbers.random(),
                    Date.from(notBefore), Date.from(notAfter), subject, subjectKey);
            b.addExtension(Extension.basicConstraints, true,
                    pathLength == null ? new BasicConstraints(true) : new BasicConstraints(pathLength));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
            if (issuer != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
            }
            PreIssuanceLint.Expectation exp = new PreIssuanceLint.Expectation(true,
                    KeyUsage.keyCertSign | KeyUsage.cRLSign, Set.of(), CA_KEYS, false);
            return TbsSigning.sign(b, signer, issuerKey, tbs -> PreIssuanceLint.check(tbs, issuer, exp));
        } catch (CertIOException | java.security.NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot build the CA certificate: " + e.getMessage(), e);
        }
    }

    private void checkProtection(KeyPair keys, String label) {
        note("  key '" + label + "': " + protection(keys, label, token.config().wrappableKeys()));
    }

    /** The key's protection as the token reports it; a CA key must be sensitive and non-extractable. */
    static HsmToken.KeyProtection protection(KeyPair keys, String label) {
        return protection(keys, label, false);
    }

    /**
     * As above; with {@code wrappable} (hsm.keyBackup: wrap) the key may be extractable, but only wrapped: it must
     * still be a sensitive token object that never shows its value.
     */
    static HsmToken.KeyProtection protection(KeyPair keys, String label, boolean wrappable) {
        HsmToken.KeyProtection p = HsmToken.protectionOf(keys.getPrivate());
        if (wrappable) {
            if (!p.tokenObject() || !p.sensitive() || keys.getPrivate().getEncoded() != null) {
                throw new IllegalStateException("the HSM generated key '" + label + "' as " + p
                        + "; a CA key must be a sensitive token object (hsm.keyBackup: wrap allows extraction only"
                        + " wrapped): stop the ceremony");
            }
            return p;
        }
        if (!p.nonExtractable() || keys.getPrivate().getEncoded() != null) {
            throw new IllegalStateException("the HSM generated key '" + label + "' as " + p
                    + "; a CA key must be a sensitive, non-extractable token object: stop the ceremony");
        }
        return p;
    }

    private void record(String label, String role, X509Certificate cert) {
        try (Connection conn = dataSource.getConnection()) {
            try {
                CaHashValues h = CaHashValues.of(cert);
                new CertificateStore().insertCaKey(conn, new CertificateStore.CaKeyRecord(label, role, cert.getEncoded(),
                        cert.getSubjectX500Principal().getName(), h.sha256(), h.sha1(),
                        cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()));
                events.caKeyCertified(conn, label, role, cert);
                conn.commit();
            } catch (SQLException | CertificateEncodingException e) {
                conn.rollback();
                throw e;
            }
        } catch (SQLException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot record CA key '" + label + "' in the CA database: " + e.getMessage(), e);
        }
    }

    private void describe(String role, String label, X509Certificate cert) {
        CaHashValues h = CaHashValues.of(cert);
        note("  " + role + " CA (" + label + ")");
        note("    subject:   " + cert.getSubjectX500Principal().getName());
        note("    issuer:    " + cert.getIssuerX500Principal().getName());
        note("    serial:    " + cert.getSerialNumber().toString(16));
        note("    validity:  " + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant());
        note("    algorithm: " + cert.getSigAlgName() + ", key " + KeyAlgorithm.of(cert.getPublicKey()).label());
        note("    SHA-256:   " + h.sha256());
        note("    SHA-1:     " + h.sha1());
    }

    private void step(String s) {
        progress.accept(s);
        note(s);
    }

    private void note(String s) {
        transcript.add(s);
    }

    static KeyAlgorithm caKeyAlgorithm(CaConfig.CaKey k, String where) {
        if (k.label() == null || k.label().isBlank()) {
            throw new ConfigException(where + ".label is missing: the key's label on the token");
        }
        KeyAlgorithm a;
        try {
            a = KeyAlgorithm.parse(k.algorithm());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ".algorithm: " + e.getMessage());
        }
        if (!CA_KEYS.contains(a)) {
            throw new ConfigException(where + ".algorithm " + a.label()
                    + " is not allowed for a CA key: use EC-P256, EC-P384, RSA-3072 or RSA-4096");
        }
        return a;
    }

    static int years(CaConfig.CaKey k) {
        return k.validityYears() == null ? 10 : k.validityYears();
    }

    static X500Name name(CaConfig.CaKey k) {
        try {
            return new X500Name(k.subject());
        } catch (RuntimeException e) {
            throw new ConfigException("subject '" + k.subject() + "' of key " + k.label() + " is not a valid X.500 name: "
                    + e.getMessage());
        }
    }

    static void checkOutputDirectory(Path out) {
        try {
            if (Files.isDirectory(out) && Files.list(out).findAny().isPresent()) {
                throw new ConfigException("the ceremony output directory " + out
                        + " is not empty: a ceremony never overwrites an earlier ceremony's record");
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read the ceremony output directory " + out + ": " + e.getMessage());
        }
    }

    static byte[] pem(X509Certificate cert) throws IOException {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            p.writeObject(cert);
        }
        return w.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
