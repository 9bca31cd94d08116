package dev.shomei.ca.approval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.ceremony.CaHashValues;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.SignatureAlgorithm;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;

/**
 * One person's signature over one {@link Act}: the act itself, the approver's certificate, and the signature
 * over {@code shomei-approval/v1}, the signing time and the act's canonical text. The signature algorithm
 * follows from the certificate's key (never from the file), so a file cannot pick a weaker one.
 *
 * <p>Zone: secure. Approval files are carried into the CA room; they hold no secret.
 */
public record Approval(Act act, X509Certificate approver, Instant signedAt, byte[] signature) {

    public static final String FORMAT = "shomei-approval/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The bytes an approver signs. */
    public static byte[] signedBytes(Act act, Instant signedAt) {
        return (FORMAT + "\nsigned-at=" + signedAt + "\n" + act.canonicalText()).getBytes(StandardCharsets.UTF_8);
    }

    /** Signs {@code act} with the approver's credential. */
    public static Approval sign(Act act, ApproverCredential credential, Instant now) {
        Instant at = now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        return new Approval(act, credential.certificate(), at, credential.sign(signedBytes(act, at)));
    }

    public static SignatureAlgorithm algorithmFor(X509Certificate cert) {
        return SignatureAlgorithm.forKey(KeyAlgorithm.of(cert.getPublicKey()));
    }

    /** Whether the signature verifies with the certificate's public key. */
    public boolean signatureVerifies() {
        try {
            Signature v = Signature.getInstance(algorithmFor(approver).jcaName());
            v.initVerify(approver.getPublicKey());
            v.update(signedBytes(act, signedAt));
            return v.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** SHA-256 of the approver's certificate, as the approvers list names it. */
    public String approverFingerprint() {
        return CaHashValues.of(approver).sha256();
    }

    public String toJsonText() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.set("act", act.toJson());
        o.put("actId", act.id());
        try {
            o.put("approverCertificate", Base64.getEncoder().encodeToString(approver.getEncoded()));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        o.put("approver", approver.getSubjectX500Principal().getName());
        o.put("signedAt", signedAt.toString());
        o.put("algorithm", algorithmFor(approver).jcaName());
        o.put("signature", Base64.getEncoder().encodeToString(signature));
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads an approval file; {@code source} names it in errors. */
    public static Approval parse(String jsonText, String source) {
        try {
            JsonNode o = JSON.readTree(jsonText);
            if (o == null || !FORMAT.equals(o.path("format").asText())) {
                throw new IllegalArgumentException("not an approval (format must be " + FORMAT + ")");
            }
            Act act = Act.fromJson(o.get("act"));
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(Base64.getDecoder().decode(o.path("approverCertificate").asText())));
            return new Approval(act, cert, Instant.parse(o.path("signedAt").asText()),
                    Base64.getDecoder().decode(o.path("signature").asText()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ApprovalRefused("approval " + source + " is not JSON: " + e.getOriginalMessage());
        } catch (CertificateException | RuntimeException e) {
            throw new ApprovalRefused("approval " + source + " is malformed: " + e.getMessage());
        }
    }
}
