package dev.shomei.ca.cli;

import dev.shomei.audit.Actor;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.approval.Act;
import dev.shomei.ca.approval.ActKind;
import dev.shomei.ca.approval.Approval;
import dev.shomei.ca.approval.ApprovalPolicy;
import dev.shomei.ca.approval.ApprovalRecords;
import dev.shomei.ca.approval.ApprovalRefused;
import dev.shomei.ca.audit.AuditedCaEvents;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gate every act with a configurable quorum passes (docs/key-ceremony.md, "Approvals"): in request mode
 * ({@code ca approval request}) it writes the act for the approvers and the command stops; otherwise, when
 * {@code approvals.quorum} names the act's kind, it checks the approval files, records the decision (approved
 * with the signatures, or refused with the reason) and opens the CA as the approvers; without a quorum it opens
 * the CA as the typed operator, as before.
 *
 * <p>Zone: secure, in the CA room.
 */
final class ActAuthorization {

    /** The CA opened for the act, and the quorum decision behind it (null when no quorum applies). */
    record Opened(CertificateAuthority ca, ApprovalPolicy.Decision decision) {
        /** How the act is attributed where a plain name is recorded (e.g. requested-by of a revocation). */
        String attribution(String operator) {
            return decision == null ? operator : decision.actor().id() + " (quorum, act " + decision.act().id() + ")";
        }

        /** Who the audit log records for the act: the approvers' actor, or the typed operator on {@code tokenLabel}. */
        Actor actor(String operator, String tokenLabel) {
            return decision != null ? decision.actor() : AuditedCaEvents.operator(operator, tokenLabel);
        }

        /** One line per approver for the ceremony transcript. */
        List<String> approverLines() {
            if (decision == null) {
                return List.of();
            }
            return java.util.stream.IntStream.range(0, decision.approvers().size()).mapToObj(i -> {
                ApprovalPolicy.Approver p = decision.approvers().get(i);
                return p.name() + ", " + p.role() + ", certificate SHA-256 " + p.fingerprint() + ", signed at "
                        + decision.approvals().get(i).signedAt();
            }).toList();
        }
    }

    /** What an act does on the CA opened for it. */
    @FunctionalInterface
    interface Body {
        void run(Opened opened, CertificateAuthority ca) throws IOException;
    }

    private ActAuthorization() {}

    /**
     * Opens the CA for the act as {@link #open(CaCli, CaConfig, ActKind, Map, List, String, boolean)} does, runs
     * {@code body} on it and closes it; in request mode only the act is written. Returns the command's exit code.
     */
    static int perform(CaCli parent, CaConfig cfg, ActKind kind, Map<String, String> parameters,
                       List<Path> approvalFiles, String operator, boolean operatorRequired, Body body)
            throws IOException {
        Opened opened = open(parent, cfg, kind, parameters, approvalFiles, operator, operatorRequired);
        if (opened == null) {
            return 0;
        }
        try (CertificateAuthority ca = opened.ca()) {
            body.run(opened, ca);
        }
        return 0;
    }

    /**
     * Returns null in request mode (the act was written), else the opened CA. {@code operator} is the typed
     * name, refused where a quorum applies and required otherwise when {@code operatorRequired}.
     */
    static Opened open(CaCli parent, CaConfig cfg, ActKind kind, Map<String, String> parameters, List<Path> approvalFiles,
                       String operator, boolean operatorRequired) {
        return open(parent, cfg, kind, parameters, approvalFiles, operator, operatorRequired, ca -> { });
    }

    /**
     * As above; {@code precheck} runs on the opened CA before the approval is recorded (and so spent), for what
     * would refuse the act anyway (e.g. a software token in production).
     */
    static Opened open(CaCli parent, CaConfig cfg, ActKind kind, Map<String, String> parameters, List<Path> approvalFiles,
                       String operator, boolean operatorRequired,
                       java.util.function.Consumer<CertificateAuthority> precheck) {
        return open(parent, cfg, kind, parameters, approvalFiles, operator, operatorRequired, precheck, d -> { });
    }

    /**
     * As above; {@code decisionCheck} may refuse a decision the policy accepted (throwing {@link ApprovalRefused}),
     * which is then recorded as every other refusal (e.g. a configuration change must also be approved by the
     * people of the configuration approved before it).
     */
    static Opened open(CaCli parent, CaConfig cfg, ActKind kind, Map<String, String> parameters, List<Path> approvalFiles,
                       String operator, boolean operatorRequired,
                       java.util.function.Consumer<CertificateAuthority> precheck,
                       java.util.function.Consumer<ApprovalPolicy.Decision> decisionCheck) {
        ApprovalPolicy policy = ApprovalPolicy.of(cfg);
        String caToken = cfg.hsmConfig().tokenLabel();
        Clock clock = parent.clock();
        if (parent.requestActOut != null) {
            Duration validity = parent.requestValidity == null ? policy.maxValidity() : parent.requestValidity;
            if (validity.compareTo(policy.maxValidity()) > 0) {
                throw new ConfigException("--valid-hours " + validity.toHours() + " exceeds approvals.maxValidityHours ("
                        + policy.maxValidity().toHours() + ")");
            }
            Act act = Act.request(kind, caToken, parameters, clock.instant(), validity);
            write(parent.requestActOut, act.toJsonText());
            System.out.println("act for approval written to " + parent.requestActOut + ":");
            System.out.print(act.describe());
            System.out.println(policy.quorum(kind).map(m -> "needs " + m + " approval(s) (approvals.quorum." + kind.key()
                    + "): each approver runs 'ca approval sign --act " + parent.requestActOut + " ...'")
                    .orElse("note: no quorum is configured for '" + kind.key() + "'; the act does not need approvals"));
            return null;
        }
        if (policy.quorum(kind).isEmpty()) {
            if (approvalFiles != null && !approvalFiles.isEmpty()) {
                throw new ConfigException("--approvals given, but no quorum is configured for '" + kind.key()
                        + "' (approvals.quorum." + kind.key() + "): nothing would check them");
            }
            if (operatorRequired && (operator == null || operator.isBlank())) {
                throw new ConfigException("give --operator NAME (no quorum is configured for '" + kind.key()
                        + "'; with approvals.quorum." + kind.key() + " the approvers' signatures replace it)");
            }
            CertificateAuthority ca = parent.open(cfg, operator);
            try {
                precheck.accept(ca);
            } catch (RuntimeException e) {
                ca.close();
                throw e;
            }
            return new Opened(ca, null);
        }
        Map<String, String> presented = new LinkedHashMap<>();
        LinkedHashMap<String, Approval> approvals = new LinkedHashMap<>();
        ApprovalPolicy.Decision decision;
        try {
            if (operator != null) {
                throw new ApprovalRefused("--operator is not accepted for '" + kind.key() + "': a quorum is configured"
                        + " (approvals.quorum." + kind.key() + "), so the approvers' signatures say who acts");
            }
            for (Path f : approvalFiles == null ? List.<Path>of() : approvalFiles) {
                String text;
                try {
                    text = Files.readString(f, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new ApprovalRefused("cannot read approval " + f + ": " + e.getMessage());
                }
                presented.put(f.toString(), text);
                if (approvals.containsKey(f.toString())) {
                    throw new ApprovalRefused("approval " + f + " is given twice");
                }
                approvals.put(f.toString(), Approval.parse(text, f.toString()));
            }
            decision = policy.decide(kind, caToken, parameters, approvals, clock.instant());
            decisionCheck.accept(decision);
        } catch (ApprovalRefused r) {
            try (CertificateAuthority ca = parent.open(cfg, null)) {
                String actId = approvals.values().stream().findFirst().map(a -> a.act().id()).orElse(null);
                new ApprovalRecords(ca.database().dataSource(), CaCli.auditLog(cfg))
                        .refused(kind, actId, r.getMessage(), presented, clock.instant());
            }
            throw r;
        }
        CertificateAuthority ca = parent.openAs(cfg, decision.actor());
        try {
            precheck.accept(ca);
            new ApprovalRecords(ca.database().dataSource(), CaCli.auditLog(cfg))
                    .approved(decision, presented, null, clock.instant());
        } catch (RuntimeException e) {
            ca.close();
            throw e;
        }
        System.out.println("approved by " + decision.approvers().size() + " of " + policy.approvers().size()
                + " approvers (quorum " + decision.required() + "): " + decision.actor().id() + "; act "
                + decision.act().id());
        return new Opened(ca, decision);
    }

    private static void write(Path file, String text) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot write " + file + ": " + e.getMessage());
        }
    }
}
