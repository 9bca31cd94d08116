package dev.shomei.evidence;

import java.util.List;

/**
 * The layout of an evidence package (format {@value #FORMAT}): one directory per decision, every file exactly as
 * the RA, the CA or J-LIS produced it, so that each can be re-verified offline (docs/export-formats.md).
 *
 * <pre>
 * manifest.json          format, decision id, subject, the files with their SHA-256, audit sequence numbers
 * decision.json          the DECISION book entry, byte for byte (its SHA-256 is what the order and the audit log name)
 * application.cms        the signed application as received (CMS SignedData, RFC 5652)
 * jpki-certificate.der   the JPKI signing certificate that signed it
 * jlis-ca.der            the pinned J-LIS signing CA generation it chains to
 * jlis-response.der      J-LIS's answer the decision rests on: an OCSPResponse (RFC 6960) or a CRL (RFC 5280)
 * policy.json            the approval policy file whose SHA-256 the system decider names
 * order-bundle.cms       the RA-signed order bundle carrying the order (approvals only)
 * result-bundle.cms      the CA-signed result bundle answering it
 * certificate.der        the certificate issued
 * issuing-ca.der         the issuing CA certificate (compare its SHA-256 with the published CA hash value)
 * subscriber-certificate.der   the second route (renewal, revocation signed with a certificate of this CA): the
 *                        subscriber certificate that signed the request
 * subscriber-issuing-ca.der    the issuing CA certificate it chains to (compare with the published CA hash value)
 * subscriber-crl.der     the CA's latest CRL of that issuing key when exported: the signer's status at signing time
 * key-device.json        where the subscriber key lives as the application stated it, and the channel the request
 *                        came through (client, version, User-Agent, address), as the RA recorded them on receipt
 * notices.json           the out-of-band notices of the acts on this subject (issuance, renewal, revocation): what
 *                        was sent to whom and when, the digest of the message, and the NOTICE book entries
 * audit/ra-checkpoint.txt, audit/ra-entry.jsonl   the RA's audit entry of the decision, with its RFC 9162
 *                        inclusion proof into that signed checkpoint (audit-log's export format)
 * audit/ca-checkpoint.txt, audit/ca-entry.jsonl   the CA's certificate.issued entry, likewise
 * keys/ra-audit.pem, keys/ca-audit.pem            the checkpoint keys as the exporter knew them (an auditor
 *                        should pass the published ones instead)
 * </pre>
 *
 * <p>Zone: all. Constants only.
 */
public final class EvidencePackage {

    public static final String FORMAT = "shomei-evidence-package/v1";

    public static final String MANIFEST = "manifest.json";
    public static final String DECISION = "decision.json";
    public static final String APPLICATION = "application.cms";
    public static final String JPKI_CERTIFICATE = "jpki-certificate.der";
    public static final String JLIS_CA = "jlis-ca.der";
    public static final String JLIS_RESPONSE = "jlis-response.der";
    public static final String POLICY = "policy.json";
    public static final String ORDER_BUNDLE = "order-bundle.cms";
    public static final String RESULT_BUNDLE = "result-bundle.cms";
    public static final String CERTIFICATE = "certificate.der";
    public static final String ISSUING_CA = "issuing-ca.der";
    public static final String SUBSCRIBER_CERTIFICATE = "subscriber-certificate.der";
    public static final String SUBSCRIBER_ISSUING_CA = "subscriber-issuing-ca.der";
    public static final String SUBSCRIBER_CRL = "subscriber-crl.der";
    public static final String RA_CHECKPOINT = "audit/ra-checkpoint.txt";
    public static final String RA_ENTRY = "audit/ra-entry.jsonl";
    public static final String CA_CHECKPOINT = "audit/ca-checkpoint.txt";
    public static final String CA_ENTRY = "audit/ca-entry.jsonl";
    public static final String RA_AUDIT_KEY = "keys/ra-audit.pem";
    public static final String CA_AUDIT_KEY = "keys/ca-audit.pem";
    public static final String KEY_DEVICE = "key-device.json";
    public static final String NOTICES = "notices.json";

    public static final List<String> FILES = List.of(DECISION, APPLICATION, JPKI_CERTIFICATE, JLIS_CA, JLIS_RESPONSE,
            POLICY, ORDER_BUNDLE, RESULT_BUNDLE, CERTIFICATE, ISSUING_CA, SUBSCRIBER_CERTIFICATE, SUBSCRIBER_ISSUING_CA,
            SUBSCRIBER_CRL, RA_CHECKPOINT, RA_ENTRY, CA_CHECKPOINT,
            CA_ENTRY, RA_AUDIT_KEY, CA_AUDIT_KEY, KEY_DEVICE, NOTICES);

    private EvidencePackage() {}
}
