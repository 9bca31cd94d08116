package dev.shomei.evidence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The controls table: each accreditation criterion the software can evidence, its status, the evidence, and what
 * still needs a person. Criteria cite the Electronic Signatures Act (法) and its Enforcement Regulations (施行規則)
 * by article only where the text was checked: 法第6条第1項第1号 (facilities; 規則第4条), 第2号 (applicant
 * verification; 規則第5条), 第3号 (the method of operation; 規則第6条). Other criteria name the accreditation
 * guidelines (特定認証業務の認定に係る指針) by topic; their article numbers are left to the operator to fill in.
 *
 * <p>Zone: all. Pure function of the figures it is given.
 */
public final class Controls {

    /** One row. status: MET (evidenced here), NOT_MET (evidence contradicts it), HUMAN (needs a person). */
    public record Control(String id, String criterion, String citation, String status, String evidence, String human) {}

    private Controls() {}

    public static List<Map<String, Object>> table(Map<String, Object> report) {
        List<Control> rows = new ArrayList<>();
        Map<?, ?> packages = (Map<?, ?>) report.getOrDefault("packages", Map.of());
        long verified = packages.values().stream().filter(v -> "VERIFIED".equals(((Map<?, ?>) v).get("verdict"))).count();
        boolean packagesOk = !packages.isEmpty() && verified == packages.size();
        Map<?, ?> rec = (Map<?, ?>) report.get("reconciliation");
        boolean recOk = rec != null && ((List<?>) rec.get("discrepancies")).isEmpty();
        Map<?, ?> audit = (Map<?, ?>) report.getOrDefault("auditVerification", Map.of());
        boolean auditOk = !audit.isEmpty() && audit.values().stream().allMatch(v -> Boolean.TRUE.equals(((Map<?, ?>) v).get("ok")));

        rows.add(new Control("C1", "Applicant verification by a method the regulations allow: a JPKI signing"
                + " certificate chaining to a pinned J-LIS generation, its revocation status from J-LIS at the time",
                "法第6条第1項第2号, 施行規則第5条", packagesOk ? "MET" : "NOT_MET",
                verified + " of " + packages.size() + " sampled decisions re-verified offline: CMS signature, chain to"
                        + " the pinned J-LIS CA, signed J-LIS answer and its status (evidence packages)",
                "Confirm the J-LIS generation pins against J-LIS's published fingerprints; review officer-decided cases"));
        rows.add(new Control("C2", "Every decision names its decider (the system with its policy version and digest,"
                + " or a named, authenticated officer) and the automatic ones follow the policy",
                "法第6条第1項第3号, 施行規則第6条; 指針 (decision records)", packagesOk ? "MET" : "NOT_MET",
                "policy replay in every sampled system decision; officer decisions show the officer and mTLS authentication",
                "Read the officers' recorded reasons in the sampled referred cases"));
        rows.add(new Control("C3", "Certificates are issued only on an approved decision, and revoked only on a"
                + " request or a recorded officer act", "法第6条第1項第3号, 施行規則第6条",
                rec == null ? "HUMAN" : recOk ? "MET" : "NOT_MET",
                rec == null ? "reconciliation not run" : "reconciliation RA ↔ CA: " + ((List<?>) rec.get("discrepancies")).size()
                        + " discrepancies; manual acts: " + ((List<?>) rec.get("manualActs")).size(),
                "Check each manual act listed against the signed ceremony / revocation forms"));
        rows.add(new Control("C4", "Revocation information is published and current (CRL and OCSP), matching the"
                + " CA's revoked set", "施行規則第6条; CP/CPS §4.9.7, §4.9.9", rec == null ? "HUMAN" : recOk ? "MET" : "NOT_MET",
                "repository CRLs and OCSP responses compared with the CA's records; each revocation's delay to the"
                        + " repository (reconciliation.publicationDelays, " + (rec != null && rec.get("publicationDelays")
                        instanceof List<?> delays ? delays.size() : 0) + " revocations dated from"
                        + " the publisher's releases); CRL lapses in the period listed under statistics.crlFreshness",
                "Confirm the CDN served these files (access logs)"));
        rows.add(new Control("C5", "Records (books, 帳簿書類) are complete and cannot be changed unnoticed",
                "帳簿書類 (the Act's record-keeping provision; article to be filled in by the operator)",
                auditOk ? "MET" : audit.isEmpty() ? "HUMAN" : "NOT_MET",
                "audit-log verification (hash chain, Merkle tree, signed checkpoints): " + audit.keySet(),
                "Confirm the checkpoints were published where third parties saw them; retention configuration"));
        rows.add(new Control("C6", "CA keys are used only in the CA facility, in an HSM", "法第6条第1項第1号, 施行規則第4条",
                "HUMAN", "the CA's key ceremony records (docs/key-ceremony.md); every issuance is in the CA's audit log",
                "Inspect the facility, the HSM and the ceremony witnesses' records"));
        List<Map<String, Object>> out = new ArrayList<>();
        for (Control c : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", c.id());
            m.put("criterion", c.criterion());
            m.put("citation", c.citation());
            m.put("status", c.status());
            m.put("evidence", c.evidence());
            m.put("needsHuman", c.human());
            out.add(m);
        }
        return out;
    }
}
