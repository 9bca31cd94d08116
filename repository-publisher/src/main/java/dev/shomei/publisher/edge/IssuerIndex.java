package dev.shomei.publisher.edge;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.cert.ocsp.CertificateID;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.bundle.OcspPath;
import dev.shomei.publisher.bundle.CaCertificates.CaCertificate;

/**
 * Finds where the pre-signed response for an RFC 6960 CertID lives. Each configured CA's key hash is indexed
 * under SHA-1 (what RFC 5019 §2.1.1 clients send and what the bundle's directory names use) and SHA-256
 * (what newer clients send, RFC 9919), and the issuerNameHash is checked with the same algorithm, so a CertID
 * naming another CA that happens to share a key is not answered.
 *
 * <p>Online zone (edge). Built once from the configured CA certificates; touches nothing else.
 */
final class IssuerIndex {

    private final Map<Key, Entry> byAlgorithmAndKeyHash = new HashMap<>();

    /** keyHashHex: the CA's SHA-1 key hash in hex, as the bundle's directory is named. */
    private record Entry(CaCertificate ca, byte[] nameHash, String keyHashHex) { }

    IssuerIndex(CaCertificates cas) {
        for (CaCertificate ca : cas.all()) {
            byAlgorithmAndKeyHash.put(key(OIWObjectIdentifiers.idSHA1, ca.keyHashSha1()), new Entry(ca, ca.nameHashSha1(), ca.keyHashSha1Hex()));
            byAlgorithmAndKeyHash.put(key(NISTObjectIdentifiers.id_sha256, ca.keyHashSha256()), new Entry(ca, ca.nameHashSha256(), ca.keyHashSha1Hex()));
        }
    }

    /** The origin path of the pre-signed response for this CertID, if the issuer is one of ours. */
    Optional<String> responsePath(CertificateID id) {
        Entry e = byAlgorithmAndKeyHash.get(key(id.getHashAlgOID(), id.getIssuerKeyHash()));
        if (e == null || !Arrays.equals(e.nameHash(), id.getIssuerNameHash())) {
            return Optional.empty();
        }
        // Bundle layout: ocsp/<SHA-1 issuerKeyHash>/<first 2 hex of the serial>/<lowercase hex serial, no leading zeros>.der
        return Optional.of(OcspPath.of(e.keyHashHex(), id.getSerialNumber().toString(16)));
    }

    private static Key key(ASN1ObjectIdentifier algorithm, byte[] keyHash) {
        return new Key(algorithm, ByteBuffer.wrap(keyHash));
    }

    /** The hash algorithm and the key hash (ByteBuffer: equal by content). */
    private record Key(ASN1ObjectIdentifier algorithm, ByteBuffer keyHash) { }
}
