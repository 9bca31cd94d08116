package dev.shomei.publisher;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Calendar;
import java.util.List;
import java.util.TimeZone;

import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.PDSignature;
import org.apache.pdfbox.pdmodel.interactive.digitalsignature.SignatureOptions;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.ess.ESSCertIDv2;
import org.bouncycastle.asn1.ess.SigningCertificateV2;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * CP/CPS PDFs for tests: a one-page document, and its PAdES B-B signature (ETSI.CAdES.detached, with
 * signing-certificate-v2 and without signing-time) made with a software key, as ocsp-presigner's PadesSigner
 * makes it with the HSM key. Test scope only.
 */
public final class TestPdfs {

    private TestPdfs() {
    }

    public static byte[] document(String text) throws Exception {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                s.newLineAtOffset(72, 700);
                s.showText(text);
                s.endText();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }

    /** An incremental update adding a PAdES signature by {@code signer} (its certificate and the issuing CA's in the CMS). */
    public static byte[] padesSign(byte[] pdf, TestPki.Identity signer, X509Certificate issuing) throws Exception {
        try (PDDocument doc = Loader.loadPDF(pdf); SignatureOptions options = new SignatureOptions()) {
            PDSignature sig = new PDSignature();
            sig.setFilter(PDSignature.FILTER_ADOBE_PPKLITE);
            sig.setSubFilter(PDSignature.SUBFILTER_ETSI_CADES_DETACHED);
            sig.setName(signer.certificate().getSubjectX500Principal().getName());
            sig.setSignDate(Calendar.getInstance(TimeZone.getTimeZone("UTC")));
            options.setPreferredSignatureSize(8192);
            doc.addSignature(sig, content -> cms(content.readAllBytes(), signer, issuing), options);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.saveIncremental(out);
            return out.toByteArray();
        }
    }

    static byte[] cms(byte[] content, TestPki.Identity signer, X509Certificate issuing) {
        try {
            X509Certificate cert = signer.certificate();
            ESSCertIDv2 id = new ESSCertIDv2(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
            Attribute scv2 = new Attribute(PKCSObjectIdentifiers.id_aa_signingCertificateV2,
                    new DERSet(new SigningCertificateV2(new ESSCertIDv2[] {id})));
            DefaultSignedAttributeTableGenerator defaults = new DefaultSignedAttributeTableGenerator(new AttributeTable(scv2));
            CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
            gen.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    // ETSI EN 319 142-1 §5.1: no signing-time attribute in PAdES (the time is the dictionary's M).
                    .setSignedAttributeGenerator(p -> defaults.getAttributes(p).remove(CMSAttributes.signingTime))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.keys().getPrivate()), cert));
            gen.addCertificates(new JcaCertStore(List.of(cert, issuing)));
            return gen.generate(new CMSProcessableByteArray(content), false).getEncoded();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
