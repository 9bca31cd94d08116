package dev.shomei.ca.profile;

import java.util.List;

/**
 * A certificate profile, from configuration (never code). Each field's value should cite the CP/CPS
 * section that justifies it (7.1: certificate profile) in the configuration file's comments.
 *
 * @param validityDays        validity period of issued certificates (CP/CPS 6.3.2)
 * @param keyUsage            RFC 5280 §4.2.1.3 names: digitalSignature, nonRepudiation (contentCommitment),
 *                            keyEncipherment, keyAgreement, keyCertSign, cRLSign
 * @param extendedKeyUsage    RFC 5280 §4.2.1.12 / RFC 6960 names: ocspSigning, clientAuth, serverAuth,
 *                            emailProtection, codeSigning, timeStamping, or dotted OIDs
 * @param certificatePolicies policy OIDs (CP/CPS 1.2)
 * @param crlDistributionPoint include the repository's CRL URL (RFC 5280 §4.2.1.13)
 * @param ocsp                include the repository's OCSP URL in AIA (RFC 5280 §4.2.2.1)
 * @param caIssuers           include the issuing CA certificate's URL in AIA
 * @param ocspNoCheck         id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), for OCSP responder certificates
 * @param allowedKeys         subscriber key types, e.g. EC-P256, RSA-2048 (CP/CPS 6.1.5)
 * @param subjectAttributes   RDN types a subject may carry: CN, O, OU, L, ST, C, SERIALNUMBER. For certificates
 *                            issued from RA orders these are the attributes the profile certifies (CP/CPS 3.1.1,
 *                            7.1.4): the RA states their values from the verified identity
 * @param subjectFrom         where the subject comes from: {@code order} (the RA-signed order states the verified
 *                            identity; the CSR's subject is ignored, and a request without a stated subject is
 *                            refused; CP/CPS 3.2.3) or {@code csr} (operator issuance from a CSR the operator
 *                            checked, e.g. ca issue). Default csr. Whatever this says, an order that states a subject
 *                            is always issued under that subject, never the CSR's
 */
public record CertificateProfile(
        String description,
        Integer validityDays,
        List<String> keyUsage,
        List<String> extendedKeyUsage,
        List<String> certificatePolicies,
        Boolean crlDistributionPoint,
        Boolean ocsp,
        Boolean caIssuers,
        Boolean ocspNoCheck,
        List<String> allowedKeys,
        List<String> subjectAttributes,
        String subjectFrom) {

    /** The subject comes from the RA-signed order (the verified identity), never from the CSR. */
    public static final String SUBJECT_FROM_ORDER = "order";
    public static final String SUBJECT_FROM_CSR = "csr";

    public CertificateProfile {
        keyUsage = keyUsage == null ? List.of() : List.copyOf(keyUsage);
        extendedKeyUsage = extendedKeyUsage == null ? List.of() : List.copyOf(extendedKeyUsage);
        certificatePolicies = certificatePolicies == null ? List.of() : List.copyOf(certificatePolicies);
        allowedKeys = allowedKeys == null ? List.of("EC-P256", "EC-P384", "RSA-2048", "RSA-3072", "RSA-4096")
                : List.copyOf(allowedKeys);
        subjectAttributes = subjectAttributes == null ? List.of("CN", "O", "OU", "L", "ST", "C", "SERIALNUMBER")
                : List.copyOf(subjectAttributes);
        subjectFrom = subjectFrom == null ? SUBJECT_FROM_CSR : subjectFrom;
        if (!subjectFrom.equals(SUBJECT_FROM_ORDER) && !subjectFrom.equals(SUBJECT_FROM_CSR)) {
            throw new IllegalArgumentException("profile subjectFrom is '" + subjectFrom + "'; use order (the RA states"
                    + " the verified identity) or csr (operator issuance)");
        }
        crlDistributionPoint = crlDistributionPoint != null && crlDistributionPoint;
        ocsp = ocsp != null && ocsp;
        caIssuers = caIssuers != null && caIssuers;
        ocspNoCheck = ocspNoCheck != null && ocspNoCheck;
        if (validityDays == null || validityDays < 1) {
            throw new IllegalArgumentException("profile validityDays must be a positive number of days, was " + validityDays);
        }
        if (keyUsage.isEmpty()) {
            throw new IllegalArgumentException("profile keyUsage must name at least one usage (RFC 5280 §4.2.1.3)");
        }
    }

    /** True if only the subject an RA order states may be certified (never the CSR's). */
    public boolean subjectFromOrder() {
        return SUBJECT_FROM_ORDER.equals(subjectFrom);
    }
}
