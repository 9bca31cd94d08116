package dev.shomei.ra.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.problem.RaProblem;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * Verifies a secure-zone status document (docs/monitoring.md): a CMS SignedData (RFC 5652) with encapsulated JSON
 * and exactly one signer, whose signature verifies with one of the pinned signer certificates
 * ({@code ra.status.signer-certificates}, the CA's status signer certificate), valid now and certified for
 * id-shomei-kp-statusSigning (one key, one purpose: a document signed by the audit checkpoint key or any other key
 * of the CA is refused, even if its certificate is pinned); certificates embedded in the CMS are never trusted. The content must be format {@value #FORMAT}, name a known component and carry a
 * signed time within {@code ra.status.document-max-age} of now.
 *
 * <p>Zone: online (ra-service). Reads the pinned PEM files at start-up; no writes.
 */
@io.quarkus.runtime.Startup
@ApplicationScoped
public class StatusDocumentVerifier {

    public static final String FORMAT = "shomei-secure-zone-status/v1";
    public static final Set<String> COMPONENTS = Set.of("ca", "ocsp-presigner");
    /** id-shomei-kp-statusSigning, the same OID ca-core puts in the status signer's certificate. */
    public static final String STATUS_SIGNING_OID = "1.3.6.1.4.1.99999.3.3";
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(StatusDocumentVerifier.class);

    /** A document that verified: its content and the pinned certificate that verified it. */
    public record Verified(String component, String documentId, Instant producedAt, JsonNode content, String json,
                           String signerSha256) {}

    private final List<X509Certificate> signers;
    private final StatusConfig config;
    private final ObjectMapper json;

    @Inject
    public StatusDocumentVerifier(StatusConfig config, ObjectMapper json) {
        this.config = config;
        this.json = json;
        this.signers = config.signerCertificates().orElse(List.of()).stream()
                .map(p -> ConfiguredFile.certificate("ra.status.signer-certificates", p)).toList();
        for (X509Certificate c : signers) {
            if (!statusSigner(c)) {
                LOG.warnf("ra.status.signer-certificates: %s is not certified for statusSigning (%s); every status"
                        + " document it verifies is refused. Pin the CA's status signer (ca delegate --profile"
                        + " status-signer) instead", c.getSubjectX500Principal().getName(), STATUS_SIGNING_OID);
            }
        }
    }

    /** Whether the certificate says its key signs status documents (extendedKeyUsage id-shomei-kp-statusSigning). */
    static boolean statusSigner(X509Certificate c) {
        try {
            List<String> eku = c.getExtendedKeyUsage();
            return eku != null && eku.contains(STATUS_SIGNING_OID);
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    public boolean configured() {
        return !signers.isEmpty();
    }

    public Verified verify(byte[] body, Instant now) {
        if (signers.isEmpty()) {
            throw new RaProblem(503, "status-signer-not-configured", "Status signer not configured",
                    "ra.status.signer-certificates is not set, so no status document can be verified; configure the"
                            + " CA's status signer certificate (PEM, ca delegate --profile status-signer)");
        }
        CMSSignedData signed;
        try {
            signed = new CMSSignedData(body);
        } catch (Exception e) {
            throw RaProblem.badRequest("status-document-malformed", "Not a CMS SignedData",
                    "the body is not a DER CMS SignedData (RFC 5652); a status document is signed JSON in one");
        }
        if (signed.getSignedContent() == null || signed.getSignerInfos().size() != 1) {
            throw RaProblem.badRequest("status-document-unsigned", "Status document not signed",
                    "a status document has encapsulated content and exactly one signer; this one has "
                            + signed.getSignerInfos().size() + " signer(s)"
                            + (signed.getSignedContent() == null ? " and no content" : ""));
        }
        SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
        X509Certificate by = null;
        for (X509Certificate c : signers) {
            try {
                if (si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(c))) {
                    by = c;
                    break;
                }
            } catch (Exception e) {
                // not this key, or the content was changed: try the next pinned certificate
            }
        }
        if (by == null) {
            throw RaProblem.unprocessable("status-signature-invalid", "Status document signature invalid",
                    "the status document is not signed by a pinned status signer (ra.status.signer-certificates, the"
                            + " CA's status signer key), or its content was changed after signing");
        }
        if (!statusSigner(by)) {
            // One key, one purpose: a key certified for something else (the audit checkpoint key, whose certificate
            // an older configuration pinned here) does not vouch for monitoring data.
            throw RaProblem.unprocessable("status-signer-wrong-purpose", "Status signer without the status purpose",
                    "the status document is signed by " + by.getSubjectX500Principal().getName() + ", whose"
                            + " certificate is not certified for statusSigning (" + STATUS_SIGNING_OID + "): status"
                            + " documents are signed by a status signer of their own, not by the audit checkpoint key;"
                            + " delegate one (ca delegate --profile status-signer), set status.signingKey in ca.yaml"
                            + " and pin its certificate in ra.status.signer-certificates");
        }
        try {
            by.checkValidity(java.util.Date.from(now));
        } catch (Exception e) {
            throw RaProblem.unprocessable("status-signer-expired", "Status signer not valid now",
                    "the status signer certificate " + by.getSubjectX500Principal().getName() + " is valid "
                            + by.getNotBefore().toInstant() + " to " + by.getNotAfter().toInstant()
                            + "; delegate a new status signer (ca delegate --profile status-signer) and pin its certificate");
        }
        JsonNode root;
        String text;
        try {
            text = new String((byte[]) signed.getSignedContent().getContent(), java.nio.charset.StandardCharsets.UTF_8);
            root = json.readTree(text);
        } catch (IOException e) {
            throw RaProblem.unprocessable("status-content-malformed", "Status content malformed",
                    "the signed content is not JSON");
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw RaProblem.unprocessable("status-format-unknown", "Unknown status format",
                    "format must be " + FORMAT).with("field", "format");
        }
        String component = root.path("component").asText("");
        if (!COMPONENTS.contains(component)) {
            throw RaProblem.unprocessable("status-component-unknown", "Unknown component",
                    "component '" + truncate(component) + "' is not one of " + COMPONENTS).with("field", "component");
        }
        Instant produced;
        try {
            produced = Instant.parse(root.path("producedAt").asText(""));
        } catch (DateTimeParseException e) {
            throw RaProblem.unprocessable("status-time-missing", "Status time missing",
                    "producedAt must be an ISO-8601 instant").with("field", "producedAt");
        }
        if (produced.isBefore(now.minus(config.documentMaxAge()))) {
            throw RaProblem.unprocessable("status-document-stale", "Status document too old",
                    "producedAt " + produced + " is older than ra.status.document-max-age (" + config.documentMaxAge()
                            + ") at " + now + ": an old document is refused as a replay").with("field", "producedAt");
        }
        if (produced.isAfter(now.plus(config.documentMaxSkew()))) {
            throw RaProblem.unprocessable("status-document-in-future", "Status document from the future",
                    "producedAt " + produced + " is ahead of the RA's clock (" + now + ") by more than "
                            + config.documentMaxSkew() + "; check the secure zone's clock").with("field", "producedAt");
        }
        return new Verified(component, root.path("documentId").asText(""), produced, root, text, sha256(by));
    }

    static String sha256(X509Certificate c) {
        try {
            return ConfiguredFile.sha256Hex(c.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String truncate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
