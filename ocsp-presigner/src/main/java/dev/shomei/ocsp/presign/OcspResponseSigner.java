package dev.shomei.ocsp.presign;

import dev.shomei.pkcs11.Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.oiw.OIWObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPRespBuilder;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPRespBuilder;
import org.bouncycastle.cert.ocsp.RespID;
import org.bouncycastle.cert.ocsp.RevokedStatus;

/**
 * Builds and signs one OCSP response (RFC 6960 §4.2) for one serial of the issuing CA, in the lightweight
 * profile of RFC 5019 for responses served from a CDN. Needs only the serial and its status: the certificate
 * itself is never parsed, so pre-signing a million certificates reads three columns per row.
 *
 * <p>Zone: secure. Signs through the responder's {@link Signer} (a delegated key in the HSM); thread-safe.
 */
public final class OcspResponseSigner {

    /** RFC 5019 §2.1.1: clients use SHA-1 for the CertID hashes, so pre-signed responses must match them. */
    private static final AlgorithmIdentifier SHA1 = new AlgorithmIdentifier(OIWObjectIdentifiers.idSHA1, DERNull.INSTANCE);

    private final Signer responder;
    private final RespID responderId;
    private final X509CertificateHolder[] certs;
    private final DEROctetString issuerNameHash;
    private final DEROctetString issuerKeyHash;

    public OcspResponseSigner(Signer responder, X509Certificate issuer) {
        this.responder = responder;
        try {
            // RFC 6960 §4.2.2.3: ResponderID byKey, the SHA-1 of the responder's key BIT STRING (the lightweight
            // profile, RFC 9919, has responders use byKey).
            this.responderId = new RespID(new ResponderID(new DEROctetString(keyHash(responder.certificate()))));
            // RFC 6960 §4.2.1: certs helps the client verify the response; a delegated responder must send its
            // certificate (§4.2.2.2), the issuing CA's certificate the client already has.
            this.certs = new X509CertificateHolder[] {new X509CertificateHolder(responder.certificate().getEncoded())};
            // RFC 6960 §4.1.1: issuerNameHash over the issuer's DER name, issuerKeyHash over its key BIT STRING.
            this.issuerNameHash = new DEROctetString(sha1(issuer.getSubjectX500Principal().getEncoded()));
            byte[] keyHash = keyHash(issuer);
            this.issuerKeyHash = new DEROctetString(keyHash);
        } catch (IOException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode the responder or issuer certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Signs a response for one serial. {@code revokedAt == null} means good. No nonce: a pre-produced response
     * cannot echo one (RFC 5019 §4, RFC 9919); producedAt is thisUpdate (RFC 5019 §2.2.4).
     */
    public byte[] sign(BigInteger serial, Instant revokedAt, int reasonCode, Instant thisUpdate, Instant nextUpdate) {
        CertificateID id = new CertificateID(new CertID(SHA1, issuerNameHash, issuerKeyHash, new ASN1Integer(serial)));
        CertificateStatus status = CertificateStatus.GOOD;
        if (revokedAt != null) {
            // RFC 5280 §5.3.1: the reason code is omitted rather than given as unspecified (0).
            status = new RevokedStatus(new RevokedInfo(new ASN1GeneralizedTime(Date.from(revokedAt)),
                    reasonCode == CRLReason.unspecified ? null : CRLReason.lookup(reasonCode)));
        }
        try {
            BasicOCSPRespBuilder b = new BasicOCSPRespBuilder(responderId);
            b.addResponse(id, status, Date.from(thisUpdate), Date.from(nextUpdate));
            return new OCSPRespBuilder().build(OCSPRespBuilder.SUCCESSFUL,
                    b.build(new SignerContentSigner(responder), certs, Date.from(thisUpdate))).getEncoded();
        } catch (OCSPException | IOException e) {
            throw new IllegalStateException("cannot build the OCSP response for serial " + serial.toString(16) + ": "
                    + e.getMessage(), e);
        }
    }

    /** SHA-1 of a certificate's public key BIT STRING (RFC 6960 §4.1.1 issuerKeyHash, byKey ResponderID). */
    public static byte[] keyHash(X509Certificate cert) {
        return sha1(SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded()).getPublicKeyData().getBytes());
    }

    static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
