package dev.shomei.ca.approval;

import dev.shomei.audit.Actor;
import dev.shomei.ca.ceremony.CaHashValues;
import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who may approve, and how many approvals each kind of act needs (M of N, CP/CPS §5.2.2), from
 * {@code approvals} in ca.yaml. {@link #decide} returns the decision for a set of approvals or refuses with a
 * message naming the first thing wrong; it records nothing (the caller records, {@link ApprovalRecords}).
 *
 * <p>Zone: secure. Reads the approvers' certificate files; touches nothing else.
 */
public final class ApprovalPolicy {

    /** Roles a person may hold in the CA room (CP/CPS §5.2.1: trusted roles). */
    public static final Set<String> ROLES = Set.of("operator", "witness", "auditor");

    /** Default and upper bound of an act's validity window: long enough to collect signatures in one day. */
    public static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);

    /** A person who may approve, known by their certificate. */
    public record Approver(String name, String role, X509Certificate certificate, String fingerprint) {}

    /** Enough valid approvals for the act: who approved, in the order given. */
    public record Decision(Act act, int required, List<Approval> approvals, List<Approver> approvers) {
        /** The actor the act is recorded as: the approvers, authenticated by their signatures over the act. */
        public Actor actor() {
            String names = approvers.stream().map(Approver::name).collect(Collectors.joining(" + "));
            String how = "quorum " + approvers.size() + " (of " + required + " required) for " + act.kind().key()
                    + ", act " + act.id() + ", signed by certificate SHA-256 " + approvers.stream()
                    .map(a -> a.fingerprint() + " (" + a.role() + ")").collect(Collectors.joining(", "));
            return Actor.person(names, how);
        }
    }

    private final List<Approver> approvers;
    private final Map<ActKind, Integer> quorum;
    private final Map<ActKind, List<String>> requiredRoles;
    private final Duration maxValidity;

    ApprovalPolicy(List<Approver> approvers, Map<ActKind, Integer> quorum, Map<ActKind, List<String>> requiredRoles,
                   Duration maxValidity) {
        this.approvers = List.copyOf(approvers);
        this.quorum = Map.copyOf(quorum);
        this.requiredRoles = Map.copyOf(requiredRoles);
        this.maxValidity = maxValidity;
    }

    /** The policy in {@code cfg}; an empty one (no quorum anywhere) when the section is absent. */
    public static ApprovalPolicy of(CaConfig cfg) {
        CaConfig.Approvals a = cfg.approvals();
        if (a == null) {
            return new ApprovalPolicy(List.of(), Map.of(), Map.of(), DEFAULT_VALIDITY);
        }
        List<Approver> list = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (CaConfig.Approver e : a.approvers() == null ? List.<CaConfig.Approver>of() : a.approvers()) {
            if (e.name() == null || e.name().isBlank() || e.certificate() == null) {
                throw new ConfigException("approvals.approvers: every approver needs 'name', 'role' and 'certificate'");
            }
            if (!ROLES.contains(e.role())) {
                throw new ConfigException("approvals.approvers: role '" + e.role() + "' of " + e.name()
                        + " is not one of " + ROLES);
            }
            X509Certificate cert = readCertificate(cfg.resolve(e.certificate()), e.name());
            String fp = CaHashValues.of(cert).sha256();
            if (!seen.add(fp) || !seen.add("name:" + e.name())) {
                throw new ConfigException("approvals.approvers lists " + e.name() + " (or their certificate) twice:"
                        + " one person, one entry, one credential");
            }
            list.add(new Approver(e.name(), e.role(), cert, fp));
        }
        Map<ActKind, Integer> q = new EnumMap<>(ActKind.class);
        for (Map.Entry<String, Integer> e : (a.quorum() == null ? Map.<String, Integer>of() : a.quorum()).entrySet()) {
            ActKind k = ActKind.parse(e.getKey());
            int m = e.getValue() == null ? 0 : e.getValue();
            if (m < 1 || m > list.size()) {
                throw new ConfigException("approvals.quorum." + k.key() + " is " + m + "; give 1 to " + list.size()
                        + " (the number of approvers listed)");
            }
            q.put(k, m);
        }
        Map<ActKind, List<String>> roles = new EnumMap<>(ActKind.class);
        for (Map.Entry<String, List<String>> e : (a.requireRoles() == null ? Map.<String, List<String>>of()
                : a.requireRoles()).entrySet()) {
            ActKind k = ActKind.parse(e.getKey());
            for (String r : e.getValue()) {
                if (!ROLES.contains(r)) {
                    throw new ConfigException("approvals.requireRoles." + k.key() + ": unknown role '" + r + "'");
                }
            }
            if (!q.containsKey(k)) {
                throw new ConfigException("approvals.requireRoles." + k.key() + " is set but approvals.quorum."
                        + k.key() + " is not");
            }
            roles.put(k, List.copyOf(e.getValue()));
        }
        Duration max = a.maxValidityHours() == null ? DEFAULT_VALIDITY : Duration.ofHours(a.maxValidityHours());
        return new ApprovalPolicy(list, q, roles, max);
    }

    private static X509Certificate readCertificate(Path p, String who) {
        try (var in = Files.newInputStream(p)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException e) {
            throw new ConfigException("approvals.approvers: cannot read the certificate of " + who + " from " + p + ": "
                    + e.getMessage());
        }
    }

    /** The number of approvals {@code kind} needs, if a quorum is configured for it. */
    public Optional<Integer> quorum(ActKind kind) {
        return Optional.ofNullable(quorum.get(kind));
    }

    public Duration maxValidity() {
        return maxValidity;
    }

    public List<Approver> approvers() {
        return approvers;
    }

    /**
     * Decides whether {@code approvals} (keyed by the file they came from) approve exactly this act now:
     * every approval for this kind, CA and parameters, all for one request (one act id), within its window,
     * each signature verifying with a listed approver's certificate, valid now, no person twice, and at least
     * the quorum, with the roles the configuration requires.
     */
    public Decision decide(ActKind kind, String ca, Map<String, String> parameters,
                           LinkedHashMap<String, Approval> approvals, Instant now) {
        int m = quorum(kind).orElseThrow(() -> new IllegalStateException("no quorum for " + kind.key()));
        if (approvals.isEmpty()) {
            throw new ApprovalRefused(kind.key() + " needs " + m + " approval(s) (approvals.quorum." + kind.key()
                    + "); none given: run 'ca approval request', have each approver run 'ca approval sign', then give"
                    + " the files with --approvals");
        }
        Act act = null;
        List<Approval> accepted = new ArrayList<>();
        List<Approver> who = new ArrayList<>();
        for (Map.Entry<String, Approval> e : approvals.entrySet()) {
            String file = e.getKey();
            Approval a = e.getValue();
            if (!a.act().sameActAs(kind, ca, parameters)) {
                throw new ApprovalRefused("approval " + file + " is for a different act: "
                        + a.act().differenceFrom(kind, ca, parameters) + " (its act id " + a.act().id() + ")");
            }
            if (act == null) {
                act = a.act();
            } else if (!act.id().equals(a.act().id())) {
                throw new ApprovalRefused("approval " + file + " approves another request of this act (act id "
                        + a.act().id() + ", the first file's is " + act.id() + "): all approvals must sign one act file");
            }
            if (now.isBefore(a.act().notBefore()) || !now.isBefore(a.act().notAfter())) {
                throw new ApprovalRefused("approval " + file + ": the act is valid from " + a.act().notBefore() + " to "
                        + a.act().notAfter() + ", and it is now " + now + ": request the act again");
            }
            if (Duration.between(a.act().notBefore(), a.act().notAfter()).compareTo(maxValidity) > 0) {
                throw new ApprovalRefused("approval " + file + ": the act's window is longer than "
                        + "approvals.maxValidityHours (" + maxValidity.toHours() + "h)");
            }
            Approver known = approvers.stream().filter(p -> p.fingerprint().equals(a.approverFingerprint()))
                    .findFirst().orElseThrow(() -> new ApprovalRefused("approval " + file + " is signed by an unknown key:"
                            + " certificate " + a.approver().getSubjectX500Principal().getName() + " (SHA-256 "
                            + a.approverFingerprint() + ") is not in approvals.approvers"));
            if (!a.signatureVerifies()) {
                throw new ApprovalRefused("approval " + file + " by " + known.name()
                        + ": the signature does not verify over this act (altered, or not signed with the key of "
                        + "the certificate it carries)");
            }
            try {
                known.certificate().checkValidity(java.util.Date.from(now));
            } catch (java.security.cert.CertificateException ex) {
                throw new ApprovalRefused("approval " + file + " by " + known.name() + ": their certificate is not valid"
                        + " now (" + known.certificate().getNotBefore().toInstant() + " to "
                        + known.certificate().getNotAfter().toInstant() + ")");
            }
            if (who.contains(known)) {
                throw new ApprovalRefused("approval " + file + ": " + known.name() + " has already approved this act"
                        + " (a quorum counts different people; each approves once)");
            }
            accepted.add(a);
            who.add(known);
        }
        if (who.size() < m) {
            throw new ApprovalRefused(kind.key() + " needs " + m + " approvals (approvals.quorum." + kind.key()
                    + "), " + who.size() + " given (" + who.stream().map(Approver::name).toList() + ")");
        }
        for (String role : requiredRoles.getOrDefault(kind, List.of())) {
            if (who.stream().noneMatch(p -> p.role().equals(role))) {
                throw new ApprovalRefused(kind.key() + " needs an approval by a " + role + " (approvals.requireRoles."
                        + kind.key() + "); the approvers are " + who.stream().map(p -> p.name() + " (" + p.role() + ")")
                        .toList());
            }
        }
        return new Decision(act, m, List.copyOf(accepted), List.copyOf(who));
    }
}
