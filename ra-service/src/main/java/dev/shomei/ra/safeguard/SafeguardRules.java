package dev.shomei.ra.safeguard;

import dev.shomei.ra.application.Application;
import dev.shomei.ra.decision.ApprovalPolicy;
import dev.shomei.ra.decision.Finding;
import dev.shomei.ra.revocation.RevocationRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The approval policy's rate and anomaly rules and its key-device rule, evaluated against the RA's records: each rule
 * that fires is a finding (code {@code rule-…} or {@code key-device-…}) that names the rule, the count and the
 * period, so the officer the application is referred to sees why. Counts are of requests received before this one
 * (so a retry after a J-LIS outage sees what the first attempt saw); concurrent submissions may each miss the
 * other, which lets at most one burst of simultaneous requests through to the next rule check.
 *
 * <p>Zone: online (ra-service). Reads {@code application} and {@code revocation_request}; writes nothing.
 */
@ApplicationScoped
public class SafeguardRules {

    /** The profile every application is issued under today (orders.Orders sends it with each issue order). */
    public static final String PROFILE = "subscriber-signature";

    @Inject
    ApprovalPolicy policy;

    /** What the rules look at in a new application (no personal data leaves this method in a finding). */
    public record ApplicationFacts(String cmsSha256, String jpkiSerial, String jpkiIssuer, String name,
                                   String birthDate, String gender, String csrKeySha256, KeyDevice device,
                                   String clientAddress, Instant receivedAt) {}

    @Transactional
    public List<Finding> application(ApplicationFacts f) {
        ApprovalPolicy.Rules rules = policy.rules();
        List<Finding> out = new ArrayList<>();
        if (rules.applicationsPerCard() != null) {
            ApprovalPolicy.Rate r = rules.applicationsPerCard();
            long n = Application.count("jpkiSerial = ?1 and jpkiIssuer = ?2 and receivedAt >= ?3 and receivedAt < ?4"
                    + " and cmsSha256 <> ?5", f.jpkiSerial(), f.jpkiIssuer(), f.receivedAt().minus(r.period()),
                    f.receivedAt(), f.cmsSha256());
            if (n >= r.max()) {
                out.add(new Finding("rule-applications-per-card", "this My Number card's signing certificate signed "
                        + n + " other applications within " + r.period() + "; the policy allows " + r.max()
                        + " before an RA officer looks (someone may be applying with the card repeatedly)"));
            }
        }
        if (rules.applicationsPerPerson() != null) {
            ApprovalPolicy.Rate r = rules.applicationsPerPerson();
            long n = Application.count("jpkiName = ?1 and jpkiBirthDate = ?2 and jpkiGender = ?3 and receivedAt >= ?4"
                    + " and receivedAt < ?5 and cmsSha256 <> ?6", f.name(), f.birthDate(), f.gender(),
                    f.receivedAt().minus(r.period()), f.receivedAt(), f.cmsSha256());
            if (n >= r.max()) {
                out.add(new Finding("rule-applications-per-person", n + " other applications for the same person"
                        + " (name, date of birth and gender on the card, any card) within " + r.period()
                        + "; the policy allows " + r.max() + " before an RA officer looks"));
            }
        }
        if (Boolean.TRUE.equals(rules.keyOfferedBefore()) && f.csrKeySha256() != null) {
            long n = Application.count("csrKeySha256 = ?1 and cmsSha256 <> ?2", f.csrKeySha256(), f.cmsSha256());
            if (n > 0) {
                out.add(new Finding("rule-key-offered-before", "the CSR's public key was offered in " + n
                        + " earlier application(s); a key is generated for one application, so an RA officer checks"
                        + " who holds it"));
            }
        }
        burst(f.clientAddress(), f.receivedAt(), f.cmsSha256()).ifPresent(out::add);
        out.addAll(device(f.device()));
        return out;
    }

    /** The key-device rule for the profile: a software key, or none stated, where hardware is required. */
    public List<Finding> device(KeyDevice device) {
        if (!policy.hardwareKeyRequired(PROFILE)) {
            return List.of();
        }
        if (device == null) {
            return List.of(new Finding("key-device-not-stated", "the policy requires the subscriber key of profile "
                    + PROFILE + " to be kept in a hardware token, and the application does not say where the key"
                    + " is; apply again with the key on a PKCS#11 token (bin/apply --pkcs11-module ...), which states"
                    + " it"));
        }
        if (!device.hardware()) {
            return List.of(new Finding("key-device-software", "the policy requires the subscriber key of profile "
                    + PROFILE + " to be kept in a hardware token (pkcs11-token or platform), and the application"
                    + " states a " + device.kind() + " key; generate the key on a token and apply again"));
        }
        return List.of();
    }

    /** A renewal of a certificate issued only a short while ago. */
    @Transactional
    public List<Finding> renewal(UUID renewedApplicationId, String clientAddress, Instant now) {
        List<Finding> out = new ArrayList<>();
        Duration soon = policy.rules().renewalSoonAfterIssuance();
        Application renewed = Application.findById(renewedApplicationId);
        if (soon != null && renewed != null && renewed.issuedAt != null
                && renewed.issuedAt.isAfter(now.minus(soon))) {
            out.add(new Finding("rule-renewal-soon-after-issuance", "the certificate being renewed was issued "
                    + Duration.between(renewed.issuedAt, now).toMinutes() + " minutes ago, less than " + soon
                    + "; an early renewal may be someone else using a stolen key: an RA officer checks"));
        }
        burst(clientAddress, now, null).ifPresent(out::add);
        return out;
    }

    /** A revocation of a certificate issued (or approved, not yet issued) only a short while ago. */
    @Transactional
    public List<Finding> revocation(UUID applicationId, String clientAddress, Instant now) {
        List<Finding> out = new ArrayList<>();
        Duration soon = policy.rules().revocationSoonAfterIssuance();
        Application a = Application.findById(applicationId);
        if (soon != null && a != null) {
            Instant issued = a.issuedAt;
            if (issued == null || issued.isAfter(now.minus(soon))) {
                out.add(new Finding("rule-revocation-soon-after-issuance", "the certificate "
                        + (issued == null ? "is not even issued yet" : "was issued "
                        + Duration.between(issued, now).toMinutes() + " minutes ago") + ", less than " + soon
                        + "; a revocation right after issuance may be filed by someone other than the holder: an RA"
                        + " officer checks"));
            }
        }
        burst(clientAddress, now, null).ifPresent(out::add);
        return out;
    }

    private java.util.Optional<Finding> burst(String address, Instant at, String exceptCms) {
        ApprovalPolicy.Rate r = policy.rules().requestsPerClientAddress();
        if (r == null || address == null) {
            return java.util.Optional.empty();
        }
        Instant from = at.minus(r.period());
        long n = Application.count("clientAddress = ?1 and receivedAt >= ?2 and receivedAt < ?3 and cmsSha256 <> ?4",
                address, from, at, exceptCms == null ? "" : exceptCms)
                + RevocationRequest.count("clientAddress = ?1 and receivedAt >= ?2 and receivedAt < ?3", address, from,
                at);
        if (n < r.max()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Finding("rule-client-address-burst", n + " applications and revocation"
                + " requests came from the same client address within " + r.period() + "; the policy allows " + r.max()
                + " before an RA officer looks (one client filing for many people)"));
    }
}
