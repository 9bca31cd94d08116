package dev.shomei.ca.issuance;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.lint.LintException;
import dev.shomei.ca.lint.PreIssuanceLint;
import dev.shomei.ca.profile.CertificateProfile;
import dev.shomei.ca.profile.CertifiedSubject;
import dev.shomei.ca.profile.ProfileExtensions;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.ca.store.CertificateStore.CertificateRecord;
import dev.shomei.ca.store.CertificateStore.Revocation;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.SignatureCheck;
import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * Issues certificates from PKCS#10 requests and revokes them, with the issuing CA's key in the HSM.
 *
 * <p>Zone: secure. The issuing flow (docs/issuance.md):
 * Step 1, check the CSR (parse, proof of possession, key policy) and the subject against the profile;
 * Step 2, in one database transaction: return the certificate already issued for this request id, if any;
 * Step 3, build the to-be-signed certificate from the profile and lint it; commit a signing intent holding
 * those exact bytes and the serial (docs/faults.md); sign them in the HSM, verify the result;
 * Step 4, record it (serial and request id are unique) with the intent's resolution, and commit.
 * A crash at any point leaves either nothing signed or an intent that the next run resolves first: re-signed
 * from the stored bytes (same serial, same content) or voided with the reason; re-running the same request id
 * returns the same certificate.
 */
public final class CertificateIssuer {

    /** A certificate and whether it had been issued earlier for the same request id. */
    public record Issued(X509Certificate certificate, boolean alreadyIssued) {
        public String serialHex() {
            return CertificateStore.hex(certificate.getSerialNumber());
        }
    }

    private final DataSource dataSource;
    private final Signer signer;
    private final String issuerLabel;
    private final CaConfig config;
    private final Clock clock;
    private final CertificateStore store = new CertificateStore();
    private final SigningIntents intents = new SigningIntents();
    private final CaEventLog events;
    private final IssuanceTimings timings = new IssuanceTimings();
    /** The post-signature check with the issuing key and its precomputed table (built on first use). */
    private volatile IssuerCheck issuerCheck;

    private record IssuerCheck(PublicKey key, SignatureCheck check) {}

    public CertificateIssuer(DataSource dataSource, Signer signer, String issuerLabel, CaConfig config, Clock clock,
                             CaEventLog events) {
        this.dataSource = dataSource;
        this.signer = signer;
        this.issuerLabel = issuerLabel;
        this.config = config;
        this.clock = clock;
        this.events = events;
    }

    /** The certificate of the issuing key this issuer signs with. */
    public X509Certificate issuingCertificate() {
        return signer.certificate();
    }

    /** Where this issuer's time went, per phase (the issuance benchmark prints it; docs/benchmarks.md). */
    public IssuanceTimings timings() {
        return timings;
    }

    /** The post-signature check for the current issuing key, kept while the key stays the same. */
    private SignatureCheck issuerCheck(PublicKey key) {
        IssuerCheck c = issuerCheck;
        if (c == null || !c.key().equals(key)) {
            c = new IssuerCheck(key, SignatureCheck.forFixedKey(key));
            issuerCheck = c;
        }
        return c.check();
    }

    /** The request id a CSR gets when the caller has none (command-line issuance): its SHA-256. */
    public static String requestIdFor(byte[] csrDer) {
        return "csr:" + HexFormat.of().formatHex(sha256(csrDer));
    }

    /**
     * One issuance request: an order id (or null: the CSR's digest), the CSR, the profile to apply, and the subject
     * the RA verified (from the signed order). When {@code subject} is given it is the certificate's subject and the
     * CSR's subject is ignored (the CSR gives only the key and its proof of possession); when it is null the
     * profile must allow a subject from the CSR ({@code subjectFrom: csr}).
     */
    public record IssueRequest(String requestId, byte[] csr, String profile, List<CertifiedSubject.Attribute> subject) {
        /** Operator issuance from a CSR (no RA order): the subject is the CSR's, checked against the profile. */
        public IssueRequest(String requestId, byte[] csr, String profile) {
            this(requestId, csr, profile, null);
        }
    }

    /** What became of one request of a batch: its certificate, or the reason it was refused. */
    public record Outcome(String requestId, Issued issued, RuntimeException refusal) {
        public boolean ok() {
            return issued != null;
        }
    }

    /** A request whose CSR and subject passed their checks. */
    private record Checked(int index, String id, X500Name subject, PublicKey publicKey, String profileName,
                           CertificateProfile profile) {}

    public Issued issue(String requestId, byte[] csrBytes, String profileName) {
        Outcome o = issueAll(List.of(new IssueRequest(requestId, csrBytes, profileName))).get(0);
        if (!o.ok()) {
            throw o.refusal();
        }
        return o.issued();
    }

    /**
     * Issues a batch in one database transaction, signing in parallel in the HSM (up to its parallelism).
     * A refused request (bad CSR, lint finding, request id reused with another key) is reported in its
     * outcome and does not stop the others; a database failure rolls back the whole batch, so a retry of
     * the same batch issues each request exactly once.
     */
    public List<Outcome> issueAll(List<IssueRequest> requests) {
        Outcome[] outcomes = new Outcome[requests.size()];
        // Step 1: check each request; no database, no HSM.
        List<Checked> checked = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Map<String, String> keys = new java.util.HashMap<>(); // public key SHA-256 → first request id of this batch
        // The CSRs' checks (key quality, proof of possession: a signature verification each) on every core: they
        // are independent of each other and, one after another, took longer than the HSM's signing of the batch.
        Object[] parsed = new Object[requests.size()];
        long t0 = System.nanoTime();
        long p0 = IssuanceTimings.processCpuNow();
        java.util.stream.IntStream.range(0, requests.size()).parallel().forEach(i -> {
            IssueRequest r = requests.get(i);
            try {
                CertificateProfile profile = config.profile(r.profile());
                Set<KeyAlgorithm> allowed = profile.allowedKeys().stream().map(KeyAlgorithm::parse).collect(Collectors.toSet());
                parsed[i] = Csr.parse(r.csr(), allowed);
            } catch (RuntimeException e) {
                parsed[i] = e;
            }
        });
        timings.add(IssuanceTimings.Phase.CSR_CHECKS, System.nanoTime() - t0, IssuanceTimings.processCpuNow() - p0);
        for (int i = 0; i < requests.size(); i++) {
            IssueRequest r = requests.get(i);
            try {
                CertificateProfile profile = config.profile(r.profile());
                if (parsed[i] instanceof RuntimeException e) {
                    throw e;
                }
                Csr csr = (Csr) parsed[i];
                X500Name subject = subjectOf(r, csr, profile);
                String id = r.requestId() == null || r.requestId().isBlank() ? requestIdFor(csr.der()) : r.requestId();
                if (!ids.add(id)) {
                    throw new CaOperationException("request id " + id + " appears more than once in the batch");
                }
                // One key, one certificate: a second request for the same key in the same batch is refused too.
                String first = keys.putIfAbsent(keySha256(csr.publicKey()), id);
                if (first != null) {
                    throw new CaOperationException("the CSR's public key is also in request " + first
                            + " of the same batch; a key is certified once");
                }
                checked.add(new Checked(i, id, subject, csr.publicKey(), r.profile(), profile));
            } catch (RuntimeException e) {
                outcomes[i] = new Outcome(r.requestId(), null, e);
            }
        }
        for (Outcome o : issueChecked(checked, requests.size())) {
            if (o != null) {
                outcomes[checkedIndex(checked, o)] = o;
            }
        }
        return List.of(outcomes);
    }

    private static int checkedIndex(List<Checked> checked, Outcome o) {
        for (Checked c : checked) {
            if (c.id().equals(o.requestId())) {
                return c.index();
            }
        }
        throw new IllegalStateException("outcome for unknown request " + o.requestId());
    }

    /**
     * Issues for a public key whose private key the CA itself holds in the HSM (a delegated OCSP responder
     * or publication signer): no CSR travels, the key comes from the token. Same lint, signing and recording.
     */
    public Issued issueForHsmKey(String requestId, X500Name subject, PublicKey publicKey, String profileName) {
        CertificateProfile profile = config.profile(profileName);
        KeyAlgorithm ka = KeyAlgorithm.of(publicKey);
        if (!profile.allowedKeys().contains(ka.label())) {
            throw new CaOperationException("key " + ka.label() + " is not allowed by profile " + profileName
                    + " (allowed: " + profile.allowedKeys() + ")");
        }
        checkSubject(subject, profile);
        Outcome o = issueChecked(List.of(new Checked(0, requestId, subject, publicKey, profileName, profile)), 1).get(0);
        if (!o.ok()) {
            throw o.refusal();
        }
        return o.issued();
    }

    /** Steps 2 to 4 for checked requests, in one transaction; retried once if another process raced us. */
    private List<Outcome> issueChecked(List<Checked> checked, int batchSize) {
        if (checked.isEmpty()) {
            return List.of();
        }
        try {
            return issueCheckedOnce(checked);
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                // Another process issued one of these request ids, or certified one of these keys, at the same
                // moment: the retry returns its certificate, or refuses the request whose key is now taken.
                try {
                    recoverIntents();
                    return issueCheckedOnce(checked);
                } catch (SQLException again) {
                    e = again;
                }
            }
            throw new IllegalStateException("the CA database refused the issuance of " + checked.size()
                    + " request(s) (first: " + checked.get(0).id() + "): " + e.getMessage(), e);
        }
    }

    private List<Outcome> issueCheckedOnce(List<Checked> checked) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            List<Long> held = List.of();
            long recordStart = 0;
            try {
                // Step 2: idempotent by request id.
                long t0 = System.nanoTime();
                Map<String, CertificateRecord> existing = store.byRequestIds(c,
                        checked.stream().map(Checked::id).toList());
                List<Outcome> outcomes = new ArrayList<>(checked.size());
                List<Checked> fresh = new ArrayList<>();
                Map<String, String> liveKeys = liveCertificatesByKey(c, checked);
                for (Checked k : checked) {
                    CertificateRecord r = existing.get(k.id());
                    if (r == null) {
                        String live = liveKeys.get(keySha256(k.publicKey()) + " " + k.profileName());
                        if (live != null) {
                            // The database enforces this too (V6: one live certificate per key and profile).
                            outcomes.add(new Outcome(k.id(), null, new CaOperationException("the public key already has"
                                    + " a live certificate of profile " + k.profileName() + " (" + live + ");"
                                    + " a key is certified once per profile until that certificate is revoked")));
                            continue;
                        }
                        fresh.add(k);
                        continue;
                    }
                    try {
                        outcomes.add(new Outcome(k.id(), new Issued(sameRequest(r, k.publicKey()), true), null));
                    } catch (CaOperationException e) {
                        outcomes.add(new Outcome(k.id(), null, e));
                    }
                }
                long t1 = System.nanoTime();
                timings.add(IssuanceTimings.Phase.LOOKUPS, t1 - t0);
                // Step 3: build and lint (in parallel), then commit the intents before the HSM signs anything.
                long p1 = IssuanceTimings.processCpuNow();
                List<Object> prepared = parallel(fresh, this::prepareOne);
                long t2 = System.nanoTime();
                timings.add(IssuanceTimings.Phase.PREPARE, t2 - t1, IssuanceTimings.processCpuNow() - p1);
                List<SigningIntents.CertificateIntent> toSign = new ArrayList<>();
                List<Checked> signing = new ArrayList<>();
                for (int i = 0; i < fresh.size(); i++) {
                    if (prepared.get(i) instanceof Outcome refused) {
                        outcomes.add(refused);
                    } else {
                        Checked k = fresh.get(i);
                        Prepared p = (Prepared) prepared.get(i);
                        signing.add(k);
                        toSign.add(new SigningIntents.CertificateIntent(0, p.serialHex(), k.id(), k.profileName(),
                                keySha256(k.publicKey()), p.tbs()));
                    }
                }
                if (toSign.isEmpty()) {
                    c.rollback();
                    return outcomes;
                }
                List<SigningIntents.CertificateIntent> recorded = intents.recordCertificates(c, issuerLabel, toSign);
                held = recorded.stream().map(SigningIntents.CertificateIntent::id).toList();
                intents.lock(c, held);
                c.commit();
                long t3 = System.nanoTime();
                timings.add(IssuanceTimings.Phase.INTENTS, t3 - t2);
                String serials = String.join(",", toSign.stream().map(SigningIntents.CertificateIntent::serial).toList());
                CrashPoints.reach(CrashPoints.AFTER_INTENT, serials);
                // Step 3, continued: sign the recorded bytes in the HSM (in parallel), verify each.
                PublicKey issuerKey = signer.certificate().getPublicKey();
                SignatureCheck check = issuerCheck(issuerKey);
                long p3 = IssuanceTimings.processCpuNow();
                List<Object> signed = parallel(toSign, i -> {
                    CrashPoints.reach(CrashPoints.DURING_HSM_SIGN, i.serial());
                    return TbsSigning.signPrepared(i.tbs(), signer, issuerKey, check, timings);
                });
                CrashPoints.reach(CrashPoints.AFTER_HSM_SIGN, serials);
                long t4 = System.nanoTime();
                timings.add(IssuanceTimings.Phase.SIGN_AND_CHECK, t4 - t3, IssuanceTimings.processCpuNow() - p3);
                // Step 4: record every certificate with its audit entry and its intent's resolution, and commit once.
                List<CertificateStore.NewCertificate> rows = new ArrayList<>();
                for (int i = 0; i < signing.size(); i++) {
                    Checked k = signing.get(i);
                    X509Certificate cert = (X509Certificate) signed.get(i);
                    outcomes.add(new Outcome(k.id(), new Issued(cert, false), null));
                    rows.add(new CertificateStore.NewCertificate(record(cert, k.id(), k.profileName()),
                            keySha256(k.publicKey())));
                }
                store.insertCertificates(c, rows);
                // One round trip each for the batch's audit entries and its intents' resolutions.
                List<CaEventLog.IssuedCertificate> issued = new ArrayList<>(signing.size());
                for (int i = 0; i < signing.size(); i++) {
                    issued.add(new CaEventLog.IssuedCertificate(signing.get(i).id(), (X509Certificate) signed.get(i),
                            signing.get(i).profileName()));
                }
                events.certificatesIssued(c, issued);
                intents.resolveAll(c, held, "recorded");
                CrashPoints.reach(CrashPoints.BEFORE_COMMIT, serials);
                c.commit();
                timings.issued(signing.size());
                recordStart = t4;
                return outcomes;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } catch (CertificateException e) {
                c.rollback();
                throw new IllegalStateException("a stored certificate cannot be read: " + e.getMessage(), e);
            } finally {
                if (!held.isEmpty()) {
                    intents.unlock(c, held);
                }
                if (recordStart != 0) {
                    timings.add(IssuanceTimings.Phase.RECORD, System.nanoTime() - recordStart);
                }
            }
        }
    }

    private CertificateRecord record(X509Certificate cert, String requestId, String profile) {
        return new CertificateRecord(CertificateStore.hex(cert.getSerialNumber()), issuerLabel, requestId, profile,
                cert.getSubjectX500Principal().getName(), cert.getNotBefore().toInstant(),
                cert.getNotAfter().toInstant(), encoded(cert), null, null);
    }

    private static byte[] encoded(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Resolves every intent of this issuer that no live process holds (docs/faults.md): a process stopped between
     * committing an intent and recording its certificate. Deterministic, one intent per transaction:
     * <ul>
     *   <li>its certificate is recorded: resolved as recorded;</li>
     *   <li>its request was answered by another certificate, or its key got a live certificate of the same profile
     *       since: void, with that reason (signing it now would certify the key twice);</li>
     *   <li>otherwise: the stored to-be-signed bytes are signed again (same serial, same validity, same content),
     *       verified, and recorded with their audit entry, resolved as re-signed.</li>
     * </ul>
     *
     * @return how many intents were resolved
     */
    public int recoverIntents() {
        int resolved = 0;
        try (Connection c = dataSource.getConnection()) {
            List<SigningIntents.CertificateIntent> pending = intents.pendingCertificates(c, issuerLabel);
            c.rollback();
            for (SigningIntents.CertificateIntent i : pending) {
                if (!intents.tryLock(c, i.id())) {
                    c.rollback();
                    continue; // in flight in another process
                }
                try {
                    if (resolveOne(c, i)) {
                        resolved++;
                    }
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                } finally {
                    intents.unlock(c, List.of(i.id()));
                }
            }
        } catch (SQLException | CertificateException e) {
            throw new IllegalStateException("cannot resolve the signing intents of " + issuerLabel + ": "
                    + e.getMessage(), e);
        }
        return resolved;
    }

    private boolean resolveOne(Connection c, SigningIntents.CertificateIntent i) throws SQLException, CertificateException {
        if (!intents.pendingCertificates(c, issuerLabel).stream().anyMatch(p -> p.id() == i.id())) {
            return false; // resolved by another process between our listing and our lock
        }
        if (store.bySerial(c, i.serial(), false).isPresent()) {
            intents.resolve(c, i.id(), "recorded", "found recorded when the intent was resolved");
            return true;
        }
        CertificateRecord byRequest = store.byRequestIds(c, List.of(i.requestId())).get(i.requestId());
        String voidReason = null;
        if (byRequest != null) {
            voidReason = "request " + i.requestId() + " was answered by certificate " + byRequest.serial()
                    + "; serial " + i.serial() + " is never used";
        } else {
            try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT serial FROM certificate WHERE live"
                    + " AND public_key_sha256 = ? AND profile = ?")) {
                ps.setString(1, i.publicKeySha256());
                ps.setString(2, i.profile());
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        voidReason = "the key has a live certificate of profile " + i.profile() + " (serial "
                                + rs.getString(1) + "); serial " + i.serial() + " is never used";
                    }
                }
            }
        }
        if (voidReason != null) {
            intents.resolve(c, i.id(), "void", voidReason);
            events.signingIntentVoided(c, issuerLabel, "certificate serial " + i.serial(), voidReason);
            return true;
        }
        X509Certificate cert = TbsSigning.signPrepared(i.tbs(), signer, signer.certificate().getPublicKey());
        store.insertCertificates(c, List.of(new CertificateStore.NewCertificate(record(cert, i.requestId(), i.profile()),
                i.publicKeySha256())));
        events.certificateIssued(c, i.requestId(), cert, i.profile());
        intents.resolve(c, i.id(), "re-signed", "signed again from the intent's to-be-signed bytes after the process"
                + " stopped before recording it");
        return true;
    }

    /** "key-sha256 profile" → "serial …, request …" of the unrevoked certificates for these keys. */
    private static Map<String, String> liveCertificatesByKey(Connection c, List<Checked> checked) throws SQLException {
        Map<String, String> out = new java.util.HashMap<>();
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT public_key_sha256, profile, serial, request_id"
                + " FROM certificate WHERE live AND public_key_sha256 = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", checked.stream().map(k -> keySha256(k.publicKey())).toArray()));
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1) + " " + rs.getString(2), "serial " + rs.getString(3) + ", request "
                            + rs.getString(4));
                }
            }
        }
        return out;
    }

    static String keySha256(PublicKey key) {
        return HexFormat.of().formatHex(sha256(key.getEncoded()));
    }

    /** The linted to-be-signed bytes of one request and their serial. */
    private record Prepared(String serialHex, byte[] tbs) {}

    /** Runs {@code work} over the items on up to the HSM's parallelism threads; results in the items' order. */
    private <T> List<Object> parallel(List<T> items, java.util.function.Function<T, Object> work) {
        if (items.size() <= 1) {
            return items.stream().map(work).toList();
        }
        int threads = Math.min(items.size(), config.hsmConfig().parallelism());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(pool.submit(() -> work.apply(item)));
            }
            List<Object> out = new ArrayList<>();
            for (Future<Object> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signing", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) {
                throw err; // a crash point in the fault suite, or worse: never wrapped
            }
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    /**
     * The linted to-be-signed certificate of one request ({@link Prepared}), or the {@link Outcome} refusing it.
     * Any failure that belongs to this one request (lint finding, a certificate the JDK cannot read, a bad key or
     * extension value) refuses this request only; an HSM failure stops the batch (nothing is committed) because it
     * would fail every request alike.
     */
    private Object prepareOne(Checked k) {
        try {
            return build(k.subject(), k.publicKey(), k.profile());
        } catch (dev.shomei.pkcs11.HsmException e) {
            throw e;
        } catch (LintException | CsrException | CaOperationException e) {
            return new Outcome(k.id(), null, e);
        } catch (RuntimeException e) {
            return new Outcome(k.id(), null, new CaOperationException("request " + k.id() + " cannot be issued: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())));
        }
    }

    /** A request id names one request: the same id with another key is an error, not a re-issue. */
    private static X509Certificate sameRequest(CertificateRecord r, PublicKey publicKey) throws CertificateException {
        X509Certificate cert = parse(r.der());
        if (!cert.getPublicKey().equals(publicKey)) {
            throw new CaOperationException("request id " + r.requestId() + " was already used for certificate "
                    + r.serial() + " with a different public key; a request id cannot be reused");
        }
        return cert;
    }

    private Prepared build(X500Name subject, PublicKey publicKey, CertificateProfile profile) {
        long t0 = IssuanceTimings.cpuNow();
        X509Certificate issuer = signer.certificate();
        Instant notBefore = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = notBefore.plus(Duration.ofDays(profile.validityDays())).minusSeconds(1);
        Instant issuerEnd = issuer.getNotAfter().toInstant();
        if (notAfter.isAfter(issuerEnd)) {
            notAfter = issuerEnd; // a certificate never outlives its issuer (RFC 5280 §6.1.3 path validity)
        }
        BigInteger serial = SerialNumbers.random();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), serial,
                Date.from(notBefore), Date.from(notAfter), subject, publicKey);
        // Partitioned CRLs: the shard is fixed here, by the serial, and named in the CRL distribution point.
        int shard = config.crlShards() > 0 ? ProfileExtensions.crlShard(serial, config.crlShards()) : -1;
        ProfileExtensions.addTo(b, profile, publicKey, issuer, config.repositoryOrEmpty().forGeneration(issuerLabel),
                shard);
        PreIssuanceLint.Expectation exp = ProfileExtensions.expectation(profile);
        timings.add(IssuanceTimings.Work.BUILD, IssuanceTimings.cpuNow() - t0);
        return new Prepared(CertificateStore.hex(serial),
                TbsSigning.prepare(b, signer, tbs -> PreIssuanceLint.check(tbs, issuer, exp), timings));
    }

    /**
     * Step 1's subject rule (ARCHITECTURE.md, Identity): the subject an RA order states, built and bounded by the
     * profile; the CSR's subject only for operator issuance under a profile that allows it.
     */
    private static X500Name subjectOf(IssueRequest r, Csr csr, CertificateProfile profile) {
        if (r.subject() != null) {
            try {
                return CertifiedSubject.build(r.subject(), profile);
            } catch (IllegalArgumentException e) {
                throw new CaOperationException("the order's subject is refused: " + e.getMessage());
            }
        }
        if (profile.subjectFromOrder()) {
            throw new CaOperationException("profile " + r.profile() + " certifies only the subject the RA verified"
                    + " (subjectFrom: order), and this request states none; the CSR's subject is never certified");
        }
        checkSubject(csr.subject(), profile);
        return csr.subject();
    }

    private static void checkSubject(X500Name subject, CertificateProfile profile) {
        Set<String> allowed = profile.subjectAttributes().stream().map(s -> s.toUpperCase(Locale.ROOT))
                .collect(Collectors.toSet());
        if (subject.getRDNs().length == 0) {
            throw new CsrException("the CSR's subject is empty; the profile needs at least a CN");
        }
        for (RDN rdn : subject.getRDNs()) {
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                String name = attributeName(atv.getType());
                if (!allowed.contains(name)) {
                    throw new CsrException("subject attribute " + name + " is not allowed by the profile (allowed: "
                            + profile.subjectAttributes() + ")");
                }
            }
        }
    }

    private static String attributeName(ASN1ObjectIdentifier oid) {
        String n = BCStyle.INSTANCE.oidToDisplayName(oid);
        return n == null ? oid.getId() : n.toUpperCase(Locale.ROOT);
    }

    /**
     * Revokes a certificate of this CA. Unknown serials and second revocations are refused with a
     * {@link CaOperationException} naming the serial; nothing is written then.
     */
    public Revocation revoke(String serialHex, RevocationReason reason, String requestedBy) {
        String serial = normaliseSerial(serialHex);
        try (Connection c = dataSource.getConnection()) {
            try {
                CertificateRecord r = store.bySerial(c, serial, true).orElseThrow(() -> new CaOperationException(
                        "no certificate with serial " + serial + " was issued by this CA"));
                if (r.revocation() != null) {
                    throw new CaOperationException("certificate " + serial + " is already revoked (since "
                            + r.revocation().revokedAt() + ", reason " + RevocationReason.of(r.revocation().reason()).rfcName()
                            + ", requested by " + r.revocation().requestedBy() + ")");
                }
                Revocation rev = new Revocation(clock.instant().truncatedTo(ChronoUnit.SECONDS), reason.code(), requestedBy);
                store.insertRevocation(c, serial, rev);
                events.certificateRevoked(c, serial, reason, requestedBy);
                c.commit();
                return rev;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database refused the revocation of " + serial + ": " + e.getMessage(), e);
        }
    }

    /** Accepts hex with or without colons, spaces or a 0x prefix; the stored form is lowercase, no leading zeros. */
    public static String normaliseSerial(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replaceFirst("^0x", "").replaceAll("[:\\s]", "");
        if (t.isEmpty() || !t.matches("[0-9a-f]+")) {
            throw new CaOperationException("'" + text + "' is not a certificate serial number in hexadecimal");
        }
        return new BigInteger(t, 16).toString(16);
    }

    static X509Certificate parse(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
