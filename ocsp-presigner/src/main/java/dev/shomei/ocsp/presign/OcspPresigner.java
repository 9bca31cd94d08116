package dev.shomei.ocsp.presign;

import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ocsp.AuditedPresignerEvents;
import dev.shomei.pkcs11.HsmToken;
import dev.shomei.pkcs11.Signer;
import java.io.PrintStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * Pre-signs an OCSP response for every unexpired certificate of the issuing CA that is due (none yet, past
 * half its validity, revoked since, or signed by another responder), with the delegated responder key.
 *
 * <p>Zone: secure. Reads the CA's certificate and revocation tables, writes ocsp_response and the audit log;
 * signs only through the responder's {@link Signer} (HSM). Incremental and crash-safe: each chunk of
 * responses is committed with its audit entry, and a rerun picks up whatever is still due.
 *
 * <p>Step 1: count what is due (for progress). Step 2: stream the due serials through a cursor into chunks.
 * Step 3: sign chunks in parallel, as many threads as the HSM allows ({@code hsm.parallelism}). Step 4: one
 * writer records each chunk and its audit entry, and commits. Step 5: audit the run's counts.
 */
public final class OcspPresigner {

    /**
     * Result of a run: counts, wall time, and the thread-time spent building and signing responses (all signer
     * threads together) and recording them (the writer), which tells whether the HSM or the database limits a run.
     */
    public record Result(long due, long signed, long revoked, double seconds, double signingSeconds,
                         double recordingSeconds) {
        public double perSecond() {
            return seconds == 0 ? 0 : signed / seconds;
        }
    }

    /** OCSPSigning (RFC 6960 §4.2.2.2): a delegated responder's certificate must carry it. */
    private static final String OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
    // One presign run per CA database at a time: two runs would sign the same serials twice.
    private static final long RUN_LOCK = 0x5348_4f4d_4f43_5350L;

    private final DataSource dataSource;
    private final Signer responder;
    private final OcspResponseSigner responses;
    private final OcspResponseStore store;
    private final String issuerLabel;
    private final Duration validity;
    private final int parallelism;
    private final int chunkSize;
    private final int progressPercent;
    private final AuditedPresignerEvents audit;
    private final Clock clock;
    private final PrintStream progressOut;

    public record Settings(Duration validity, int chunkSize, int progressPercent, PrintStream progressOut) {}

    private OcspPresigner(DataSource dataSource, Signer responder, X509Certificate issuer, String issuerLabel,
                          int parallelism, Settings settings, AuditedPresignerEvents audit, Clock clock) {
        this.dataSource = dataSource;
        this.responder = responder;
        this.responses = new OcspResponseSigner(responder, issuer);
        this.store = new OcspResponseStore(issuerLabel, responder.certificate().getSerialNumber().toString(16));
        this.issuerLabel = issuerLabel;
        this.validity = settings.validity();
        this.parallelism = parallelism;
        this.chunkSize = settings.chunkSize();
        this.progressPercent = settings.progressPercent();
        this.progressOut = settings.progressOut();
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * A presigner for the CA's issuing key, signing with the delegated key {@code responderLabel}. Refuses a
     * key that is missing, not certified by the issuing CA, without id-kp-OCSPSigning, or whose certificate
     * ends before responses signed now would.
     */
    public static OcspPresigner forCa(CertificateAuthority ca, String responderLabel, Settings settings,
                                      AuditedPresignerEvents audit, Clock clock) {
        return forGeneration(ca, ca.config().issuingKeyLabel(), responderLabel, settings, audit, clock);
    }

    /**
     * A presigner for one issuing-key generation (after a renewal the old generation's certificates keep their
     * OCSP responses, signed by the responder that generation certified). Refuses a generation whose CA
     * certificate the root revoked ({@code ca revoke-ca}): nothing it vouches for is valid any more.
     */
    public static OcspPresigner forGeneration(CertificateAuthority ca, String issuingLabel, String responderLabel,
                                              Settings settings, AuditedPresignerEvents audit, Clock clock) {
        HsmToken token = ca.token();
        try (java.sql.Connection c = ca.database().dataSource().getConnection()) {
            try {
                if (dev.shomei.ca.store.CaKeyRevocations.revokedLabels(c).contains(issuingLabel)) {
                    throw new ConfigException("the CA certificate of issuing generation '" + issuingLabel + "' is"
                            + " revoked (on the root's CRL): its responses are no longer signed; remove it from"
                            + " generationResponders (or move issuingKey to a generation in good standing)");
                }
            } finally {
                c.rollback();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read revoked CA certificates: " + e.getMessage(), e);
        }
        if (!token.containsKey(issuingLabel)) {
            throw new ConfigException("the HSM token '" + token.config().tokenLabel() + "' holds no issuing key labelled '"
                    + issuingLabel + "' (generationResponders names issuing key labels)");
        }
        if (!token.containsKey(responderLabel)) {
            throw new ConfigException("the HSM token '" + token.config().tokenLabel() + "' holds no key labelled '"
                    + responderLabel + "'; make it with: ca delegate --label " + responderLabel
                    + " --profile ocsp-responder --subject \"CN=...\" --operator NAME");
        }
        X509Certificate issuing = token.certificateChain(issuingLabel)[0];
        X509Certificate cert = token.certificateChain(responderLabel)[0];
        checkResponder(cert, issuing, responderLabel, clock.instant().plus(settings.validity()));
        OcspResponseStore.migrate(ca.database().ownerDataSource());
        return new OcspPresigner(ca.database().dataSource(), ca.signer(responderLabel), issuing, issuingLabel,
                token.config().parallelism(), settings, audit, clock);
    }

    static void checkResponder(X509Certificate cert, X509Certificate issuing, String label, Instant lastNextUpdate) {
        try {
            cert.verify(issuing.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new ConfigException("the certificate of key '" + label + "' (" + cert.getSubjectX500Principal()
                    + ") is not signed by the issuing CA " + issuing.getSubjectX500Principal() + "; certify the"
                    + " responder with 'ca delegate' under the current issuing key");
        }
        try {
            List<String> eku = cert.getExtendedKeyUsage();
            if (eku == null || !eku.contains(OCSP_SIGNING)) {
                throw new ConfigException("the certificate of key '" + label + "' lacks id-kp-OCSPSigning"
                        + " (RFC 6960 §4.2.2.2); delegate a responder key with --profile ocsp-responder");
            }
        } catch (CertificateParsingException e) {
            throw new ConfigException("cannot read the extended key usage of key '" + label + "': " + e.getMessage());
        }
        if (cert.getNotAfter().toInstant().isBefore(lastNextUpdate)) {
            throw new ConfigException("the responder certificate of key '" + label + "' expires at "
                    + cert.getNotAfter().toInstant() + ", before the nextUpdate (" + lastNextUpdate
                    + ") of responses signed now; delegate a new responder key and use it");
        }
    }

    public OcspResponseStore store() {
        return store;
    }

    public Result run() {
        Instant start = clock.instant();
        long t0 = System.nanoTime();
        try (Connection reader = dataSource.getConnection()) {
            lock(reader);
            try {
                // Step 1
                long due = store.countDue(reader, start);
                Progress progress = new Progress(progressOut, due, progressPercent);
                // Steps 2-4
                Pipeline p = new Pipeline(progress);
                try {
                    store.streamDue(reader, start, p::add);
                    p.finish();
                } catch (Abort a) {
                    p.drain();
                } finally {
                    reader.rollback();
                    p.shutdown();
                }
                p.rethrow();
                // Step 5
                Result r = new Result(due, p.signed.get(), p.revoked.get(), (System.nanoTime() - t0) / 1e9,
                        p.signingNanos.get() / 1e9, p.recordingNanos.get() / 1e9);
                try (Connection c = dataSource.getConnection()) {
                    audit.presignRun(c, issuerLabel, "issuer=" + issuerLabel + " responder=" + responder.keyUri()
                            + " due=" + r.due() + " signed=" + r.signed() + " revoked=" + r.revoked()
                            + " validityHours=" + validity.toHours() + " started=" + start);
                    c.commit();
                }
                return r;
            } finally {
                unlock(reader);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database failed during the presign run: " + e.getMessage()
                    + "; rerun presign to continue (responses already committed are kept)", e);
        }
    }

    private static void lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            ps.setLong(1, RUN_LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    c.rollback();
                    throw new CaOperationException("another presign run is using this CA database; wait for it to"
                            + " finish, then run presign again");
                }
            }
        }
    }

    private static void unlock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, RUN_LOCK);
            ps.executeQuery().close();
        }
        c.rollback();
    }

    /** Thrown from the cursor's callback to stop reading once a signer or the writer failed. */
    private static final class Abort extends RuntimeException {
        Abort() {
            super(null, null, false, false);
        }
    }

    /** Chunks → signer threads → one writer, with a bounded number of chunks in flight (bounded heap). */
    private final class Pipeline {
        private final Progress progress;
        private final int maxInFlight = parallelism * 3;
        private final Semaphore inFlight = new Semaphore(maxInFlight);
        private final ExecutorService signers = Executors.newFixedThreadPool(parallelism, named("ocsp-sign"));
        private final ExecutorService writer = Executors.newSingleThreadExecutor(named("ocsp-write"));
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicLong signed = new AtomicLong();
        private final AtomicLong revoked = new AtomicLong();
        private final AtomicLong signingNanos = new AtomicLong();
        private final AtomicLong recordingNanos = new AtomicLong();
        private List<OcspResponseStore.Due> buffer = new ArrayList<>();

        Pipeline(Progress progress) {
            this.progress = progress;
        }

        void add(OcspResponseStore.Due due) {
            buffer.add(due);
            if (buffer.size() == chunkSize) {
                submit();
            }
        }

        void finish() {
            if (!buffer.isEmpty()) {
                submit();
            }
            drain();
        }

        private void submit() {
            List<OcspResponseStore.Due> chunk = buffer;
            buffer = new ArrayList<>(chunkSize);
            inFlight.acquireUninterruptibly();
            if (failure.get() != null) {
                inFlight.release();
                throw new Abort();
            }
            signers.execute(() -> {
                try {
                    long s0 = System.nanoTime();
                    SignedChunk sc = sign(chunk);
                    dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.PRESIGN_AFTER_SIGN,
                            "serials=" + String.join(",", sc.serials()));
                    signingNanos.addAndGet(System.nanoTime() - s0);
                    writer.execute(() -> {
                        try {
                            long w0 = System.nanoTime();
                            write(sc);
                            recordingNanos.addAndGet(System.nanoTime() - w0);
                            signed.addAndGet(sc.size());
                            revoked.addAndGet(sc.revoked());
                            progress.add(sc.size());
                        } catch (Throwable t) {
                            failure.compareAndSet(null, t);
                        } finally {
                            inFlight.release();
                        }
                    });
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    inFlight.release();
                }
            });
        }

        void drain() {
            inFlight.acquireUninterruptibly(maxInFlight);
            inFlight.release(maxInFlight);
        }

        void shutdown() {
            signers.shutdownNow();
            writer.shutdownNow();
        }

        void rethrow() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error er) {
                throw er;
            }
            if (t != null) {
                throw new IllegalStateException("presign failed: " + t.getMessage()
                        + "; rerun presign to continue (responses already committed are kept)", t);
            }
        }
    }

    private SignedChunk sign(List<OcspResponseStore.Due> chunk) {
        // RFC 5019 §2.2.4: thisUpdate = producedAt = now, nextUpdate = thisUpdate + validity; whole seconds, as
        // RFC 5280 §4.1.2.5.2 encodes GeneralizedTime, so every client parses them alike.
        Instant thisUpdate = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant nextUpdate = thisUpdate.plus(validity);
        Instant refreshAfter = thisUpdate.plus(validity.dividedBy(2));
        int n = chunk.size();
        String[] serials = new String[n];
        String[] statuses = new String[n];
        byte[][] ders = new byte[n][];
        String[] digests = new String[n];
        MessageDigest sha256 = sha256();
        HexFormat hex = HexFormat.of();
        boolean first = true;
        for (int i = 0; i < n; i++) {
            OcspResponseStore.Due d = chunk.get(i);
            first &= d.first();
            serials[i] = d.serial().toString(16);
            statuses[i] = d.revokedAt() == null ? "good" : "revoked";
            ders[i] = responses.sign(d.serial(), d.revokedAt(), d.reason(), thisUpdate, nextUpdate);
            digests[i] = hex.formatHex(sha256.digest(ders[i]));
        }
        return new SignedChunk(serials, statuses, ders, digests, thisUpdate, nextUpdate, refreshAfter, first);
    }

    private void write(SignedChunk sc) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try {
                store.record(c, sc);
                audit.responsesSigned(c, issuerLabel, sc);
                dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.PRESIGN_BEFORE_COMMIT,
                        "serials=" + String.join(",", sc.serials()));
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
