package dev.shomei.ocsp.cps;

import dev.shomei.ca.config.CaConfig;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.issuance.RevocationReason;
import dev.shomei.ca.profile.CertificateProfile;
import dev.shomei.ocsp.config.PresignerConfig;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Period;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every value the CP/CPS states, each named {@code source:setting} after the configuration field it comes from
 * and tied to the RFC 3647 clause that states it. The template places each one under that clause
 * ({@link CpsTemplate} checks it). Scalars are inline text; blocks (tables, lists) stand on a line of their own.
 *
 * <p>Zone: secure. Pure: reads the already loaded configurations.
 */
public final class CpsFields {

    /** One stated value: {@code key} as written in the template, the clause that states it, the text. */
    public record Field(String key, String clause, String text, boolean block) {}

    /** A source configuration file and the SHA-256 of its bytes, listed in clause 1.2. */
    public record Source(String role, String file, String sha256) {}

    private final Map<String, Field> fields = new LinkedHashMap<>();

    private CpsFields() {}

    /**
     * The fields of the running configuration. There is no quorum setting in any configuration today: the
     * generated text says so (clause 5.2.2) instead of stating numbers nobody configured.
     */
    public static Map<String, Field> of(CaConfig ca, PresignerConfig presigner, RaSettings ra, List<Source> sources,
                                        String generatedAt) {
        CpsFields f = new CpsFields();
        f.generated(sources, generatedAt);
        f.ca(ca);
        f.presigner(presigner);
        f.ra(ra);
        f.put("quorum:statement", "5.2.2", "No quorum is configured: none of ca.yaml, presigner.yaml and the RA"
                + " configuration has a setting for the number of persons an act needs. Each act of the CA is performed"
                + " by one operator, named in the audit log (`ca --operator`); the key ceremony records the witnesses"
                + " named with `--witness` in its transcript, without counting them as approvals; each RA officer"
                + " decision is taken by one officer, identified by the officer's client certificate.");
        return f.fields;
    }

    private void generated(List<Source> sources, String generatedAt) {
        put("generated:at", "1.2", generatedAt);
        StringBuilder t = new StringBuilder("| configuration | file | SHA-256 |\n|---|---|---|\n");
        for (Source s : sources) {
            t.append(row(s.role(), s.file(), s.sha256()));
        }
        block("block:sources", "1.2", t);
    }

    private void ca(CaConfig ca) {
        CaConfig.Ceremony c = ca.ceremony();
        if (c == null || c.root() == null || c.issuing() == null) {
            throw new ConfigException("ca.yaml has no 'ceremony.root' and 'ceremony.issuing': the CP/CPS states the CA"
                    + " names, key types and validity periods from them");
        }
        put("ca:ceremony.root.subject", "1.3.1", required(c.root().subject(), "ceremony.root.subject"));
        put("ca:ceremony.issuing.subject", "1.3.1", required(c.issuing().subject(), "ceremony.issuing.subject"));
        put("ca:ceremony.root.algorithm", "6.1.5", required(c.root().algorithm(), "ceremony.root.algorithm"));
        put("ca:ceremony.issuing.algorithm", "6.1.5", required(c.issuing().algorithm(), "ceremony.issuing.algorithm"));
        // KeyCeremony's default when validityYears is unset.
        put("ca:ceremony.root.validityYears", "6.3.2", years(c.root().validityYears() == null ? 10 : c.root().validityYears()));
        put("ca:ceremony.issuing.validityYears", "6.3.2",
                years(c.issuing().validityYears() == null ? 10 : c.issuing().validityYears()));

        CaConfig.Repository r = ca.repositoryOrEmpty();
        put("ca:repository.crlUrl", "2.2", required(r.crlUrl(), "repository.crlUrl"));
        put("ca:repository.ocspUrl", "2.2", required(r.ocspUrl(), "repository.ocspUrl"));
        put("ca:repository.caIssuersUrl", "2.2", required(r.caIssuersUrl(), "repository.caIssuersUrl"));

        int crlHours = ca.crlNextUpdateHours();
        put("ca:crl.nextUpdateHours", "4.9.7", hours(crlHours));
        put("ca:crl.nextUpdateHours.half", "4.9.7", Human.duration(Duration.ofHours(crlHours).dividedBy(2)));

        CaConfig.Pull pull = ca.orders() == null ? null : ca.orders().pull();
        put("ca:orders.pull.intervalSeconds", "4.9.5", pull == null || pull.url() == null
                ? "no pull is configured (`orders.pull`): order bundles are carried in and executed by an operator"
                        + " (`ca orders import`), so the delay is that of the operator's schedule"
                : "at most " + Human.duration(Duration.ofSeconds(pull.intervalSeconds() == null ? 60 : pull.intervalSeconds()))
                        + " between two pulls (`ca orders pull`, `orders.pull.intervalSeconds`)");

        var hsm = ca.hsmConfig();
        put("ca:hsm.module", "6.2.1", "`" + hsm.module() + "`");
        put("ca:hsm.token", "6.2.1", "`" + hsm.tokenLabel() + "`");

        if (ca.profiles().isEmpty()) {
            throw new ConfigException("ca.yaml has no 'profiles': the CP/CPS states each certificate profile (7.1)");
        }
        Set<String> oids = new LinkedHashSet<>();
        StringBuilder validity = new StringBuilder("| profile | validity (`validityDays`) |\n|---|---|\n");
        StringBuilder keys = new StringBuilder("| profile | subscriber key types (`allowedKeys`) |\n|---|---|\n");
        StringBuilder ext = new StringBuilder("| profile | field | value |\n|---|---|---|\n");
        for (Map.Entry<String, CertificateProfile> e : ca.profiles().entrySet()) {
            String name = "`" + e.getKey() + "`";
            CertificateProfile p = e.getValue();
            oids.addAll(p.certificatePolicies());
            validity.append(row(name, p.validityDays() + " days"));
            keys.append(row(name, String.join(", ", p.allowedKeys())));
            List<String> aia = new ArrayList<>();
            if (p.ocsp()) {
                aia.add("OCSP " + r.ocspUrl());
            }
            if (p.caIssuers()) {
                aia.add("caIssuers " + r.caIssuersUrl());
            }
            ext.append(row(name, "keyUsage (critical)", String.join(", ", p.keyUsage())));
            ext.append(row(name, "extendedKeyUsage", listOrNone(p.extendedKeyUsage())));
            ext.append(row(name, "certificatePolicies", listOrNone(p.certificatePolicies())));
            ext.append(row(name, "cRLDistributionPoints", p.crlDistributionPoint() ? r.crlUrl() : "none"));
            ext.append(row(name, "authorityInfoAccess", aia.isEmpty() ? "none" : String.join("; ", aia)));
            if (p.ocspNoCheck()) {
                ext.append(row(name, "id-pkix-ocsp-nocheck", "present"));
            }
            ext.append(row(name, "subject attribute types", String.join(", ", p.subjectAttributes())));
        }
        block("block:profiles-validity", "6.3.2", validity);
        block("block:profiles-keys", "6.1.5", keys);
        block("block:profiles", "7.1", ext);
        StringBuilder o = new StringBuilder();
        if (oids.isEmpty()) {
            o.append("- none: no profile names a certificate policy OID (`certificatePolicies`)\n");
        }
        for (String oid : oids) {
            List<String> in = ca.profiles().entrySet().stream()
                    .filter(e -> e.getValue().certificatePolicies().contains(oid)).map(Map.Entry::getKey).toList();
            o.append("- `").append(oid).append("`, in profile(s) ").append(String.join(", ", in)).append('\n');
        }
        block("block:policy-oids", "1.2", o);

        StringBuilder reasons = new StringBuilder();
        for (RevocationReason rr : RevocationReason.values()) {
            reasons.append("- `").append(rr.rfcName()).append("` (").append(rr.code()).append(")\n");
        }
        block("block:revocation-reasons", "4.9.1", reasons);
    }

    private void presigner(PresignerConfig p) {
        put("presigner:validityHours", "4.9.10", hours(p.validityHours()));
        put("presigner:validityHours.half", "4.9.10", Human.duration(p.validity().dividedBy(2)));
    }

    private void ra(RaSettings ra) {
        put("ra:ra.jpki.signing-policies", "3.2.3", "`" + String.join("`, `", ra.signingPolicies()) + "`");
        StringBuilder g = new StringBuilder("| pinned SHA-256 (`ra.jpki.signing-cas[i].sha256`) | serial | valid from | valid to |\n"
                + "|---|---|---|---|\n");
        for (RaSettings.JlisGeneration j : ra.jlisGenerations()) {
            X509Certificate c = j.certificate();
            if (c == null) {
                // Pinned, supplied by the operator from J-LIS; not installed where this CP/CPS was generated.
                g.append(row("`" + j.sha256() + "`", (j.name() == null ? "" : j.name() + ", ")
                        + "file supplied by the operator", "(per J-LIS)", "(per J-LIS)"));
                continue;
            }
            g.append(row("`" + j.sha256() + "`", c.getSerialNumber().toString(16).toUpperCase(),
                    c.getNotBefore().toInstant().toString().substring(0, 10),
                    c.getNotAfter().toInstant().toString().substring(0, 10)));
        }
        block("block:jlis-generations", "3.2.3", g);
        String sources;
        if (ra.jlisOcspConfigured() && ra.jlisCrlConfigured()) {
            sources = "the J-LIS OCSP responder (`ra.jlis.ocsp-url`), and the J-LIS CRL (`ra.jlis.crl-url`) when the"
                    + " responder cannot be reached";
        } else if (ra.jlisOcspConfigured()) {
            sources = "the J-LIS OCSP responder (`ra.jlis.ocsp-url`; no CRL is configured as a fallback)";
        } else if (ra.jlisCrlConfigured()) {
            sources = "the J-LIS CRL (`ra.jlis.crl-url`; no OCSP responder is configured)";
        } else {
            sources = "none: `ra.jlis.ocsp-url` and `ra.jlis.crl-url` are unset, so no application is approved"
                    + " automatically; each waits and is then referred to an officer";
        }
        put("ra:ra.jlis.sources", "3.2.3", sources);
        put("ra:ra.jlis.timeout", "4.2.1", Human.duration(ra.jlisTimeout()));
        put("ra:ra.jlis.retry-interval", "4.2.1", Human.duration(ra.jlisRetryInterval()));
        put("ra:ra.books.retention", "5.5.2", Human.period(ra.booksRetention()));
        put("ra:ra.application.max-bytes", "4.1.2", ra.applicationMaxBytes() + " bytes");
        StringBuilder consent = new StringBuilder("| document id | SHA-256 of the text shown |\n|---|---|\n");
        if (ra.consentDocuments().isEmpty()) {
            throw new ConfigException("the RA configuration names no consent document (ra.consent-documents.\"<id>\");"
                    + " the CP/CPS states which texts applicants agree to (4.1.2)");
        }
        ra.consentDocuments().forEach((id, sha) -> consent.append(row("`" + id + "`", "`" + sha + "`")));
        block("block:consent-documents", "4.1.2", consent);

        RaSettings.Policy p = ra.policy();
        put("policy:id", "4.2.1", "`" + p.id() + "`");
        put("policy:version", "4.2.1", p.version());
        put("policy:sha256", "4.2.1", "`" + p.sha256() + "`");
        if (p.referAfterJlisUnavailable() == null) {
            throw new ConfigException("the approval policy has no referAfterJlisUnavailable; ra-service refuses it too");
        }
        put("policy:referAfterJlisUnavailable", "4.2.1", Human.duration(Duration.parse(p.referAfterJlisUnavailable())));
        put("policy:csrKeys.rsaMinimumBits", "6.1.5", p.rsaMinimumBits() == null ? "no RSA keys" : p.rsaMinimumBits() + " bits");
        put("policy:csrKeys.ecCurves", "6.1.5", p.ecCurves().isEmpty() ? "none" : String.join(", ", p.ecCurves()));
        StringBuilder out = new StringBuilder("| finding | outcome |\n|---|---|\n");
        p.outcomes().forEach((finding, outcome) -> out.append(row("`" + finding + "`", outcome)));
        block("block:policy-outcomes", "4.2.1", out);
    }

    private void put(String key, String clause, String text) {
        if (fields.put(key, new Field(key, clause, text, false)) != null) {
            throw new IllegalStateException("CP/CPS field " + key + " defined twice");
        }
    }

    private void block(String key, String clause, StringBuilder markdown) {
        if (fields.put(key, new Field(key, clause, markdown.toString().stripTrailing(), true)) != null) {
            throw new IllegalStateException("CP/CPS field " + key + " defined twice");
        }
    }

    private static String required(String v, String setting) {
        if (v == null || v.isBlank()) {
            throw new ConfigException("ca.yaml has no '" + setting + "'; the CP/CPS states it, so set it");
        }
        return v;
    }

    private static String row(String... cells) {
        StringBuilder b = new StringBuilder("|");
        for (String c : cells) {
            b.append(' ').append(c.replace("|", "\\|")).append(" |");
        }
        return b.append('\n').toString();
    }

    private static String listOrNone(List<String> l) {
        return l.isEmpty() ? "none" : String.join(", ", l);
    }

    private static String hours(int h) {
        return h + (h == 1 ? " hour" : " hours");
    }

    private static String years(int y) {
        return y + (y == 1 ? " year" : " years");
    }

    /** Durations and periods in words, as the CP/CPS states them. */
    static final class Human {
        private Human() {}

        static String duration(Duration d) {
            long s = d.getSeconds();
            if (s % 3600 == 0) {
                return unit(s / 3600, "hour");
            }
            if (s % 60 == 0) {
                return unit(s / 60, "minute");
            }
            return unit(s, "second");
        }

        static String period(Period p) {
            List<String> parts = new ArrayList<>();
            if (p.getYears() != 0) {
                parts.add(unit(p.getYears(), "year"));
            }
            if (p.getMonths() != 0) {
                parts.add(unit(p.getMonths(), "month"));
            }
            if (p.getDays() != 0 || parts.isEmpty()) {
                parts.add(unit(p.getDays(), "day"));
            }
            return String.join(" ", parts);
        }

        private static String unit(long n, String unit) {
            return n + " " + unit + (n == 1 ? "" : "s");
        }
    }
}
