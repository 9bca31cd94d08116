package dev.shomei.ca.crl;

import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERTaggedObject;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;

/**
 * Encodes and signs an X.509 v2 CRL (RFC 5280 §5.1) without building it as one object in memory:
 * revoked entries are DER-encoded by hand into 1 MiB chunks as they stream in (about 40 bytes each),
 * and the to-be-signed bytes are streamed through the signer and then to the output. A million
 * entries take about 40 MB of chunks and no per-entry objects.
 *
 * <p>Zone: secure. Pure encoding; the signature comes from the {@link Signer}.
 */
public final class StreamingCrlEncoder {

    private static final int CHUNK = 1 << 20;
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME =
            DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
    /** crlEntryExtensions with one reasonCode extension (OID 2.5.29.21), less the final ENUMERATED value byte. */
    private static final byte[] REASON_PREFIX = {0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01};

    private final byte[] issuerName;
    private final Instant thisUpdate;
    private final Instant nextUpdate;
    private final BigInteger crlNumber;
    private final byte[] authorityKeyId;
    private final byte[] issuingDistributionPoint;
    private final int chunkSize;
    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] current;
    private int position;
    /** Where full chunks go instead of the heap, once {@link #spillTo} named a file; null: kept in memory. */
    private java.nio.file.Path spill;
    private long entriesLength;
    private int entries;

    /**
     * @param issuerName     the issuer's subject, DER, exactly as in its certificate (RFC 5280 §5.1.2.3)
     * @param authorityKeyId the issuer's subject key identifier (RFC 5280 §5.2.1: AKI is required)
     */
    public StreamingCrlEncoder(byte[] issuerName, Instant thisUpdate, Instant nextUpdate, BigInteger crlNumber,
                               byte[] authorityKeyId) {
        this(issuerName, thisUpdate, nextUpdate, crlNumber, authorityKeyId, null, CHUNK);
    }

    /**
     * A CRL with a scope of its own (a shard of a partitioned CRL).
     *
     * @param issuingDistributionPoint DER of the IssuingDistributionPoint, added as a critical extension
     *        (RFC 5280 §5.2.5), or null for a full CRL
     * @param chunkSize bytes per chunk of encoded entries: small for the many shards built at once, so that their
     *        first chunks do not add up
     */
    public StreamingCrlEncoder(byte[] issuerName, Instant thisUpdate, Instant nextUpdate, BigInteger crlNumber,
                               byte[] authorityKeyId, byte[] issuingDistributionPoint, int chunkSize) {
        this.issuerName = issuerName.clone();
        this.thisUpdate = thisUpdate;
        this.nextUpdate = nextUpdate;
        this.crlNumber = crlNumber;
        this.authorityKeyId = authorityKeyId.clone();
        this.issuingDistributionPoint = issuingDistributionPoint == null ? null : issuingDistributionPoint.clone();
        this.chunkSize = chunkSize;
        this.current = new byte[chunkSize];
    }

    /**
     * From now on, each full chunk of encoded entries is appended to {@code file} instead of being kept on the heap,
     * so the heap holds one chunk whatever the number of entries (5M revocations are 200 MB of entries). The
     * caller deletes the file after {@link #writeSigned}. Returns this encoder.
     */
    public StreamingCrlEncoder spillTo(java.nio.file.Path file) {
        this.spill = file;
        return this;
    }

    /** Adds one revoked certificate; reason 0 (unspecified) is left out, as RFC 5280 §5.3.1 advises. */
    public void add(BigInteger serial, Instant revokedAt, int reason) {
        byte[] serialBytes = serial.toByteArray();
        byte[] time = time(revokedAt);
        int serialTlv = 1 + lengthOfLength(serialBytes.length) + serialBytes.length;
        int bodyLength = serialTlv + time.length + (reason == 0 ? 0 : REASON_PREFIX.length + 1);
        ensure(1 + lengthOfLength(bodyLength) + bodyLength);
        put((byte) 0x30);
        putLength(bodyLength);
        put((byte) 0x02);
        putLength(serialBytes.length);
        put(serialBytes);
        put(time);
        if (reason != 0) {
            put(REASON_PREFIX);
            put((byte) reason);
        }
        entriesLength += 1 + lengthOfLength(bodyLength) + bodyLength;
        entries++;
    }

    public int entries() {
        return entries;
    }

    /** Signs the CRL and writes its DER to {@code out}. Returns the number of bytes written. */
    public long writeSigned(Signer signer, OutputStream out) throws IOException {
        byte[] head = tbsHead(signer);
        byte[] revokedHeader = entries == 0 ? new byte[0] : header(0x30, entriesLength);
        byte[] tail = extensions();
        long tbsBodyLength = head.length + revokedHeader.length + entriesLength + tail.length;
        byte[] tbsHeader = header(0x30, tbsBodyLength);
        Signer.Content tbs = o -> {
            o.write(tbsHeader);
            o.write(head);
            o.write(revokedHeader);
            writeEntries(o);
            o.write(tail);
        };
        byte[] signature = signer.sign(tbs);
        byte[] algId = signer.algorithm().algorithmIdentifier().getEncoded(ASN1Encoding.DER);
        ByteArrayOutputStream sigTlv = new ByteArrayOutputStream(signature.length + 8);
        sigTlv.write(header(0x03, signature.length + 1));
        sigTlv.write(0); // no unused bits
        sigTlv.write(signature);
        long tbsTotal = tbsHeader.length + tbsBodyLength;
        long total = tbsTotal + algId.length + sigTlv.size();
        byte[] outer = header(0x30, total);
        out.write(outer);
        tbs.writeTo(out);
        out.write(algId);
        sigTlv.writeTo(out);
        return outer.length + total;
    }

    private void writeEntries(OutputStream o) throws IOException {
        if (spill != null && java.nio.file.Files.exists(spill)) {
            java.nio.file.Files.copy(spill, o);
        }
        for (byte[] chunk : chunks) {
            o.write(chunk);
        }
        o.write(current, 0, position);
    }

    /** version, signature, issuer, thisUpdate, nextUpdate (RFC 5280 §5.1.2.1–§5.1.2.5). */
    private byte[] tbsHead(Signer signer) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        b.write(new ASN1Integer(1).getEncoded(ASN1Encoding.DER)); // v2
        b.write(signer.algorithm().algorithmIdentifier().getEncoded(ASN1Encoding.DER));
        b.write(issuerName);
        b.write(time(thisUpdate));
        b.write(time(nextUpdate));
        return b.toByteArray();
    }

    /**
     * crlExtensions [0]: authorityKeyIdentifier and cRLNumber (RFC 5280 §5.2.1, §5.2.3), and for a shard its
     * issuingDistributionPoint, critical (§5.2.5).
     */
    private byte[] extensions() throws IOException {
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new Extension(Extension.authorityKeyIdentifier, false,
                new AuthorityKeyIdentifier(authorityKeyId).getEncoded(ASN1Encoding.DER)));
        v.add(new Extension(Extension.cRLNumber, false, new CRLNumber(crlNumber).getEncoded(ASN1Encoding.DER)));
        if (issuingDistributionPoint != null) {
            v.add(new Extension(Extension.issuingDistributionPoint, true, issuingDistributionPoint));
        }
        Extensions ext = Extensions.getInstance(new DERSequence(v));
        return new DERTaggedObject(true, 0, ext).getEncoded(ASN1Encoding.DER);
    }

    /** RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050. */
    static byte[] time(Instant t) {
        boolean utc = t.atZone(ZoneOffset.UTC).getYear() < 2050;
        byte[] text = (utc ? UTC_TIME : GENERALIZED_TIME).format(t).getBytes(StandardCharsets.US_ASCII);
        byte[] tlv = new byte[2 + text.length];
        tlv[0] = (byte) (utc ? 0x17 : 0x18);
        tlv[1] = (byte) text.length;
        System.arraycopy(text, 0, tlv, 2, text.length);
        return tlv;
    }

    static byte[] header(int tag, long length) {
        int n = lengthOfLength(length);
        byte[] h = new byte[1 + n];
        h[0] = (byte) tag;
        if (n == 1) {
            h[1] = (byte) length;
        } else {
            h[1] = (byte) (0x80 | (n - 1));
            for (int i = 0; i < n - 1; i++) {
                h[n - i] = (byte) (length >>> (8 * i));
            }
        }
        return h;
    }

    private static int lengthOfLength(long length) {
        if (length < 0x80) {
            return 1;
        }
        int bytes = 0;
        for (long l = length; l > 0; l >>>= 8) {
            bytes++;
        }
        return 1 + bytes;
    }

    private void ensure(int n) {
        if (position + n > current.length && spill != null && n <= current.length) {
            try (OutputStream out = java.nio.file.Files.newOutputStream(spill, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND)) {
                out.write(current, 0, position);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write the CRL's entries to " + spill + ": "
                        + e.getMessage(), e);
            }
            position = 0;
            return;
        }
        if (position + n > current.length) {
            byte[] full = new byte[position];
            System.arraycopy(current, 0, full, 0, position);
            chunks.add(full);
            current = new byte[Math.max(chunkSize, n)];
            position = 0;
        }
    }

    private void put(byte b) {
        current[position++] = b;
    }

    private void put(byte[] b) {
        System.arraycopy(b, 0, current, position, b.length);
        position += b.length;
    }

    private void putLength(int length) {
        put(header(0, length), 1);
    }

    private void put(byte[] b, int from) {
        System.arraycopy(b, from, current, position, b.length - from);
        position += b.length - from;
    }
}
