package dev.shomei.publisher.probe;

import dev.shomei.publisher.bundle.CaCertificates;
import dev.shomei.publisher.origin.LiveManifest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Fetches what relying parties fetch from the CDN (CRLs and pre-signed OCSP responses) and judges each as a relying
 * party would: the signature verifies against the configured CA certificates (an OCSP response by the CA or by a
 * responder certificate it issued with id-kp-OCSPSigning, RFC 6960 section 4.2.2.2), and it is fresh. docs/monitoring.md.
 *
 * <p>CRITICAL: unreadable, not signed by the CA, or past nextUpdate (RFC 5280 section 5.1.2.5; RFC 6960 section
 * 4.2.2.1). WARNING: nextUpdate closer than the warning margin, or past half its validity although the secure
 * zone re-signs at half (CP/CPS 4.9.7, 4.9.10): the CDN is behind and will lapse if nothing changes.
 *
 * <p>Online zone (or anywhere outside the platform). Holds no key; reads only what anyone can fetch; writes nothing.
 */
public final class RelyingPartyProbe {

    public enum Severity { OK, WARNING, CRITICAL }

    /** One artifact's verdict; times are null when the artifact could not be read. */
    public record Finding(String path, String kind, Severity severity, String message, String issuer,
                          Instant thisUpdate, Instant nextUpdate, Long crlNumber) {}

    /** The OCSP responses checked for one issuer, summed up for metrics. */
    public record OcspSummary(String issuer, int checked, int pastHalfValidity, int lapsed, Instant oldestThisUpdate,
                              Instant earliestNextUpdate) {}

    public record Report(Instant at, String source, List<Finding> findings, List<OcspSummary> ocsp) {
        public Severity worst() {
            return findings.stream().map(Finding::severity).max(Comparator.naturalOrder()).orElse(Severity.OK);
        }

        public long count(Severity s) {
            return findings.stream().filter(f -> f.severity() == s).count();
        }
    }

    /** Where relying parties' artifacts come from: a filesystem CDN origin or the CDN over HTTP. */
    public interface Source {
        /** The bytes at a repository path; an {@link java.io.FileNotFoundException} when absent. */
        byte[] fetch(String path) throws IOException;

        String describe();
    }

    /**
     * @param crlWarnBefore   warn when a CRL's nextUpdate is closer than this
     * @param ocspWarnBefore  warn when an OCSP response's nextUpdate is closer than this
     * @param ocspSample      at most this many OCSP responses checked per run, the oldest first
     */
    public record Settings(Duration crlWarnBefore, Duration ocspWarnBefore, int ocspSample) {}

    /** thisUpdate may lie this far in the future (clock skew) before it is refused. */
    static final Duration MAX_SKEW = Duration.ofMinutes(5);

    private final CaCertificates cas;
    private final Settings settings;
    private final Clock clock;

    public RelyingPartyProbe(CaCertificates cas, Settings settings, Clock clock) {
        this.cas = cas;
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Checks the CRLs and OCSP responses the origin's live manifest lists (every CRL; the oldest OCSP responses up
     * to the sample size), plus any paths given. An unreadable live manifest is an {@link IOException}.
     */
    public Report run(Source source, List<String> crlPaths, List<String> ocspPaths) throws IOException {
        Instant now = clock.instant();
        List<String> crls = new ArrayList<>(crlPaths);
        List<String> ocsp = new ArrayList<>(ocspPaths);
        if (crls.isEmpty() && ocsp.isEmpty()) {
            LiveManifest live;
            try {
                live = LiveManifest.parse(source.fetch(LiveManifest.PATH));
            } catch (java.io.FileNotFoundException e) {
                throw new IOException("no " + LiveManifest.PATH + " at " + source.describe() + " to list what is live"
                        + " (the edge serves only published artifacts): name them with --crl and --ocsp", e);
            }
            for (LiveManifest.Entry e : live.artifacts()) {
                if ("crl".equals(e.kind())) {
                    crls.add(e.path());
                }
            }
            // The oldest responses are the ones that lapse first: the live OCSP index's shards say where they are.
            ocsp.addAll(dev.shomei.publisher.origin.LiveOcspIndex.oldestResponses(live, source::fetch, settings.ocspSample()));
        }
        List<Finding> findings = new ArrayList<>();
        for (String p : crls) {
            findings.add(crl(source, p, now));
        }
        Map<String, List<Finding>> byIssuer = new LinkedHashMap<>();
        for (String p : ocsp) {
            Finding f = ocsp(source, p, now);
            findings.add(f);
            byIssuer.computeIfAbsent(f.issuer() == null ? "unknown" : f.issuer(), k -> new ArrayList<>()).add(f);
        }
        List<OcspSummary> summaries = new ArrayList<>();
        byIssuer.forEach((issuer, list) -> summaries.add(summary(issuer, list, now)));
        return new Report(now, source.describe(), List.copyOf(findings), List.copyOf(summaries));
    }

    private OcspSummary summary(String issuer, List<Finding> list, Instant now) {
        int pastHalf = 0;
        int lapsed = 0;
        Instant oldest = null;
        Instant earliest = null;
        for (Finding f : list) {
            if (f.thisUpdate() == null || f.nextUpdate() == null) {
                continue;
            }
            if (pastHalf(f.thisUpdate(), f.nextUpdate(), now)) {
                pastHalf++;
            }
            if (!now.isBefore(f.nextUpdate())) {
                lapsed++;
            }
            oldest = oldest == null || f.thisUpdate().isBefore(oldest) ? f.thisUpdate() : oldest;
            earliest = earliest == null || f.nextUpdate().isBefore(earliest) ? f.nextUpdate() : earliest;
        }
        return new OcspSummary(issuer, list.size(), pastHalf, lapsed, oldest, earliest);
    }

    private Finding crl(Source source, String path, Instant now) {
        X509CRL crl;
        try {
            crl = (X509CRL) CertificateFactory.getInstance("X.509")
                    .generateCRL(new ByteArrayInputStream(source.fetch(path)));
        } catch (java.io.FileNotFoundException e) {
            return unreadable(path, "crl", "not found at " + source.describe() + ": relying parties get nothing");
        } catch (Exception e) {
            return unreadable(path, "crl", "not a DER X.509 CRL (" + e.getMessage() + ")");
        }
        String issuer = crl.getIssuerX500Principal().getName();
        X509Certificate ca = cas.all().stream().map(CaCertificates.CaCertificate::certificate)
                .filter(c -> c.getSubjectX500Principal().equals(crl.getIssuerX500Principal())).findFirst().orElse(null);
        Long number = crlNumber(crl);
        Instant thisUpdate = crl.getThisUpdate().toInstant();
        Instant nextUpdate = crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant();
        if (ca == null) {
            return new Finding(path, "crl", Severity.CRITICAL, "issued by " + issuer + ", which is none of the CA"
                    + " certificates given (--ca-cert)", issuer, thisUpdate, nextUpdate, number);
        }
        try {
            crl.verify(ca.getPublicKey());
        } catch (Exception e) {
            return new Finding(path, "crl", Severity.CRITICAL, "signature does not verify with the key of " + issuer
                    + ": relying parties reject it", issuer, thisUpdate, nextUpdate, number);
        }
        return judge(path, "crl", "CRL " + number, issuer, thisUpdate, nextUpdate, now, settings.crlWarnBefore(),
                "--crl-warn-before", number);
    }

    private Finding ocsp(Source source, String path, Instant now) {
        BasicOCSPResp basic;
        try {
            OCSPResp resp = new OCSPResp(source.fetch(path));
            if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
                return unreadable(path, "ocsp", "responseStatus " + resp.getStatus() + ", not successful");
            }
            basic = (BasicOCSPResp) resp.getResponseObject();
        } catch (java.io.FileNotFoundException e) {
            return unreadable(path, "ocsp", "not found at " + source.describe() + ": relying parties get nothing");
        } catch (Exception e) {
            return unreadable(path, "ocsp", "not a DER OCSP response (" + e.getMessage() + ")");
        }
        SingleResp[] singles = basic.getResponses();
        if (singles.length != 1) {
            return unreadable(path, "ocsp", singles.length + " single responses; a pre-signed response has one");
        }
        SingleResp single = singles[0];
        Instant thisUpdate = single.getThisUpdate().toInstant();
        Instant nextUpdate = single.getNextUpdate() == null ? null : single.getNextUpdate().toInstant();
        CaCertificates.CaCertificate ca = cas.all().stream()
                .filter(c -> matches(single, c.certificate())).findFirst()
                .orElse(null);
        if (ca == null) {
            return new Finding(path, "ocsp", Severity.CRITICAL, "the CertID names an issuer that is none of the CA"
                    + " certificates given (--ca-cert)", null, thisUpdate, nextUpdate, null);
        }
        String issuer = ca.certificate().getSubjectX500Principal().getName();
        String why = signedByCaOrResponder(basic, ca.certificate(), now);
        if (why != null) {
            return new Finding(path, "ocsp", Severity.CRITICAL, why, issuer, thisUpdate, nextUpdate, null);
        }
        return judge(path, "ocsp", "OCSP response for serial " + single.getCertID().getSerialNumber().toString(16),
                issuer, thisUpdate, nextUpdate, now, settings.ocspWarnBefore(), "--ocsp-warn-before", null);
    }

    /** Null when signed by the CA, or by a responder certificate the CA issued for OCSP signing; else why not. */
    private static String signedByCaOrResponder(BasicOCSPResp basic, X509Certificate ca, Instant now) {
        try {
            if (basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(ca.getPublicKey()))) {
                return null;
            }
            for (X509CertificateHolder h : basic.getCerts()) {
                X509Certificate responder = new JcaX509CertificateConverter().getCertificate(h);
                try {
                    responder.verify(ca.getPublicKey());
                } catch (Exception e) {
                    continue;
                }
                List<String> eku = responder.getExtendedKeyUsage();
                if (eku == null || !eku.contains(KeyPurposeId.id_kp_OCSPSigning.getId())) {
                    return "signed by " + responder.getSubjectX500Principal().getName() + ", which lacks"
                            + " id-kp-OCSPSigning (RFC 6960 section 4.2.2.2)";
                }
                if (now.isBefore(responder.getNotBefore().toInstant()) || now.isAfter(responder.getNotAfter().toInstant())) {
                    return "the responder certificate " + responder.getSubjectX500Principal().getName()
                            + " is not valid now (" + responder.getNotAfter().toInstant() + ")";
                }
                if (basic.isSignatureValid(new JcaContentVerifierProviderBuilder().build(responder.getPublicKey()))) {
                    return null;
                }
            }
        } catch (Exception e) {
            return "signature cannot be checked (" + e.getMessage() + ")";
        }
        return "signature verifies neither with the CA's key nor with a responder certificate it issued:"
                + " relying parties reject it";
    }

    private static Finding judge(String path, String kind, String what, String issuer, Instant thisUpdate,
                                 Instant nextUpdate, Instant now, Duration warnBefore, String option, Long number) {
        if (nextUpdate == null) {
            return new Finding(path, kind, Severity.CRITICAL, what + " has no nextUpdate: relying parties cannot tell"
                    + " when it stops being current", issuer, thisUpdate, null, number);
        }
        if (thisUpdate.isAfter(now.plus(MAX_SKEW))) {
            return new Finding(path, kind, Severity.CRITICAL, what + " has thisUpdate " + thisUpdate + ", in the"
                    + " future of this clock (" + now + ")", issuer, thisUpdate, nextUpdate, number);
        }
        if (!now.isBefore(nextUpdate)) {
            return new Finding(path, kind, Severity.CRITICAL, what + " lapsed: nextUpdate " + nextUpdate + " passed "
                    + human(Duration.between(nextUpdate, now)) + " ago; relying parties treat it as stale", issuer,
                    thisUpdate, nextUpdate, number);
        }
        Duration left = Duration.between(now, nextUpdate);
        if (left.compareTo(warnBefore) < 0) {
            return new Finding(path, kind, Severity.WARNING, what + " is about to lapse: nextUpdate " + nextUpdate
                    + " is " + human(left) + " away, closer than " + option + " " + warnBefore, issuer, thisUpdate,
                    nextUpdate, number);
        }
        if (pastHalf(thisUpdate, nextUpdate, now)) {
            return new Finding(path, kind, Severity.WARNING, what + " is stale: past half its validity (thisUpdate "
                    + thisUpdate + ", nextUpdate " + nextUpdate + ") although the secure zone re-signs at half;"
                    + " publication to the CDN is behind", issuer, thisUpdate, nextUpdate, number);
        }
        return new Finding(path, kind, Severity.OK, what + " fresh: nextUpdate " + nextUpdate + " in " + human(left),
                issuer, thisUpdate, nextUpdate, number);
    }

    static boolean pastHalf(Instant thisUpdate, Instant nextUpdate, Instant now) {
        return now.isAfter(thisUpdate.plus(Duration.between(thisUpdate, nextUpdate).dividedBy(2)));
    }

    private static Finding unreadable(String path, String kind, String why) {
        return new Finding(path, kind, Severity.CRITICAL, why, null, null, null, null);
    }

    private static Long crlNumber(X509CRL crl) {
        byte[] ext = crl.getExtensionValue("2.5.29.20");
        if (ext == null) {
            return null;
        }
        return org.bouncycastle.asn1.ASN1Integer.getInstance(
                org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getValue().longValue();
    }

    private static boolean matches(SingleResp single, X509Certificate ca) {
        try {
            return single.getCertID().matchesIssuer(holder(ca), digests());
        } catch (org.bouncycastle.cert.ocsp.OCSPException e) {
            return false;
        }
    }

    private static X509CertificateHolder holder(X509Certificate c) {
        try {
            return new X509CertificateHolder(c.getEncoded());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static org.bouncycastle.operator.DigestCalculatorProvider digests() {
        try {
            return new org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder().build();
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    static String human(Duration d) {
        Duration a = d.abs();
        if (a.toDays() >= 2) {
            return a.toDays() + " d " + a.toHoursPart() + " h";
        }
        if (a.toHours() >= 1) {
            return a.toHours() + " h " + a.toMinutesPart() + " min";
        }
        return a.toMinutes() + " min";
    }
}
