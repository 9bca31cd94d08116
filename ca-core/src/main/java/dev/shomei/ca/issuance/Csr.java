package dev.shomei.ca.issuance;

import dev.shomei.ca.lint.KeyQuality;
import dev.shomei.pkcs11.KeyAlgorithm;
import dev.shomei.pkcs11.SignatureCheck;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * A checked PKCS#10 request (RFC 2986): parsed, its self-signature verified (proof of possession of the
 * private key), and its key of an allowed type and size.
 *
 * <p>Zone: secure (also usable by the RA, which checks the same before deciding).
 */
public record Csr(byte[] der, X500Name subject, PublicKey publicKey, KeyAlgorithm keyAlgorithm) {

    /** Parses DER or PEM; any failure is a {@link CsrException} naming the problem. */
    public static Csr parse(byte[] bytes, Set<KeyAlgorithm> allowedKeys) {
        if (bytes == null || bytes.length == 0) {
            throw new CsrException("the CSR is empty");
        }
        PKCS10CertificationRequest req = decode(bytes);
        JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(req);
        PublicKey key;
        try {
            key = jca.getPublicKey();
        } catch (Exception e) {
            // The JDK refuses some bad keys outright (an EC point off its curve): name what is wrong with it.
            java.util.List<String> problems = KeyQuality.problems(req.getSubjectPublicKeyInfo());
            throw new CsrException("the CSR's public key cannot be read: " + (problems.isEmpty() ? e.getMessage()
                    : String.join("; ", problems)), e);
        }
        KeyAlgorithm ka;
        try {
            ka = KeyAlgorithm.of(key);
        } catch (IllegalArgumentException e) {
            throw new CsrException("the CSR's key is refused: " + e.getMessage());
        }
        if (!allowedKeys.contains(ka)) {
            throw new CsrException("the CSR's key " + ka.label() + " is not allowed by the profile (allowed: "
                    + allowedKeys.stream().map(KeyAlgorithm::label).sorted().toList() + ")");
        }
        // CP/CPS §6.1.6: the key's quality (exponent, ROCA, small factors, close primes; EC point validation).
        long t0 = IssuanceTimings.cpuNow();
        java.util.List<String> problems = KeyQuality.problems(key);
        long t1 = IssuanceTimings.cpuNow();
        IssuanceTimings.CSR.add(IssuanceTimings.Work.KEY_QUALITY, t1 - t0);
        if (!problems.isEmpty()) {
            throw new CsrException("the CSR's key is refused: " + String.join("; ", problems));
        }
        // The signature is checked after the key policy, so that a weak or unapproved key is named as such.
        try {
            if (!proofOfPossession(req)) {
                throw new CsrException("the CSR's signature does not verify with the public key it carries"
                        + " (proof of possession failed): the request was altered or signed with another key");
            }
        } catch (OperatorCreationException | PKCSException | IOException | GeneralSecurityException
                 | RuntimeException e) {
            if (e instanceof CsrException ce) {
                throw ce;
            }
            throw new CsrException("the CSR's signature is missing or malformed (proof of possession failed): "
                    + rootMessage(e), e);
        } finally {
            IssuanceTimings.CSR.add(IssuanceTimings.Work.PROOF_OF_POSSESSION, IssuanceTimings.cpuNow() - t1);
        }
        // Extensions come from the profile only: requested ones (pkcs-9 extensionRequest) are never copied.
        try {
            return new Csr(req.getEncoded(), req.getSubject(), key, ka);
        } catch (IOException e) {
            throw new CsrException("the CSR cannot be re-encoded: " + e.getMessage(), e);
        }
    }

    /**
     * The CSR's self-signature over its DER-encoded certificationRequestInfo (RFC 2986 §4.2), verified with the key
     * it carries: ECDSA keys through {@link SignatureCheck} (the same verification, a fraction of the JDK's cost);
     * other keys and algorithms through the JCA, as Bouncy Castle's {@code isSignatureValid} does it.
     */
    private static boolean proofOfPossession(PKCS10CertificationRequest req)
            throws OperatorCreationException, PKCSException, IOException, GeneralSecurityException {
        return SignatureCheck.proofOfPossession(req);
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.getClass().getSimpleName() : r.getMessage();
    }

    private static PKCS10CertificationRequest decode(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.US_ASCII);
        try {
            if (head.contains("-----BEGIN")) {
                try (PEMParser p = new PEMParser(new StringReader(new String(bytes, StandardCharsets.US_ASCII)))) {
                    Object o = p.readObject();
                    if (o instanceof PKCS10CertificationRequest r) {
                        return r;
                    }
                    throw new CsrException("the PEM file holds " + (o == null ? "nothing readable"
                            : o.getClass().getSimpleName()) + ", not a CERTIFICATE REQUEST");
                }
            }
            return new PKCS10CertificationRequest(bytes);
        } catch (CsrException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CsrException("not a PKCS#10 certificate signing request (DER or PEM): " + e.getMessage(), e);
        }
    }
}
