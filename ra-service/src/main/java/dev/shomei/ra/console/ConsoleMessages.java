package dev.shomei.ra.console;

import io.quarkus.qute.i18n.Message;
import io.quarkus.qute.i18n.MessageBundle;

/**
 * The console's words, in English; Japanese in {@code messages/console_ja.properties}. Templates use them as
 * {@code {console:key}}; the language is chosen per request (ConsoleAccess.locale). Technical field names of the
 * evidence (RFC 5280 and RFC 6960 names such as thisUpdate) and finding codes are shown as they are in both
 * languages: they are what the books and the REST API carry.
 *
 * <p>Zone: online (ra-service), console. Text only.
 */
@MessageBundle(value = "console", locale = "en")
public interface ConsoleMessages {

    @Message("Shomei RA console") String console_title();
    @Message("Signed in as {name}") String signed_in_as(String name);
    @Message("RA officer") String role_officer();
    @Message("Auditor") String role_auditor();
    @Message("Review queue") String nav_queue();
    @Message("Evidence") String nav_auditor();
    @Message("日本語") String lang_switch();
    @Message("Referred applications and revocation requests") String queue_heading();
    @Message("Nothing awaits an officer.") String queue_empty();
    @Message("Kind") String col_kind();
    @Message("Status") String col_status();
    @Message("Received") String col_received();
    @Message("Findings") String col_findings();
    @Message("Applicant / subject") String col_summary();
    @Message("Approvals") String col_approvals();
    @Message("Value") String col_value();
    @Message("Application") String kind_application();
    @Message("Revocation request") String kind_revocation();
    @Message("substitute characters") String substitutes_flag();
    @Message("Application id, revocation request id or certificate serial") String search_label();
    @Message("Status") String search_status();
    @Message("(any)") String search_any();
    @Message("Search") String search_button();
    @Message("Search results") String search_results();
    @Message("Nothing found.") String search_none();
    @Message("Previous page") String page_previous();
    @Message("Next page") String page_next();
    @Message("Certificate application") String app_heading();
    @Message("Why it awaits an officer") String section_findings();
    @Message("Reasons of the latest decision") String section_latest_reasons();
    @Message("Verified identity (JPKI signing certificate)") String section_identity();
    @Message("What the applicant claimed") String section_claimed();
    @Message("Name") String field_name();
    @Message("Date of birth") String field_birth();
    @Message("Gender") String field_gender();
    @Message("Address") String field_address();
    @Message("male") String gender_male();
    @Message("female") String gender_female();
    @Message("not known") String gender_unknown();
    @Message("The card flags substitute characters (代替文字) at positions {positions}, highlighted: the card's text is not the resident register's there. The certificate states the name you checked and enter below.")
    String substitutes_note(String positions);
    @Message("The address has substitute characters at positions {positions}, highlighted.")
    String address_substitutes_note(String positions);
    @Message("No substitute characters.") String no_substitutes();
    @Message("Name certified by the officers") String officer_certified_name();
    @Message("Evidence") String section_evidence();
    @Message("JPKI signing certificate") String ev_jpki();
    @Message("J-LIS revocation status") String ev_jlis();
    @Message("Approval policy and version") String ev_policy();
    @Message("Subscriber key (CSR)") String ev_csr();
    @Message("Consent document") String ev_consent();
    @Message("Signer's certificate") String ev_signer();
    @Message("Decisions") String section_decisions();
    @Message("Outcome") String col_outcome();
    @Message("Decider") String col_decider();
    @Message("Time") String col_time();
    @Message("Reasons") String col_reasons();
    @Message("Approvals waiting for a second officer") String section_pending();
    @Message("Decide") String section_decide();
    @Message("Reason (kept in the books)") String field_reason();
    @Message("Name the certificate will state, as you checked it") String field_certified_name();
    @Message("Approve without a good J-LIS answer (recorded with the decision)") String field_jlis_override();
    @Message("Approve") String btn_approve();
    @Message("Reject") String btn_reject();
    @Message("Approving needs two different officers; rejecting needs one.") String four_eyes_note();
    @Message("Your approval is recorded. A second officer must approve to complete it.") String done_pending();
    @Message("The decision is recorded.") String done_decided();
    @Message("This does not await an officer.") String not_awaiting();
    @Message("Revocation request") String rev_heading();
    @Message("Application") String field_application();
    @Message("Certificate serial") String field_serial();
    @Message("Reason given") String field_reason_given();
    @Message("Initiated by") String field_initiated();
    @Message("Route") String field_route();
    @Message("The request was refused") String error_heading();
    @Message("Evidence for auditors") String auditor_heading();
    @Message("From") String period_from();
    @Message("To (exclusive)") String period_to();
    @Message("Show") String btn_show();
    @Message("Statistics") String stats_heading();
    @Message("Applications received") String stats_received();
    @Message("Applications by the outcome they ended with") String stats_by_outcome();
    @Message("Decisions by decider and outcome") String stats_by_decider();
    @Message("Findings in decisions (code, outcome)") String stats_by_finding();
    @Message("Time to decision (seconds): count, median, 90th percentile, maximum") String stats_time();
    @Message("J-LIS answers (kind, source, result)") String stats_jlis();
    @Message("Revocation requests (initiator, reason, status)") String stats_revocations();
    @Message("Sample") String sample_heading();
    @Message("Decisions per stratum") String sample_per_stratum();
    @Message("Draw a sample") String btn_draw();
    @Message("Seed: the root hash of the RA's latest signed audit checkpoint") String sample_seed();
    @Message("Stratum") String sample_stratum();
    @Message("Size") String sample_size();
    @Message("Chosen decisions") String sample_chosen();
    @Message("evidence package") String sample_download();
    @Message("This checkpoint was signed before the period ended: the operator could still influence it. Draw again after the period closes and a later checkpoint is published.")
    String sample_seed_early();
    @Message("Reconciliation (RA, CA and repository)") String rec_heading();
    @Message("No reconciliation result is installed (ra.console.reconciliation-report): the CA's records are in the secure zone, so the reconciliation is run there with bin/evidence and its report.json installed here.")
    String rec_none();
    @Message("Discrepancies") String rec_discrepancies();
    @Message("Counts") String rec_counts();
    @Message("Acts by named people") String rec_manual();
    @Message("From the evidence report for {period}, generated {generatedAt} (file SHA-256 {sha256})")
    String rec_source(String period, String generatedAt, String sha256);
}
