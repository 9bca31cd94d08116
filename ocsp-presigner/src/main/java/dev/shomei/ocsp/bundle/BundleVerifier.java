package dev.shomei.ocsp.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableFile;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Checks a publication bundle as the publisher will (docs/publication-bundle.md, checks 1 and 2): the
 * manifest's detached CMS signature, its signer's chain to a trusted CA certificate, the artifacts listed in
 * strictly increasing path order, and every artifact's presence, size and SHA-256, with no extra files and no
 * symbolic or hard link. Reads a bundle directory or a bundle tar. Lets the secure zone check its own output, and
 * anyone detect a file changed after bundling.
 *
 * <p>Zone: any. Reads the bundle only (and, for a tar, writes a temporary copy of its manifest.json); uses only the
 * public certificates it is given.
 */
public final class BundleVerifier {

    private final Collection<X509Certificate> trustedCas;

    public BundleVerifier(Collection<X509Certificate> trustedCas) {
        this.trustedCas = trustedCas;
    }

    /**
     * Every problem found, each naming the file; empty when the bundle verifies. {@code bundle} is a bundle directory
     * or a bundle tar file (docs/publication-bundle.md, "Layout").
     */
    public List<String> verify(Path bundle, Instant now) {
        if (Files.isRegularFile(bundle)) {
            return verifyTar(bundle, now);
        }
        return verifyDirectory(bundle, now);
    }

    private List<String> verifyDirectory(Path dir, Instant now) {
        List<String> problems = new ArrayList<>();
        Path manifest = dir.resolve("manifest.json");
        Path p7s = dir.resolve("manifest.p7s");
        if (!Files.isRegularFile(manifest) || !Files.isRegularFile(p7s)) {
            problems.add("manifest.json or manifest.p7s is missing from " + dir);
            return problems;
        }
        try {
            checkSignature(manifest, Files.readAllBytes(p7s), now, problems);
        } catch (IOException e) {
            problems.add("manifest.p7s cannot be read: " + e.getMessage());
        }
        Set<String> listed = new HashSet<>();
        Order order = new Order(problems);
        try {
            if (!eachArtifact(manifest, problems, a -> {
                order.next(a.path("path").asText(""));
                checkArtifact(dir, a, listed, problems);
                return true;
            })) {
                return problems;
            }
        } catch (IOException e) {
            problems.add("manifest.json cannot be read: " + e.getMessage());
            return problems;
        }
        List<String> unlisted = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(f -> !f.equals(dir)).forEach(f -> {
                String name = dir.relativize(f).toString().replace('\\', '/');
                if (name.equals("manifest.json") || name.equals("manifest.p7s") || listed.contains(name)) {
                    return;
                }
                if (Files.isSymbolicLink(f)) {
                    unlisted.add(name + ": a symbolic link, not a regular file");
                } else if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    unlisted.add(name + ": not listed in the manifest");
                } else if (!Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
                    unlisted.add(name + ": not a regular file");
                }
            });
        } catch (IOException | UncheckedIOException e) {
            problems.add("cannot list " + dir + ": " + e.getMessage());
        }
        unlisted.stream().sorted().forEach(problems::add);
        return problems;
    }

    /**
     * The manifest lists its artifacts in strictly increasing order of their paths ({@link String#compareTo}), so
     * that a bundle can be checked as a stream, by a merge-join of the list and the files. The first path out of
     * order is named.
     */
    private static final class Order {
        static final int NEXT = 1;
        static final int REPEAT = 0;
        static final int OUT_OF_ORDER = -1;

        private final List<String> problems;
        private String previous;
        private boolean reported;

        Order(List<String> problems) {
            this.problems = problems;
        }

        /** NEXT: after the previous path; REPEAT: the same again (left to the caller); OUT_OF_ORDER: reported once. */
        int next(String path) {
            if (previous != null) {
                int cmp = path.compareTo(previous);
                if (cmp == 0) {
                    return REPEAT;
                }
                if (cmp < 0) {
                    if (!reported) {
                        problems.add(path + ": listed out of path order (after " + previous + ")");
                        reported = true;
                    }
                    return OUT_OF_ORDER;
                }
            }
            previous = path;
            return NEXT;
        }
    }

    private void checkArtifact(Path dir, JsonNode a, Set<String> listed, List<String> problems) throws IOException {
        String path = a.path("path").asText("");
        Path file = dir.resolve(path).normalize();
        if (path.isEmpty() || !file.startsWith(dir.normalize()) || path.startsWith("/")) {
            problems.add("manifest.json: artifact path '" + path + "' is empty or leaves the bundle");
            return;
        }
        if (!listed.add(path)) {
            problems.add(path + ": listed more than once");
            return;
        }
        if (Files.isSymbolicLink(file)) {
            problems.add(path + ": a symbolic link, not a regular file");
            return;
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            problems.add(path + ": listed in the manifest but missing");
            return;
        }
        if (links(file) > 1) {
            problems.add(path + ": a hard link (" + links(file) + " names), not a file of its own");
            return;
        }
        long size = Files.size(file);
        if (size != a.path("size").asLong(-1)) {
            problems.add(path + ": size " + size + " but the manifest says " + a.path("size").asText());
        }
        String actual = PublicationBundle.sha256Hex(file);
        if (!actual.equals(a.path("sha256").asText())) {
            problems.add(path + ": SHA-256 " + actual + " but the manifest says " + a.path("sha256").asText());
        }
    }

    /** How many names the file has (1 where the file system cannot say). */
    private static int links(Path file) throws IOException {
        try {
            return ((Number) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue();
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return 1;
        }
    }

    // ---- the tar form ----

    /** Most a manifest.p7s can be (a CMS signature with two certificates is a few kilobytes). */
    private static final int MAX_SIGNATURE = 1 << 20;

    /**
     * A bundle tar: two passes, each one entry at a time. The first reads only the headers (and manifest.json, to a
     * temporary file, and manifest.p7s): every entry a regular file (directory entries are ignored) under a name that
     * stays inside the bundle, the artifacts in strictly increasing path order, the archive ending with its end
     * blocks. The second merge-joins the manifest's artifact list with the entries: the same paths, sizes, SHA-256.
     * Memory stays the same for ten or ten million entries.
     */
    private List<String> verifyTar(Path tar, Instant now) {
        List<String> problems = new ArrayList<>();
        Path manifest = null;
        try {
            manifest = Files.createTempFile("bundle-manifest-", ".json");
            Scan scan = scanTar(tar, manifest, problems);
            if (scan == null) {
                return problems;
            }
            checkSignature(manifest, scan.p7s(), now, problems);
            if (scan.ordered() && listedInOrder(manifest, problems)) {
                mergeTar(tar, manifest, problems);
            }
        } catch (IOException e) {
            problems.add(tar + " cannot be read as a tar: " + e.getMessage());
        } finally {
            if (manifest != null) {
                try {
                    Files.deleteIfExists(manifest);
                } catch (IOException e) {
                    // a temporary file left in the temporary directory
                }
            }
        }
        return problems;
    }

    private static TarArchiveInputStream openTar(Path tar) throws IOException {
        return new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(tar), 1 << 16), "UTF-8");
    }

    /** An entry name that is a relative path inside the bundle (no empty, "." or ".." segment, no backslash). */
    private static boolean insideBundle(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.indexOf('\\') >= 0) {
            return false;
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /** A plain file's data: no link, device, FIFO, sparse file or other type (a directory is not asked here). */
    private static boolean regular(TarArchiveEntry e) {
        byte type = e.getLinkFlag();
        return (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM) && !e.isSparse();
    }

    private static String kindOf(TarArchiveEntry e) {
        if (e.isSymbolicLink()) {
            return "a symbolic link";
        }
        if (e.isLink()) {
            return "a hard link";
        }
        if (e.isCharacterDevice() || e.isBlockDevice()) {
            return "a device";
        }
        if (e.isFIFO()) {
            return "a FIFO";
        }
        return "tar type '" + (char) e.getLinkFlag() + "'" + (e.isSparse() ? ", sparse" : "");
    }

    /**
     * An entry's bundle path: its name without a leading "./", which GNU tar writes for {@code tar -C DIR -cf X.tar .}
     * (the publisher reads such names the same way).
     */
    private static String name(TarArchiveEntry e) {
        String name = e.getName();
        return name.startsWith("./") ? name.substring(2) : name;
    }

    /** Whether an entry is a bundle artifact (not manifest.json, manifest.p7s, a directory or anything refused). */
    private static boolean isArtifact(TarArchiveEntry e) {
        String name = name(e);
        return !e.isDirectory() && regular(e) && insideBundle(name) && !name.equals("manifest.json")
                && !name.equals("manifest.p7s");
    }

    /** What pass 1 found: the signature, and whether the artifact entries are in path order (else no pass 2). */
    private record Scan(byte[] p7s, boolean ordered) {}

    /** Pass 1; null (with the problem added) when the bundle cannot be checked further. */
    private static Scan scanTar(Path tar, Path manifestCopy, List<String> problems) throws IOException {
        boolean manifest = false;
        byte[] p7s = null;
        boolean ordered = true;
        String previous = null;
        try (TarArchiveInputStream in = openTar(tar)) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String name = name(e);
                if (e.isDirectory()) {
                    continue;
                }
                if (!regular(e)) {
                    problems.add(name + ": " + kindOf(e) + ", not a regular file");
                    continue;
                }
                if (!insideBundle(name)) {
                    problems.add(tar.getFileName() + ": entry '" + name + "' is empty or leaves the bundle");
                    continue;
                }
                if (name.equals("manifest.json") || name.equals("manifest.p7s")) {
                    if (name.equals("manifest.json") ? manifest : p7s != null) {
                        problems.add(name + ": more than once in the tar");
                        return null;
                    }
                    if (name.equals("manifest.json")) {
                        Files.copy(in, manifestCopy, StandardCopyOption.REPLACE_EXISTING);
                        manifest = true;
                    } else {
                        if (e.getSize() > MAX_SIGNATURE) {
                            problems.add("manifest.p7s: " + e.getSize() + " bytes, not a signature");
                            return null;
                        }
                        p7s = in.readAllBytes();
                    }
                    continue;
                }
                if (ordered && previous != null && name.compareTo(previous) <= 0) {
                    // Only the first: the merge-join of pass 2 is not run on such a tar.
                    problems.add(name + (name.equals(previous) ? ": more than once in the tar"
                            : ": out of path order in the tar (after " + previous + ")"));
                    ordered = false;
                }
                previous = name;
            }
        }
        if (!endsWithEndOfArchive(tar)) {
            problems.add(tar.getFileName() + " is truncated: it does not end with the tar end-of-archive blocks");
            return null;
        }
        if (!manifest || p7s == null) {
            problems.add("manifest.json or manifest.p7s is missing from " + tar);
            return null;
        }
        return new Scan(p7s, ordered);
    }

    /** The archive's last 1,024 bytes are zero (two end blocks, or end blocks and zero padding); sizes in blocks. */
    private static boolean endsWithEndOfArchive(Path tar) throws IOException {
        try (FileChannel ch = FileChannel.open(tar, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 1024 || size % 512 != 0) {
                return false;
            }
            ByteBuffer tail = ByteBuffer.allocate(1024);
            while (tail.hasRemaining()) {
                if (ch.read(tail, size - 1024 + tail.position()) < 0) {
                    return false;
                }
            }
            for (byte b : tail.array()) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Whether manifest.json lists its artifacts in path order (a path listed twice in a row is reported, and passes);
     * the first path out of order is reported. Reads the manifest as a stream, one artifact at a time.
     */
    private static boolean listedInOrder(Path manifest, List<String> problems) throws IOException {
        Order order = new Order(problems);
        try (JsonParser p = new ObjectMapper().createParser(manifest.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return true; // reported by the merge
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("artifacts")) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        String path = p.<JsonNode>readValueAsTree().path("path").asText("");
                        int next = order.next(path);
                        if (next == Order.REPEAT) {
                            problems.add(path + ": listed more than once");
                        } else if (next == Order.OUT_OF_ORDER) {
                            return false;
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            return true; // reported by the merge
        }
        return true;
    }

    /** Pass 2: manifest.json's artifacts against the tar's artifact entries, both in path order. */
    private static void mergeTar(Path tar, Path manifest, List<String> problems) throws IOException {
        try (TarArchiveInputStream in = openTar(tar)) {
            TarMerge merge = new TarMerge(in, problems);
            if (eachArtifact(manifest, problems, merge::artifact)) {
                merge.rest();
            }
        } catch (JsonProcessingException e) {
            problems.add("manifest.json cannot be read: " + e.getMessage());
        }
    }

    /** Takes one artifact entry of manifest.json; false stops the walk. */
    private interface ArtifactStep {
        boolean take(JsonNode artifact) throws IOException;
    }

    /**
     * Streams manifest.json: checks its format and hands each artifact entry to {@code step}, in listed order.
     * False when it is not a JSON object (reported) or the step stopped the walk.
     */
    private static boolean eachArtifact(Path manifest, List<String> problems, ArtifactStep step) throws IOException {
        try (JsonParser p = new ObjectMapper().createParser(manifest.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                problems.add("manifest.json is not a JSON object");
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("format") && !PublicationBundle.FORMAT.equals(p.getText())) {
                    problems.add("manifest.json: format '" + p.getText() + "' is not " + PublicationBundle.FORMAT);
                } else if (field.equals("artifacts")) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        if (!step.take(p.readValueAsTree())) {
                            return false;
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            return true;
        }
    }

    /** The merge-join of pass 2: one manifest artifact and one tar entry at a time. */
    private static final class TarMerge {
        private final TarArchiveInputStream in;
        private final List<String> problems;
        private String previous;
        private TarArchiveEntry entry;
        private boolean started;

        TarMerge(TarArchiveInputStream in, List<String> problems) {
            this.in = in;
            this.problems = problems;
        }

        private TarArchiveEntry entry() throws IOException {
            if (!started) {
                started = true;
                entry = nextArtifact();
            }
            return entry;
        }

        private TarArchiveEntry nextArtifact() throws IOException {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (isArtifact(e)) {
                    return e;
                }
            }
            return null;
        }

        /** One artifact of the manifest; false when the rest cannot be compared (the list is out of order). */
        boolean artifact(JsonNode a) throws IOException {
            String path = a.path("path").asText("");
            if (path.equals(previous)) {
                return true; // listed twice in a row: reported by listedInOrder
            }
            if (previous != null && path.compareTo(previous) < 0) {
                return false; // out of order: reported by listedInOrder (not reached)
            }
            previous = path;
            if (!insideBundle(path)) {
                problems.add("manifest.json: artifact path '" + path + "' is empty or leaves the bundle");
                return true;
            }
            while (entry() != null && name(entry).compareTo(path) < 0) {
                problems.add(name(entry) + ": not listed in the manifest");
                entry = nextArtifact();
            }
            if (entry == null || !name(entry).equals(path)) {
                problems.add(path + ": listed in the manifest but missing");
                return true;
            }
            MessageDigest md = PublicationBundle.sha256();
            byte[] buf = new byte[1 << 16];
            long size = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
                size += n;
            }
            if (size != a.path("size").asLong(-1)) {
                problems.add(path + ": size " + size + " but the manifest says " + a.path("size").asText());
            }
            String actual = HexFormat.of().formatHex(md.digest());
            if (!actual.equals(a.path("sha256").asText())) {
                problems.add(path + ": SHA-256 " + actual + " but the manifest says " + a.path("sha256").asText());
            }
            entry = nextArtifact();
            return true;
        }

        /** The entries after the manifest's last artifact: none is listed. */
        void rest() throws IOException {
            while (entry() != null) {
                problems.add(name(entry) + ": not listed in the manifest");
                entry = nextArtifact();
            }
        }
    }

    private void checkSignature(Path manifest, byte[] p7s, Instant now, List<String> problems) {
        try {
            CMSSignedData signed = new CMSSignedData(new CMSProcessableFile(manifest.toFile()), p7s);
            Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                problems.add("manifest.p7s: " + signers.size() + " signers, expected exactly one");
                return;
            }
            SignerInformation si = signers.iterator().next();
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = signed.getCertificates().getMatches(si.getSID());
            if (matches.isEmpty()) {
                problems.add("manifest.p7s: the signer's certificate is not included");
                return;
            }
            X509Certificate signer = new JcaX509CertificateConverter().getCertificate(matches.iterator().next());
            if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer))) {
                problems.add("manifest.p7s: the signature does not verify over manifest.json");
            }
            X509Certificate ca = trustedCas.stream()
                    .filter(c -> c.getSubjectX500Principal().equals(signer.getIssuerX500Principal())).findFirst().orElse(null);
            if (ca == null) {
                problems.add("manifest.p7s: signer " + signer.getSubjectX500Principal() + " is issued by "
                        + signer.getIssuerX500Principal() + ", which is not a trusted CA certificate");
                return;
            }
            signer.verify(ca.getPublicKey());
            signer.checkValidity(Date.from(now));
        } catch (CMSException e) {
            problems.add("manifest.p7s: the signature does not verify over manifest.json: " + e.getMessage());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            problems.add("manifest.p7s: the signer certificate does not chain to a trusted CA or is not valid now: "
                    + e.getMessage());
        }
    }
}
