package dev.shomei.publisher.bundle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which signatures the publisher accepts on a bundle's manifest and on the CP/CPS: not "anything the CA
 * issued", but the one publication signer the operator pinned.
 *
 * <p>A manifest or CP/CPS signer certificate is a <em>publication signer</em> when all of these hold:
 * <ol>
 *   <li>its SHA-256 (of the DER certificate) or the SHA-256 of its SubjectPublicKeyInfo (DER) is pinned;</li>
 *   <li>it carries the publication-signing extended key usage ({@link #DEFAULT_EKU} unless configured), which
 *       {@code ca delegate --profile publication-signer} puts in it and no subscriber profile does;</li>
 *   <li>(checked by the verifier) it is issued by a configured CA certificate and valid now.</li>
 * </ol>
 * Besides, a CP/CPS PDF may be signed by a certificate configured as a CP/CPS signer, accepted by its exact
 * bytes (for a CP/CPS signed outside the CA's HSM, e.g. by the policy authority).
 *
 * <p>Online zone. Pure: holds public certificates and hashes only.
 */
public final class PublicationSigners {

    /**
     * id-shomei-kp-publicationSigning: the extended key usage of the publication signer (ca.yaml profile
     * {@code publication-signer}, {@code extendedKeyUsage: [publicationSigning]}). It sits under the arc of the
     * project's CP OID; an operator with its own arc sets both sides to its OID.
     */
    public static final String DEFAULT_EKU = "1.3.6.1.4.1.99999.3.1";

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern OID = Pattern.compile("[0-2](\\.(0|[1-9][0-9]*))+");

    private final Set<String> certificateSha256;
    private final Set<String> keySha256;
    private final String eku;
    private final List<X509Certificate> cpsSigners;

    private PublicationSigners(Set<String> certificateSha256, Set<String> keySha256, String eku, List<X509Certificate> cpsSigners) {
        this.certificateSha256 = Set.copyOf(certificateSha256);
        this.keySha256 = Set.copyOf(keySha256);
        this.eku = eku;
        this.cpsSigners = List.copyOf(cpsSigners);
    }

    /**
     * @param certificates pinned publication signer certificates (by their DER SHA-256)
     * @param keySha256    pinned publication signer keys: lowercase or uppercase hex SHA-256 of the DER
     *                     SubjectPublicKeyInfo, with or without ':' separators
     * @param eku          the required extended key usage OID, or null for {@link #DEFAULT_EKU}
     * @param cpsSigners   certificates that may also sign the CP/CPS PDFs
     * @throws IllegalArgumentException when nothing is pinned or a value is malformed (names the option)
     */
    public static PublicationSigners of(Collection<X509Certificate> certificates, Collection<String> keySha256, String eku,
                                        Collection<X509Certificate> cpsSigners) {
        Set<String> certs = new TreeSet<>();
        for (X509Certificate c : certificates) {
            certs.add(sha256Hex(encoded(c)));
        }
        Set<String> keys = new TreeSet<>();
        for (String k : keySha256) {
            String norm = k.replace(":", "").toLowerCase(Locale.ROOT).trim();
            if (!SHA256_HEX.matcher(norm).matches()) {
                throw new IllegalArgumentException("--publication-signer-key-sha256 '" + k + "' is not 64 hex digits; give the SHA-256"
                        + " of the signer's DER SubjectPublicKeyInfo (openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum)");
            }
            keys.add(norm);
        }
        if (certs.isEmpty() && keys.isEmpty()) {
            throw new IllegalArgumentException("no publication signer is pinned; pass --publication-signer-cert FILE (the"
                    + " certificate 'ca delegate --profile publication-signer --out FILE' wrote) or --publication-signer-key-sha256 HEX");
        }
        String oid = eku == null ? DEFAULT_EKU : eku.trim();
        if (!OID.matcher(oid).matches()) {
            throw new IllegalArgumentException("--publication-signer-eku '" + eku + "' is not a dotted OID such as " + DEFAULT_EKU);
        }
        return new PublicationSigners(certs, keys, oid, new ArrayList<>(cpsSigners));
    }

    /** The pinned certificate(s) only, with the default EKU and no separate CP/CPS signer. */
    public static PublicationSigners pinning(X509Certificate... certificates) {
        return of(List.of(certificates), List.of(), null, List.of());
    }

    /** Reads PEM or DER certificate files (for --publication-signer-cert and --cps-signer-cert). */
    public static List<X509Certificate> load(List<Path> files, String option) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        for (Path f : files == null ? List.<Path>of() : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(option + " file " + f + " does not exist");
            }
            try {
                var read = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(f)));
                if (read.isEmpty()) {
                    throw new IllegalArgumentException(option + " file " + f + " holds no certificate; pass a PEM or DER X.509 certificate");
                }
                read.forEach(c -> out.add((X509Certificate) c));
            } catch (CertificateException e) {
                throw new IllegalArgumentException(option + " file " + f + " is not a PEM or DER X.509 certificate: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Why this certificate is not the pinned publication signer, or empty when it is (pin and EKU; the chain and
     * validity are the verifier's to check).
     */
    public Optional<String> problemWith(X509Certificate cert) {
        String certHash = sha256Hex(encoded(cert));
        String keyHash = sha256Hex(cert.getPublicKey().getEncoded());
        String who = "'" + cert.getSubjectX500Principal().getName() + "' (serial " + cert.getSerialNumber().toString(16) + ")";
        if (!certificateSha256.contains(certHash) && !keySha256.contains(keyHash)) {
            return Optional.of("signer certificate " + who + " is not the pinned publication signer (certificate SHA-256 "
                    + certHash + ", key SHA-256 " + keyHash + "); only the pinned signer may sign publications:"
                    + " check --publication-signer-cert / --publication-signer-key-sha256");
        }
        List<String> ekus;
        try {
            ekus = cert.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            return Optional.of("signer certificate " + who + " has an unreadable extendedKeyUsage: " + e.getMessage());
        }
        if (ekus == null || !ekus.contains(eku)) {
            return Optional.of("signer certificate " + who + " lacks the publication-signing extended key usage " + eku
                    + " (it has " + (ekus == null ? "none" : ekus) + "); delegate the key with a publication-signer profile that has"
                    + " extendedKeyUsage: [publicationSigning]");
        }
        return Optional.empty();
    }

    /** Whether this certificate is configured, byte for byte, as a CP/CPS signer. */
    public boolean isCpsSigner(X509Certificate cert) {
        byte[] der = encoded(cert);
        return cpsSigners.stream().anyMatch(c -> java.util.Arrays.equals(encoded(c), der));
    }

    public String eku() {
        return eku;
    }

    /** What is pinned, for the operator's log. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        certificateSha256.forEach(h -> parts.add("certificate SHA-256 " + h));
        keySha256.forEach(h -> parts.add("key SHA-256 " + h));
        parts.add("EKU " + eku);
        cpsSigners.forEach(c -> parts.add("CP/CPS signer '" + c.getSubjectX500Principal().getName() + "'"));
        return String.join(", ", parts);
    }

    static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(CaCertificates.digest("SHA-256", data));
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalArgumentException("certificate '" + c.getSubjectX500Principal() + "' cannot be encoded", e);
        }
    }
}
