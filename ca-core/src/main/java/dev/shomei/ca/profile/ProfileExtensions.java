package dev.shomei.ca.profile;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.lint.PreIssuanceLint;
import dev.shomei.pkcs11.KeyAlgorithm;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * Turns a {@link CertificateProfile} into certificate extensions and into the lint's expectations, so
 * that what is issued and what is checked come from the same configuration.
 *
 * <p>Zone: secure. Pure.
 */
public final class ProfileExtensions {

    private static final Map<String, Integer> KEY_USAGES = Map.of(
            "digitalsignature", KeyUsage.digitalSignature,
            "nonrepudiation", KeyUsage.nonRepudiation,
            "contentcommitment", KeyUsage.nonRepudiation,
            "keyencipherment", KeyUsage.keyEncipherment,
            "dataencipherment", KeyUsage.dataEncipherment,
            "keyagreement", KeyUsage.keyAgreement,
            "keycertsign", KeyUsage.keyCertSign,
            "crlsign", KeyUsage.cRLSign);

    /** The publication signer's extended key usage; repository-publisher requires it by default (same value). */
    public static final String PUBLICATION_SIGNING_OID = "1.3.6.1.4.1.99999.3.1";

    /** The result-bundle signer's extended key usage; the RA requires it of a result signer (same value). */
    public static final String RESULT_BUNDLE_SIGNING_OID = "1.3.6.1.4.1.99999.3.2";

    /** The status signer's extended key usage; the RA requires it of a status document's signer (same value). */
    public static final String STATUS_SIGNING_OID = "1.3.6.1.4.1.99999.3.3";

    private static final Map<String, KeyPurposeId> PURPOSES = Map.of(
            "ocspsigning", KeyPurposeId.id_kp_OCSPSigning,
            "clientauth", KeyPurposeId.id_kp_clientAuth,
            "serverauth", KeyPurposeId.id_kp_serverAuth,
            "emailprotection", KeyPurposeId.id_kp_emailProtection,
            "codesigning", KeyPurposeId.id_kp_codeSigning,
            "timestamping", KeyPurposeId.id_kp_timeStamping,
            // id-shomei-kp-publicationSigning: only the publication signer (manifest.p7s, PAdES CP/CPS) has it, so
            // the repository publisher can tell it from every other certificate of the CA (publication-bundle.md).
            "publicationsigning", KeyPurposeId.getInstance(new ASN1ObjectIdentifier(PUBLICATION_SIGNING_OID)),
            // id-shomei-kp-resultBundleSigning: only the key that signs the CA's answers to RA order bundles has it,
            // so the RA can tell that signer from the CA key and every other certificate (order-bundles.md).
            "resultbundlesigning", KeyPurposeId.getInstance(new ASN1ObjectIdentifier(RESULT_BUNDLE_SIGNING_OID)),
            // id-shomei-kp-statusSigning: only the key that signs the secure zone's status documents has it, so the
            // RA can tell monitoring data from a checkpoint or a result (monitoring.md, "The status signer").
            "statussigning", KeyPurposeId.getInstance(new ASN1ObjectIdentifier(STATUS_SIGNING_OID)));

    private ProfileExtensions() {}

    public static int keyUsageBits(List<String> names) {
        int bits = 0;
        for (String n : names) {
            Integer b = KEY_USAGES.get(n.toLowerCase(Locale.ROOT));
            if (b == null) {
                throw new IllegalArgumentException("unknown keyUsage '" + n + "'; known: digitalSignature,"
                        + " nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign");
            }
            bits |= b;
        }
        return bits;
    }

    public static Set<KeyPurposeId> purposes(List<String> names) {
        Set<KeyPurposeId> out = new LinkedHashSet<>();
        for (String n : names) {
            KeyPurposeId p = PURPOSES.get(n.toLowerCase(Locale.ROOT));
            if (p == null) {
                if (!n.matches("[0-2](\\.[0-9]+)+")) {
                    throw new IllegalArgumentException("unknown extendedKeyUsage '" + n + "'; use ocspSigning,"
                            + " clientAuth, serverAuth, emailProtection, codeSigning, timeStamping, publicationSigning,"
                            + " resultBundleSigning, statusSigning or a dotted OID");
                }
                p = KeyPurposeId.getInstance(new ASN1ObjectIdentifier(n));
            }
            out.add(p);
        }
        return out;
    }

    public static PreIssuanceLint.Expectation expectation(CertificateProfile p) {
        Set<KeyAlgorithm> keys = p.allowedKeys().stream().map(KeyAlgorithm::parse).collect(Collectors.toSet());
        return new PreIssuanceLint.Expectation(false, keyUsageBits(p.keyUsage()), purposes(p.extendedKeyUsage()),
                keys, p.ocspNoCheck());
    }

    /** Adds the end-entity extensions of the profile to the builder (no partitioned CRLs). */
    public static void addTo(X509v3CertificateBuilder b, CertificateProfile p, PublicKey subjectKey,
                             X509Certificate issuer, CaConfig.Repository repo) {
        addTo(b, p, subjectKey, issuer, repo, -1);
    }

    /** The CRL shard a certificate belongs to: fixed by its serial number and the issuer's shard count. */
    public static int crlShard(java.math.BigInteger serial, int shards) {
        return serial.mod(java.math.BigInteger.valueOf(shards)).intValue();
    }

    /**
     * The URL of a CRL: the full CRL's ({@code repository.crlUrl}) for {@code shard < 0}, else shard {@code shard}'s,
     * one more path segment under the full CRL's name ({@code .../issuing.crl} gives {@code .../issuing/7.crl}). The
     * certificate's CRL distribution point and the shard CRL's issuingDistributionPoint both come from here, so they
     * match byte for byte (RFC 5280 §5.2.5, §6.3.3 (b)(2)).
     */
    public static String crlUrl(String crlUrl, int shard) {
        if (shard < 0) {
            return crlUrl;
        }
        String base = crlUrl.endsWith(".crl") ? crlUrl.substring(0, crlUrl.length() - 4) : crlUrl;
        return base + "/" + shard + ".crl";
    }

    /**
     * Adds the end-entity extensions of the profile to the builder.
     *
     * @param crlShard the certificate's CRL shard (its distribution point names that shard's CRL), or -1
     */
    public static void addTo(X509v3CertificateBuilder b, CertificateProfile p, PublicKey subjectKey,
                             X509Certificate issuer, CaConfig.Repository repo, int crlShard) {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsageBits(p.keyUsage())));
            Set<KeyPurposeId> eku = purposes(p.extendedKeyUsage());
            if (!eku.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku.toArray(KeyPurposeId[]::new)));
            }
            if (!p.certificatePolicies().isEmpty()) {
                PolicyInformation[] pi = p.certificatePolicies().stream()
                        .map(oid -> new PolicyInformation(new ASN1ObjectIdentifier(oid)))
                        .toArray(PolicyInformation[]::new);
                b.addExtension(Extension.certificatePolicies, false, new CertificatePolicies(pi));
            }
            b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
            b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
            if (p.crlDistributionPoint()) {
                require(repo.crlUrl(), "repository.crlUrl", "crlDistributionPoint");
                DistributionPoint dp = new DistributionPoint(new DistributionPointName(
                        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier,
                                crlUrl(repo.crlUrl(), crlShard)))), null, null);
                b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(new DistributionPoint[] {dp}));
            }
            List<AccessDescription> aia = new ArrayList<>();
            if (p.ocsp()) {
                require(repo.ocspUrl(), "repository.ocspUrl", "ocsp");
                aia.add(new AccessDescription(AccessDescription.id_ad_ocsp,
                        new GeneralName(GeneralName.uniformResourceIdentifier, repo.ocspUrl())));
            }
            if (p.caIssuers()) {
                require(repo.caIssuersUrl(), "repository.caIssuersUrl", "caIssuers");
                aia.add(new AccessDescription(AccessDescription.id_ad_caIssuers,
                        new GeneralName(GeneralName.uniformResourceIdentifier, repo.caIssuersUrl())));
            }
            if (!aia.isEmpty()) {
                b.addExtension(Extension.authorityInfoAccess, false,
                        new AuthorityInformationAccess(aia.toArray(AccessDescription[]::new)));
            }
            if (p.ocspNoCheck()) {
                b.addExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false, DERNull.INSTANCE);
            }
        } catch (CertIOException | java.security.NoSuchAlgorithmException | java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode the profile's extensions: " + e.getMessage(), e);
        }
    }

    private static void require(String url, String setting, String flag) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the profile asks for " + flag + " but " + setting + " is not configured");
        }
    }

    /**
     * Null when {@code cert} is fit to be a delegated signing key of {@code issuing} for one purpose (one key, one
     * purpose): an end-entity certificate for digitalSignature only, not the issuing key, with the purpose's extended
     * key usage; else what is wrong, in words.
     */
    public static String unfitForPurpose(java.security.cert.X509Certificate cert,
                                         java.security.cert.X509Certificate issuing, String ekuOid, String ekuName) {
        boolean[] ku = cert.getKeyUsage();
        if (cert.getBasicConstraints() >= 0) {
            return "is certified as a CA";
        }
        if (ku == null || !ku[0] || ku[5] || ku[6]) {
            return "must allow digitalSignature and neither keyCertSign nor cRLSign";
        }
        if (cert.getPublicKey().equals(issuing.getPublicKey())) {
            return "is the issuing key itself";
        }
        try {
            java.util.List<String> eku = cert.getExtendedKeyUsage();
            if (eku == null || !eku.contains(ekuOid)) {
                return "lacks the " + ekuName + " extended key usage (" + ekuOid + ")";
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return "has an unreadable extendedKeyUsage: " + e.getMessage();
        }
        return null;
    }
}
