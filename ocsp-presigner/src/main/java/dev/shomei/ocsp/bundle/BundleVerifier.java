package dev.shomei.ocsp.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
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
 * manifest's detached CMS signature, its signer's chain to a trusted CA certificate, and every artifact's
 * presence, size and SHA-256, with no extra files. Lets the secure zone check its own output, and anyone
 * detect a file changed after bundling.
 *
 * <p>Zone: any. Reads the bundle directory only; uses only the public certificates it is given.
 */
public final class BundleVerifier {

    private final Collection<X509Certificate> trustedCas;

    public BundleVerifier(Collection<X509Certificate> trustedCas) {
        this.trustedCas = trustedCas;
    }

    /** Every problem found, each naming the file; empty when the bundle verifies. */
    public List<String> verify(Path dir, Instant now) {
        List<String> problems = new ArrayList<>();
        Path manifest = dir.resolve("manifest.json");
        Path p7s = dir.resolve("manifest.p7s");
        if (!Files.isRegularFile(manifest) || !Files.isRegularFile(p7s)) {
            problems.add("manifest.json or manifest.p7s is missing from " + dir);
            return problems;
        }
        checkSignature(manifest, p7s, now, problems);
        Set<String> listed = new HashSet<>();
        try (JsonParser p = new ObjectMapper().createParser(manifest.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                problems.add("manifest.json is not a JSON object");
                return problems;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("format") && !PublicationBundle.FORMAT.equals(p.getText())) {
                    problems.add("manifest.json: format '" + p.getText() + "' is not " + PublicationBundle.FORMAT);
                } else if (field.equals("artifacts")) {
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        checkArtifact(dir, p.readValueAsTree(), listed, problems);
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            problems.add("manifest.json cannot be read: " + e.getMessage());
            return problems;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).map(f -> dir.relativize(f).toString().replace('\\', '/'))
                    .filter(f -> !f.equals("manifest.json") && !f.equals("manifest.p7s") && !listed.contains(f))
                    .sorted().forEach(f -> problems.add(f + ": not listed in the manifest"));
        } catch (IOException e) {
            problems.add("cannot list " + dir + ": " + e.getMessage());
        }
        return problems;
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
        if (!Files.isRegularFile(file)) {
            problems.add(path + ": listed in the manifest but missing");
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

    private void checkSignature(Path manifest, Path p7s, Instant now, List<String> problems) {
        try {
            CMSSignedData signed = new CMSSignedData(new CMSProcessableFile(manifest.toFile()), Files.readAllBytes(p7s));
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
        } catch (IOException e) {
            problems.add("manifest.p7s cannot be read: " + e.getMessage());
        }
    }
}
