package dev.shomei.publisher.bundle;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Arrays;

import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.ContentVerifierProvider;

/**
 * What the publisher checks of an X.509 CRL (RFC 5280 §5.1), read from its DER without building an object per
 * revoked certificate. Decoding a CRL whole (the JDK's or Bouncy Castle's parser) keeps every entry as objects: the
 * 10M benchmark's full CRL of 500,010 entries (23.5 MB) took the publisher's live heap to ~214 MB of its 256 MB for
 * the seconds it was checked, and a 100M CA's would not fit. Here the entries are walked as DER (each one a SEQUENCE
 * of an INTEGER, a Time and optional extensions, nothing after), the small fields around them are decoded, and the
 * signature is checked over the tbsCertList's bytes as they are in the file.
 *
 * <p>Online zone. Pure: reads the bytes it is given.
 */
final class CrlHeader {

    private static final int SEQUENCE = 0x30;
    private static final int INTEGER = 0x02;
    private static final int UTC_TIME = 0x17;
    private static final int GENERALIZED_TIME = 0x18;
    private static final int EXTENSIONS = 0xA0;

    private final byte[] der;
    private final int tbsStart;
    private final int tbsEnd;
    private final AlgorithmIdentifier tbsSignature;
    private final AlgorithmIdentifier signatureAlgorithm;
    private final byte[] signature;
    final X500Name issuer;
    final Instant thisUpdate;
    /** Null when the CRL has none. */
    final Instant nextUpdate;
    /** Null when the CRL has none. */
    final Extensions extensions;
    final long entries;

    private CrlHeader(byte[] der, int tbsStart, int tbsEnd, AlgorithmIdentifier tbsSignature, AlgorithmIdentifier signatureAlgorithm,
                      byte[] signature, X500Name issuer, Instant thisUpdate, Instant nextUpdate, Extensions extensions, long entries) {
        this.der = der;
        this.tbsStart = tbsStart;
        this.tbsEnd = tbsEnd;
        this.tbsSignature = tbsSignature;
        this.signatureAlgorithm = signatureAlgorithm;
        this.signature = signature;
        this.issuer = issuer;
        this.thisUpdate = thisUpdate;
        this.nextUpdate = nextUpdate;
        this.extensions = extensions;
        this.entries = entries;
    }

    /** One DER element at a position: its tag, where its content starts and where it ends. */
    private record Tlv(int tag, int start, int contentStart, int end) {
        byte[] encoded(byte[] der) {
            return Arrays.copyOfRange(der, start, end);
        }
    }

    private static Tlv tlv(byte[] der, int at, int limit, String what) throws IOException {
        if (at + 2 > limit) {
            throw new IOException(what + " is missing (the data ends at byte " + at + ")");
        }
        int tag = der[at] & 0xff;
        if ((tag & 0x1f) == 0x1f) {
            throw new IOException(what + ": high tag numbers are not used in a CRL");
        }
        int first = der[at + 1] & 0xff;
        int p = at + 2;
        long length;
        if (first < 0x80) {
            length = first;
        } else {
            int n = first & 0x7f;
            if (n == 0 || n > 4) {
                throw new IOException(what + ": " + (n == 0 ? "indefinite length is not DER" : "a length of " + n + " bytes"));
            }
            if (p + n > limit) {
                throw new IOException(what + ": its length runs past the data");
            }
            length = 0;
            for (int i = 0; i < n; i++) {
                length = (length << 8) | (der[p++] & 0xff);
            }
            if (length < 0x80 || (n > 1 && (der[at + 2] & 0xff) == 0)) {
                throw new IOException(what + ": its length is not in the shortest form (DER)");
            }
        }
        if (p + length > limit) {
            throw new IOException(what + " claims " + length + " bytes, more than are there");
        }
        return new Tlv(tag, at, p, (int) (p + length));
    }

    private static Tlv expect(byte[] der, int at, int limit, int tag, String what) throws IOException {
        Tlv t = tlv(der, at, limit, what);
        if (t.tag() != tag) {
            throw new IOException(what + " has tag 0x" + Integer.toHexString(t.tag()) + ", not 0x" + Integer.toHexString(tag));
        }
        return t;
    }

    static CrlHeader parse(byte[] der) throws IOException {
        try {
            return read(der);
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static CrlHeader read(byte[] der) throws IOException {
        Tlv list = expect(der, 0, der.length, SEQUENCE, "CertificateList");
        if (list.end() != der.length) {
            throw new IOException((der.length - list.end()) + " bytes follow the CertificateList");
        }
        Tlv tbs = expect(der, list.contentStart(), list.end(), SEQUENCE, "tbsCertList");
        Tlv outerAlgorithm = expect(der, tbs.end(), list.end(), SEQUENCE, "signatureAlgorithm");
        Tlv signatureValue = expect(der, outerAlgorithm.end(), list.end(), 0x03, "signatureValue");
        if (signatureValue.end() != list.end()) {
            throw new IOException("the CertificateList has more than tbsCertList, signatureAlgorithm and signatureValue");
        }

        int p = tbs.contentStart();
        Tlv t = tlv(der, p, tbs.end(), "tbsCertList's signature");
        if (t.tag() == INTEGER) {
            int version = ASN1Integer.getInstance(ASN1Primitive.fromByteArray(t.encoded(der))).intValueExact();
            if (version != 1) {
                throw new IOException("version is " + (version + 1) + "; a CRL with extensions is v2");
            }
            p = t.end();
            t = tlv(der, p, tbs.end(), "tbsCertList's signature");
        }
        if (t.tag() != SEQUENCE) {
            throw new IOException("tbsCertList's signature is not an AlgorithmIdentifier");
        }
        AlgorithmIdentifier tbsSignature = AlgorithmIdentifier.getInstance(ASN1Primitive.fromByteArray(t.encoded(der)));
        Tlv issuer = expect(der, t.end(), tbs.end(), SEQUENCE, "issuer");
        Tlv thisUpdate = tlv(der, issuer.end(), tbs.end(), "thisUpdate");
        if (thisUpdate.tag() != UTC_TIME && thisUpdate.tag() != GENERALIZED_TIME) {
            throw new IOException("thisUpdate is not a UTCTime or GeneralizedTime");
        }
        p = thisUpdate.end();
        Instant nextUpdate = null;
        if (p < tbs.end() && ((der[p] & 0xff) == UTC_TIME || (der[p] & 0xff) == GENERALIZED_TIME)) {
            Tlv next = tlv(der, p, tbs.end(), "nextUpdate");
            nextUpdate = time(der, next);
            p = next.end();
        }
        long entries = 0;
        if (p < tbs.end() && (der[p] & 0xff) == SEQUENCE) {
            Tlv revoked = tlv(der, p, tbs.end(), "revokedCertificates");
            for (int e = revoked.contentStart(); e < revoked.end(); ) {
                e = entry(der, e, revoked.end(), entries);
                entries++;
            }
            if (entries == 0) {
                // RFC 5280 §5.1.2.6: when there are no revoked certificates, the list MUST be absent.
                throw new IOException("revokedCertificates is present but empty");
            }
            p = revoked.end();
        }
        Extensions extensions = null;
        if (p < tbs.end()) {
            Tlv ext = expect(der, p, tbs.end(), EXTENSIONS, "crlExtensions");
            Tlv inner = expect(der, ext.contentStart(), ext.end(), SEQUENCE, "crlExtensions");
            if (inner.end() != ext.end()) {
                throw new IOException("crlExtensions has more than its Extensions");
            }
            extensions = Extensions.getInstance(ASN1Primitive.fromByteArray(inner.encoded(der)));
            p = ext.end();
        }
        if (p != tbs.end()) {
            throw new IOException("tbsCertList has content after its crlExtensions");
        }
        ASN1BitString bits = ASN1BitString.getInstance(ASN1Primitive.fromByteArray(signatureValue.encoded(der)));
        if (bits.getPadBits() != 0) {
            throw new IOException("signatureValue has unused bits");
        }
        return new CrlHeader(der, tbs.start(), tbs.end(), tbsSignature,
                AlgorithmIdentifier.getInstance(ASN1Primitive.fromByteArray(outerAlgorithm.encoded(der))), bits.getOctets(),
                X500Name.getInstance(ASN1Primitive.fromByteArray(issuer.encoded(der))), time(der, thisUpdate), nextUpdate,
                extensions, entries);
    }

    /**
     * One revokedCertificates entry: SEQUENCE { INTEGER, Time, Extensions OPTIONAL }; where the next one starts. Walked
     * with offsets only (no object per entry: a CRL of millions of entries allocates nothing here).
     */
    private static int entry(byte[] der, int at, int limit, long index) throws IOException {
        try {
            int content = contentStart(der, at, limit, SEQUENCE, "is not a SEQUENCE");
            int end = endOf(der, at, limit);
            int serialStart = contentStart(der, content, end, INTEGER, "userCertificate is not an INTEGER");
            int serialEnd = endOf(der, content, end);
            if (serialEnd == serialStart) {
                throw new IOException("userCertificate is empty");
            }
            int tag = serialEnd < end ? der[serialEnd] & 0xff : -1;
            if (tag != UTC_TIME && tag != GENERALIZED_TIME) {
                throw new IOException("revocationDate is not a UTCTime or GeneralizedTime");
            }
            int p = endOf(der, serialEnd, end);
            if (p < end) {
                contentStart(der, p, end, SEQUENCE, "crlEntryExtensions is not a SEQUENCE");
                p = endOf(der, p, end);
            }
            if (p != end) {
                throw new IOException("has content after its crlEntryExtensions");
            }
            return end;
        } catch (IOException e) {
            throw new IOException("revokedCertificates entry " + index + " (at byte " + at + "): " + e.getMessage(), e);
        }
    }

    /** The content offset of the element at {@code at}, which must have this tag. */
    private static int contentStart(byte[] der, int at, int limit, int tag, String otherwise) throws IOException {
        if (at >= limit || (der[at] & 0xff) != tag) {
            throw new IOException(otherwise);
        }
        return at + 2 + ((der[at + 1] & 0x80) == 0 ? 0 : der[at + 1] & 0x7f);
    }

    /** The end offset of the element at {@code at}, its length checked as {@link #tlv} does. */
    private static int endOf(byte[] der, int at, int limit) throws IOException {
        if (at + 2 > limit) {
            throw new IOException("an element is cut short");
        }
        int first = der[at + 1] & 0xff;
        if (first < 0x80) {
            if (at + 2 + first > limit) {
                throw new IOException("an element claims " + first + " bytes, more than are there");
            }
            return at + 2 + first;
        }
        return tlv(der, at, limit, "an element").end();
    }

    private static Instant time(byte[] der, Tlv t) throws IOException {
        return Time.getInstance(ASN1Primitive.fromByteArray(t.encoded(der))).getDate().toInstant();
    }

    Extension extension(org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
        return extensions == null ? null : extensions.getExtension(oid);
    }

    /**
     * Whether the signature verifies over the tbsCertList's bytes with this verifier, the algorithm being the one named
     * both inside the tbsCertList and outside it (RFC 5280 §5.1.1.2: the two MUST be the same).
     */
    boolean verifies(ContentVerifierProvider verifiers) {
        if (!tbsSignature.equals(signatureAlgorithm)) {
            return false;
        }
        try {
            ContentVerifier v = verifiers.get(signatureAlgorithm);
            try (OutputStream out = v.getOutputStream()) {
                out.write(der, tbsStart, tbsEnd - tbsStart);
            }
            return v.verify(signature);
        } catch (Exception e) {
            return false;
        }
    }
}
