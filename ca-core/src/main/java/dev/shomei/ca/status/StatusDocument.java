package dev.shomei.ca.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.pkcs11.Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A signed status document of a secure-zone component (docs/monitoring.md): a JSON object of format
 * {@value #FORMAT} in a CMS SignedData (RFC 5652) with one signer, its certificate embedded, pushed out to the RA
 * because the secure zone opens no port.
 *
 * <p>Signed with the <b>audit checkpoint key</b> ({@code crl.auditCheckpointKey}), not the issuing key nor the
 * publication signer: like a checkpoint, a status document is the secure zone's signed statement of the state of
 * its own records at a moment, and that key is the one both secure-zone components (the CA's pull loop and the
 * presigner, which read the same ca.yaml) already hold. The issuing key certifies and the publication signer makes
 * relying parties' artifacts publishable; neither should vouch for monitoring data. The signature cannot be taken
 * for a checkpoint's: CMS signs the DER of its signed attributes (content type, digest), never checkpoint text.
 *
 * <p>Zone: secure. Signs through the HSM; writes nothing.
 */
public final class StatusDocument {

    public static final String FORMAT = "shomei-secure-zone-status/v1";
    static final ObjectMapper JSON = new ObjectMapper();

    private StatusDocument() {}

    /** A new document: format, component, a random id and the time it describes. */
    public static ObjectNode start(String component, Instant producedAt) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", FORMAT);
        n.put("component", component);
        n.put("documentId", UUID.randomUUID().toString());
        n.put("producedAt", producedAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        return n;
    }

    /**
     * The signer of status documents: the audit checkpoint key. A CA configured without one (older configurations,
     * where the issuing key signs checkpoints) pushes no status: the issuing key signs nothing but certificates,
     * CRLs and result bundles here.
     */
    public static Signer signer(CertificateAuthority ca) {
        String label = ca.config().auditCheckpointKeyLabel();
        if (label == null) {
            throw new ConfigException("crl.auditCheckpointKey is not set: status documents are signed with the audit"
                    + " checkpoint key; make one (ca delegate --profile audit-checkpoint) and set crl.auditCheckpointKey");
        }
        ca.auditCheckpoints(); // checks that the key is a delegated digitalSignature-only key of this CA
        return ca.signer(label);
    }

    /** The document as DER CMS SignedData, content encapsulated, signer certificate included. */
    public static byte[] sign(ObjectNode document, Signer signer) {
        try {
            byte[] content = JSON.writeValueAsBytes(document);
            CMSSignedDataGenerator g = new CMSSignedDataGenerator();
            g.addSignerInfoGenerator(new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                    .build(new SignerContentSigner(signer), signer.certificate()));
            g.addCertificates(new JcaCertStore(List.of(signer.certificate())));
            return g.generate(new CMSProcessableByteArray(content), true).getEncoded();
        } catch (OperatorCreationException | CertificateEncodingException | CMSException | IOException e) {
            throw new IllegalStateException("cannot sign the status document: " + e.getMessage(), e);
        }
    }

    public static String pretty(ObjectNode document) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
