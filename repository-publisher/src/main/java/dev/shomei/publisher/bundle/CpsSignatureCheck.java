package dev.shomei.publisher.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.cos.COSString;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;

/**
 * The PAdES signature of a CP/CPS PDF (ETSI EN 319 142-1, baseline B-B, SubFilter ETSI.CAdES.detached), checked
 * the way a PDF reader checks it, so that a CP/CPS altered after signing or signed by someone else is never
 * published in the CA's name:
 * <ol>
 *   <li>the signature that covers the whole file: /ByteRange [0 a b c] with a + (the /Contents hex string) = b
 *       and b + c = file length, so nothing was appended after signing (ISO 32000-1 §12.8.1);</li>
 *   <li>the gap holds exactly the dictionary's /Contents, in hex;</li>
 *   <li>a detached CMS SignedData with one signer and a SHA-2 digest whose signature verifies over the two byte
 *       ranges;</li>
 *   <li>the ESS signing-certificate-v2 attribute names the signer certificate (ETSI EN 319 122-1 §5.2.2.3);</li>
 *   <li>the signer certificate is accepted by the caller (the pinned publication signer, or a configured CP/CPS
 *       signer).</li>
 * </ol>
 * Earlier signatures (an incremental update signed before ours) must verify over their own ranges as well.
 *
 * <p>Online zone. Pure: parses bytes it is given; PDFBox only reads the signature dictionaries.
 */
final class CpsSignatureCheck {

    private static final Set<String> DIGESTS = Set.of(NISTObjectIdentifiers.id_sha256.getId(),
            NISTObjectIdentifiers.id_sha384.getId(), NISTObjectIdentifiers.id_sha512.getId());

    private CpsSignatureCheck() {
    }

    /**
     * @param signerProblem why a signer certificate is not trusted for the CP/CPS, or empty when it is
     * @return every problem found, each a sentence; empty when the PDF is signed as required
     */
    static List<String> problems(byte[] pdf, Function<X509Certificate, Optional<String>> signerProblem) {
        List<String> problems = new ArrayList<>();
        List<PDSignature> signatures;
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            signatures = doc.getSignatureDictionaries();
            if (signatures.isEmpty()) {
                problems.add("has no PAdES signature; the secure zone signs every CP/CPS with the publication signer");
                return problems;
            }
            boolean covered = false;
            for (int i = 0; i < signatures.size(); i++) {
                PDSignature sig = signatures.get(i);
                String which = "signature " + (i + 1) + " of " + signatures.size();
                int[] range = sig.getByteRange();
                if (range == null || range.length != 4) {
                    problems.add(which + " has no /ByteRange of four numbers");
                    continue;
                }
                boolean whole = (long) range[2] + range[3] == pdf.length;
                Optional<String> problem = checkOne(pdf, sig, range, whole ? signerProblem : c -> Optional.empty());
                problem.ifPresent(p -> problems.add(which + " " + p));
                covered |= whole;
            }
            if (!covered) {
                problems.add("has no signature covering the whole file: bytes were added after the last signature");
            }
        } catch (IOException | RuntimeException e) {
            problems.add("is not a readable PDF: " + e.getMessage());
        }
        return problems;
    }

    private static Optional<String> checkOne(byte[] pdf, PDSignature sig, int[] r,
                                             Function<X509Certificate, Optional<String>> signerProblem) {
        if (!PDSignature.SUBFILTER_ETSI_CADES_DETACHED.getName().equals(sig.getSubFilter())) {
            return Optional.of("has SubFilter " + sig.getSubFilter() + "; PAdES needs ETSI.CAdES.detached (ETSI EN 319 142-1 §5.1)");
        }
        if (r[0] != 0 || r[1] <= 0 || r[2] <= r[1] + 1 || r[3] < 0 || (long) r[2] + r[3] > pdf.length) {
            return Optional.of("has the /ByteRange " + Arrays.toString(r) + ", which does not start at 0 and fit the file of "
                    + pdf.length + " bytes");
        }
        // The gap must be exactly <hex digits> and the dictionary's own /Contents (ISO 32000-1 §12.8.1).
        if (pdf[r[1]] != '<' || pdf[r[2] - 1] != '>') {
            return Optional.of("has a /ByteRange gap that is not the /Contents hex string");
        }
        byte[] gap;
        try {
            gap = java.util.HexFormat.of().parseHex(new String(pdf, r[1] + 1, r[2] - r[1] - 2, java.nio.charset.StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            return Optional.of("has a /ByteRange gap that is not one hex string");
        }
        if (!(sig.getCOSObject().getDictionaryObject(COSName.CONTENTS) instanceof COSString contents)
                || !Arrays.equals(contents.getBytes(), gap)) {
            return Optional.of("has a /ByteRange gap that is not its own /Contents");
        }
        ByteArrayOutputStream signed = new ByteArrayOutputStream(r[1] + r[3]);
        signed.write(pdf, 0, r[1]);
        signed.write(pdf, r[2], r[3]);
        try {
            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(signed.toByteArray()), gap);
            Collection<SignerInformation> signers = cms.getSignerInfos().getSigners();
            if (signers.size() != 1) {
                return Optional.of("has " + signers.size() + " CMS signers; exactly one is expected");
            }
            SignerInformation si = signers.iterator().next();
            if (!DIGESTS.contains(si.getDigestAlgOID())) {
                return Optional.of("uses the digest " + si.getDigestAlgOID() + "; SHA-256, SHA-384 or SHA-512 is required");
            }
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> matches = cms.getCertificates().getMatches(si.getSID());
            if (matches.isEmpty()) {
                return Optional.of("does not carry its signer certificate in the CMS");
            }
            X509CertificateHolder holder = matches.iterator().next();
            X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
            if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().build(cert))) {
                return Optional.of("does not verify over its byte ranges: the PDF was changed after signing");
            }
            Optional<String> binding = signingCertificateProblem(si, holder);
            if (binding.isPresent()) {
                return binding;
            }
            return signerProblem.apply(cert);
        } catch (CMSException e) {
            return Optional.of("does not verify over its byte ranges (" + e.getMessage() + "): the PDF was changed after signing"
                    + " or /Contents is not CMS SignedData");
        } catch (Exception e) {
            return Optional.of("cannot be verified: " + e);
        }
    }

    /** ETSI EN 319 122-1 §5.2.2.3: signing-certificate-v2 binds the signer certificate into the signed attributes. */
    private static Optional<String> signingCertificateProblem(SignerInformation si, X509CertificateHolder signer) throws IOException {
        Attribute attr = si.getSignedAttributes() == null ? null
                : si.getSignedAttributes().get(PKCSObjectIdentifiers.id_aa_signingCertificateV2);
        if (attr == null || attr.getAttrValues().size() != 1) {
            return Optional.of("has no ESS signing-certificate-v2 attribute (CAdES, ETSI EN 319 122-1 §5.2.2.3)");
        }
        ESSCertIDv2[] ids = SigningCertificateV2.getInstance(attr.getAttrValues().getObjectAt(0)).getCerts();
        if (ids.length == 0) {
            return Optional.of("has an empty signing-certificate-v2 attribute");
        }
        AlgorithmIdentifier alg = ids[0].getHashAlgorithm();
        String jca = switch (alg.getAlgorithm().getId()) {
            case "2.16.840.1.101.3.4.2.1" -> "SHA-256";
            case "2.16.840.1.101.3.4.2.2" -> "SHA-384";
            case "2.16.840.1.101.3.4.2.3" -> "SHA-512";
            default -> null;
        };
        if (jca == null || !Arrays.equals(CaCertificates.digest(jca, signer.getEncoded()), ids[0].getCertHash())) {
            return Optional.of("has a signing-certificate-v2 attribute that does not name its signer certificate");
        }
        return Optional.empty();
    }
}
