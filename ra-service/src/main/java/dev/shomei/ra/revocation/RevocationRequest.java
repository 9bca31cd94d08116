package dev.shomei.ra.revocation;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A request to revoke the certificate issued for an application (books: revocation), signed by the subscriber
 * with their JPKI signing certificate, or initiated by an RA officer.
 *
 * <p>Zone: online (ra-service), table {@code revocation_request}.
 */
@Entity
@Table(name = "revocation_request")
public class RevocationRequest extends PanacheEntityBase {

    /** REVOKED and CA_REFUSED follow APPROVED once the CA's result bundle has come back. */
    public enum Status { APPROVED, REFERRED, REJECTED, REVOKED, CA_REFUSED }

    public enum InitiatedBy { APPLICANT, OFFICER }

    @Id
    public UUID id;
    @Column(name = "cms_sha256") public String cmsSha256;
    @Column(name = "signature_sha256") public String signatureSha256;
    public byte[] cms;
    @Column(name = "received_at") public Instant receivedAt;
    @Enumerated(EnumType.STRING) @Column(name = "initiated_by") public InitiatedBy initiatedBy;
    @Enumerated(EnumType.STRING) public Status status;
    @Column(name = "application_id") public UUID applicationId;
    @Column(name = "certificate_serial") public String certificateSerial;
    public String reason;
    @Column(name = "jpki_certificate") public byte[] jpkiCertificate;
    @Column(name = "jpki_serial") public String jpkiSerial;
    @Column(name = "jpki_issuer") public String jpkiIssuer;
    @Column(name = "revocation_status") public String revocationStatus;
    @Column(name = "revocation_source") public String revocationSource;
    @Column(name = "revocation_response") public byte[] revocationResponse;
    @Column(name = "revocation_response_sha256") public String revocationResponseSha256;
    @Column(name = "revocation_checked_at") public Instant revocationCheckedAt;
    @Column(name = "decision_id") public UUID decisionId;
    @Column(name = "retain_until") public Instant retainUntil;
    @Column(name = "revoked_at") public Instant revokedAt;
    @Column(name = "ca_refusal") public String caRefusal;
    /** SUBSCRIBER_CERTIFICATE when signed with the subscriber's own certificate of this CA; else null. */
    public String route;
    @Column(name = "signer_certificate") public byte[] signerCertificate;
    /** The route's evidence while the decision is recorded (digests, serial, status source); not a column. */
    @jakarta.persistence.Transient public java.util.Map<String, Object> routeEvidence;

    /** The channel the request came through (JSON, V20), and its remote address for the burst rule. */
    public String channel;
    @Column(name = "client_address") public String clientAddress;

    public static Optional<RevocationRequest> byCmsSha256(String sha256) {
        return find("cmsSha256", sha256).firstResultOptional();
    }

    public static List<RevocationRequest> referred() {
        return list("status = ?1 order by receivedAt", Status.REFERRED);
    }

    public static List<RevocationRequest> referred(int offset, int limit) {
        return find("status = ?1 order by receivedAt, id", Status.REFERRED).range(offset, offset + limit - 1).list();
    }

    public static Optional<RevocationRequest> bySignatureSha256(String sha256) {
        return find("signatureSha256", sha256).firstResultOptional();
    }
}
