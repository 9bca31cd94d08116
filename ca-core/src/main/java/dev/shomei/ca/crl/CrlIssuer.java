package dev.shomei.ca.crl;

import dev.shomei.audit.Checkpoint;
import dev.shomei.ca.audit.AuditCheckpoints;
import dev.shomei.ca.fault.CrashPoints;
import dev.shomei.ca.issuance.CaEventLog;
import dev.shomei.ca.issuance.SigningIntents;
import dev.shomei.ca.store.CertificateStore;
import dev.shomei.ca.store.CertificateStore.CrlRecord;
import dev.shomei.pkcs11.Signer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;

/**
 * Issues full CRLs for the issuing CA (docs/crl.md).
 *
 * <p>Zone: secure. Step 1, lock the issuer row so that numbering is serial, and void the intents a stopped
 * process left (their numbers are skipped, never reused); Step 2, take the next CRL number (above every CRL and
 * every intent: strictly increasing, RFC 5280 §5.2.3) and commit its signing intent (docs/faults.md); Step 3,
 * stream the revoked, unexpired certificates into the encoder and sign in the HSM; Step 4, record the CRL, its
 * audit entry and its intent's resolution; Step 5, sign an audit checkpoint covering them; then commit. A crash
 * before the commit publishes nothing, and the number it took is never used for other content.
 */
public final class CrlIssuer {

    /**
     * A signed CRL, as recorded; its DER is in a temporary file (a million entries make 40 MB). {@code checkpoint}
     * is the audit checkpoint signed in the same transaction (null only for an issuer built without one).
     */
    public record IssuedCrl(CrlRecord record, Path file, Checkpoint checkpoint, java.util.List<ShardCrl> shards) {
        public IssuedCrl(CrlRecord record, Path file, Checkpoint checkpoint) {
            this(record, file, checkpoint, java.util.List.of());
        }

        public byte[] der() {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the signed CRL " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * One shard of a partitioned CRL, signed in the same run and with the same number as the full CRL: the revoked
     * certificates whose serial falls in this shard, under an issuingDistributionPoint naming {@code url}, the URL
     * in those certificates' CRL distribution point (RFC 5280 §5.2.5). Its DER is small (about 1 MB at most when
     * {@code crl.shards} is sized as docs/crl.md says), in a temporary file like the full CRL's: hundreds of shards
     * are not held on the heap together.
     */
    public record ShardCrl(int shard, String url, int entries, String sha256, Path file) {
        public byte[] der() {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the signed CRL shard " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** Entries of the shards are gathered in chunks of this size: hundreds of shards are built at once. */
    private static final int SHARD_CHUNK = 64 * 1024;

    private final DataSource dataSource;
    private final Signer signer;
    private final String issuerLabel;
    private final Duration nextUpdate;
    private final Clock clock;
    private final CaEventLog events;
    private final AuditCheckpoints checkpoints;
    private final CertificateStore store = new CertificateStore();
    private final SigningIntents intents = new SigningIntents();
    private int shards;
    private String crlUrl;

    public CrlIssuer(DataSource dataSource, Signer signer, String issuerLabel, Duration nextUpdate, Clock clock,
                     CaEventLog events) {
        this(dataSource, signer, issuerLabel, nextUpdate, clock, events, null);
    }

    /** @param checkpoints signs an audit checkpoint with every CRL, in the CRL's transaction */
    public CrlIssuer(DataSource dataSource, Signer signer, String issuerLabel, Duration nextUpdate, Clock clock,
                     CaEventLog events, AuditCheckpoints checkpoints) {
        if (nextUpdate.isNegative() || nextUpdate.isZero()) {
            throw new IllegalArgumentException("crl.nextUpdateHours must be positive");
        }
        this.dataSource = dataSource;
        this.signer = signer;
        this.issuerLabel = issuerLabel;
        this.nextUpdate = nextUpdate;
        this.clock = clock;
        this.events = events;
        this.checkpoints = checkpoints;
    }

    /**
     * Partitioned CRLs (docs/crl.md): with {@code shards > 0}, every run also signs one CRL per shard, with an
     * issuingDistributionPoint naming the shard's URL under {@code crlUrl} (ProfileExtensions.crlUrl, the URL the
     * certificates of that shard carry). Returns this issuer.
     */
    public CrlIssuer partitioned(int shards, String crlUrl) {
        if (shards < 0) {
            throw new IllegalArgumentException("crl.shards must be 0 (no partitioned CRLs) or positive, not " + shards);
        }
        if (shards > 0 && (crlUrl == null || crlUrl.isBlank())) {
            throw new IllegalArgumentException("crl.shards is " + shards + " but repository.crlUrl is not configured;"
                    + " the shards' URLs are built from it");
        }
        this.shards = shards;
        this.crlUrl = crlUrl;
        return this;
    }

    /**
     * Why a new CRL is due now, or null if it is not: no CRL yet, a revocation recorded after the latest
     * CRL (CP/CPS §4.9.7: a CRL after each revocation), or half the latest CRL's validity has passed (so a
     * relying party never holds a CRL near its nextUpdate).
     */
    public String dueReason() {
        try (Connection c = dataSource.getConnection()) {
            var latest = store.latestCrl(c, issuerLabel);
            String reason;
            if (latest.isEmpty()) {
                reason = "no CRL has been issued yet";
            } else {
                Instant thisUpdate = latest.get().thisUpdate();
                Instant half = thisUpdate.plus(Duration.between(thisUpdate, latest.get().nextUpdate()).dividedBy(2));
                long newer = store.unlistedRevocations(c, issuerLabel, clock.instant());
                if (newer > 0) {
                    reason = newer + " revocation(s) not yet on a CRL (latest: CRL " + latest.get().number() + ")";
                } else if (!clock.instant().isBefore(half)) {
                    reason = "half of CRL " + latest.get().number() + "'s validity has passed";
                } else {
                    reason = null;
                }
            }
            c.rollback();
            return reason;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot tell whether a CRL is due: " + e.getMessage(), e);
        }
    }

    public IssuedCrl issue() {
        Path spills = null;
        try (Connection c = dataSource.getConnection()) {
            try {
                // Step 1: serial numbering; what a stopped process left is resolved first, under the same lock.
                store.lockIssuer(c, issuerLabel);
                voidAbandonedIntents(c);
                checkShardCount(c);
                // Step 2: the number, taken once and for good by an intent committed before the HSM signs.
                long number = intents.nextCrlNumber(c, issuerLabel);
                Instant thisUpdate = clock.instant().truncatedTo(ChronoUnit.SECONDS);
                Instant next = thisUpdate.plus(nextUpdate);
                long intentId = recordIntent(number, thisUpdate, next);
                CrashPoints.reach(CrashPoints.AFTER_INTENT, "crl " + issuerLabel + "/" + number);
                // Step 3: stream and sign (the full CRL, and each shard's entries beside it in the same pass).
                byte[] issuerName = signer.certificate().getSubjectX500Principal().getEncoded();
                // The encoded entries go to files beside the CRL, not the heap: 100M certificates with 5% revoked
                // make 200 MB of entries for the full CRL and as much again for the shards.
                Path entryFiles = Files.createTempDirectory("crl-entries-" + issuerLabel + "-" + number + "-");
                spills = entryFiles;
                StreamingCrlEncoder enc = new StreamingCrlEncoder(issuerName, thisUpdate, next,
                        BigInteger.valueOf(number), subjectKeyId()).spillTo(entryFiles.resolve("full"));
                StreamingCrlEncoder[] shardEncoders = new StreamingCrlEncoder[shards];
                for (int i = 0; i < shards; i++) {
                    shardEncoders[i] = new StreamingCrlEncoder(issuerName, thisUpdate, next, BigInteger.valueOf(number),
                            subjectKeyId(), issuingDistributionPoint(i), SHARD_CHUNK).spillTo(entryFiles.resolve("shard-" + i));
                }
                java.util.List<String> firstListed = new java.util.ArrayList<>();
                store.revokedEntries(c, issuerLabel, thisUpdate, e -> {
                    enc.add(e.serial(), e.revokedAt(), e.reason());
                    if (shards > 0) {
                        shardEncoders[dev.shomei.ca.profile.ProfileExtensions.crlShard(e.serial(), shards)]
                                .add(e.serial(), e.revokedAt(), e.reason());
                    }
                    if (!e.listedBefore()) {
                        firstListed.add(CertificateStore.hex(e.serial()));
                    }
                });
                Path file = SigningIntents.crlSpool(issuerLabel, number);
                MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
                long length;
                try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), sha256)) {
                    length = enc.writeSigned(signer, out);
                }
                CrashPoints.reach(CrashPoints.AFTER_HSM_SIGN, "crl " + issuerLabel + "/" + number);
                CrlRecord rec = new CrlRecord(issuerLabel, number, thisUpdate, next, enc.entries(),
                        HexFormat.of().formatHex(sha256.digest()));
                // Step 4: record with its audit entry.
                try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                    store.insertCrl(c, rec, in, length, shards);
                }
                java.util.List<ShardCrl> shardCrls = new java.util.ArrayList<>(shards);
                for (int i = 0; i < shards; i++) {
                    java.io.ByteArrayOutputStream der = new java.io.ByteArrayOutputStream();
                    shardEncoders[i].writeSigned(signer, der);
                    int entries = shardEncoders[i].entries();
                    shardEncoders[i] = null; // its entries are in the DER now
                    byte[] bytes = der.toByteArray();
                    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
                    store.insertCrlShard(c, rec, i, entries, sha, bytes);
                    Path shardFile = Files.createTempFile("crl-" + issuerLabel + "-" + number + "-shard-" + i + "-",
                            ".crl");
                    shardFile.toFile().deleteOnExit();
                    Files.write(shardFile, bytes);
                    shardCrls.add(new ShardCrl(i, dev.shomei.ca.profile.ProfileExtensions.crlUrl(crlUrl, i), entries,
                            sha, shardFile));
                }
                store.markListed(c, firstListed, number);
                events.crlIssued(c, issuerLabel, number, enc.entries(), rec.sha256());
                intents.resolve(c, intentId, "recorded", null);
                // Step 5: anchor the log, this CRL's entry included, before anything is published.
                Checkpoint checkpoint = checkpoints == null ? null : checkpoints.sign(c);
                CrashPoints.reach(CrashPoints.BEFORE_COMMIT, "crl " + issuerLabel + "/" + number);
                c.commit();
                return new IssuedCrl(rec, file, checkpoint, java.util.List.copyOf(shardCrls));
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException | IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("CRL issuance failed: " + e.getMessage(), e);
        } finally {
            deleteSpills(spills);
        }
    }

    /** The entries' files are in the signed CRLs (file and rows) by now, or the run failed: either way, gone. */
    private static void deleteSpills(Path dir) {
        if (dir == null) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            dir.toFile().deleteOnExit(); // a temporary directory; the next boot's tmp cleaning takes it otherwise
        }
    }

    /**
     * The intent, on a connection of its own so that it is committed (durable) before the HSM signs, while this
     * issuance's transaction keeps the issuer locked.
     */
    private long recordIntent(long number, Instant thisUpdate, Instant next) throws SQLException {
        try (Connection own = dataSource.getConnection()) {
            try {
                long id = intents.recordCrl(own, issuerLabel, number, thisUpdate, next);
                own.commit();
                return id;
            } catch (SQLException | RuntimeException e) {
                own.rollback();
                throw e;
            }
        }
    }

    /**
     * A CRL intent without a resolution, seen under the issuer lock, belongs to a process that stopped between
     * taking the number and recording the CRL (a live issuance would hold the lock). Nothing with that number was
     * published (publication follows the commit), so the number is voided and skipped, not signed again: a CRL
     * reflects the revocations of the moment it is made, and the next one is made now.
     */
    private void voidAbandonedIntents(Connection c) throws SQLException {
        for (SigningIntents.CrlIntent i : intents.pendingCrls(c, issuerLabel)) {
            boolean recorded = store.latestCrl(c, issuerLabel).map(r -> r.number() >= i.number()).orElse(false)
                    && crlExists(c, i.number());
            if (recorded) {
                intents.resolve(c, i.id(), "recorded", "found recorded when the intent was resolved");
                continue;
            }
            String reason = "the process stopped after taking CRL number " + i.number() + " and before recording"
                    + " the CRL; nothing with this number was published, and the number is never used (RFC 5280"
                    + " §5.2.3 requires increasing numbers, not consecutive ones)";
            intents.resolve(c, i.id(), "void", reason);
            events.signingIntentVoided(c, issuerLabel, "crl number " + i.number(), reason);
            SigningIntents.discardSpool(issuerLabel, i.number());
        }
    }

    private boolean crlExists(Connection c, long number) throws SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM crl WHERE issuer_label = ? AND crl_number = ?")) {
            ps.setString(1, issuerLabel);
            ps.setLong(2, number);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * The shard count is fixed for an issuing key: certificates name their shard (serial mod count), so another
     * count would leave them pointing at CRLs that no longer list them.
     */
    private void checkShardCount(Connection c) throws SQLException {
        java.util.OptionalInt previous = store.lastCrlShards(c, issuerLabel);
        if (previous.isPresent() && previous.getAsInt() > 0 && previous.getAsInt() != shards) {
            throw new IllegalStateException("crl.shards is " + shards + " but the previous CRLs of " + issuerLabel
                    + " were partitioned into " + previous.getAsInt() + " shards, and its certificates name their shard"
                    + " (serial mod " + previous.getAsInt() + ") in their CRL distribution point: set crl.shards back to "
                    + previous.getAsInt() + " (a new count takes a new issuing key)");
        }
    }

    /** The shard's issuingDistributionPoint: its URL, as the certificates of the shard name it (RFC 5280 §5.2.5). */
    private byte[] issuingDistributionPoint(int shard) {
        try {
            return new org.bouncycastle.asn1.x509.IssuingDistributionPoint(
                    new org.bouncycastle.asn1.x509.DistributionPointName(new org.bouncycastle.asn1.x509.GeneralNames(
                            new org.bouncycastle.asn1.x509.GeneralName(
                                    org.bouncycastle.asn1.x509.GeneralName.uniformResourceIdentifier,
                                    dev.shomei.ca.profile.ProfileExtensions.crlUrl(crlUrl, shard)))),
                    false, false, null, false, false).getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] subjectKeyId() {
        byte[] ext = signer.certificate().getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ext == null) {
            throw new IllegalStateException("the issuing CA certificate has no subjectKeyIdentifier");
        }
        return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }
}
