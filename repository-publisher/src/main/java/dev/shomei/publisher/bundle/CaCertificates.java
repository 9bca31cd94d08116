package dev.shomei.publisher.bundle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * The CA certificates the publisher is configured with (root and issuing): the only trust it has.
 *
 * <p>Online zone. Reads the configured certificate files once; holds no private key and touches nothing else.
 * Everything in a publication bundle must chain to, be signed by, or equal one of these.
 */
public final class CaCertificates {

    private final List<CaCertificate> certificates;

    private CaCertificates(List<CaCertificate> certificates) {
        this.certificates = List.copyOf(certificates);
    }

    /** One configured CA certificate with the hashes RFC 6960 §4.1.1 CertIDs are made of. */
    public record CaCertificate(X509Certificate certificate, byte[] encoded, byte[] keyHashSha1, byte[] keyHashSha256,
                                byte[] nameHashSha1, byte[] nameHashSha256) {
        /** Lowercase hex SHA-1 key hash: the directory name of this CA's OCSP responses in a bundle. */
        public String keyHashSha1Hex() {
            return HexFormat.of().formatHex(keyHashSha1);
        }
    }

    public static CaCertificates of(Collection<X509Certificate> certificates) {
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("no CA certificate configured; pass --ca-cert for the issuing and the root CA");
        }
        List<CaCertificate> list = new ArrayList<>();
        for (X509Certificate c : certificates) {
            try {
                // RFC 6960 §4.1.1: issuerKeyHash is the hash of the subjectPublicKey BIT STRING value (no tag,
                // length or unused-bits octet); issuerNameHash is the hash of the DER-encoded issuer name.
                byte[] key = SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded()).getPublicKeyData().getBytes();
                byte[] name = c.getSubjectX500Principal().getEncoded();
                list.add(new CaCertificate(c, c.getEncoded(), digest("SHA-1", key), digest("SHA-256", key),
                        digest("SHA-1", name), digest("SHA-256", name)));
            } catch (CertificateException e) {
                throw new IllegalArgumentException("CA certificate " + c.getSubjectX500Principal() + " cannot be encoded", e);
            }
        }
        return new CaCertificates(list);
    }

    /** Reads PEM (one or more certificates) or DER files. */
    public static CaCertificates load(List<Path> files) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("CA certificate file " + f + " does not exist; check --ca-cert");
            }
            byte[] bytes = Files.readAllBytes(f);
            try {
                Collection<? extends java.security.cert.Certificate> read =
                        CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
                if (read.isEmpty()) {
                    throw new IllegalArgumentException("CA certificate file " + f + " holds no certificate; pass a PEM or DER X.509 certificate");
                }
                for (var c : read) {
                    certs.add((X509Certificate) c);
                }
            } catch (CertificateException e) {
                throw new IllegalArgumentException("CA certificate file " + f + " is not a PEM or DER X.509 certificate: "
                        + e.getMessage(), e);
            }
        }
        return of(certs);
    }

    public List<CaCertificate> all() {
        return certificates;
    }

    public List<X509Certificate> x509() {
        return certificates.stream().map(CaCertificate::certificate).toList();
    }

    /** The configured certificate with exactly these DER bytes (RFC 5280 certificates compare byte for byte). */
    public Optional<CaCertificate> byEncoding(byte[] der) {
        return certificates.stream().filter(c -> Arrays.equals(c.encoded(), der)).findFirst();
    }

    /** The configured CA whose SHA-1 key hash is this (the bundle's ocsp/&lt;issuerKeyHash&gt;/ directory). */
    public Optional<CaCertificate> bySha1KeyHash(byte[] keyHash) {
        return certificates.stream().filter(c -> Arrays.equals(c.keyHashSha1(), keyHash)).findFirst();
    }

    static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required by RFC 6960 and missing from this JVM", e);
        }
    }
}
