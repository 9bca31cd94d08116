package dev.shomei.applicant.application;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.applicant.card.JpkiCertificate;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The documents the applicant signs, exactly as the RA reads them: UTF-8 JSON in the CMS eContent.
 * <ul>
 * <li>an application, format {@code shomei-ra-application/1}: the CSR (base64 DER PKCS#10), the claimed identity
 * (name, birthDate ISO-8601, gender male|female|not-known, address) and the consent document (id and SHA-256 of
 * its exact bytes);</li>
 * <li>a revocation request, format {@code shomei-ra-revocation-request/1}: the application id, the reason
 * (RFC 5280 section 5.3.1, those a subscriber may give) and optionally the certificate serial;</li>
 * <li>a renewal, format {@code shomei-ra-renewal/1}: the CSR of a new key and the consent document; no identity (the
 * RA copies it from the certificate being renewed, which signs the renewal).</li>
 * </ul>
 *
 * <p>Zone: the applicant's PC. Pure. The claimed identity is personal data: it is signed and sent, never logged.
 */
public final class ApplicationDocument {

    public static final String APPLICATION_FORMAT = "shomei-ra-application/1";
    public static final String REVOCATION_FORMAT = "shomei-ra-revocation-request/1";
    public static final String RENEWAL_FORMAT = "shomei-ra-renewal/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ApplicationDocument() {}

    /** The consent document the applicant was shown: its id at the RA, and the SHA-256 of its exact bytes. */
    public record Consent(String documentId, byte[] text) {
        public String sha256() {
            try {
                return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        public String textAsString() {
            return new String(text, StandardCharsets.UTF_8);
        }
    }

    public static byte[] application(byte[] csrDer, JpkiCertificate.Identity claimed, Consent consent) {
        return application(csrDer, claimed, consent, null, null);
    }

    /**
     * With the optional members: {@code keyDevice} (where the subscriber key lives: {"kind": "software"}, or a
     * PKCS#11 token with its manufacturer and model) and {@code contact} (where the RA sends a notice of every
     * issuance, renewal and revocation of the holder's certificates, with a code to object).
     */
    public static byte[] application(byte[] csrDer, JpkiCertificate.Identity claimed, Consent consent,
                                     Map<String, Object> keyDevice, String noticeEmail) {
        Map<String, Object> identity = new LinkedHashMap<>();
        identity.put("name", claimed.name());
        identity.put("birthDate", claimed.birthDate().toString());
        identity.put("gender", claimed.gender());
        identity.put("address", claimed.address());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("documentId", consent.documentId());
        c.put("sha256", consent.sha256());
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", APPLICATION_FORMAT);
        content.put("csr", Base64.getEncoder().encodeToString(csrDer));
        content.put("claimedIdentity", identity);
        content.put("consent", c);
        if (noticeEmail != null) {
            content.put("contact", Map.of("email", noticeEmail));
        }
        if (keyDevice != null) {
            content.put("keyDevice", keyDevice);
        }
        return json(content);
    }

    public static byte[] renewal(byte[] csrDer, Consent consent) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("documentId", consent.documentId());
        c.put("sha256", consent.sha256());
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", RENEWAL_FORMAT);
        content.put("csr", Base64.getEncoder().encodeToString(csrDer));
        content.put("consent", c);
        return json(content);
    }

    public static byte[] revocationRequest(String applicationId, String reason, String certificateSerial) {
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("format", REVOCATION_FORMAT);
        content.put("applicationId", applicationId);
        if (certificateSerial != null) {
            content.put("certificateSerial", certificateSerial);
        }
        content.put("reason", reason);
        return json(content);
    }

    private static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
