package dev.shomei.ca.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shomei.ca.CertificateAuthority;
import dev.shomei.ca.config.ConfigException;
import dev.shomei.ca.profile.ProfileExtensions;
import dev.shomei.pkcs11.Signer;
import dev.shomei.pkcs11.SignerContentSigner;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
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
 * <p>Signed with the <b>status signer</b> ({@code status.signingKey}), a key of its own (one key, one purpose;
 * docs/monitoring.md, "The status signer"), certified by the issuing CA with the id-shomei-kp-statusSigning extended
 * key usage ({@code ca delegate --profile status-signer}). Not the issuing key (it certifies), nor the publication
 * signer (it makes relying parties' artifacts publishable), nor the audit checkpoint key (a checkpoint commits to
 * the audit log; a status document is monitoring data, produced every pull pass by a process the operator runs
 * unattended): a key that signs every minute should be able to vouch for nothing but monitoring data, and the RA
 * refuses a document signed by a certificate without that purpose. Both secure-zone components (the CA's pull loop
 * and the presigner) read the same ca.yaml and use the same key.
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
     * The signer of status documents: the status signer ({@code status.signingKey}). A CA configured without one
     * pushes no status; a key that is not a status signer of this issuing CA (the audit checkpoint key, the result
     * signer, the issuing key itself) is refused, naming the setting and the fix.
     */
    public static Signer signer(CertificateAuthority ca) {
        String label = ca.config().statusSigningKeyLabel();
        if (label == null) {
            throw new ConfigException("status.signingKey is not set: status documents are signed with a key of their"
                    + " own; make one (ca delegate --profile status-signer) and set status.signingKey");
        }
        for (String other : java.util.Arrays.asList(ca.config().auditCheckpointKeyLabel(),
                ca.config().resultSigningKeyLabel(), ca.config().issuingKeyLabel())) {
            if (label.equals(other)) {
                throw new ConfigException("status.signingKey: key '" + label + "' already has another purpose (audit"
                        + " checkpoints, result bundles or certificates); one key, one purpose: delegate one with ca"
                        + " delegate --profile status-signer");
            }
        }
        Signer s = ca.signer(label);
        X509Certificate issuing = ca.issuingSigner().certificate();
        try {
            s.certificate().verify(issuing.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new ConfigException("status.signingKey: the certificate of key '" + label + "' is not signed by the"
                    + " issuing CA " + issuing.getSubjectX500Principal() + "; delegate one with ca delegate --profile"
                    + " status-signer");
        }
        String why = unfit(s.certificate(), issuing);
        if (why != null) {
            throw new ConfigException("status.signingKey: key '" + label + "' " + why + "; delegate one with ca delegate"
                    + " --profile status-signer (keyUsage: [digitalSignature], extendedKeyUsage: [statusSigning])");
        }
        return s;
    }

    /** Null when {@code cert} is fit (ProfileExtensions.unfitForPurpose); else what is wrong, in words. */
    public static String unfit(X509Certificate cert, X509Certificate issuing) {
        return ProfileExtensions.unfitForPurpose(cert, issuing, ProfileExtensions.STATUS_SIGNING_OID, "statusSigning");
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
