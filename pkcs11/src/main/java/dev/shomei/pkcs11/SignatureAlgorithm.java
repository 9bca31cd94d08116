package dev.shomei.pkcs11;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * The signature algorithms the project's HSM keys sign with. The AlgorithmIdentifier encodings follow RFC 5758 §3.2
 * (ECDSA: parameters absent) and RFC 4055 §5 (RSA PKCS#1 v1.5: parameters NULL).
 */
public enum SignatureAlgorithm {
    SHA256_WITH_ECDSA("SHA256withECDSA", X9ObjectIdentifiers.ecdsa_with_SHA256, false, "SHA-256"),
    SHA384_WITH_ECDSA("SHA384withECDSA", X9ObjectIdentifiers.ecdsa_with_SHA384, false, "SHA-384"),
    SHA256_WITH_RSA("SHA256withRSA", PKCSObjectIdentifiers.sha256WithRSAEncryption, true, "SHA-256"),
    SHA384_WITH_RSA("SHA384withRSA", PKCSObjectIdentifiers.sha384WithRSAEncryption, true, "SHA-384");

    private final String jcaName;
    private final ASN1ObjectIdentifier oid;
    private final boolean nullParameters;
    private final String digest;

    SignatureAlgorithm(String jcaName, ASN1ObjectIdentifier oid, boolean nullParameters, String digest) {
        this.jcaName = jcaName;
        this.oid = oid;
        this.nullParameters = nullParameters;
        this.digest = digest;
    }

    public String jcaName() { return jcaName; }

    public String digestName() { return digest; }

    public AlgorithmIdentifier algorithmIdentifier() {
        return nullParameters ? new AlgorithmIdentifier(oid, DERNull.INSTANCE) : new AlgorithmIdentifier(oid);
    }

    /** The algorithm a key of the given kind signs with (CA, RA and delegated keys alike). */
    public static SignatureAlgorithm forKey(KeyAlgorithm key) {
        return switch (key) {
            case EC_P256 -> SHA256_WITH_ECDSA;
            case EC_P384 -> SHA384_WITH_ECDSA;
            case RSA_2048, RSA_3072 -> SHA256_WITH_RSA;
            case RSA_4096 -> SHA384_WITH_RSA;
        };
    }

    public static SignatureAlgorithm fromOid(ASN1ObjectIdentifier oid) {
        for (SignatureAlgorithm a : values()) {
            if (a.oid.equals(oid)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unsupported signature algorithm " + oid);
    }
}
