package dev.shomei.evidence;

import static dev.shomei.evidence.EvidencePackage.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shomei.audit.AuditEntry;
import dev.shomei.audit.AuditExport;
import dev.shomei.audit.AuditVerifier;
import dev.shomei.audit.Checkpoint;
import dev.shomei.audit.TrustedKeys;
import dev.shomei.audit.VerificationReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * The offline re-verifier: checks one evidence package with no database and no network. Trust starts from what
 * the auditor supplies (the published audit checkpoint keys, the J-LIS generation pins, the published CA hash
 * value, the RA order-signing certificate's SHA-256); every file of the package is then bound to the audited
 * decision by a signature or a digest, so that any changed byte fails a named check on a named file.
 *
 * <p>The chain: checkpoint signature → inclusion proof → audit entry → SHA-256 of decision.json → the digests
 * the decision names (signed application, JPKI certificate, J-LIS CA, J-LIS response, CSR, policy) → the
 * RA-signed order naming the decision's SHA-256 → the CA-signed result → the certificate, itself logged by the CA.
 *
 * <p>Zone: all (the auditor's machine). Reads only the package directory.
 */
public final class PackageVerifier {

    /** What the auditor trusts, from outside the package. Empty collections mean "not supplied" (a WARN). */
    public record Trust(Collection<PublicKey> raAuditKeys, Collection<PublicKey> caAuditKeys, Set<String> jlisCaPins,
                        Set<String> issuingCaPins, Set<String> raOrderSignerPins) {
        public static Trust none() {
            return new Trust(List.of(), List.of(), Set.of(), Set.of(), Set.of());
        }
    }

    /** The verdict: every check made, in order. */
    public record Verdict(Path directory, List<Check> checks) {
        public boolean ok() {
            return checks.stream().noneMatch(c -> c.status() == Check.Status.FAIL);
        }

        public List<Check> failures() {
            return checks.stream().filter(c -> c.status() == Check.Status.FAIL).toList();
        }

        public String render() {
            StringBuilder b = new StringBuilder("evidence package " + directory + "\n");
            checks.forEach(c -> b.append("  ").append(c).append('\n'));
            b.append(ok() ? "VERIFIED" : "FAILED: " + failures().size() + " check(s) failed").append('\n');
            return b.toString();
        }
    }

    /** The clock skew tolerated between J-LIS's thisUpdate and the RA's clock (as the RA itself allows). */
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Trust trust;

    public PackageVerifier(Trust trust) {
        this.trust = trust;
    }

    public Verdict verify(Path dir) {
        List<Check> checks = new ArrayList<>();
        try {
            run(dir, checks);
        } catch (Stop s) {
            // A check that the rest depends on failed; it is already in the list.
        }
        return new Verdict(dir, List.copyOf(checks));
    }

    /** Thrown after a failed check that later checks cannot do without. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    private void run(Path dir, List<Check> checks) {
        // Step 1: the manifest (a locator only: it says which file changed; the checks below are what proves).
        JsonNode manifest = json(dir, MANIFEST, checks);
        if (!FORMAT.equals(manifest.path("format").asText())) {
            checks.add(Check.fail(MANIFEST, "format", "expected " + FORMAT + ", found '" + manifest.path("format").asText() + "'"));
            throw new Stop();
        }
        JsonNode files = manifest.path("files");
        for (Iterator<String> it = files.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            byte[] bytes = read(dir, f);
            if (bytes == null) {
                checks.add(Check.fail(f, "present", "listed in the manifest but missing"));
                continue;
            }
            String d = Digests.sha256Hex(bytes);
            checks.add(Check.of(d.equals(files.get(f).asText()), f, "manifest-digest", "sha256 " + d,
                    "sha256 " + d + " differs from the manifest's " + files.get(f).asText() + ": the file was changed"));
        }

        // Step 2: the RA's audit log holds this decision: checkpoint signature, inclusion proof, detail digest.
        byte[] decisionBytes = required(dir, DECISION, checks);
        JsonNode decision = parse(decisionBytes, DECISION, checks);
        String decisionId = decision.path("decisionId").asText();
        checks.add(Check.of(decisionId.equals(manifest.path("decisionId").asText()), DECISION, "decision-id",
                decisionId, "decision " + decisionId + " is not the manifest's " + manifest.path("decisionId").asText()));
        String subject = decision.path("subjectKind").asText().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
                + ":" + decision.path("subjectId").asText();
        AuditEntry raEntry = auditEntry(dir, RA_CHECKPOINT, RA_ENTRY, RA_AUDIT_KEY, trust.raAuditKeys(), "RA", checks);
        checks.add(Check.of(MessageDigest.isEqual(raEntry.event().detailSha256(), Digests.sha256(decisionBytes)),
                DECISION, "audit-detail-digest", "its SHA-256 is the detail digest of RA audit entry " + raEntry.seq(),
                "its SHA-256 " + Digests.sha256Hex(decisionBytes) + " is not the detail digest "
                        + Digests.hex(raEntry.event().detailSha256()) + " of RA audit entry " + raEntry.seq()
                        + ": the decision record was changed"));
        checks.add(Check.of(subject.equals(raEntry.event().subject()), RA_ENTRY, "audit-subject", subject,
                "the audit entry is about '" + raEntry.event().subject() + "', not " + subject));
        JsonNode decider = decision.path("decider");
        var actor = raEntry.event().actor();
        checks.add(Check.of(actor.kind().name().equals(decider.path("kind").asText())
                        && actor.id().equals(decider.path("id").asText()), RA_ENTRY, "audit-actor",
                "decided by " + actor.kind() + " " + actor.id()
                        + (actor.authentication() != null ? " (" + actor.authentication() + ")" : ""),
                "the audit entry names " + actor.kind() + " " + actor.id() + ", the decision names "
                        + decider.path("kind").asText() + " " + decider.path("id").asText()));

        // Step 3: the decider and the policy replay.
        String outcome = decision.path("outcome").asText();
        List<String> codes = new ArrayList<>();
        decision.path("reasons").forEach(r -> codes.add(r.path("code").asText()));
        if ("SYSTEM".equals(decider.path("kind").asText())) {
            byte[] policy = required(dir, POLICY, checks);
            String digest = Digests.sha256Hex(policy);
            checks.add(Check.of(digest.equals(decider.path("policyDigest").asText()), POLICY, "policy-digest",
                    "sha256 " + digest + " is the decider's policyDigest",
                    "sha256 " + digest + " is not the policy digest " + decider.path("policyDigest").asText()
                            + " the decision names"));
            try {
                PolicyReplay replay = new PolicyReplay(policy);
                checks.add(Check.of(replay.label().equals(decider.path("policyId").asText()), POLICY, "policy-id",
                        replay.label(), "the file is " + replay.label() + ", the decision names "
                                + decider.path("policyId").asText()));
                PolicyReplay.Result r = replay.replay(codes, outcome);
                checks.add(Check.of(r.mismatch() == null, POLICY, "policy-replay",
                        "replaying findings " + codes + " gives " + r.replayed() + ", as recorded", r.mismatch()));
            } catch (IOException e) {
                checks.add(Check.fail(POLICY, "policy-replay", e.getMessage()));
            }
        } else {
            checks.add(Check.pass(DECISION, "decider",
                    "decided by officer " + decider.path("id").asText() + ", authenticated by "
                            + decider.path("authentication").asText("(not recorded)")
                            + "; an officer's judgement is not replayed: read the recorded reasons " + codes));
        }

        // Step 4: the signed application (or revocation request) as received, and the JPKI certificate that signed it.
        JsonNode evidence = decision.path("evidence");
        String signedField = evidence.has("signedApplicationSha256") ? "signedApplicationSha256" : "signedRequestSha256";
        byte[] content = null;
        X509Certificate jpki = null;
        if (!evidence.has(signedField)) {
            checks.add(Check.pass(DECISION, "request", "no signed request: an officer's act (" + subject + ")"));
        } else if ("JPKI".equals(evidence.path("route").asText("JPKI"))) {
            byte[] cms = required(dir, APPLICATION, checks);
            digestNamed(cms, APPLICATION, evidence, signedField, checks);
            byte[] jpkiDer = required(dir, JPKI_CERTIFICATE, checks);
            digestNamed(jpkiDer, JPKI_CERTIFICATE, evidence, "jpkiCertificateSha256", checks);
            jpki = certificate(jpkiDer, JPKI_CERTIFICATE, checks);
            content = cmsSignedBy(cms, APPLICATION, jpki, checks);

            // Step 5: the pinned J-LIS generation, and J-LIS's answer at the time.
            byte[] jlisDer = required(dir, JLIS_CA, checks);
            if (evidence.has("jpkiIssuerCertificateSha256")) {
                digestNamed(jlisDer, JLIS_CA, evidence, "jpkiIssuerCertificateSha256", checks);
            }
            pinned(jlisDer, JLIS_CA, trust.jlisCaPins(), "J-LIS generation pin (--jlis-pin)", checks);
            X509Certificate jlis = certificate(jlisDer, JLIS_CA, checks);
            signedBy(jpki, jlis, JPKI_CERTIFICATE, checks);
            jlisResponse(dir, evidence, decision.path("decidedAt").asText(), jpki, jlis, checks);
        } else {
            byte[] cms = required(dir, APPLICATION, checks);
            digestNamed(cms, APPLICATION, evidence, signedField, checks);
            content = subscriberSigned(dir, cms, evidence, decision.path("decidedAt").asText(), checks);
        }

        // Step 6: the CSR inside the signed application is the one the decision names.
        PKCS10CertificationRequest csr = null;
        if (content != null && "APPLICATION".equals(decision.path("subjectKind").asText())) {
            try {
                byte[] csrDer = Base64.getDecoder().decode(JSON.readTree(content).path("csr").asText());
                digestNamed(csrDer, APPLICATION, evidence, "csrSha256", checks);
                csr = new PKCS10CertificationRequest(csrDer);
            } catch (Exception e) {
                checks.add(Check.fail(APPLICATION, "csr", "the signed content holds no readable CSR: " + e.getMessage()));
            }
        }

        // Step 7: an approval became an RA-signed order naming this decision, and the CA's signed result.
        if (!"APPROVED".equals(outcome)) {
            for (String f : List.of(ORDER_BUNDLE, RESULT_BUNDLE, CERTIFICATE)) {
                if (read(dir, f) != null) {
                    checks.add(Check.fail(f, "not-approved", "the decision is " + outcome + ", yet the package holds " + f));
                }
            }
            return;
        }
        String orderId = manifest.path("orderId").asText();
        byte[] orderCms = required(dir, ORDER_BUNDLE, checks);
        byte[] orderContent = cmsSignedBy(orderCms, ORDER_BUNDLE, null, checks);
        if (orderContent == null) {
            throw new Stop();
        }
        pinnedSigner(orderCms, ORDER_BUNDLE, trust.raOrderSignerPins(), checks);
        JsonNode bundle = parse(orderContent, ORDER_BUNDLE, checks);
        JsonNode order = find(bundle.path("orders"), orderId);
        if (order == null) {
            checks.add(Check.fail(ORDER_BUNDLE, "order", "the bundle holds no order " + orderId));
            throw new Stop();
        }
        String decisionSha = Digests.sha256Hex(decisionBytes);
        checks.add(Check.of(decisionId.equals(order.path("decision").path("id").asText())
                        && decisionSha.equals(order.path("decision").path("sha256").asText()), ORDER_BUNDLE,
                "order-names-decision", "order " + orderId + " names decision " + decisionId + " sha256 " + decisionSha,
                "order " + orderId + " names decision " + order.path("decision").path("id").asText() + " sha256 "
                        + order.path("decision").path("sha256").asText() + ", not " + decisionId + " sha256 " + decisionSha));
        if (order.has("csr")) {
            String csrInOrder = Digests.sha256Hex(Base64.getDecoder().decode(order.path("csr").asText()));
            checks.add(Check.of(csrInOrder.equals(evidence.path("csrSha256").asText()), ORDER_BUNDLE, "order-csr",
                    "the order carries the application's CSR", "the order's CSR sha256 " + csrInOrder
                            + " is not the application's " + evidence.path("csrSha256").asText()));
        }

        byte[] issuingDer = required(dir, ISSUING_CA, checks);
        X509Certificate issuing = certificate(issuingDer, ISSUING_CA, checks);
        pinned(issuingDer, ISSUING_CA, trust.issuingCaPins(), "published CA hash value (--ca-pin)", checks);
        byte[] resultCms = required(dir, RESULT_BUNDLE, checks);
        byte[] resultContent = cmsSignedBy(resultCms, RESULT_BUNDLE, resultSigner(resultCms, issuing, checks), checks);
        if (resultContent == null) {
            throw new Stop();
        }
        JsonNode result = parse(resultContent, RESULT_BUNDLE, checks);
        checks.add(Check.of(bundle.path("bundleId").asText().equals(result.path("orderBundleId").asText()),
                RESULT_BUNDLE, "answers-bundle", "answers order bundle " + bundle.path("bundleId").asText(),
                "answers bundle " + result.path("orderBundleId").asText() + ", not " + bundle.path("bundleId").asText()));
        JsonNode res = find(result.path("results"), orderId);
        if (res == null) {
            checks.add(Check.fail(RESULT_BUNDLE, "result", "no result for order " + orderId));
            throw new Stop();
        }
        if (!"issue".equals(order.path("type").asText())) {
            checks.add(Check.of("revoked".equals(res.path("status").asText()), RESULT_BUNDLE, "result-status",
                    "order " + orderId + " revoked serial " + res.path("serial").asText(),
                    "order " + orderId + " was " + res.path("status").asText() + ": " + res.path("reason").asText()));
            return;
        }
        checks.add(Check.of("issued".equals(res.path("status").asText()), RESULT_BUNDLE, "result-status",
                "order " + orderId + " issued serial " + res.path("serial").asText(),
                "order " + orderId + " was " + res.path("status").asText() + ": " + res.path("reason").asText()));

        // Step 8: the certificate: the one in the result, signed by the issuing CA, for the CSR's key.
        byte[] certDer = required(dir, CERTIFICATE, checks);
        X509Certificate cert = certificate(certDer, CERTIFICATE, checks);
        checks.add(Check.of(Base64.getEncoder().encodeToString(certDer).equals(res.path("certificate").asText()),
                CERTIFICATE, "in-result-bundle", "is the certificate in the CA-signed result",
                "is not the certificate the CA-signed result bundle carries"));
        signedBy(cert, issuing, CERTIFICATE, checks);
        if (csr != null) {
            try {
                checks.add(Check.of(java.util.Arrays.equals(csr.getSubjectPublicKeyInfo().getEncoded(),
                                cert.getPublicKey().getEncoded()), CERTIFICATE, "subscriber-key",
                        "certifies the key of the CSR in the signed application",
                        "does not certify the key of the CSR in the signed application"));
            } catch (IOException e) {
                checks.add(Check.fail(APPLICATION, "csr", e.getMessage()));
            }
        }

        // Step 9: the CA logged this certificate: its audit entry, in a checkpoint the CA signed.
        if (read(dir, CA_ENTRY) != null) {
            AuditEntry caEntry = auditEntry(dir, CA_CHECKPOINT, CA_ENTRY, CA_AUDIT_KEY, trust.caAuditKeys(), "CA", checks);
            String serial = cert.getSerialNumber().toString(16);
            checks.add(Check.of("certificate.issued".equals(caEntry.event().action())
                            && caEntry.event().subject().startsWith("serial:" + serial + " request:" + orderId + " ")
                            && MessageDigest.isEqual(caEntry.event().detailSha256(), Digests.sha256(certDer)),
                    CA_ENTRY, "ca-logged-certificate", "CA audit entry " + caEntry.seq() + " records serial " + serial
                            + " for order " + orderId + " with the certificate's SHA-256",
                    "CA audit entry " + caEntry.seq() + " (" + caEntry.event().action() + " " + caEntry.event().subject()
                            + ") does not record this certificate for order " + orderId));
        } else {
            checks.add(Check.warn(CA_ENTRY, "ca-logged-certificate",
                    "no CA audit entry in the package (the CA database was not given to the exporter)"));
        }
    }

    // ---- the checks ----

    /**
     * The second route (docs/identity.md): the request is signed by a subscriber certificate of this CA, which
     * (a) is the certificate the decision names, (b) chains to the issuing CA the decision names, matching the
     * published CA hash value, (c) was valid, with its CA, when it signed, and (d) was not revoked then, by the CA's
     * own CRL issued at or after the signing (a revocation before the signing would be on it, dated before it).
     */
    private byte[] subscriberSigned(Path dir, byte[] cms, JsonNode evidence, String decidedAt, List<Check> checks) {
        byte[] subDer = required(dir, SUBSCRIBER_CERTIFICATE, checks);
        digestNamed(subDer, SUBSCRIBER_CERTIFICATE, evidence, "subscriberCertificateSha256", checks);
        X509Certificate sub = certificate(subDer, SUBSCRIBER_CERTIFICATE, checks);
        String serial = sub.getSerialNumber().toString(16);
        checks.add(Check.of(serial.equals(evidence.path("subscriberCertificateSerial").asText()), SUBSCRIBER_CERTIFICATE,
                "serial", "serial " + serial + ", as the decision names", "serial " + serial + " is not the "
                        + evidence.path("subscriberCertificateSerial").asText() + " the decision names"));
        byte[] content = cmsSignedBy(cms, APPLICATION, sub, checks);

        byte[] caDer = read(dir, SUBSCRIBER_ISSUING_CA);
        if (caDer == null) {
            checks.add(Check.fail(SUBSCRIBER_ISSUING_CA, "present", "missing: the signer's chain to this CA cannot be"
                    + " checked; export the package with the CA's database (--ca-db-url or --ca-embedded)"));
            return content;
        }
        digestNamed(caDer, SUBSCRIBER_ISSUING_CA, evidence, "issuingCaCertificateSha256", checks);
        pinned(caDer, SUBSCRIBER_ISSUING_CA, trust.issuingCaPins(), "published CA hash value (--ca-pin)", checks);
        X509Certificate ca = certificate(caDer, SUBSCRIBER_ISSUING_CA, checks);
        signedBy(sub, ca, SUBSCRIBER_CERTIFICATE, checks);

        Instant signedAt = signingTime(cms);
        String when = signedAt != null ? "its CMS signingTime " + signedAt : "the decision time " + decidedAt;
        if (signedAt == null) {
            signedAt = Instant.parse(decidedAt);
        }
        boolean valid = within(signedAt, sub) && within(signedAt, ca);
        checks.add(Check.of(valid, SUBSCRIBER_CERTIFICATE, "valid-at-signing", "valid at " + when + " ("
                        + sub.getNotBefore().toInstant() + " to " + sub.getNotAfter().toInstant() + "), and its CA too",
                "not valid at " + when + ": the certificate runs " + sub.getNotBefore().toInstant() + " to "
                        + sub.getNotAfter().toInstant() + ", its CA " + ca.getNotBefore().toInstant() + " to "
                        + ca.getNotAfter().toInstant()));

        byte[] crlDer = read(dir, SUBSCRIBER_CRL);
        if (crlDer == null) {
            checks.add(Check.warn(SUBSCRIBER_CRL, "not-revoked-at-signing", "no CA CRL in the package: the signer's"
                    + " status at signing time is not re-checked (the RA's record says: "
                    + evidence.path("statusSource").asText() + ")"));
            return content;
        }
        X509CRL crl;
        try {
            crl = Digests.crl(crlDer);
            crl.verify(ca.getPublicKey());
        } catch (Exception e) {
            checks.add(Check.fail(SUBSCRIBER_CRL, "crl-signature", "not a CRL signed by "
                    + ca.getSubjectX500Principal().getName() + ": " + e.getMessage()));
            return content;
        }
        Instant thisUpdate = crl.getThisUpdate().toInstant();
        X509CRLEntry entry = crl.getRevokedCertificate(sub.getSerialNumber());
        if (entry != null && !entry.getRevocationDate().toInstant().isAfter(signedAt)) {
            checks.add(Check.fail(SUBSCRIBER_CRL, "not-revoked-at-signing", "the CA's CRL of " + thisUpdate
                    + " lists serial " + serial + " as revoked at " + entry.getRevocationDate().toInstant()
                    + ", before " + when + ": a revoked certificate signed the request"));
        } else if (thisUpdate.isBefore(signedAt)) {
            checks.add(Check.warn(SUBSCRIBER_CRL, "not-revoked-at-signing", "the CA's CRL (thisUpdate " + thisUpdate
                    + ") predates " + when + ": a revocation between them would not show"));
        } else {
            checks.add(Check.pass(SUBSCRIBER_CRL, "not-revoked-at-signing", "the CA's CRL of " + thisUpdate
                    + (entry == null ? " does not list serial " + serial : " lists serial " + serial + " revoked only at "
                    + entry.getRevocationDate().toInstant()) + ": not revoked at " + when));
        }
        return content;
    }

    private static boolean within(Instant at, X509Certificate c) {
        return !at.isBefore(c.getNotBefore().toInstant()) && !at.isAfter(c.getNotAfter().toInstant());
    }

    private static Instant signingTime(byte[] cms) {
        try {
            SignerInformation si = new CMSSignedData(cms).getSignerInfos().getSigners().iterator().next();
            var a = si.getSignedAttributes().get(org.bouncycastle.asn1.cms.CMSAttributes.signingTime);
            return a == null ? null : org.bouncycastle.asn1.cms.Time.getInstance(a.getAttrValues().getObjectAt(0))
                    .getDate().toInstant();
        } catch (Exception e) {
            return null;
        }
    }

    private AuditEntry auditEntry(Path dir, String checkpointFile, String entryFile, String keyFile,
                                  Collection<PublicKey> supplied, String log, List<Check> checks) {
        byte[] cpBytes = required(dir, checkpointFile, checks);
        Checkpoint cp;
        try {
            cp = Checkpoint.parse(new String(cpBytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            checks.add(Check.fail(checkpointFile, "checkpoint", e.getMessage()));
            throw new Stop();
        }
        Collection<PublicKey> keys = supplied;
        if (keys.isEmpty()) {
            try {
                keys = read(dir, keyFile) == null ? List.of() : TrustedKeys.read(dir.resolve(keyFile));
            } catch (IOException | IllegalArgumentException e) {
                keys = List.of();
            }
            checks.add(Check.warn(keyFile, "trusted-key", "no " + log + " checkpoint key was supplied: using the"
                    + " package's own key; compare its fingerprint with the published one"));
        }
        Optional<PublicKey> signer = cp.signedBy(keys);
        checks.add(Check.of(signer.isPresent(), checkpointFile, "checkpoint-signature",
                log + " checkpoint of " + cp.treeSize() + " entries signed by "
                        + signer.map(AuditVerifier::fingerprint).orElse(""),
                log + " checkpoint of " + cp.treeSize() + " entries is not signed by a trusted key"));
        if (signer.isEmpty()) {
            throw new Stop();
        }
        AuditExport export;
        try {
            export = AuditExport.read(dir.resolve(entryFile));
        } catch (Exception e) {
            checks.add(Check.fail(entryFile, "audit-entry", "not an audit export: " + e.getMessage()));
            throw new Stop();
        }
        VerificationReport report = new AuditVerifier(keys).verify(export, cp);
        if (!report.ok() || export.entries().size() != 1) {
            checks.add(Check.fail(entryFile, "inclusion-proof", export.entries().size() != 1
                    ? "expected one entry, found " + export.entries().size()
                    : report.problems().get(0).message()));
            throw new Stop();
        }
        AuditEntry e = export.entries().get(0).entry();
        checks.add(Check.pass(entryFile, "inclusion-proof", log + " entry " + e.seq() + " (" + e.event().action()
                + ") is in the checkpoint's tree (RFC 9162 §2.1.3)"));
        return e;
    }

    private void jlisResponse(Path dir, JsonNode evidence, String decidedAt, X509Certificate jpki, X509Certificate jlis,
                              List<Check> checks) {
        String status = evidence.path("revocationStatus").asText();
        String source = evidence.path("revocationSource").asText();
        if ("NONE".equals(source) || "UNAVAILABLE".equals(status)) {
            checks.add(Check.pass(JLIS_RESPONSE, "jlis-status", "J-LIS could not be reached: the decision rests on no"
                    + " answer (status " + status + ")"));
            return;
        }
        byte[] raw = required(dir, JLIS_RESPONSE, checks);
        digestNamed(raw, JLIS_RESPONSE, evidence, "revocationResponseSha256", checks);
        // A revocation request's evidence names no check time: it was checked when it was decided.
        Instant checkedAt = Instant.parse(evidence.path("revocationCheckedAt").asText(decidedAt));
        try {
            if ("OCSP".equals(source)) {
                BasicOCSPResp basic = (BasicOCSPResp) new OCSPResp(raw).getResponseObject();
                checks.add(Check.of(ocspSignedFor(basic, jlis), JLIS_RESPONSE, "ocsp-signature",
                        "signed by the J-LIS CA or a responder it certified for OCSP signing (RFC 6960 §4.2.2.2)",
                        "not signed by the J-LIS CA nor by a responder it certified"));
                CertificateID id = new CertificateID(new JcaDigestCalculatorProviderBuilder().build()
                        .get(CertificateID.HASH_SHA1), new JcaX509CertificateHolder(jlis), jpki.getSerialNumber());
                SingleResp single = null;
                for (SingleResp s : basic.getResponses()) {
                    if (s.getCertID().equals(id)) {
                        single = s;
                    }
                }
                if (single == null) {
                    checks.add(Check.fail(JLIS_RESPONSE, "ocsp-cert-id", "the response does not answer for this JPKI certificate"));
                    return;
                }
                CertificateStatus cs = single.getCertStatus();
                String said = cs == CertificateStatus.GOOD ? "GOOD" : cs instanceof RevokedStatus ? "REVOKED" : "UNKNOWN";
                checks.add(Check.of(said.equals(status), JLIS_RESPONSE, "jlis-status",
                        "OCSP says " + said + ", as the decision records", "OCSP says " + said + ", the decision records " + status));
                Instant thisUpdate = single.getThisUpdate().toInstant();
                Instant nextUpdate = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
                checks.add(Check.of(!thisUpdate.isAfter(checkedAt.plus(SKEW))
                                && (nextUpdate == null || !nextUpdate.isBefore(checkedAt.minus(SKEW))), JLIS_RESPONSE,
                        "jlis-fresh", "thisUpdate " + thisUpdate + ", nextUpdate " + nextUpdate + ", checked at " + checkedAt,
                        "the answer was not current when the RA relied on it at " + checkedAt + " (thisUpdate "
                                + thisUpdate + ", nextUpdate " + nextUpdate + ")"));
            } else {
                X509CRL crl = Digests.crl(raw);
                boolean signed;
                try {
                    crl.verify(jlis.getPublicKey());
                    signed = true;
                } catch (Exception e) {
                    signed = false;
                }
                checks.add(Check.of(signed, JLIS_RESPONSE, "crl-signature", "CRL signed by the J-LIS CA",
                        "CRL not signed by the J-LIS CA"));
                X509CRLEntry entry = crl.getRevokedCertificate(jpki.getSerialNumber());
                String said = entry == null ? "GOOD" : "REVOKED";
                checks.add(Check.of(said.equals(status), JLIS_RESPONSE, "jlis-status",
                        "the CRL says " + said + ", as the decision records", "the CRL says " + said + ", the decision records " + status));
                Instant next = crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant();
                checks.add(Check.of(!crl.getThisUpdate().toInstant().isAfter(checkedAt.plus(SKEW))
                                && (next == null || !next.isBefore(checkedAt.minus(SKEW))), JLIS_RESPONSE, "jlis-fresh",
                        "CRL thisUpdate " + crl.getThisUpdate().toInstant() + ", nextUpdate " + next,
                        "the CRL was not current at " + checkedAt));
            }
        } catch (Exception e) {
            checks.add(Check.fail(JLIS_RESPONSE, "jlis-response", "unreadable " + source + " response: " + e.getMessage()));
        }
    }

    private static boolean ocspSignedFor(BasicOCSPResp basic, X509Certificate ca) {
        try {
            if (basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ca.getPublicKey()))) {
                return true;
            }
        } catch (Exception e) {
            // A delegated responder's key: checked below.
        }
        for (X509CertificateHolder h : basic.getCerts()) {
            try {
                X509Certificate responder = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(h);
                responder.verify(ca.getPublicKey());
                if (responder.getExtendedKeyUsage() != null
                        && responder.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.9")
                        && basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(h))) {
                    return true;
                }
            } catch (Exception e) {
                // Not this one.
            }
        }
        return false;
    }

    /** The CMS signature verifies, by {@code expected} if given (else by the signer certificate included). */
    private static byte[] cmsSignedBy(byte[] der, String file, X509Certificate expected, List<Check> checks) {
        try {
            CMSSignedData cms = new CMSSignedData(der);
            SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
            X509CertificateHolder signer;
            if (expected != null) {
                signer = new JcaX509CertificateHolder(expected);
                checks.add(Check.of(si.getSID().match(signer), file, "cms-signer", "signed by "
                        + expected.getSubjectX500Principal().getName(), "the signer is not "
                        + expected.getSubjectX500Principal().getName()));
            } else {
                @SuppressWarnings("unchecked")
                Collection<X509CertificateHolder> found = cms.getCertificates().getMatches(si.getSID());
                if (found.isEmpty()) {
                    checks.add(Check.fail(file, "cms-signer", "the signer certificate is not included"));
                    return null;
                }
                signer = found.iterator().next();
            }
            boolean ok = si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(signer));
            checks.add(Check.of(ok, file, "cms-signature", "CMS signature (RFC 5652 §5.6) verifies, signer "
                    + signer.getSubject(), "CMS signature does not verify: the signed content or attributes were changed"));
            return ok ? (byte[]) cms.getSignedContent().getContent() : null;
        } catch (Exception e) {
            checks.add(Check.fail(file, "cms-signature", "not a verifiable CMS SignedData: " + e.getMessage()));
            return null;
        }
    }

    /** id-shomei-kp-resultBundleSigning (ca-core ProfileExtensions, docs/order-bundles.md "The result signer"). */
    static final String RESULT_BUNDLE_SIGNING_OID = "1.3.6.1.4.1.99999.3.2";

    /**
     * Who must have signed the result bundle: the CA's result signer carried in the bundle when it is certified by the
     * issuing CA for resultBundleSigning (one key, one purpose), else the issuing CA itself (CAs before the result
     * signer; docs/order-bundles.md).
     */
    private static X509Certificate resultSigner(byte[] der, X509Certificate issuing, List<Check> checks) {
        try {
            CMSSignedData cms = new CMSSignedData(der);
            SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
            for (Object o : cms.getCertificates().getMatches(si.getSID())) {
                X509Certificate c = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter()
                        .getCertificate((X509CertificateHolder) o);
                if (c.getPublicKey().equals(issuing.getPublicKey())) {
                    return issuing;
                }
                c.verify(issuing.getPublicKey());
                List<String> eku = c.getExtendedKeyUsage();
                boolean fit = eku != null && eku.contains(RESULT_BUNDLE_SIGNING_OID) && c.getBasicConstraints() < 0;
                checks.add(Check.of(fit, RESULT_BUNDLE, "result-signer", "the result signer "
                        + c.getSubjectX500Principal().getName() + " is certified by the issuing CA for resultBundleSigning",
                        "the result signer " + c.getSubjectX500Principal().getName() + " is not certified for"
                                + " resultBundleSigning (" + RESULT_BUNDLE_SIGNING_OID + ")"));
                return fit ? c : issuing;
            }
        } catch (Exception e) {
            // not certified by the issuing CA, or unreadable: the signature must then be the issuing CA's
        }
        return issuing;
    }

    private static void pinnedSigner(byte[] der, String file, Set<String> pins, List<Check> checks) {
        try {
            CMSSignedData cms = new CMSSignedData(der);
            SignerInformation si = cms.getSignerInfos().getSigners().iterator().next();
            @SuppressWarnings("unchecked")
            X509CertificateHolder h = (X509CertificateHolder) cms.getCertificates().getMatches(si.getSID()).iterator().next();
            pinned(h.getEncoded(), file, pins, "RA order-signing certificate pin (--ra-order-signer-pin)", checks);
        } catch (Exception e) {
            checks.add(Check.fail(file, "pin", e.getMessage()));
        }
    }

    private static void pinned(byte[] der, String file, Set<String> pins, String what, List<Check> checks) {
        String d = Digests.sha256Hex(der);
        if (pins.isEmpty()) {
            checks.add(Check.warn(file, "pin", "sha256 " + d + ": no " + what + " supplied; compare by hand"));
        } else {
            checks.add(Check.of(pins.contains(d), file, "pin", "sha256 " + d + " matches the " + what,
                    "sha256 " + d + " matches no " + what));
        }
    }

    private static void signedBy(X509Certificate cert, X509Certificate issuer, String file, List<Check> checks) {
        boolean ok;
        try {
            cert.verify(issuer.getPublicKey());
            ok = cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
        } catch (Exception e) {
            ok = false;
        }
        checks.add(Check.of(ok, file, "issued-by", "signed by " + issuer.getSubjectX500Principal().getName(),
                "not signed by " + issuer.getSubjectX500Principal().getName()));
    }

    private static void digestNamed(byte[] bytes, String file, JsonNode evidence, String field, List<Check> checks) {
        String d = Digests.sha256Hex(bytes);
        String named = evidence.path(field).asText();
        checks.add(Check.of(d.equals(named), file, "decision-names-" + field, "sha256 " + d,
                "sha256 " + d + " is not the " + field + " " + named + " the decision names"));
    }

    private static X509Certificate certificate(byte[] der, String file, List<Check> checks) {
        try {
            return Digests.certificate(der);
        } catch (Exception e) {
            checks.add(Check.fail(file, "certificate", "not a DER certificate: " + e.getMessage()));
            throw new Stop();
        }
    }

    private static JsonNode find(JsonNode array, String orderId) {
        for (JsonNode n : array) {
            if (orderId.equals(n.path("orderId").asText())) {
                return n;
            }
        }
        return null;
    }

    private static JsonNode json(Path dir, String file, List<Check> checks) {
        return parse(required(dir, file, checks), file, checks);
    }

    private static JsonNode parse(byte[] bytes, String file, List<Check> checks) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            checks.add(Check.fail(file, "json", "not JSON: " + e.getMessage()));
            throw new Stop();
        }
    }

    private static byte[] required(Path dir, String file, List<Check> checks) {
        byte[] b = read(dir, file);
        if (b == null) {
            checks.add(Check.fail(file, "present", "missing from the package"));
            throw new Stop();
        }
        return b;
    }

    private static byte[] read(Path dir, String file) {
        Path p = dir.resolve(file).normalize();
        if (!p.startsWith(dir.normalize()) || !Files.isRegularFile(p)) {
            return null;
        }
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return null;
        }
    }

}
