package dev.shomei.ca.ceremony;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.Pkcs11Signer;
import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Issuing-key renewal (鍵更新, for the 変更認定 application): a new issuing key in the HSM, certified by the root,
 * beside the old one. The old generation keeps its key, its certificates and its own CRLs (by issuer label) until
 * its last certificate expires; new issuance moves to the new key when {@code issuingKey} names it. Writes the new
 * certificate, the CA hash values of every CA certificate (root and all generations) and a transcript.
 *
 * <p>Zone: secure, in the CA room; the root's token is connected for Step 2 only (docs/key-ceremony.md).
 */
public final class IssuingKeyRenewal {

    /** What the renewal produced. */
    public record Result(X509Certificate issuing, X509Certificate root, Path outputDirectory, Path transcript) {}

    private final CaConfig config;
    private final HsmToken token;
    private final DataSource dataSource;
    private final Clock clock;
    private final CaEventLog events;
    private final Consumer<String> progress;
    private final List<String> transcript = new ArrayList<>();

    public IssuingKeyRenewal(CaConfig config, HsmToken token, DataSource dataSource, Clock clock, CaEventLog events,
                             Consumer<String> progress) {
        this.config = config;
        this.token = token;
        this.dataSource = dataSource;
        this.clock = clock;
        this.events = events;
        this.progress = progress;
    }

    /**
     * @param key       the new key: label, algorithm, subject, validityYears (as {@code ceremony.issuing})
     * @param approvals the quorum's approvers, one line each (empty with a typed operator)
     * @param out       an empty or new directory for the renewal record
     */
    public Result run(String operator, CaConfig.CaKey key, List<String> approvals, KeyCustody custody, Path out) {
        KeyAlgorithm alg = KeyCeremony.caKeyAlgorithm(key, "renewal");
        KeyCeremony.checkOutputDirectory(out);
        if (token.containsKey(key.label())) {
            throw new ConfigException("token '" + token.config().tokenLabel() + "' already holds a key labelled '"
                    + key.label() + "'; a renewal never overwrites a key: choose a new label");
        }
        String rootLabel = config.ceremony().root().label();
        Instant start = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        note("Issuing-key renewal transcript (shomei-renewal/v1)");
        note("started:   " + start);
        if (approvals.isEmpty()) {
            note("operator:  " + operator + " (typed: no quorum is configured for renewal)");
        } else {
            note("approved by quorum (each signature verified against approvals.approvers):");
            approvals.forEach(a -> note("  " + a));
        }
        custody.describe().lines().forEach(l -> note("  " + l));
        note("");

        // Step 1: the new issuing key, inside the HSM, beside the old one.
        step("Step 1: generate issuing CA key '" + key.label() + "' (" + alg.label() + ") in the HSM");
        KeyPair keys = token.generateKeyPair(alg);
        note("  key '" + key.label() + "': " + KeyCeremony.protection(keys, key.label(), token.config().wrappableKeys()));

        // Step 2: the root certifies it (the root's token is logged in for this step only).
        step("Step 2: the root CA ('" + rootLabel + "' on token '" + config.rootHsmConfig().tokenLabel()
                + "') certifies the new issuing CA");
        X509Certificate root;
        X509Certificate issuing;
        HsmToken rootToken = config.separateRootToken() ? HsmToken.login(config.rootHsmConfig()) : token;
        try {
            Pkcs11Signer rootSigner = Pkcs11Signer.open(rootToken, rootLabel);
            root = rootSigner.certificate();
            Instant end = start.atZone(ZoneOffset.UTC).plusYears(KeyCeremony.years(key)).toInstant();
            if (end.isAfter(root.getNotAfter().toInstant())) {
                throw new ConfigException("the new issuing CA certificate would outlive the root (root valid to "
                        + root.getNotAfter().toInstant() + "): give fewer --validity-years");
            }
            int pathLen = key.pathLength() == null ? 0 : key.pathLength();
            issuing = KeyCeremony.caCertificate(KeyCeremony.name(key), keys.getPublic(),
                    org.bouncycastle.asn1.x500.X500Name.getInstance(root.getSubjectX500Principal().getEncoded()), root,
                    rootSigner, root.getPublicKey(), start, end, pathLen, alg);
        } finally {
            if (rootToken != token) {
                rootToken.close();
            }
        }
        token.storeCertificateChain(key.label(), keys.getPrivate(), issuing, root);

        // Step 3: the new key signs from the token by label.
        step("Step 3: verify the new key on the token by label");
        Signer.Health h = Pkcs11Signer.open(token, key.label()).health();
        note("  " + h.detail());
        if (!h.ok()) {
            throw new IllegalStateException("key '" + key.label() + "' failed its probe signature: " + h.detail());
        }

        // Step 4: record it, and write the new CA hash values of every generation.
        step("Step 4: record the new issuing CA certificate and write the CA hash values of every generation");
        List<X509Certificate> all = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                CaHashValues hv = CaHashValues.of(issuing);
                CertificateStore store = new CertificateStore();
                store.insertCaKey(c, new CertificateStore.CaKeyRecord(key.label(), "ISSUING", issuing.getEncoded(),
                        issuing.getSubjectX500Principal().getName(), hv.sha256(), hv.sha1(),
                        issuing.getNotBefore().toInstant(), issuing.getNotAfter().toInstant()));
                events.caKeyCertified(c, key.label(), "ISSUING", issuing);
                for (CertificateStore.CaKeyRecord k : store.caKeys(c)) {
                    all.add((X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(k.certificate())));
                }
                c.commit();
            } catch (SQLException | CertificateException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | CertificateException e) {
            throw new IllegalStateException("cannot record the new issuing key '" + key.label() + "': " + e.getMessage()
                    + " (the key is on the token; record it before using it)", e);
        }
        try {
            Files.createDirectories(out);
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("issuing-ca.pem", KeyCeremony.pem(issuing));
            files.put("issuing-ca.cer", issuing.getEncoded());
            files.put("ca-chain.pem", (new String(KeyCeremony.pem(issuing), StandardCharsets.US_ASCII)
                    + new String(KeyCeremony.pem(root), StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            files.put("ca-hash-values.txt", CaHashValues.text(all).getBytes(StandardCharsets.UTF_8));
            files.put("ca-hash-values.json", CaHashValues.json(all).getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                Files.write(out.resolve(f.getKey()), f.getValue());
            }
            note("");
            note("New issuing CA (" + key.label() + "): " + issuing.getSubjectX500Principal().getName());
            note("  serial:   " + issuing.getSerialNumber().toString(16));
            note("  validity: " + issuing.getNotBefore().toInstant() + " to " + issuing.getNotAfter().toInstant());
            note("  SHA-256:  " + CaHashValues.of(issuing).sha256());
            note("  SHA-1:    " + CaHashValues.of(issuing).sha1());
            note("CA certificates now (each generation keeps its CRLs until its last certificate expires):");
            all.forEach(x -> note("  " + x.getSubjectX500Principal().getName() + "  SHA-256 " + CaHashValues.of(x).sha256()));
            note("");
            note("Files written to " + out + " (SHA-256 of each):");
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                note("  " + CaHashValues.fingerprint("SHA-256", f.getValue()).replace(":", "").toLowerCase()
                        + "  " + f.getKey());
            }
            note("finished:  " + clock.instant().truncatedTo(ChronoUnit.SECONDS));
            note("");
            note("Next: set issuingKey to pkcs11:token=" + token.config().tokenLabel() + ";object=" + key.label()
                    + " (a configuration change), publish the CA hash values, keep signing the old generation's CRLs"
                    + " with 'ca generation-crl'.");
            for (String a : approvals.isEmpty() ? List.of(operator) : approvals) {
                note("Signature (" + a.split(",")[0] + "): ______________________");
            }
            Path t = out.resolve("renewal-transcript.txt");
            Files.writeString(t, String.join("\n", transcript) + "\n", StandardCharsets.UTF_8);
            return new Result(issuing, root, out, t);
        } catch (IOException | java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("the new key was made and recorded, but writing the renewal files to " + out
                    + " failed: " + e.getMessage(), e);
        }
    }

    private void step(String s) {
        progress.accept(s);
        note(s);
    }

    private void note(String s) {
        transcript.add(s);
    }
}
