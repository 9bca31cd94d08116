package dev.shomei.publisher.bundle;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.Security;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

import dev.shomei.publisher.bundle.CaCertificates.CaCertificate;
import dev.shomei.publisher.origin.LiveManifest;
import dev.shomei.publisher.origin.LiveOcspIndex;

/**
 * Checks a publication bundle before anything of it is pushed (docs/publication-bundle.md, "The publisher's
 * checks"). It collects every reason to refuse rather than stopping at the first, so the operator fixes the
 * bundle in one round.
 *
 * <p>Online zone. Pure: reads the bundle in memory, the configured CA certificates and the live manifest it is
 * given; writes nothing. Holds no private key.
 */
public final class BundleVerifier {

    static {
        if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
    }

    private static final HexFormat HEX = HexFormat.of();

    private final CaCertificates cas;
    private final PublicationSigners signers;
    private final Clock clock;

    /**
     * @param cas     the configured CA certificates: everything in a bundle chains to, is signed by, or equals one
     * @param signers the pinned publication signer: the only signer of manifest.p7s and (with any configured CP/CPS
     *                signer) of the CP/CPS PDFs
     */
    public BundleVerifier(CaCertificates cas, PublicationSigners signers, Clock clock) {
        this.cas = cas;
        this.signers = signers;
        this.clock = clock;
    }

    /** Checks the bundle on its own, or against what is live by the live manifest alone; writes nothing. */
    public Verification verify(PublicationBundle bundle, LiveManifest live) {
        try {
            return verify(bundle, live, (manifest) -> new LiveOcspIndex(live, null, null, clock.instant(), manifest.bundleId()),
                    a -> { });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Receives each verified artifact, in listed order, while nothing has been refused yet. */
    public interface Sink {
        void accept(VerifiedArtifact artifact) throws IOException;
    }

    /** How the verifier gets the live OCSP index once the manifest (and so the bundle id) is known. */
    public interface IndexSource {
        LiveOcspIndex open(Manifest header) throws IOException;
    }

    /** Told, every few seconds of a long verification, how far it has got. */
    public interface Progress {
        void report(long artifacts, double fraction, double seconds);
    }

    private Progress progress = (n, f, t) -> { };

    /** Reports progress while verifying (every {@value #PROGRESS_SECONDS} s). */
    public BundleVerifier withProgress(Progress p) {
        this.progress = p;
        return this;
    }

    private static final int PROGRESS_SECONDS = 5;

    /** At most this many reasons are listed; the rest are counted. */
    static final int MAX_REFUSALS = 1000;

    /**
     * Checks the bundle against the configured CAs and what is live now, as a stream: manifest.p7s over
     * manifest.json, the manifest's header, then the manifest's artifact list and the bundle's files side by side,
     * both in path order, each artifact checked (on every core) as it comes by and handed to {@code sink} in
     * listed order while no refusal has been found. Memory: one window of artifacts, not the bundle. A refused
     * bundle gets every reason (up to {@value #MAX_REFUSALS}); never throws for a bad bundle, only for a failure
     * of the sink or of reading the live index (the origin).
     */
    public Verification verify(PublicationBundle bundle, LiveManifest live, IndexSource indexSource, Sink sink) throws IOException {
        Instant now = clock.instant();
        Refusals refusals = new Refusals();

        // Step 1: manifest.p7s verifies over the exact bytes of manifest.json and chains to a configured CA.
        if (!bundle.hasManifest()) {
            refusals.add(new Refusal(PublicationBundle.MANIFEST, "missing from the bundle directory " + bundle.directory()));
        }
        if (bundle.manifestSignature() == null) {
            refusals.add(new Refusal(PublicationBundle.MANIFEST_SIGNATURE, "missing from the bundle directory " + bundle.directory()));
        }
        if (!refusals.isEmpty()) {
            return refusals.verification(null, List.of(), 0);
        }
        String manifestSha256 = checkManifestSignature(bundle, now, refusals);
        if (!refusals.isEmpty()) {
            // Nothing in an unauthenticated manifest is worth checking further.
            return refusals.verification(null, List.of(), 0);
        }
        Manifest manifest;
        try {
            manifest = ManifestReader.header(bundle);
        } catch (IOException | RuntimeException e) {
            refusals.add(new Refusal(PublicationBundle.MANIFEST, "is not valid manifest JSON: " + e.getMessage()));
            return refusals.verification(null, List.of(), 0);
        }
        checkManifestHeader(manifest, refusals);
        if (manifest.artifacts() == null) {
            return refusals.verification(manifest, List.of(), 0);
        }
        manifest = new Manifest(manifest.format(), manifest.bundleId(), manifest.createdAt(), manifest.issuer(), null);
        // A bundle already refused by its header is still checked whole (every reason in one round), but nothing of it
        // is staged: the index reads nothing live and writes nowhere.
        LiveOcspIndex index = refusals.isEmpty() ? indexSource.open(manifest)
                : new LiveOcspIndex(live, null, null, now, manifest.bundleId());

        // Step 2: the listing and the files side by side, both in path order: every listed file present, nothing
        // unlisted, each path once. Steps 3-5 per artifact, in parallel, results taken in listed order.
        ResponderChecks responders = new ResponderChecks();
        List<VerifiedArtifact> kept = new ArrayList<>();
        long[] ocsp = {0};
        List<X509Certificate> bundledCas = new ArrayList<>();
        List<Deferred> deferred = new ArrayList<>();
        int threads = Runtime.getRuntime().availableProcessors();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bundle-check");
            t.setDaemon(true);
            return t;
        });
        java.util.ArrayDeque<java.util.concurrent.Future<Checked>> window = new java.util.ArrayDeque<>();
        Taker taker = new Taker(refusals, index, sink, kept, ocsp);
        long started = System.nanoTime();
        long[] nextReport = {started + PROGRESS_SECONDS * 1_000_000_000L};
        try (ManifestReader.Artifacts listed = ManifestReader.artifacts(bundle);
             PublicationBundle.Entries files = bundle.entries()) {
            Manifest.Artifact a = nextListed(listed, refusals);
            PublicationBundle.Entry e = nextFile(files);
            String lastListed = null;
            String lastFile = null;
            while (a != null || e != null) {
                if (a != null && lastListed != null && a.path().compareTo(lastListed) <= 0) {
                    refusals.add(new Refusal(a.path(), a.path().equals(lastListed)
                            ? "is listed more than once in manifest.json; list each file exactly once"
                            : "is listed out of path order in manifest.json (after " + lastListed + "); list each file exactly"
                            + " once, sorted by path (docs/publication-bundle.md)"));
                    a = nextListed(listed, refusals);
                    continue;
                }
                if (e != null && lastFile != null && e.path().compareTo(lastFile) <= 0) {
                    refusals.add(new Refusal(e.path(), e.path().equals(lastFile)
                            ? "is in the bundle more than once"
                            : "is out of path order in the bundle (after " + lastFile + "); a tar bundle stores the artifacts in the manifest's order"));
                    e = nextFile(files);
                    continue;
                }
                if (a != null && (!RepositoryPath.isPlain(a.path()) || !a.path().contains("/"))) {
                    // Not a path this publisher would ever write: say so, not that it is missing.
                    refusals.add(new Refusal(a.path(), "is not a safe relative path (letters, digits, '.', '_', '-' in '/'-separated"
                            + " segments, none starting with '.', not ending in .headers)"));
                    lastListed = a.path();
                    a = nextListed(listed, refusals);
                    continue;
                }
                int cmp = a == null ? 1 : e == null ? -1 : a.path().compareTo(e.path());
                if (cmp < 0) {
                    refusals.add(new Refusal(a.path(), "is listed in manifest.json but missing from the bundle"));
                    lastListed = a.path();
                    a = nextListed(listed, refusals);
                    continue;
                }
                if (cmp > 0) {
                    refusals.add(new Refusal(e.path(), e.regular()
                            ? "is in the bundle but not listed in manifest.json; remove it or re-sign a manifest that lists it"
                            : "is not a regular file (symbolic link or special file); a bundle holds plain files only"));
                    lastFile = e.path();
                    e = nextFile(files);
                    continue;
                }
                Manifest.Artifact artifact = a;
                byte[] content = e.content();
                lastListed = a.path();
                lastFile = e.path();
                a = nextListed(listed, refusals);
                e = nextFile(files);
                if (content == null) {
                    refusals.add(new Refusal(artifact.path(), "is not a regular file (symbolic link or special file); a bundle holds plain files only"));
                    refusals.add(new Refusal(artifact.path(), "is listed in manifest.json but missing from the bundle"));
                    continue;
                }
                if (ArtifactKind.CA_CERTIFICATE.label().equals(artifact.kind())) {
                    caCertificate(content).ifPresent(bundledCas::add);
                }
                if (ArtifactKind.CA_HASH_VALUES.label().equals(artifact.kind())) {
                    // The pages describe the bundle's CA certificates, which come later in path order (certs/).
                    deferred.add(new Deferred(artifact, content));
                    continue;
                }
                window.add(pool.submit(() -> checkArtifact(artifact, content, live, now, responders, bundledCas)));
                while (window.size() > 32 * threads) {
                    taker.take(await(window.removeFirst()));
                }
                long t = System.nanoTime();
                if (t >= nextReport[0]) {
                    nextReport[0] = t + PROGRESS_SECONDS * 1_000_000_000L;
                    progress.report(taker.taken, files.fraction(), (t - started) / 1e9);
                }
            }
            while (!window.isEmpty()) {
                taker.take(await(window.removeFirst()));
            }
            for (Deferred d : deferred) {
                taker.take(checkArtifact(d.artifact(), d.content(), live, now, responders, bundledCas));
            }
            index.finish();
            String listedSha256 = listed.drainedSha256();
            if (!listedSha256.equals(manifestSha256)) {
                refusals.add(new Refusal(PublicationBundle.MANIFEST, "changed while it was being read (SHA-256 " + manifestSha256
                        + " when its signature was checked, " + listedSha256 + " when its artifacts were read)"));
            }
        } catch (java.io.UncheckedIOException ex) {
            refusals.add(new Refusal(PublicationBundle.MANIFEST, "the bundle cannot be read to its end: " + ex.getMessage()));
        } finally {
            pool.shutdownNow();
        }
        return refusals.verification(manifest, kept, ocsp[0], manifestSha256, index);
    }

    /** Takes checked artifacts in listed order: the rollback check against the live index, then the sink. */
    private final class Taker {
        private final Refusals refusals;
        private final LiveOcspIndex index;
        private final Sink sink;
        private final List<VerifiedArtifact> kept;
        private final long[] ocsp;

        Taker(Refusals refusals, LiveOcspIndex index, Sink sink, List<VerifiedArtifact> kept, long[] ocsp) {
            this.refusals = refusals;
            this.index = index;
            this.sink = sink;
            this.kept = kept;
            this.ocsp = ocsp;
        }

        long taken;

        void take(Checked c) throws IOException {
            taken++;
            c.refusals().forEach(refusals::add);
            VerifiedArtifact v = c.artifact();
            if (v == null || !c.refusals().isEmpty()) {
                return;
            }
            if (v.kind() == ArtifactKind.OCSP) {
                String ikh = OcspPath.parse(v.path()).orElseThrow().issuerKeyHash();
                Optional<LiveOcspIndex.Times> live = index.live(ikh, v.serial());
                if (live.isPresent() && v.thisUpdate().isBefore(live.get().thisUpdate())) {
                    refusals.add(new Refusal(v.path(), "thisUpdate " + v.thisUpdate() + " is older than the live response's "
                            + live.get().thisUpdate() + " for serial " + v.serial() + "; a newer response must not be replaced by an older one"));
                    return;
                }
                index.put(ikh, v.serial(), v.thisUpdate(), v.nextUpdate());
                ocsp[0]++;
            } else {
                kept.add(new VerifiedArtifact(v.path(), v.kind(), v.contentType(), null, v.sha256(), v.thisUpdate(),
                        v.nextUpdate(), v.crlNumber(), v.crlIssuer(), v.serial(), v.content().length));
            }
            if (refusals.isEmpty()) {
                sink.accept(v);
            }
        }
    }

    private static Checked await(java.util.concurrent.Future<Checked> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the bundle", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("checking an artifact failed: " + e.getCause(), e.getCause());
        }
    }

    private static Manifest.Artifact nextListed(ManifestReader.Artifacts listed, Refusals refusals) {
        while (listed.hasNext()) {
            Manifest.Artifact a = listed.next();
            if (a != null && a.path() != null) {
                return a;
            }
            refusals.add(new Refusal(PublicationBundle.MANIFEST, "an artifact entry has no path"));
        }
        return null;
    }

    private static PublicationBundle.Entry nextFile(PublicationBundle.Entries files) {
        return files.hasNext() ? files.next() : null;
    }

    /** The reasons found, the first {@value #MAX_REFUSALS} kept. */
    private static final class Refusals {
        private final List<Refusal> list = new ArrayList<>();
        private long more;

        synchronized void add(Refusal r) {
            if (list.size() < MAX_REFUSALS) {
                list.add(r);
            } else {
                more++;
            }
        }

        synchronized boolean isEmpty() {
            return list.isEmpty();
        }

        synchronized Verification verification(Manifest m, List<VerifiedArtifact> kept, long ocsp) {
            return verification(m, kept, ocsp, null, null);
        }

        synchronized Verification verification(Manifest m, List<VerifiedArtifact> kept, long ocsp, String manifestSha256,
                                               LiveOcspIndex index) {
            List<Refusal> all = new ArrayList<>(list);
            if (more > 0) {
                all.add(new Refusal(PublicationBundle.MANIFEST, more + " more reason(s) not listed"));
            }
            return new Verification(m, all.isEmpty() ? kept : List.of(), all.isEmpty() ? ocsp : 0, all, manifestSha256,
                    all.isEmpty() ? index : null);
        }
    }

    private record Checked(VerifiedArtifact artifact, List<Refusal> refusals) { }

    /** An artifact checked after the others (a CA hash values page needs the bundle's CA certificates). */
    private record Deferred(Manifest.Artifact artifact, byte[] content) { }

    private static Optional<X509Certificate> caCertificate(byte[] der) {
        try {
            return Optional.of((X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der)));
        } catch (CertificateException | RuntimeException e) {
            // Refused on its own as not one of the configured CA certificates.
            return Optional.empty();
        }
    }

    /** Steps 2-5 for one artifact: size, digest, then the checks of its kind. */
    private Checked checkArtifact(Manifest.Artifact a, byte[] content, LiveManifest live, Instant now,
                                  ResponderChecks responders, List<X509Certificate> bundledCas) {
        List<Refusal> refusals = new ArrayList<>();
        Optional<ArtifactKind> kind = checkEntry(a, refusals);
        String sha256 = HEX.formatHex(CaCertificates.digest("SHA-256", content));
        if (a.size() == null || a.size() != content.length) {
            refusals.add(new Refusal(a.path(), "size is " + content.length + " bytes, manifest says " + a.size()));
        }
        if (a.sha256() == null || !a.sha256().equalsIgnoreCase(sha256)) {
            refusals.add(new Refusal(a.path(), "SHA-256 is " + sha256 + ", manifest says " + a.sha256()
                    + "; the file was changed after the manifest was signed"));
        }
        if (kind.isEmpty() || !refusals.isEmpty()) {
            return new Checked(null, refusals);
        }
        VerifiedArtifact v = switch (kind.get()) {
            case CRL -> checkCrl(a, content, sha256, live, now, refusals);
            case OCSP -> checkOcsp(a, content, sha256, now, responders, refusals);
            case CA_CERTIFICATE -> checkCaCertificate(a, content, sha256, refusals);
            case CA_HASH_VALUES -> checked(a, kind.get(), content, sha256, CaHashValuesCheck.problems(a.path(), content, bundledCas), refusals);
            case CPS -> checked(a, kind.get(), content, sha256, CpsSignatureCheck.problems(content, c -> cpsSignerProblem(c, now)), refusals);
            case AUDIT_CHECKPOINT -> new VerifiedArtifact(a.path(), kind.get(), a.contentType(), content, sha256,
                    null, null, null, null, null);
        };
        return new Checked(v, refusals);
    }

    private static VerifiedArtifact checked(Manifest.Artifact a, ArtifactKind kind, byte[] content, String sha256,
                                            List<String> problems, List<Refusal> refusals) {
        problems.forEach(p -> refusals.add(new Refusal(a.path(), p)));
        return problems.isEmpty()
                ? new VerifiedArtifact(a.path(), kind, a.contentType(), content, sha256, null, null, null, null, null)
                : null;
    }

    /**
     * Why this certificate may not sign publications now, or empty: issued by a configured CA, valid now, and the
     * pinned publication signer (pin and extended key usage).
     */
    private Optional<String> publicationSignerProblem(X509Certificate signerCert, Instant now) {
        Optional<CaCertificate> issuer = issuerOf(signerCert);
        if (issuer.isEmpty()) {
            return Optional.of("signer certificate '" + signerCert.getSubjectX500Principal().getName()
                    + "' (issuer '" + signerCert.getIssuerX500Principal().getName()
                    + "') is not issued by any configured CA certificate; configure the issuing CA with --ca-cert");
        }
        Instant notBefore = signerCert.getNotBefore().toInstant();
        Instant notAfter = signerCert.getNotAfter().toInstant();
        if (now.isBefore(notBefore) || now.isAfter(notAfter)) {
            return Optional.of("signer certificate '" + signerCert.getSubjectX500Principal().getName()
                    + "' is not valid now (" + notBefore + " .. " + notAfter + "); re-sign with a current publication signer");
        }
        return signers.problemWith(signerCert);
    }

    /** A CP/CPS is signed by the publication signer, or by a certificate configured as a CP/CPS signer. */
    private Optional<String> cpsSignerProblem(X509Certificate signerCert, Instant now) {
        if (signers.isCpsSigner(signerCert)) {
            return Optional.empty();
        }
        return publicationSignerProblem(signerCert, now)
                .map(p -> p + ", and it is not a configured CP/CPS signer (--cps-signer-cert)");
    }

    /**
     * manifest.json streamed as the detached content of manifest.p7s; its SHA-256 is computed in the same pass (the
     * digest the manifest is then staged and compared by).
     */
    private static final class StreamedManifest implements org.bouncycastle.cms.CMSTypedData {
        private final PublicationBundle bundle;
        private String sha256;

        StreamedManifest(PublicationBundle bundle) {
            this.bundle = bundle;
        }

        @Override
        public org.bouncycastle.asn1.ASN1ObjectIdentifier getContentType() {
            return org.bouncycastle.asn1.cms.CMSObjectIdentifiers.data;
        }

        @Override
        public void write(java.io.OutputStream out) throws IOException {
            java.security.MessageDigest md = sha256();
            try (java.io.InputStream in = bundle.openManifest()) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    md.update(buf, 0, n);
                }
            }
            sha256 = HEX.formatHex(md.digest());
        }

        @Override
        public Object getContent() {
            return bundle;
        }
    }

    static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Step 1; returns manifest.json's SHA-256 as read for the signature (null if refused). */
    private String checkManifestSignature(PublicationBundle bundle, Instant now, Refusals refusals) {
        String p7s = PublicationBundle.MANIFEST_SIGNATURE;
        try {
            StreamedManifest content = new StreamedManifest(bundle);
            CMSSignedData signed = new CMSSignedData(content, bundle.manifestSignature());
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                refusals.add(new Refusal(p7s, "has " + signers.size() + " signers; exactly one (the publication signer) is expected"));
                return null;
            }
            SignerInformation signer = signers.iterator().next();
            if (!NISTObjectIdentifiers.id_sha256.getId().equals(signer.getDigestAlgOID())) {
                refusals.add(new Refusal(p7s, "digest algorithm is " + signer.getDigestAlgOID() + "; SHA-256 is required"));
                return null;
            }
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches(signer.getSID());
            if (matches.isEmpty()) {
                refusals.add(new Refusal(p7s, "does not carry the signer certificate in its certificates field"));
                return null;
            }
            X509Certificate signerCert = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
            // Not any certificate of the CA: the one pinned publication signer (a subscriber's is refused here).
            Optional<String> signerProblem = publicationSignerProblem(signerCert, now);
            if (signerProblem.isPresent()) {
                refusals.add(new Refusal(p7s, signerProblem.get()));
                return null;
            }
            if (!signer.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider(BouncyCastleProvider.PROVIDER_NAME).build(signerCert))) {
                refusals.add(new Refusal(p7s, "signature does not verify over manifest.json; the manifest was changed after signing"));
                return null;
            }
            return content.sha256;
        } catch (CMSException e) {
            // BC reports a digest mismatch of the detached content as a CMSException.
            refusals.add(new Refusal(p7s, "signature does not verify over manifest.json (" + e.getMessage()
                    + "); the manifest was changed after signing or manifest.p7s is not CMS SignedData"));
        } catch (CertificateException | OperatorCreationException | RuntimeException e) {
            refusals.add(new Refusal(p7s, "cannot be verified: " + e));
        }
        return null;
    }

    private void checkManifestHeader(Manifest m, Refusals refusals) {
        String path = PublicationBundle.MANIFEST;
        if (!Manifest.FORMAT.equals(m.format())) {
            refusals.add(new Refusal(path, "format is '" + m.format() + "'; this publisher reads '" + Manifest.FORMAT + "'"
                    + ("shomei-publication-bundle/v1".equals(m.format()) ? " (v1 put every OCSP response of an issuer key"
                    + " in one directory; make the bundle again with this release's presigner)" : "")));
        }
        try {
            UUID.fromString(String.valueOf(m.bundleId()));
        } catch (IllegalArgumentException e) {
            // The bundle id names staging directories and keys on the origin: it must be a plain UUID.
            refusals.add(new Refusal(path, "bundleId '" + m.bundleId() + "' is not a UUID"));
        }
        if (m.artifacts() == null) {
            refusals.add(new Refusal(path, "has no artifacts array"));
        }
        try {
            Instant.parse(String.valueOf(m.createdAt()));
        } catch (DateTimeParseException e) {
            refusals.add(new Refusal(path, "createdAt '" + m.createdAt() + "' is not an RFC 3339 UTC time such as 2026-11-22T14:00:00Z"));
        }
        if (m.issuer() == null) {
            refusals.add(new Refusal(path, "has no issuer"));
        } else {
            try {
                // X500Principal reads RFC 4514 (most significant RDN last) and compares canonical forms.
                X500Principal issuer = new X500Principal(m.issuer());
                boolean known = cas.all().stream().anyMatch(c -> c.certificate().getSubjectX500Principal().equals(issuer));
                if (!known) {
                    refusals.add(new Refusal(path, "issuer '" + m.issuer() + "' is not the subject of any configured CA certificate"));
                }
            } catch (IllegalArgumentException e) {
                refusals.add(new Refusal(path, "issuer '" + m.issuer() + "' is not an RFC 4514 name"));
            }
        }
    }

    /** Path shape, kind and content type of one entry. */
    private Optional<ArtifactKind> checkEntry(Manifest.Artifact a, List<Refusal> refusals) {
        String path = a.path();
        if (!RepositoryPath.isPlain(path) || !path.contains("/")) {
            refusals.add(new Refusal(path, "is not a safe relative path (letters, digits, '.', '_', '-' in '/'-separated"
                    + " segments, none starting with '.', not ending in .headers)"));
            return Optional.empty();
        }
        Optional<ArtifactKind> kind = ArtifactKind.byLabel(String.valueOf(a.kind()));
        if (kind.isEmpty()) {
            refusals.add(new Refusal(path, "kind '" + a.kind() + "' is unknown; expected crl, ocsp, ca-certificate, ca-hash-values, cps or audit-checkpoint"));
            return Optional.empty();
        }
        if (!path.startsWith(kind.get().directory())) {
            refusals.add(new Refusal(path, "kind '" + a.kind() + "' belongs under " + kind.get().directory()));
            return Optional.empty();
        }
        String expected = kind.get().contentTypeFor(path);
        if (expected == null || !expected.equals(a.contentType())) {
            refusals.add(new Refusal(path, "contentType is '" + a.contentType() + "'; a " + a.kind() + " at this path is served as '" + expected + "'"));
            return Optional.empty();
        }
        return kind;
    }

    private VerifiedArtifact checkCrl(Manifest.Artifact a, byte[] content, String sha256, LiveManifest live, Instant now,
                                      List<Refusal> refusals) {
        CrlHeader crl;
        try {
            crl = CrlHeader.parse(content);
        } catch (IOException | RuntimeException e) {
            refusals.add(new Refusal(a.path(), "is not a DER X.509 CRL: " + e.getMessage()));
            return null;
        }
        String issuer;
        try {
            // RFC 4514 form, as X500Principal writes it: the key of "live CRL number per issuer".
            issuer = new X500Principal(crl.issuer.getEncoded()).getName();
        } catch (IOException e) {
            refusals.add(new Refusal(a.path(), "issuer name cannot be encoded: " + e.getMessage()));
            return null;
        }
        boolean signed = false;
        for (CaCertificate ca : cas.all()) {
            if (X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()).equals(crl.issuer)
                    && verifies(crl, ca.certificate())) {
                signed = true;
                break;
            }
        }
        if (!signed) {
            refusals.add(new Refusal(a.path(), "signature by '" + issuer + "' does not verify with any configured CA certificate"));
            return null;
        }
        if (crl.extension(Extension.deltaCRLIndicator) != null) {
            refusals.add(new Refusal(a.path(), "is a delta CRL; the bundle carries full CRLs only"));
        }
        Extension numberExt = crl.extension(Extension.cRLNumber);
        if (numberExt == null) {
            // RFC 5280 §5.2.3: conforming CRL issuers MUST include the CRL number.
            refusals.add(new Refusal(a.path(), "has no cRLNumber extension (RFC 5280 §5.2.3)"));
            return null;
        }
        BigInteger number = ASN1Integer.getInstance(numberExt.getParsedValue()).getValue();
        if (a.crlNumber() == null || !BigInteger.valueOf(a.crlNumber()).equals(number)) {
            refusals.add(new Refusal(a.path(), "cRLNumber is " + number + ", manifest says " + a.crlNumber()));
        }
        Instant thisUpdate = crl.thisUpdate;
        Instant nextUpdate = crl.nextUpdate;
        checkTimes(a, thisUpdate, nextUpdate, now, refusals);
        OptionalLong liveNumber = live.crlNumber(issuer);
        Optional<LiveManifest.Entry> liveEntry = live.entry(a.path());
        boolean sameAsLive = liveEntry.isPresent() && sha256.equalsIgnoreCase(liveEntry.get().sha256());
        // RFC 5280 §5.2.3: CRL numbers increase monotonically. Re-publishing the very same CRL (a retried
        // publication) is no regression, so identical bytes are let through.
        if (liveNumber.isPresent() && !sameAsLive && number.compareTo(BigInteger.valueOf(liveNumber.getAsLong())) <= 0) {
            refusals.add(new Refusal(a.path(), "cRLNumber " + number + " is not greater than the live CRL number "
                    + liveNumber.getAsLong() + " of '" + issuer + "'; publish a newer CRL"));
        }
        return new VerifiedArtifact(a.path(), ArtifactKind.CRL, a.contentType(), content, sha256, thisUpdate, nextUpdate,
                number.longValueExact(), issuer, null);
    }

    private VerifiedArtifact checkOcsp(Manifest.Artifact a, byte[] content, String sha256, Instant now,
                                       ResponderChecks responders, List<Refusal> refusals) {
        Optional<OcspPath.Id> named = OcspPath.parse(a.path());
        if (named.isEmpty()) {
            refusals.add(new Refusal(a.path(), "is not " + OcspPath.FORM));
            return null;
        }
        BasicOCSPResp basic;
        try {
            OCSPResp resp = new OCSPResp(content);
            if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
                refusals.add(new Refusal(a.path(), "responseStatus is " + resp.getStatus() + "; only successful pre-signed responses are published"));
                return null;
            }
            basic = (BasicOCSPResp) resp.getResponseObject();
        } catch (IOException | RuntimeException | org.bouncycastle.cert.ocsp.OCSPException e) {
            refusals.add(new Refusal(a.path(), "is not a DER OCSPResponse with a BasicOCSPResponse: " + e.getMessage()));
            return null;
        }
        SingleResp[] singles = basic.getResponses();
        if (singles.length != 1) {
            // RFC 5019 §2.2.2: one SingleResponse per pre-produced response.
            refusals.add(new Refusal(a.path(), "has " + singles.length + " SingleResponses; a pre-signed response answers exactly one certificate"));
            return null;
        }
        SingleResp single = singles[0];
        CertificateID id = single.getCertID();
        String serial = id.getSerialNumber().toString(16);
        String keyHash = HEX.formatHex(id.getIssuerKeyHash());
        if (!OIWObjectIdentifiers.idSHA1.equals(id.getHashAlgOID())) {
            // The bundle directory is the SHA-1 key hash; the edge maps SHA-256 CertIDs onto it (RFC 5019 §2.1.1).
            refusals.add(new Refusal(a.path(), "CertID hash algorithm is " + id.getHashAlgOID() + "; pre-signed responses use SHA-1 CertIDs"));
            return null;
        }
        if (!serial.equals(named.get().serial()) || !serial.equals(a.serial())) {
            refusals.add(new Refusal(a.path(), "CertID serial is " + serial + ", but the path says " + named.get().serial() + " and the manifest " + a.serial()));
        }
        if (!keyHash.equals(named.get().issuerKeyHash()) || !keyHash.equals(a.issuerKeyHash())) {
            refusals.add(new Refusal(a.path(), "CertID issuerKeyHash is " + keyHash + ", but the path says " + named.get().issuerKeyHash() + " and the manifest " + a.issuerKeyHash()));
        }
        Optional<CaCertificate> ca = cas.bySha1KeyHash(id.getIssuerKeyHash());
        if (ca.isEmpty()) {
            refusals.add(new Refusal(a.path(), "issuerKeyHash " + keyHash + " is not the key of any configured CA certificate"));
            return null;
        }
        if (!Arrays.equals(ca.get().nameHashSha1(), id.getIssuerNameHash())) {
            refusals.add(new Refusal(a.path(), "issuerNameHash does not match the configured CA '"
                    + ca.get().certificate().getSubjectX500Principal().getName() + "' with that key"));
        }
        Optional<String> signerProblem = responders.check(basic, ca.get(), now);
        signerProblem.ifPresent(p -> refusals.add(new Refusal(a.path(), p)));

        Instant thisUpdate = single.getThisUpdate().toInstant();
        Instant nextUpdate = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
        checkTimes(a, thisUpdate, nextUpdate, now, refusals);
        String status = single.getCertStatus() == null ? "good"
                : single.getCertStatus() instanceof RevokedStatus ? "revoked" : "unknown";
        if (!status.equals(a.status())) {
            refusals.add(new Refusal(a.path(), "certStatus is " + status + ", manifest says " + a.status()));
        }
        return new VerifiedArtifact(a.path(), ArtifactKind.OCSP, a.contentType(), content, sha256, thisUpdate, nextUpdate,
                null, null, serial);
    }

    private VerifiedArtifact checkCaCertificate(Manifest.Artifact a, byte[] content, String sha256, List<Refusal> refusals) {
        if (cas.byEncoding(content).isEmpty()) {
            refusals.add(new Refusal(a.path(), "is not byte for byte one of the configured CA certificates; "
                    + "a CA certificate changes only with a new --ca-cert configuration"));
            return null;
        }
        return new VerifiedArtifact(a.path(), ArtifactKind.CA_CERTIFICATE, a.contentType(), content, sha256,
                null, null, null, null, null);
    }

    /** thisUpdate/nextUpdate of the artifact agree with the manifest, and nextUpdate is in the future. */
    private static void checkTimes(Manifest.Artifact a, Instant thisUpdate, Instant nextUpdate, Instant now, List<Refusal> refusals) {
        if (nextUpdate == null) {
            // RFC 5280 §5.1.2.5 (CRLs) and RFC 5019 §2.2.4 (OCSP): nextUpdate must be present; caches need it.
            refusals.add(new Refusal(a.path(), "has no nextUpdate; the CA must set it (RFC 5280 §5.1.2.5, RFC 5019 §2.2.4)"));
            return;
        }
        if (!nextUpdate.isAfter(now)) {
            refusals.add(new Refusal(a.path(), "nextUpdate " + nextUpdate + " is not in the future (now " + now
                    + "); the secure zone must re-sign it"));
        }
        if (!sameSecond(a.thisUpdate(), thisUpdate)) {
            refusals.add(new Refusal(a.path(), "thisUpdate is " + thisUpdate + ", manifest says " + a.thisUpdate()));
        }
        if (!sameSecond(a.nextUpdate(), nextUpdate)) {
            refusals.add(new Refusal(a.path(), "nextUpdate is " + nextUpdate + ", manifest says " + a.nextUpdate()));
        }
    }

    private static boolean sameSecond(String manifestValue, Instant actual) {
        if (manifestValue == null) {
            return false;
        }
        try {
            return Instant.parse(manifestValue).getEpochSecond() == actual.getEpochSecond();
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private Optional<CaCertificate> issuerOf(X509Certificate cert) {
        for (CaCertificate ca : cas.all()) {
            X500Principal subject = ca.certificate().getSubjectX500Principal();
            if (subject.equals(cert.getIssuerX500Principal())) {
                try {
                    cert.verify(ca.certificate().getPublicKey());
                    return Optional.of(ca);
                } catch (GeneralSecurityException e) {
                    // Same name, different key (e.g. a re-keyed CA): try the next one.
                }
            }
        }
        return Optional.empty();
    }

    private static boolean verifies(CrlHeader crl, X509Certificate ca) {
        try {
            return crl.verifies(verifierFor(ca));
        } catch (OperatorCreationException e) {
            return false;
        }
    }

    /** The JDK's providers verify; BC parses. OCSP responses go through {@code SignatureCheck} where it applies. */
    static ContentVerifierProvider verifierFor(X509Certificate cert) throws OperatorCreationException {
        return new JcaContentVerifierProviderBuilder().build(cert);
    }

    /**
     * Who may sign an OCSP response (RFC 6960 §4.2.2.2): the CA itself, or a responder certificate issued
     * directly by the CA with id-kp-OCSPSigning. Responder certificates repeat in every response, so each
     * distinct one is checked once.
     */
    private static final class ResponderChecks {
        private final Map<ByteBuffer, Optional<String>> delegateProblems = new java.util.concurrent.ConcurrentHashMap<>();
        /**
         * One verifier per signing key: millions of responses share one responder key, so an EC key gets comb tables
         * for it and the generator, built once ({@link dev.shomei.pkcs11.SignatureCheck#forFixedKey}: several times
         * the JDK's SunEC rate); other keys and algorithms go through the JDK's providers.
         */
        private final Map<ByteBuffer, KeyVerifier> verifiers = new java.util.concurrent.ConcurrentHashMap<>();

        private interface KeyVerifier {
            boolean verify(BasicOCSPResp basic) throws Exception;
        }

        private static KeyVerifier keyVerifier(X509Certificate cert) {
            ContentVerifierProvider jca;
            try {
                jca = BundleVerifier.verifierFor(cert);
            } catch (OperatorCreationException e) {
                throw new IllegalArgumentException("certificate '" + cert.getSubjectX500Principal().getName()
                        + "' has an unusable key: " + e.getMessage(), e);
            }
            dev.shomei.pkcs11.SignatureCheck fixed = dev.shomei.pkcs11.SignatureCheck.forFixedKey(cert.getPublicKey());
            return basic -> fixed != null && fixed.handles(basic.getSignatureAlgorithmID())
                    ? fixed.verify(basic.getSignatureAlgorithmID(), basic.getTBSResponseData(), basic.getSignature())
                    : basic.isSignatureValid(jca);
        }

        private static KeyVerifier holderVerifier(X509CertificateHolder holder) {
            try {
                return keyVerifier(new JcaX509CertificateConverter().getCertificate(holder));
            } catch (CertificateException e) {
                throw new IllegalArgumentException("responder certificate '" + holder.getSubject() + "' has an unusable key: " + e.getMessage(), e);
            }
        }

        Optional<String> check(BasicOCSPResp basic, CaCertificate ca, Instant now) {
            try {
                for (X509CertificateHolder holder : basic.getCerts()) {
                    if (!namedByResponderId(basic, holder)) {
                        continue;
                    }
                    ByteBuffer key = ByteBuffer.wrap(concat(holder.getEncoded(), ca.encoded()));
                    Optional<String> problem = delegateProblems.computeIfAbsent(key, k -> delegate(holder, ca, now));
                    if (problem.isPresent()) {
                        return problem;
                    }
                    return verifiers.computeIfAbsent(ByteBuffer.wrap(holder.getEncoded()), k -> holderVerifier(holder)).verify(basic)
                            ? Optional.empty()
                            : Optional.of("signature does not verify with the responder certificate '" + holder.getSubject() + "'");
                }
                // No delegated certificate named by the ResponderID: it must be the CA's own signature.
                KeyVerifier caVerifier = verifiers.computeIfAbsent(ByteBuffer.wrap(ca.encoded()), k -> keyVerifier(ca.certificate()));
                return caVerifier.verify(basic)
                        ? Optional.empty()
                        : Optional.of("signature does not verify with the CA '" + ca.certificate().getSubjectX500Principal().getName()
                        + "' and no responder certificate issued by it is included");
            } catch (Exception e) {
                return Optional.of("signature cannot be verified: " + e);
            }
        }

        private static Optional<String> delegate(X509CertificateHolder holder, CaCertificate ca, Instant now) {
            try {
                if (!holder.getIssuer().equals(X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()))
                        || !holder.isSignatureValid(BundleVerifier.verifierFor(ca.certificate()))) {
                    return Optional.of("responder certificate '" + holder.getSubject() + "' is not issued by the CA '"
                            + ca.certificate().getSubjectX500Principal().getName() + "' (RFC 6960 §4.2.2.2)");
                }
                ExtendedKeyUsage eku = ExtendedKeyUsage.fromExtensions(holder.getExtensions());
                if (eku == null || !eku.hasKeyPurposeId(KeyPurposeId.id_kp_OCSPSigning)) {
                    return Optional.of("responder certificate '" + holder.getSubject() + "' lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)");
                }
                if (!holder.isValidOn(java.util.Date.from(now))) {
                    return Optional.of("responder certificate '" + holder.getSubject() + "' is not valid now ("
                            + holder.getNotBefore().toInstant() + " .. " + holder.getNotAfter().toInstant() + ")");
                }
                return Optional.empty();
            } catch (Exception e) {
                return Optional.of("responder certificate '" + holder.getSubject() + "' cannot be checked: " + e);
            }
        }

        /** RFC 6960 §4.2.2.3: ResponderID byName, or byKey = SHA-1 of the responder's subjectPublicKey BIT STRING. */
        private static boolean namedByResponderId(BasicOCSPResp basic, X509CertificateHolder holder) {
            org.bouncycastle.asn1.ocsp.ResponderID id = basic.getResponderId().toASN1Primitive();
            if (id.getName() != null) {
                return id.getName().equals(holder.getSubject());
            }
            byte[] keyHash = CaCertificates.digest("SHA-1", holder.getSubjectPublicKeyInfo().getPublicKeyData().getBytes());
            return Arrays.equals(keyHash, id.getKeyHash());
        }

        private static byte[] concat(byte[] a, byte[] b) {
            byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }
    }
}
