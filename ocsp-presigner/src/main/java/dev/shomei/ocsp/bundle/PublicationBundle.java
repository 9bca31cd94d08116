package dev.shomei.ocsp.bundle;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.shomei.audit.AuditLog;
import dev.shomei.audit.Checkpoint;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.ceremony.CaHashValues;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.CaOperationException;
import dev.shomei.ocsp.AuditedPresignerEvents;
import dev.shomei.ocsp.presign.OcspResponseSigner;
import dev.shomei.ocsp.presign.OcspResponseStore;
import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.bouncycastle.cms.CMSProcessableFile;

/**
 * Writes a publication bundle (docs/publication-bundle.md): the latest CRL of every issuing-key generation not
 * revoked and the root's latest CRL (ARL), the CA certificates, the OCSP responses of those generations signed since
 * the last bundle (or all), the CA hash values, the PAdES-signed CP/CPS, the latest
 * audit checkpoint, and a manifest signed in the HSM by the publication signer key.
 *
 * <p>Zone: secure. Reads the CA database (crl, root_crl, ca_key, revoked_ca_key, ocsp_response, audit checkpoints),
 * writes only the output (a directory, or a tar file and its {@code .partial} siblings: {@link BundleOutput}), the
 * publication_bundle table and the audit log; signs through the publication signer's {@link Signer}. The artifacts
 * and the manifest are streamed in path order, so a full bundle of ten million responses holds one in memory.
 *
 * <p>Step 1: refuse a non-empty output directory or an existing output tar. Step 2: in one transaction, hold off
 * presign writes (SHARE lock) so that "since the last bundle" has no gaps. Step 3: write each artifact and its manifest
 * entry, in path order. Step 4: sign manifest.json (detached CMS); a tar gets its name only now. Step 5: record the
 * bundle and its audit entry, commit. A crash before step 5 records nothing: the next bundle holds the same responses
 * again.
 */
public final class PublicationBundle {

    public static final String FORMAT = "shomei-publication-bundle/v2";

    /**
     * Where a response goes: {@code ocsp/<issuerKeyHash>/<first two hex digits of the serial>/<serial>.der}. The
     * directory keeps each one small (ext4 without large_dir refuses new names past ~9 million in one), and path
     * order stays serial order as text: the directory is a prefix of the name, and '/' like '.' sorts before every
     * hex digit ("ab/ab.der" < "ab/abc.der" < "ac/ac.der").
     */
    public static String ocspPath(String issuerKeyHash, String serialHex) {
        return "ocsp/" + issuerKeyHash + "/" + serialHex.substring(0, Math.min(2, serialHex.length())) + "/" + serialHex + ".der";
    }

    /** What was written; {@code path}: the bundle directory, or the tar file. */
    public record Written(String bundleId, Path path, int artifacts, int ocspResponses, String manifestSha256) {}

    private final DataSource dataSource;
    private final String issuerLabel;
    private final Signer publicationSigner;
    private final X509Certificate issuingCert;
    private final X509Certificate signerIssuer;
    private final AuditLog auditLog;
    private final AuditedPresignerEvents audit;
    private final Clock clock;
    private Path raAudit;

    /**
     * @param issuerLabel   the issuing key in use ({@code issuingKey}): its CRL must exist; older generations' CRLs
     *                      and OCSP responses ride along when there are any
     * @param signerIssuer  the issuing generation that certified the publication signer (the manifest's chain)
     */
    public PublicationBundle(DataSource dataSource, String issuerLabel, Signer publicationSigner,
                             X509Certificate issuingCert, X509Certificate signerIssuer, AuditLog auditLog,
                             AuditedPresignerEvents audit, Clock clock) {
        this.dataSource = dataSource;
        this.issuerLabel = issuerLabel;
        this.publicationSigner = publicationSigner;
        this.issuingCert = issuingCert;
        this.signerIssuer = signerIssuer;
        this.auditLog = auditLog;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * A bundle writer for the CA's issuing key, signing with the delegated key {@code publicationSignerLabel}.
     * Refuses a key that is missing or not certified by the issuing CA for digital signatures.
     */
    public static PublicationBundle forCa(CertificateAuthority ca, String publicationSignerLabel, AuditLog auditLog,
                                          AuditedPresignerEvents audit, Clock clock) {
        String issuingLabel = ca.config().issuingKeyLabel();
        if (!ca.token().containsKey(publicationSignerLabel)) {
            throw new ConfigException("the HSM token '" + ca.token().config().tokenLabel() + "' holds no key labelled '"
                    + publicationSignerLabel + "'; make it with: ca delegate --label " + publicationSignerLabel
                    + " --profile publication-signer --subject \"CN=...\" --operator NAME");
        }
        X509Certificate issuing = ca.token().certificateChain(issuingLabel)[0];
        Signer signer = ca.signer(publicationSignerLabel);
        X509Certificate cert = signer.certificate();
        // After a renewal the signer may still be the one the previous generation certified: any issuing generation
        // of this CA that is not revoked will do (the publisher checks the chain to its configured CA certificates).
        X509Certificate signerIssuer = null;
        try (Connection c = ca.database().dataSource().getConnection()) {
            try {
                java.util.Set<String> revoked = dev.shomei.ca.store.CaKeyRevocations.revokedLabels(c);
                for (CaCert g : caCertificates(c)) {
                    if (g.role().equals("ISSUING") && !revoked.contains(g.label()) && signedBy(cert, g.cert())) {
                        signerIssuer = g.cert();
                        break;
                    }
                }
            } finally {
                c.rollback();
            }
        } catch (SQLException | CertificateException e) {
            throw new IllegalStateException("cannot read the CA certificates from the CA database: " + e.getMessage(), e);
        }
        if (signerIssuer == null) {
            throw new ConfigException("the certificate of key '" + publicationSignerLabel + "' is not signed by an"
                    + " issuing CA generation in use (" + issuing.getSubjectX500Principal() + " is current); delegate it"
                    + " under the current issuing key");
        }
        boolean[] ku = cert.getKeyUsage();
        if (ku == null || !ku[0]) {
            throw new ConfigException("the certificate of key '" + publicationSignerLabel + "' does not allow"
                    + " digitalSignature; delegate it with --profile publication-signer");
        }
        OcspResponseStore.migrate(ca.database().ownerDataSource());
        return new PublicationBundle(ca.database().dataSource(), issuingLabel, signer, issuing, signerIssuer, auditLog,
                audit, clock);
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * Also carries the RA's published audit checkpoint and consistency proof (its {@code ra.audit.publish-directory},
     * brought in as files) as {@code audit/ra/checkpoint.txt} and {@code audit/ra/consistency.txt}. They are signed by
     * the RA's own checkpoint key; the bundle only transports them, after checking that they parse and belong together.
     */
    public PublicationBundle carryingRaAudit(Path directory) {
        this.raAudit = directory;
        return this;
    }

    private List<byte[]> raAuditFiles() {
        try {
            String cpText = Files.readString(raAudit.resolve("checkpoint.txt"), StandardCharsets.UTF_8);
            String proofText = Files.readString(raAudit.resolve("consistency.txt"), StandardCharsets.UTF_8);
            Checkpoint cp = Checkpoint.parse(cpText);
            dev.shomei.audit.PublishedProof proof = dev.shomei.audit.PublishedProof.parse(proofText);
            if (!proof.origin().equals(cp.origin()) || proof.proof().secondSize() != cp.treeSize()) {
                throw new CaOperationException("the RA's consistency.txt in " + raAudit + " is for log " + proof.origin()
                        + " size " + proof.proof().secondSize() + ", not for its checkpoint.txt (log " + cp.origin()
                        + ", size " + cp.treeSize() + "); copy both files from the RA's publish directory together");
            }
            return List.of(cpText.getBytes(StandardCharsets.UTF_8), proofText.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the RA's audit checkpoint in " + raAudit + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new CaOperationException("the RA's audit files in " + raAudit + " are not a checkpoint and its proof: "
                    + e.getMessage());
        }
    }

    /**
     * Writes one bundle to {@code out}: a new or empty directory, or, when its name ends in {@code .tar}, a new tar
     * file (docs/publication-bundle.md, "Layout"). Artifacts are written, and listed in manifest.json, in increasing
     * order of their paths ({@link String#compareTo}): the few non-OCSP artifacts first, sorted here, then the OCSP
     * responses as the database hands them over, by issuer key hash and then serial, one at a time.
     */
    public Written write(Path out, List<Path> cpsFiles, boolean fullOcsp) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Path p : cpsFiles) {
            if (!names.add(p.getFileName().toString())) {
                throw new CaOperationException("two CP/CPS files are named " + p.getFileName() + "; give each PDF"
                        + " a distinct file name (it becomes cps/<name> in the repository)");
            }
            if (!Files.isRegularFile(p) || !p.getFileName().toString().toLowerCase().endsWith(".pdf")) {
                throw new CaOperationException("CP/CPS file " + p + " is not a readable .pdf file; give the PDF"
                        + " with --cps or in the 'cps' setting");
            }
        }
        String bundleId = UUID.randomUUID().toString();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        // Step 1
        BundleOutput output;
        try {
            output = BundleOutput.open(out, now);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the bundle " + out + ": " + e.getMessage(), e);
        }
        try (output; Connection c = dataSource.getConnection()) {
            try {
                Written w = write(output, c, bundleId, now, cpsFiles, fullOcsp);
                c.commit();
                return w;
            } catch (SQLException | IOException | RuntimeException | CertificateException e) {
                // An ordinary failure: nothing recorded, no unfinished tar left behind. A crash (here an Error, as the
                // fault suite throws) passes by like a kill: a tar's .partial stays, for the next write to take over.
                c.rollback();
                output.abandon();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database failed while writing bundle " + bundleId + ": "
                    + e.getMessage() + "; nothing was recorded, write the bundle again", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write bundle " + bundleId + " to " + out + ": " + e.getMessage(), e);
        } catch (CertificateException e) {
            throw new IllegalStateException("cannot encode a CA certificate: " + e.getMessage(), e);
        }
    }

    private Written write(BundleOutput output, Connection c, String bundleId, Instant now, List<Path> cpsFiles,
                          boolean fullOcsp) throws SQLException, IOException, CertificateException {
        // Step 2
        try (PreparedStatement ps = c.prepareStatement("LOCK TABLE ocsp_response IN SHARE MODE")) {
            ps.execute();
        }
        // The responses' query is planned for its own parameters each time (a full bundle walks the
        // (issuer_label, serial "C") index, an incremental one the signed_seq index), never by a cached generic plan.
        try (PreparedStatement ps = c.prepareStatement("SET LOCAL plan_cache_mode = force_custom_plan")) {
            ps.execute();
        }
        long since = fullOcsp ? 0 : lastSignedSeq(c);
        CrlRow crl = latestCrl(c, issuerLabel).orElseThrow(() -> new CaOperationException("no CRL has been"
                + " issued by '" + issuerLabel + "' yet; run 'ca crl' first, then bundle"));
        List<CaCert> caCerts = caCertificates(c);
        // Every issuing generation (docs/key-ceremony.md, renewal): its latest CRL and its OCSP responses,
        // under the key hash of its own certificate. A revoked generation's responses are no longer published
        // (its CA certificate is on the root's CRL; nothing it vouches for is valid).
        java.util.Set<String> revokedGenerations = dev.shomei.ca.store.CaKeyRevocations.revokedLabels(c);
        // issuerKeyHash (hex) -> the generations under it, in the order their responses are written (ascending hex).
        java.util.SortedMap<String, List<String>> keyHashes = new java.util.TreeMap<>();
        java.util.Map<String, CrlRow> crls = new java.util.LinkedHashMap<>();
        crls.put(issuerLabel, crl);
        for (CaCert g : caCerts) {
            if (g.role().equals("ISSUING")) {
                if (!revokedGenerations.contains(g.label())) {
                    keyHashes.computeIfAbsent(HexFormat.of().formatHex(OcspResponseSigner.keyHash(g.cert())),
                            k -> new ArrayList<>()).add(g.label());
                }
                if (!g.label().equals(issuerLabel) && !revokedGenerations.contains(g.label())) {
                    latestCrl(c, g.label()).ifPresent(r -> crls.put(g.label(), r));
                }
            }
        }
        // The root's CRL (ARL, ca root-crl), which says whether each issuing CA certificate is revoked.
        latestRootCrl(c).ifPresent(r -> crls.put(r.getKey(), r.getValue()));
        Checkpoint checkpoint = auditLog.latestCheckpoint(c).orElseThrow(() -> new CaOperationException(
                "the CA's audit log has no signed checkpoint yet; run 'ca crl' (it signs one), then bundle"));

        // Step 3: the non-OCSP artifacts (a few dozen, or a few hundred CRL shards) are collected, sorted by path and
        // written first; a shard's DER and a CP/CPS signature are fetched and made only when their turn comes.
        List<Pending> small = new ArrayList<>();
        for (var e : crls.entrySet()) {
            CrlRow r = e.getValue();
            Manifest.Extra crlFields = g -> {
                g.writeNumberField("crlNumber", r.number());
                g.writeStringField("thisUpdate", r.thisUpdate().toString());
                g.writeStringField("nextUpdate", r.nextUpdate().toString());
            };
            small.add(new Pending("crl/" + e.getKey() + ".crl", "crl", "application/pkix-crl", r::der, crlFields));
            // A generation's partitioned CRL shards, beside it (the root's CRL has none).
            for (int shard : crlShards(c, e.getKey(), r)) {
                String label = e.getKey();
                small.add(new Pending("crl/" + label + "/" + shard + ".crl", "crl", "application/pkix-crl",
                        () -> crlShard(c, label, r.number(), shard), crlFields));
            }
        }
        for (CaCert cc : caCerts) {
            byte[] der = cc.cert().getEncoded();
            small.add(new Pending("certs/" + cc.label() + ".cer", "ca-certificate", "application/pkix-cert", () -> der,
                    null));
        }
        List<X509Certificate> certs = caCerts.stream().map(CaCert::cert).toList();
        byte[] hashText = CaHashValues.text(certs).getBytes(StandardCharsets.UTF_8);
        byte[] hashJson = CaHashValues.json(certs).getBytes(StandardCharsets.UTF_8);
        byte[] hashHtml = CaHashValuesPage.html(certs).getBytes(StandardCharsets.UTF_8);
        small.add(new Pending("ca-hash-values/ca-hash-values.txt", "ca-hash-values", "text/plain; charset=utf-8",
                () -> hashText, null));
        small.add(new Pending("ca-hash-values/ca-hash-values.json", "ca-hash-values", "application/json",
                () -> hashJson, null));
        small.add(new Pending("ca-hash-values/index.html", "ca-hash-values", "text/html; charset=utf-8",
                () -> hashHtml, null));
        PadesSigner pades = new PadesSigner(publicationSigner, List.of(publicationSigner.certificate(), signerIssuer));
        for (Path p : cpsFiles) {
            small.add(new Pending("cps/" + p.getFileName(), "cps", "application/pdf", () -> pades.sign(p, now), null));
        }
        byte[] checkpointText = checkpoint.text().getBytes(StandardCharsets.UTF_8);
        small.add(new Pending("audit/checkpoint.txt", "audit-checkpoint", "text/plain; charset=utf-8",
                () -> checkpointText, null));
        // Its consistency proof from the previous checkpoint, for `audit monitor` (audit-log/README.md).
        byte[] proof = auditLog.proofFromPrevious(c, checkpoint).bytes();
        small.add(new Pending("audit/consistency.txt", "audit-checkpoint", "text/plain; charset=utf-8", () -> proof,
                null));
        if (raAudit != null) {
            List<byte[]> ra = raAuditFiles();
            small.add(new Pending("audit/ra/checkpoint.txt", "audit-checkpoint", "text/plain; charset=utf-8",
                    () -> ra.get(0), null));
            small.add(new Pending("audit/ra/consistency.txt", "audit-checkpoint", "text/plain; charset=utf-8",
                    () -> ra.get(1), null));
        }
        small.sort(java.util.Comparator.comparing(Pending::path));

        int artifacts = 0;
        int ocsp = 0;
        long lastSeq = since;
        try (Manifest m = new Manifest(output)) {
            m.header(bundleId, now, issuingCert.getSubjectX500Principal().getName());
            for (Pending p : small) {
                m.artifact(p.path(), p.kind(), p.contentType(), p.content().get(), p.extra());
                artifacts++;
            }
            // Then the OCSP responses ("ocsp/" sorts after every other top-level name): by issuer key hash, then by
            // serial text, which is path order (ocspPath).
            for (var kh : keyHashes.entrySet()) {
                String issuerKeyHash = kh.getKey();
                long[] seq = {lastSeq};
                ocsp += streamResponses(c, kh.getValue(), since, now, row -> {
                    seq[0] = Math.max(seq[0], row.seq());
                    m.artifact(ocspPath(issuerKeyHash, row.serial()), "ocsp",
                            "application/ocsp-response", row.der(), g -> {
                                g.writeStringField("serial", row.serial());
                                g.writeStringField("issuerKeyHash", issuerKeyHash);
                                g.writeStringField("thisUpdate", row.thisUpdate().toString());
                                g.writeStringField("nextUpdate", row.nextUpdate().toString());
                                g.writeStringField("status", row.status());
                            });
                });
                lastSeq = seq[0];
            }
            artifacts += ocsp;
        }
        output.manifestDone();

        // Step 4
        dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.BUNDLE_BEFORE_SIGNATURE,
                "bundle=" + bundleId);
        Path manifest = output.manifestFile();
        byte[] p7s = DetachedCms.sign(publicationSigner, List.of(publicationSigner.certificate(), signerIssuer),
                new CMSProcessableFile(manifest.toFile()), true);
        String manifestSha256 = sha256Hex(manifest);
        // The last entry, or the last file: afterwards the bundle is whole under its name (a tar only now gets it).
        output.signature(p7s);
        dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.BUNDLE_BEFORE_RECORD,
                "bundle=" + bundleId);

        // Step 5
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO publication_bundle (bundle_id, created_at,"
                + " full_ocsp, last_signed_seq, artifacts, ocsp_responses, manifest_sha256) VALUES (?,?,?,?,?,?,?)")) {
            ps.setObject(1, UUID.fromString(bundleId));
            ps.setTimestamp(2, Timestamp.from(now));
            ps.setBoolean(3, fullOcsp);
            ps.setLong(4, lastSeq);
            ps.setInt(5, artifacts);
            ps.setInt(6, ocsp);
            ps.setString(7, manifestSha256);
            ps.executeUpdate();
        }
        audit.bundleWritten(c, bundleId, "bundle=" + bundleId + " manifest-sha256=" + manifestSha256
                + " artifacts=" + artifacts + " ocsp=" + ocsp + " full=" + fullOcsp + " crl=" + crl.number()
                + " checkpoint-size=" + checkpoint.treeSize() + " signer=" + publicationSigner.keyUri());
        return new Written(bundleId, output.path(), artifacts, ocsp, manifestSha256);
    }

    /** A non-OCSP artifact waiting for its turn in path order; its content is made when it is written. */
    private record Pending(String path, String kind, String contentType, Content content, Manifest.Extra extra) {}

    private interface Content {
        byte[] get() throws IOException, SQLException;
    }

    private long lastSignedSeq(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(last_signed_seq), 0) FROM publication_bundle");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private record CrlRow(long number, Instant thisUpdate, Instant nextUpdate, byte[] der) {}

    private static java.util.Optional<CrlRow> latestCrl(Connection c, String label) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT crl_number, this_update, next_update, der FROM crl"
                + " WHERE issuer_label = ? ORDER BY crl_number DESC LIMIT 1")) {
            ps.setString(1, label);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                return java.util.Optional.of(new CrlRow(rs.getLong(1), rs.getTimestamp(2).toInstant(),
                        rs.getTimestamp(3).toInstant(), rs.getBytes(4)));
            }
        }
    }

    private static java.util.Optional<java.util.Map.Entry<String, CrlRow>> latestRootCrl(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT issuer_label, number, this_update, next_update, der"
                + " FROM root_crl ORDER BY number DESC LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(java.util.Map.entry(rs.getString(1), new CrlRow(rs.getLong(2),
                    rs.getTimestamp(3).toInstant(), rs.getTimestamp(4).toInstant(), rs.getBytes(5))));
        }
    }

    /**
     * The shard numbers of that CRL, if it was partitioned (docs/crl.md, "Partitioned CRLs"): each is published at the
     * repository path its certificates' CRL distribution point names ({@code crl/<issuer>/<shard>.crl}, one more
     * segment under the full CRL's name). Only the numbers: each shard's DER is read when it is written
     * ({@link #crlShard}), so hundreds of ~1 MB shards never sit in memory together.
     */
    private static List<Integer> crlShards(Connection c, String label, CrlRow crl) throws SQLException {
        List<Integer> shards = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT shard FROM crl_shard WHERE issuer_label = ?"
                + " AND crl_number = ? ORDER BY shard")) {
            ps.setString(1, label);
            ps.setLong(2, crl.number());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    shards.add(rs.getInt(1));
                }
            }
        }
        return shards;
    }

    private static byte[] crlShard(Connection c, String label, long crlNumber, int shard) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT der FROM crl_shard WHERE issuer_label = ?"
                + " AND crl_number = ? AND shard = ?")) {
            ps.setString(1, label);
            ps.setLong(2, crlNumber);
            ps.setInt(3, shard);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("CRL shard " + shard + " of " + label + " number " + crlNumber
                            + " disappeared while the bundle was written");
                }
                return rs.getBytes(1);
            }
        }
    }

    private record CaCert(String label, String role, X509Certificate cert) {}

    private static List<CaCert> caCertificates(Connection c) throws SQLException, CertificateException {
        List<CaCert> out = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (PreparedStatement ps = c.prepareStatement("SELECT label, role, certificate FROM ca_key"
                + " WHERE role IN ('ROOT', 'ISSUING') ORDER BY role DESC, created_at, label");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new CaCert(rs.getString(1), rs.getString(2),
                        (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(rs.getBytes(3)))));
            }
        }
        return out;
    }

    private record ResponseRow(String issuerLabel, String serial, String status, Instant thisUpdate, Instant nextUpdate,
                               byte[] der, long seq) {}

    private interface RowSink {
        void accept(ResponseRow row) throws IOException;
    }

    /**
     * The query for one issuer key hash's responses, in path order: {@code serial} is lowercase hex without leading
     * zeros, and {@code COLLATE "C"} makes PostgreSQL compare it bytewise, as {@link String#compareTo} compares the
     * paths, whatever the database's collation. A full bundle walks the index {@code ocsp_response_issuer_serial}
     * ({@code (issuer_label, serial COLLATE "C")}, db/ocsp V2) and sorts nothing; an incremental one takes its few rows
     * by the {@code signed_seq} index and sorts them. Parameters: the issuer labels (one, unless two generations
     * share a key), signed_seq after, next_update after.
     */
    public static final String RESPONSES_IN_PATH_ORDER = "SELECT issuer_label, serial, status, this_update, next_update,"
            + " der, signed_seq FROM ocsp_response WHERE issuer_label = ? AND signed_seq > ? AND next_update > ?"
            + " ORDER BY serial COLLATE \"C\"";
    private static final String RESPONSES_OF_LABELS_IN_PATH_ORDER = RESPONSES_IN_PATH_ORDER.replace(
            "issuer_label = ?", "issuer_label = ANY (?)");

    /**
     * The responses of the generations under one issuer key hash signed after {@code since} and still valid, in
     * ascending serial text order, through a cursor (one row in memory at a time); how many.
     */
    private static int streamResponses(Connection c, List<String> labels, long since, Instant now, RowSink sink)
            throws SQLException, IOException {
        int n = 0;
        try (PreparedStatement ps = c.prepareStatement(labels.size() == 1 ? RESPONSES_IN_PATH_ORDER
                : RESPONSES_OF_LABELS_IN_PATH_ORDER)) {
            ps.setFetchSize(1_000);
            if (labels.size() == 1) {
                ps.setString(1, labels.get(0));
            } else {
                ps.setArray(1, c.createArrayOf("text", labels.toArray()));
            }
            ps.setLong(2, since);
            ps.setTimestamp(3, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sink.accept(new ResponseRow(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getTimestamp(4).toInstant(), rs.getTimestamp(5).toInstant(), rs.getBytes(6), rs.getLong(7)));
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * manifest.json, written as the artifacts are: path, kind, content type, SHA-256 and size of each. Each artifact
     * goes to the output first; the paths must come in strictly increasing order (a merge-join verifier relies on
     * it), which is checked here, so that a bundle out of order is never signed.
     */
    private static final class Manifest implements AutoCloseable {
        interface Extra {
            void write(JsonGenerator g) throws IOException;
        }

        private final BundleOutput output;
        private final OutputStream file;
        private final JsonGenerator g;
        private String previous;

        Manifest(BundleOutput output) throws IOException {
            this.output = output;
            this.file = new java.io.BufferedOutputStream(Files.newOutputStream(output.manifestFile()), 1 << 16);
            this.g = new JsonFactory().createGenerator(file, JsonEncoding.UTF8).useDefaultPrettyPrinter();
        }

        void header(String bundleId, Instant createdAt, String issuer) throws IOException {
            g.writeStartObject();
            g.writeStringField("format", FORMAT);
            g.writeStringField("bundleId", bundleId);
            g.writeStringField("createdAt", createdAt.toString());
            g.writeStringField("issuer", issuer);
            g.writeArrayFieldStart("artifacts");
        }

        void artifact(String path, String kind, String contentType, byte[] content, Extra extra) throws IOException {
            if (previous != null && path.compareTo(previous) <= 0) {
                throw new IllegalStateException("bundle artifact " + path + " would come after " + previous
                        + ", out of path order; nothing was signed");
            }
            previous = path;
            output.artifact(path, content);
            g.writeStartObject();
            g.writeStringField("path", path);
            g.writeStringField("kind", kind);
            g.writeStringField("contentType", contentType);
            g.writeStringField("sha256", HexFormat.of().formatHex(sha256().digest(content)));
            g.writeNumberField("size", content.length);
            if (extra != null) {
                extra.write(g);
            }
            g.writeEndObject();
        }

        @Override
        public void close() throws IOException {
            try {
                g.writeEndArray();
                g.writeEndObject();
                g.writeRaw('\n');
                g.close();
            } finally {
                file.close();
            }
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256Hex(Path file) throws IOException {
        MessageDigest md = sha256();
        try (var in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
