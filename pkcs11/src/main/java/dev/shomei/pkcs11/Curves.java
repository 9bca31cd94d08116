package dev.shomei.pkcs11;

import java.security.interfaces.ECPublicKey;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X962Parameters;

/** Identifies the curve of an EC public key by its OID (named curves only; explicit parameters are refused). */
final class Curves {
    private Curves() {}

    /** The named curve's OID, or a description of why there is none. */
    static String oidOf(ECPublicKey key) {
        try {
            SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(key.getEncoded());
            X962Parameters params = X962Parameters.getInstance(spki.getAlgorithm().getParameters());
            if (!params.isNamedCurve()) {
                return "explicit parameters";
            }
            return ((ASN1ObjectIdentifier) params.getParameters()).getId();
        } catch (RuntimeException e) {
            return "unrecognised parameters";
        }
    }

    static String describe(String oid) {
        if (!oid.matches("[0-9.]+")) {
            return oid;
        }
        String name = ECNamedCurveTable.getName(new ASN1ObjectIdentifier(oid));
        return name == null ? oid : name + " (" + oid + ")";
    }
}
