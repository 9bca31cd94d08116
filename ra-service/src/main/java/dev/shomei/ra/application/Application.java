package dev.shomei.ra.application;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A certificate application as received and verified (books: applications), with the evidence it was decided on:
 * the signed bytes, the JPKI certificate, the identity it states and J-LIS's revocation answer.
 *
 * <p>Zone: online (ra-service), table {@code application}. Holds personal data: never log its fields other
 * than {@link #id} and {@link #status}.
 */
@Entity
@Table(name = "application")
public class Application extends PanacheEntityBase {

    /** ISSUED and CA_REFUSED follow APPROVED once the CA's result bundle has come back. */
    public enum Status { WAITING_FOR_JLIS, APPROVED, REFERRED, REJECTED, ISSUED, CA_REFUSED }

    @Id
    public UUID id;
    @Column(name = "cms_sha256") public String cmsSha256;
    /** SHA-256 of the CMS signature value: the same signature re-encoded (unsigned attributes) is one application. */
    @Column(name = "signature_sha256") public String signatureSha256;
    public byte[] cms;
    @Column(name = "received_at") public Instant receivedAt;
    @Enumerated(EnumType.STRING) public Status status;
    @Column(name = "signing_time") public Instant signingTime;

    @Column(name = "jpki_certificate") public byte[] jpkiCertificate;
    @Column(name = "jpki_serial") public String jpkiSerial;
    @Column(name = "jpki_issuer") public String jpkiIssuer;
    @Column(name = "jpki_issuer_sha256") public String jpkiIssuerSha256;
    @Column(name = "jpki_name") public String jpkiName;
    @Column(name = "jpki_name_substitutes") public String jpkiNameSubstitutes;
    @Column(name = "jpki_gender") public String jpkiGender;
    @Column(name = "jpki_birth_date") public String jpkiBirthDate;
    @Column(name = "jpki_address") public String jpkiAddress;
    @Column(name = "jpki_address_substitutes") public String jpkiAddressSubstitutes;

    @Column(name = "claimed_name") public String claimedName;
    @Column(name = "claimed_birth_date") public LocalDate claimedBirthDate;
    @Column(name = "claimed_gender") public String claimedGender;
    @Column(name = "claimed_address") public String claimedAddress;

    public byte[] csr;
    @Column(name = "csr_sha256") public String csrSha256;
    /** SHA-256 of the CSR's SubjectPublicKeyInfo: one live application per subscriber key. */
    @Column(name = "csr_key_sha256") public String csrKeySha256;
    @Column(name = "consent_document_id") public String consentDocumentId;
    @Column(name = "consent_document_sha256") public String consentDocumentSha256;

    @Column(name = "revocation_status") public String revocationStatus;
    @Column(name = "revocation_source") public String revocationSource;
    /** The raw OCSP response; a CRL is not copied here but named by {@link #revocationResponseSha256}. */
    @Column(name = "revocation_response") public byte[] revocationResponse;
    /** SHA-256 of the OCSP response or of the CRL (table {@code jlis_crl}) the J-LIS answer rests on. */
    @Column(name = "revocation_response_sha256") public String revocationResponseSha256;
    @Column(name = "revocation_checked_at") public Instant revocationCheckedAt;
    @Column(name = "revocation_note") public String revocationNote;
    @Column(name = "jlis_attempts") public int jlisAttempts;
    @Column(name = "next_attempt_at") public Instant nextAttemptAt;

    @Column(name = "decision_id") public UUID decisionId;
    @Column(name = "retain_until") public Instant retainUntil;

    /** How the applicant was verified: JPKI (My Number card signature) or SUBSCRIBER_CERTIFICATE (renewal). */
    public enum Route { JPKI, SUBSCRIBER_CERTIFICATE }

    @Enumerated(EnumType.STRING) public Route route = Route.JPKI;
    /** The subject the issue order carries (JSON [{type, value}]), fixed when the application is approved. */
    @Column(name = "certified_subject") public String certifiedSubject;
    /** The name the deciding officer entered or confirmed (substitute characters); the card's stays in jpkiName. */
    @Column(name = "officer_certified_name") public String officerCertifiedName;
    /** Renewal: the application whose certificate is renewed, and that certificate (the signer). */
    @Column(name = "renews_application_id") public UUID renewsApplicationId;
    @Column(name = "signer_certificate") public byte[] signerCertificate;

    /** The issued certificate (DER), from the CA's result bundle. */
    public byte[] certificate;
    @Column(name = "certificate_serial") public String certificateSerial;
    @Column(name = "issued_at") public Instant issuedAt;
    /** Why the CA refused the issue order (no personal data: the CA's reason text about the CSR). */
    @Column(name = "ca_refusal") public String caRefusal;

    /** Safeguards (V20): notices go to this contact; the key's device and the channel as received (JSON). */
    @Column(name = "contact_email") public String contactEmail;
    @Column(name = "key_device") public String keyDevice;
    public String channel;
    @Column(name = "client_address") public String clientAddress;
    /** Set on an officer's re-issuance after an upheld dispute of a revocation: the application re-issued. */
    @Column(name = "reissues_application_id") public UUID reissuesApplicationId;

    public static Optional<Application> byCmsSha256(String sha256) {
        return find("cmsSha256", sha256).firstResultOptional();
    }

    public static List<Application> waitingDue(Instant now, int limit) {
        return find("status = ?1 and nextAttemptAt <= ?2 order by nextAttemptAt", Status.WAITING_FOR_JLIS, now)
                .page(0, limit).list();
    }

    public static Optional<Application> byCertificateSerial(String serialHex) {
        return find("certificateSerial", serialHex).firstResultOptional();
    }

    public static List<Application> referred() {
        return list("status = ?1 order by receivedAt", Status.REFERRED);
    }

    /** One page of the referred queue, oldest first. */
    public static List<Application> referred(int offset, int limit) {
        return find("status = ?1 order by receivedAt, id", Status.REFERRED).range(offset, offset + limit - 1).list();
    }

    public static Optional<Application> bySignatureSha256(String sha256) {
        return find("signatureSha256", sha256).firstResultOptional();
    }

    /** A live application (waiting, referred, approved or issued) for the same subscriber key, if any. */
    public static Optional<Application> liveWithKey(String csrKeySha256) {
        return find("csrKeySha256 = ?1 and status in ?2", csrKeySha256, List.of(Status.WAITING_FOR_JLIS,
                Status.REFERRED, Status.APPROVED, Status.ISSUED)).firstResultOptional();
    }
}
