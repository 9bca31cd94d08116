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
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.bouncycastle.cms.CMSProcessableFile;

/**
 * Writes a publication bundle (docs/publication-bundle.md): the latest CRL of every issuing-key generation not
 * revoked and the root's latest CRL (ARL), the CA certificates, the OCSP responses of those generations signed since
 * the last bundle (or all), the CA hash values, the PAdES-signed CP/CPS, the latest
 * audit checkpoint, and a manifest signed in the HSM by the publication signer key.
 *
 * <p>Zone: secure. Reads the CA database (crl, root_crl, ca_key, revoked_ca_key, ocsp_response, audit checkpoints),
 * writes only the output directory, the publication_bundle table and the audit log; signs through the publication signer's
 * {@link Signer}. The manifest is streamed, so a full bundle of a million responses needs little heap.
 *
 * <p>Step 1: refuse a non-empty output directory. Step 2: in one transaction, hold off presign writes
 * (SHARE lock) so that "since the last bundle" has no gaps. Step 3: write each artifact and its manifest
 * entry. Step 4: sign manifest.json (detached CMS). Step 5: record the bundle and its audit entry, commit.
 * A crash before step 5 records nothing: the next bundle holds the same responses again.
 */
public final class PublicationBundle {

    public static final String FORMAT = "shomei-publication-bundle/v1";

    /** What was written. */
    public record Written(String bundleId, Path directory, int artifacts, int ocspResponses, String manifestSha256) {}

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

    public Written write(Path out, List<Path> cpsFiles, boolean fullOcsp) {
        // Step 1
        try {
            if (Files.exists(out)) {
                try (Stream<Path> s = Files.list(out)) {
                    if (s.findAny().isPresent()) {
                        throw new CaOperationException("output directory " + out + " is not empty; give a new"
                                + " directory for each bundle");
                    }
                }
            }
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the bundle directory " + out + ": " + e.getMessage(), e);
        }
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
        try (Connection c = dataSource.getConnection()) {
            try {
                // Step 2
                try (PreparedStatement ps = c.prepareStatement("LOCK TABLE ocsp_response IN SHARE MODE")) {
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
                java.util.Map<String, String> keyHashes = new java.util.LinkedHashMap<>();
                java.util.Map<String, CrlRow> crls = new java.util.LinkedHashMap<>();
                crls.put(issuerLabel, crl);
                for (CaCert g : caCerts) {
                    if (g.role().equals("ISSUING")) {
                        if (!revokedGenerations.contains(g.label())) {
                            keyHashes.put(g.label(), HexFormat.of().formatHex(OcspResponseSigner.keyHash(g.cert())));
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

                // Step 3
                Path manifest = out.resolve("manifest.json");
                int artifacts = 0;
                int ocsp;
                long lastSeq;
                try (Manifest m = new Manifest(manifest, out)) {
                    m.header(bundleId, now, issuingCert.getSubjectX500Principal().getName());
                    for (var e : crls.entrySet()) {
                        CrlRow r = e.getValue();
                        m.artifact("crl/" + e.getKey() + ".crl", "crl", "application/pkix-crl", r.der(),
                                g -> {
                                    g.writeNumberField("crlNumber", r.number());
                                    g.writeStringField("thisUpdate", r.thisUpdate().toString());
                                    g.writeStringField("nextUpdate", r.nextUpdate().toString());
                                });
                        artifacts++;
                        // A generation's partitioned CRL shards, beside it (the root's CRL has none).
                        artifacts += crlShards(c, m, e.getKey(), r);
                    }
                    for (CaCert cc : caCerts) {
                        m.artifact("certs/" + cc.label() + ".cer", "ca-certificate", "application/pkix-cert",
                                cc.cert().getEncoded(), null);
                        artifacts++;
                    }
                    List<X509Certificate> certs = caCerts.stream().map(CaCert::cert).toList();
                    m.artifact("ca-hash-values/ca-hash-values.txt", "ca-hash-values", "text/plain; charset=utf-8",
                            CaHashValues.text(certs).getBytes(StandardCharsets.UTF_8), null);
                    m.artifact("ca-hash-values/ca-hash-values.json", "ca-hash-values", "application/json",
                            CaHashValues.json(certs).getBytes(StandardCharsets.UTF_8), null);
                    m.artifact("ca-hash-values/index.html", "ca-hash-values", "text/html; charset=utf-8",
                            CaHashValuesPage.html(certs).getBytes(StandardCharsets.UTF_8), null);
                    artifacts += 3;
                    PadesSigner pades = new PadesSigner(publicationSigner, List.of(publicationSigner.certificate(), signerIssuer));
                    for (Path p : cpsFiles) {
                        m.artifact("cps/" + p.getFileName(), "cps", "application/pdf", pades.sign(p, now), null);
                        artifacts++;
                    }
                    m.artifact("audit/checkpoint.txt", "audit-checkpoint", "text/plain; charset=utf-8",
                            checkpoint.text().getBytes(StandardCharsets.UTF_8), null);
                    // Its consistency proof from the previous checkpoint, for `audit monitor` (audit-log/README.md).
                    m.artifact("audit/consistency.txt", "audit-checkpoint", "text/plain; charset=utf-8",
                            auditLog.proofFromPrevious(c, checkpoint).bytes(), null);
                    artifacts += 2;
                    if (raAudit != null) {
                        List<byte[]> ra = raAuditFiles();
                        m.artifact("audit/ra/checkpoint.txt", "audit-checkpoint", "text/plain; charset=utf-8", ra.get(0), null);
                        m.artifact("audit/ra/consistency.txt", "audit-checkpoint", "text/plain; charset=utf-8", ra.get(1), null);
                        artifacts += 2;
                    }
                    long[] seq = {since};
                    int[] published = {0};
                    ocsp = streamResponses(c, since, now, (row) -> {
                        seq[0] = Math.max(seq[0], row.seq());
                        String issuerKeyHash = keyHashes.get(row.issuerLabel());
                        if (issuerKeyHash == null) {
                            return; // a revoked generation's response
                        }
                        m.artifact("ocsp/" + issuerKeyHash + "/" + row.serial() + ".der", "ocsp",
                                "application/ocsp-response", row.der(), g -> {
                                    g.writeStringField("serial", row.serial());
                                    g.writeStringField("issuerKeyHash", issuerKeyHash);
                                    g.writeStringField("thisUpdate", row.thisUpdate().toString());
                                    g.writeStringField("nextUpdate", row.nextUpdate().toString());
                                    g.writeStringField("status", row.status());
                                });
                        published[0]++;
                    });
                    ocsp = published[0];
                    artifacts += ocsp;
                    lastSeq = seq[0];
                }

                // Step 4
                dev.shomei.ca.fault.CrashPoints.reach(dev.shomei.ca.fault.CrashPoints.BUNDLE_BEFORE_SIGNATURE,
                        "bundle=" + bundleId);
                byte[] p7s = DetachedCms.sign(publicationSigner, List.of(publicationSigner.certificate(), signerIssuer),
                        new CMSProcessableFile(manifest.toFile()), true);
                // Written last and atomically (docs/faults.md): a bundle directory has a whole signature or none, and
                // the publisher refuses a bundle without one, or with an artifact that does not match it.
                dev.shomei.ca.io.AtomicFiles.write(out.resolve("manifest.p7s"), p7s);
                String manifestSha256 = sha256Hex(manifest);
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
                c.commit();
                return new Written(bundleId, out, artifacts, ocsp, manifestSha256);
            } catch (SQLException | IOException | RuntimeException | CertificateException e) {
                c.rollback();
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
     * The shards of that CRL, if it was partitioned (docs/crl.md, "Partitioned CRLs"): each at the repository path its
     * certificates' CRL distribution point names ({@code crl/<issuer>/<shard>.crl}, one more segment under the full
     * CRL's name), read one row at a time (hundreds of ~1 MB shards never sit in memory together).
     */
    private static int crlShards(Connection c, Manifest m, String label, CrlRow crl) throws SQLException, IOException {
        int n = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT shard, der FROM crl_shard WHERE issuer_label = ?"
                + " AND crl_number = ? ORDER BY shard")) {
            ps.setFetchSize(4);
            ps.setString(1, label);
            ps.setLong(2, crl.number());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    m.artifact("crl/" + label + "/" + rs.getInt(1) + ".crl", "crl", "application/pkix-crl",
                            rs.getBytes(2), g -> {
                                g.writeNumberField("crlNumber", crl.number());
                                g.writeStringField("thisUpdate", crl.thisUpdate().toString());
                                g.writeStringField("nextUpdate", crl.nextUpdate().toString());
                            });
                    n++;
                }
            }
        }
        return n;
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

    /** Responses of every generation signed after {@code since} and still valid, oldest first, through a cursor. */
    private int streamResponses(Connection c, long since, Instant now, RowSink sink) throws SQLException, IOException {
        int n = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT issuer_label, serial, status, this_update, next_update,"
                + " der, signed_seq FROM ocsp_response WHERE signed_seq > ? AND next_update > ? ORDER BY signed_seq")) {
            ps.setFetchSize(1_000);
            ps.setLong(1, since);
            ps.setTimestamp(2, Timestamp.from(now));
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

    /** manifest.json, written as the artifacts are: path, kind, content type, SHA-256 and size of each. */
    private static final class Manifest implements AutoCloseable {
        interface Extra {
            void write(JsonGenerator g) throws IOException;
        }

        private final Path root;
        private final OutputStream file;
        private final JsonGenerator g;

        Manifest(Path manifest, Path root) throws IOException {
            this.root = root;
            this.file = Files.newOutputStream(manifest);
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
            Path file = root.resolve(path);
            Files.createDirectories(file.getParent());
            Files.write(file, content);
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
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
            g.close();
            file.close();
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
