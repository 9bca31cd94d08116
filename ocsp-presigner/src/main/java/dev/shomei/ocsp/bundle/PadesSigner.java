package dev.shomei.ocsp.bundle;

import dev.shomei.ca.config.ConfigException;
import dev.shomei.pkcs11.Signer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Calendar;
import java.util.List;
import java.util.TimeZone;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;
import org.bouncycastle.cms.CMSProcessableByteArray;

/**
 * Signs a PDF (the CP/CPS) as PAdES baseline B-B (ETSI EN 319 142-1): an incremental update adding a
 * signature dictionary with SubFilter ETSI.CAdES.detached, whose /Contents is a detached CMS over the
 * /ByteRange, made in the HSM by {@link DetachedCms}.
 *
 * <p>Zone: secure. Reads the operator's PDF; signs only through the given {@link Signer}.
 */
public final class PadesSigner {

    // Room for the CMS in /Contents: two certificates (~1.5 KB) and an ECDSA or RSA signature, with margin.
    private static final int SIGNATURE_SIZE = 16_384;

    private final Signer signer;
    private final List<X509Certificate> certificates;

    public PadesSigner(Signer signer, List<X509Certificate> certificates) {
        this.signer = signer;
        this.certificates = certificates;
    }

    public byte[] sign(Path pdf, Instant when) {
        byte[] original;
        try {
            original = Files.readAllBytes(pdf);
        } catch (IOException e) {
            throw new ConfigException("cannot read the CP/CPS file " + pdf + ": " + e.getMessage());
        }
        try (PDDocument doc = Loader.loadPDF(original); SignatureOptions options = new SignatureOptions()) {
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
            sig.setName(signer.certificate().getSubjectX500Principal().getName());
            sig.setReason("Published by the certification authority");
            Calendar time = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
            time.setTimeInMillis(when.toEpochMilli());
            sig.setSignDate(time); // ETSI EN 319 142-1 §5.2.5: the claimed signing time is the M entry
            options.setPreferredSignatureSize(SIGNATURE_SIZE);
            doc.addSignature(sig, content -> DetachedCms.sign(signer, certificates,
                    new CMSProcessableByteArray(content.readAllBytes()), false), options);
            ByteArrayOutputStream out = new ByteArrayOutputStream(original.length + 2 * SIGNATURE_SIZE);
            doc.saveIncremental(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new ConfigException("cannot sign the CP/CPS file " + pdf + " (is it a PDF?): " + e.getMessage());
        }
    }
}
