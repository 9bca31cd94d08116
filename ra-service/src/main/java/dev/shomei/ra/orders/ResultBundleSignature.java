package dev.shomei.ra.orders;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * Who may sign the CA's result bundles (docs/order-bundles.md, "The result signer"). One key, one purpose: the CA
 * signs results with a key of its own, certified by the issuing CA for digitalSignature and
 * id-shomei-kp-resultBundleSigning only, not with the issuing key (whose certificate says certificates and CRLs).
 * <ul>
 *   <li>Pinned ({@code ra.orders.result-signer-certificates} set): only those certificates' keys, each checked at
 *       start-up to be such a signer of a configured issuing CA. The issuing key itself is refused.</li>
 *   <li>Not pinned (the upgrade path): a signer certificate carried in the bundle that is such a signer of a
 *       configured issuing CA, or, from a CA not yet upgraded, the issuing CA key itself (reported).</li>
 * </ul>
 *
 * <p>Zone: online (ra-service). Plain Java: reads certificates and the CMS given; no I/O.
 */
public final class ResultBundleSignature {

    /** id-shomei-kp-resultBundleSigning, the same OID ca-core puts in the result signer's certificate. */
    public static final String RESULT_BUNDLE_SIGNING_OID = "1.3.6.1.4.1.99999.3.2";

    /** How a bundle's signature was accepted, or why it was not ({@code signer} null). */
    public record Verdict(X509Certificate signer, boolean byIssuingKey, String refusal) {
        public boolean ok() {
            return signer != null;
        }
    }

    private final List<X509Certificate> issuingCas;
    private final List<X509Certificate> pinned;

    /**
     * @throws IllegalStateException naming {@code ra.orders.result-signer-certificates} when a pinned certificate is
     *                               not a result signer of a configured issuing CA
     */
    public ResultBundleSignature(List<X509Certificate> issuingCas, List<X509Certificate> pinned) {
        this(issuingCas, pinned, false);
    }

    /**
     * @param generationsFromRoot a root is pinned ({@code ra.orders.root-certificates}), so issuing generations may be
     *                            taken from result bundles later: a pinned signer certified by none of the configured
     *                            CAs is checked against the generations known when a bundle arrives
     */
    public ResultBundleSignature(List<X509Certificate> issuingCas, List<X509Certificate> pinned,
                                 boolean generationsFromRoot) {
        this.issuingCas = List.copyOf(issuingCas);
        this.pinned = List.copyOf(pinned);
        for (X509Certificate p : this.pinned) {
            String why = unfit(p, this.issuingCas);
            if (why != null && !(generationsFromRoot && why.equals(NOT_ISSUED_BY_CONFIGURED))) {
                throw new IllegalStateException("ra.orders.result-signer-certificates: " + p.getSubjectX500Principal()
                        + " " + why + "; pin the certificate the CA made with ca delegate --profile result-bundle-signer");
            }
        }
    }

    public boolean pinned() {
        return !pinned.isEmpty();
    }

    public Verdict verify(CMSSignedData signed, Instant now) {
        return verify(signed, now, issuingCas);
    }

    /**
     * @param issuingCas the issuing generations trusted now: the configured ones, those taken from earlier result
     *                   bundles and this bundle's candidates (CaGenerations)
     */
    public Verdict verify(CMSSignedData signed, Instant now, List<X509Certificate> issuingCas) {
        SignerInformation si = signed.getSignerInfos().getSigners().iterator().next();
        if (pinned()) {
            for (X509Certificate p : pinned) {
                if (verifies(si, p) && validAt(p, now) && unfit(p, issuingCas) == null) {
                    return new Verdict(p, false, null);
                }
            }
            return new Verdict(null, false, "the result bundle is not signed by a pinned result signer"
                    + " (ra.orders.result-signer-certificates; a result signed with the issuing CA key is refused once"
                    + " a signer is pinned), or its content was changed after signing");
        }
        for (Object carried : signed.getCertificates().getMatches(si.getSID())) {
            try {
                X509Certificate c = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) carried);
                if (unfit(c, issuingCas) == null && validAt(c, now) && verifies(si, c)) {
                    return new Verdict(c, false, null);
                }
            } catch (java.security.cert.CertificateException e) {
                // an unreadable carried certificate is no signer
            }
        }
        for (X509Certificate ca : issuingCas) {
            if (verifies(si, ca) && validAt(ca, now)) {
                return new Verdict(ca, true, null);
            }
        }
        return new Verdict(null, false, "the result bundle is not signed by a result signer of a trusted issuing CA"
                + " (ra.orders.ca-certificates, or a generation certified by ra.orders.root-certificates) nor by such"
                + " a CA, or its content was changed after signing");
    }

    private static final String NOT_ISSUED_BY_CONFIGURED =
            "is not issued by a configured issuing CA (ra.orders.ca-certificates)";

    /** Null when {@code c} is a result signer issued by a configured CA; else what is wrong. */
    String unfit(X509Certificate c) {
        return unfit(c, issuingCas);
    }

    /** Null when {@code c} is a result signer issued by one of {@code issuingCas}; else what is wrong. */
    static String unfit(X509Certificate c, List<X509Certificate> issuingCas) {
        X509Certificate issuer = null;
        for (X509Certificate ca : issuingCas) {
            try {
                c.verify(ca.getPublicKey());
                issuer = ca;
                break;
            } catch (Exception e) {
                // not this CA
            }
        }
        if (issuer == null) {
            return NOT_ISSUED_BY_CONFIGURED;
        }
        if (c.getPublicKey().equals(issuer.getPublicKey())) {
            return "is the issuing CA key itself";
        }
        boolean[] ku = c.getKeyUsage();
        if (c.getBasicConstraints() >= 0 || ku == null || !ku[0] || ku[5] || ku[6]) {
            return "must be an end-entity certificate for digitalSignature without keyCertSign or cRLSign";
        }
        try {
            List<String> eku = c.getExtendedKeyUsage();
            if (eku == null || !eku.contains(RESULT_BUNDLE_SIGNING_OID)) {
                return "lacks the resultBundleSigning extended key usage (" + RESULT_BUNDLE_SIGNING_OID + ")";
            }
        } catch (CertificateParsingException e) {
            return "has an unreadable extendedKeyUsage";
        }
        return null;
    }

    private static boolean verifies(SignerInformation si, X509Certificate c) {
        try {
            return si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(c));
        } catch (Exception e) {
            return false; // not this key, or tampered
        }
    }

    private static boolean validAt(X509Certificate c, Instant now) {
        try {
            c.checkValidity(Date.from(now));
            return true;
        } catch (Exception e) {
            return false;
        }
    }
}
