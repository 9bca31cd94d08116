package dev.shomei.publisher.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

import dev.shomei.publisher.TestPki;

/**
 * The publisher's CRL reader against CRLs built and read by others (Bouncy Castle's builder, the JDK's parser): the
 * same fields, the signature over the file's own tbsCertList bytes, malformed DER refused with the place named, and a
 * large CRL read without an object per entry.
 */
class CrlHeaderTest {

    static final TestPki PKI = new TestPki();
    static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    static byte[] crl(int entries, boolean nextUpdate, boolean extensions) throws Exception {
        X500Name issuer = X500Name.getInstance(PKI.issuing.certificate().getSubjectX500Principal().getEncoded());
        X509v2CRLBuilder b = new X509v2CRLBuilder(issuer, Date.from(NOW));
        if (nextUpdate) {
            b.setNextUpdate(Date.from(NOW.plus(1, ChronoUnit.DAYS)));
        }
        if (extensions) {
            b.addExtension(Extension.cRLNumber, false, new ASN1Integer(42));
        }
        for (int i = 0; i < entries; i++) {
            // Serials of 16 random-looking bytes, every third entry with a reason code (crlEntryExtensions).
            BigInteger serial = BigInteger.valueOf(i).multiply(new BigInteger("9e3779b97f4a7c15f39cc0605cedc835", 16)).setBit(126);
            if (i % 3 == 0) {
                b.addCRLEntry(serial, Date.from(NOW.minusSeconds(i)), CRLReason.keyCompromise);
            } else {
                b.addCRLEntry(serial, Date.from(NOW.minusSeconds(i)), (org.bouncycastle.asn1.x509.Extensions) null);
            }
        }
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(PKI.issuing.keys().getPrivate())).getEncoded();
    }

    static boolean verifies(CrlHeader h) throws Exception {
        return h.verifies(BundleVerifier.verifierFor(PKI.issuing.certificate()));
    }

    @Test
    void readsWhatTheJdkReadsAndVerifiesTheSignature() throws Exception {
        byte[] der = crl(1_000, true, true);
        CrlHeader h = CrlHeader.parse(der);
        X509CRL jdk = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        jdk.verify(PKI.issuing.certificate().getPublicKey());
        assertThat(h.entries).isEqualTo(jdk.getRevokedCertificates().size()).isEqualTo(1_000);
        assertThat(h.thisUpdate).isEqualTo(jdk.getThisUpdate().toInstant());
        assertThat(h.nextUpdate).isEqualTo(jdk.getNextUpdate().toInstant());
        assertThat(h.issuer).isEqualTo(X500Name.getInstance(jdk.getIssuerX500Principal().getEncoded()));
        assertThat(ASN1Integer.getInstance(h.extension(Extension.cRLNumber).getParsedValue()).getValue()).isEqualTo(42);
        assertThat(verifies(h)).isTrue();
        assertThat(h.verifies(BundleVerifier.verifierFor(new TestPki("Other").issuing.certificate()))).isFalse();
    }

    @Test
    void readsACrlWithoutEntriesNextUpdateOrExtensions() throws Exception {
        CrlHeader h = CrlHeader.parse(crl(0, false, false));
        assertThat(h.entries).isZero();
        assertThat(h.nextUpdate).isNull();
        assertThat(h.extension(Extension.cRLNumber)).isNull();
        assertThat(verifies(h)).isTrue();
    }

    @Test
    void aChangedEntryBreaksTheSignature() throws Exception {
        byte[] der = crl(100, true, true);
        byte[] changed = der.clone();
        // The last byte of entry 50's serial: still a well-formed CRL, but not the one that was signed.
        int entry = entryAt(der, 50);
        int serialLength = der[entry + 3];
        changed[entry + 4 + serialLength - 1] ^= 0x01;
        CrlHeader h = CrlHeader.parse(changed);
        assertThat(h.entries).isEqualTo(100);
        assertThat(verifies(h)).isFalse();
    }

    @Test
    void malformedDerIsRefusedNamingWhere() throws Exception {
        byte[] der = crl(10, true, true);
        byte[] trailing = java.util.Arrays.copyOf(der, der.length + 1);
        assertThatThrownBy(() -> CrlHeader.parse(trailing)).isInstanceOf(IOException.class).hasMessageContaining("1 bytes follow");
        assertThatThrownBy(() -> CrlHeader.parse(java.util.Arrays.copyOf(der, der.length - 1))).isInstanceOf(IOException.class)
                .hasMessageContaining("CertificateList claims");
        // An entry's INTEGER retagged as an OCTET STRING: the entry is named.
        byte[] retagged = der.clone();
        int entry = entryAt(der, 0);
        retagged[entry + 2] = 0x04;
        assertThatThrownBy(() -> CrlHeader.parse(retagged)).isInstanceOf(IOException.class)
                .hasMessageContaining("revokedCertificates entry 0 (at byte " + entry + "): userCertificate is not an INTEGER");
        assertThatThrownBy(() -> CrlHeader.parse(new byte[] {0x30, (byte) 0x80, 0, 0})).isInstanceOf(IOException.class)
                .hasMessageContaining("indefinite length is not DER");
        assertThat(new X509CRLHolder(der).getRevokedCertificates()).hasSize(10);
    }

    @Test
    void aLargeCrlIsCheckedWithoutAnObjectPerEntry() throws Exception {
        byte[] der = crl(100_000, true, true);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        var verifiers = BundleVerifier.verifierFor(PKI.issuing.certificate());
        assertThat(CrlHeader.parse(der).verifies(verifiers)).isTrue(); // warm
        long before = threads.getThreadAllocatedBytes(id);
        CrlHeader h = CrlHeader.parse(der);
        assertThat(h.verifies(verifiers)).isTrue();
        long ours = threads.getThreadAllocatedBytes(id) - before;
        // Bouncy Castle's holder verifies over a DER re-encoding of the tbsCertList, which decodes every entry.
        before = threads.getThreadAllocatedBytes(id);
        X509CRLHolder whole = new X509CRLHolder(der);
        assertThat(whole.isSignatureValid(verifiers)).isTrue();
        long decoded = threads.getThreadAllocatedBytes(id) - before;
        assertThat(h.entries).isEqualTo(whole.getRevokedCertificates().size());
        assertThat(ours).as("allocated checking %d bytes of DER; Bouncy Castle's decoding and verification allocated %d",
                der.length, decoded).isLessThan(der.length / 10);
        assertThat(decoded).isGreaterThan(5L * der.length);
    }

    /** Where revokedCertificates entry k starts (its SEQUENCE tag), found from Bouncy Castle's encoding of it. */
    private static int entryAt(byte[] der, int k) throws Exception {
        X509CRLHolder h = new X509CRLHolder(der);
        byte[] first = h.toASN1Structure().getTBSCertList().getRevokedCertificates()[k].getEncoded();
        outer:
        for (int i = 0; i + first.length <= der.length; i++) {
            for (int j = 0; j < first.length; j++) {
                if (der[i + j] != first[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalStateException("entry not found");
    }
}
