package dev.shomei.ra.console;

import dev.shomei.ra.ConfiguredFile;
import dev.shomei.ra.console.Views.Fact;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CertificatePolicies;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.PolicyInformation;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Turns the evidence a decision rests on (the JPKI certificate, J-LIS's OCSP response or CRL, the CSR) into labelled
 * values an officer can read. It only reads what is stored: the checks themselves were made, and recorded, when the
 * application was received; nothing here decides.
 *
 * <p>Zone: online (ra-service), console. Pure parsing; no I/O.
 */
final class EvidenceReading {

    private EvidenceReading() {}

    /** The certificate's serial, issuer, validity, policies (JPKI.md) and SHA-256. */
    static List<Fact> certificate(byte[] der) {
        List<Fact> out = new ArrayList<>();
        if (der == null) {
            return out;
        }
        try {
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            out.add(new Fact("serialNumber", c.getSerialNumber().toString(16)));
            out.add(new Fact("issuer", c.getIssuerX500Principal().getName()));
            out.add(new Fact("subject", c.getSubjectX500Principal().getName()));
            out.add(new Fact("notBefore", c.getNotBefore().toInstant().toString()));
            out.add(new Fact("notAfter", c.getNotAfter().toInstant().toString()));
            byte[] policies = c.getExtensionValue(Extension.certificatePolicies.getId());
            if (policies != null) {
                CertificatePolicies p = CertificatePolicies.getInstance(
                        ASN1OctetString.getInstance(policies).getOctets());
                List<String> oids = new ArrayList<>();
                for (PolicyInformation i : p.getPolicyInformation()) {
                    oids.add(i.getPolicyIdentifier().getId());
                }
                out.add(new Fact("certificatePolicies", String.join(", ", oids)));
            }
            out.add(new Fact("SHA-256", ConfiguredFile.sha256Hex(der)));
        } catch (Exception e) {
            out.add(new Fact("error", "unreadable certificate: " + e.getMessage()));
        }
        return out;
    }

    /** J-LIS's OCSP response (RFC 6960 4.2.1): who answered, when, and what for the certificate. */
    static List<Fact> ocsp(byte[] der) {
        List<Fact> out = new ArrayList<>();
        try {
            OCSPResp resp = new OCSPResp(der);
            out.add(new Fact("responseStatus", String.valueOf(resp.getStatus())));
            if (resp.getResponseObject() instanceof BasicOCSPResp b) {
                var rid = b.getResponderId().toASN1Primitive();
                out.add(new Fact("responderID", rid.getName() != null ? rid.getName().toString()
                        : "key hash " + java.util.HexFormat.of().formatHex(rid.getKeyHash())));
                out.add(new Fact("producedAt", b.getProducedAt().toInstant().toString()));
                out.add(new Fact("signatureAlgorithm", b.getSignatureAlgOID().getId()));
                for (SingleResp s : b.getResponses()) {
                    out.add(new Fact("serialNumber", s.getCertID().getSerialNumber().toString(16)));
                    CertificateStatus st = s.getCertStatus();
                    out.add(new Fact("certStatus", st == CertificateStatus.GOOD ? "good"
                            : st instanceof RevokedStatus r ? "revoked at " + r.getRevocationTime().toInstant()
                            : "unknown"));
                    out.add(new Fact("thisUpdate", s.getThisUpdate().toInstant().toString()));
                    out.add(new Fact("nextUpdate", s.getNextUpdate() == null ? "(absent)"
                            : s.getNextUpdate().toInstant().toString()));
                }
            }
        } catch (Exception e) {
            out.add(new Fact("error", "unreadable OCSP response: " + e.getMessage()));
        }
        return out;
    }

    /** J-LIS's CRL (RFC 5280 5.1): issuer, number, validity, and whether it lists the JPKI certificate. */
    static List<Fact> crl(byte[] der, String jpkiSerialHex) {
        List<Fact> out = new ArrayList<>();
        try {
            X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(der));
            out.add(new Fact("issuer", crl.getIssuerX500Principal().getName()));
            byte[] number = crl.getExtensionValue(Extension.cRLNumber.getId());
            if (number != null) {
                out.add(new Fact("cRLNumber", ASN1Integer.getInstance(ASN1OctetString.getInstance(number).getOctets())
                        .getValue().toString()));
            }
            out.add(new Fact("thisUpdate", crl.getThisUpdate().toInstant().toString()));
            out.add(new Fact("nextUpdate", crl.getNextUpdate() == null ? "(absent)"
                    : crl.getNextUpdate().toInstant().toString()));
            out.add(new Fact("revokedCertificates", String.valueOf(crl.getRevokedCertificates() == null ? 0
                    : crl.getRevokedCertificates().size())));
            if (jpkiSerialHex != null) {
                out.add(new Fact("lists " + jpkiSerialHex, String.valueOf(
                        crl.getRevokedCertificate(new BigInteger(jpkiSerialHex, 16)) != null)));
            }
        } catch (Exception e) {
            out.add(new Fact("error", "unreadable CRL: " + e.getMessage()));
        }
        return out;
    }

    /**
     * The subscriber key the CSR carries (RFC 2986), which is all the certificate takes from it: the subject is
     * shown only so that an officer sees it is not used (docs/identity.md).
     */
    static List<Fact> csr(byte[] der) {
        List<Fact> out = new ArrayList<>();
        if (der == null) {
            return out;
        }
        try {
            PKCS10CertificationRequest r = new PKCS10CertificationRequest(der);
            SubjectPublicKeyInfo spki = r.getSubjectPublicKeyInfo();
            ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
            if (alg.getId().equals("1.2.840.10045.2.1")) {
                ASN1ObjectIdentifier curve = ASN1ObjectIdentifier.getInstance(spki.getAlgorithm().getParameters());
                String name = ECNamedCurveTable.getName(curve);
                out.add(new Fact("key", "EC " + (name == null ? curve.getId() : name)));
            } else if (alg.getId().equals("1.2.840.113549.1.1.1")) {
                RSAPublicKey k = (RSAPublicKey) java.security.KeyFactory.getInstance("RSA")
                        .generatePublic(new java.security.spec.X509EncodedKeySpec(spki.getEncoded()));
                out.add(new Fact("key", "RSA " + k.getModulus().bitLength() + " bits"));
            } else {
                out.add(new Fact("key", alg.getId()));
            }
            out.add(new Fact("subjectPublicKeyInfo SHA-256", ConfiguredFile.sha256Hex(spki.getEncoded())));
            out.add(new Fact("signatureAlgorithm", r.getSignatureAlgorithm().getAlgorithm().getId()));
            out.add(new Fact("subject (not used)", r.getSubject().toString()));
            out.add(new Fact("CSR SHA-256", ConfiguredFile.sha256Hex(der)));
        } catch (Exception e) {
            out.add(new Fact("error", "unreadable CSR: " + e.getMessage()));
        }
        return out;
    }
}
