-- Safeguards around automatic decisions (ra-service README, "Notices, rules, device and channel"; docs/holders.md).
--  * The key's device as the applicant stated it (signed with the application) and the channel the request came
--    through (client, version, User-Agent, address, as the RA saw them): evidence, fixed on receipt.
--  * The contact the applicant gave for out-of-band notices (personal data, like the claimed identity).
--  * Notices: an outbox written in the transaction that records the act (issuance, renewal, revocation); a sender
--    marks each one sent, or records why it failed, so no act is ever lost for want of an e-mail.
--  * Disputes: a holder objects to a notice within the window; an officer decides.

ALTER TABLE application ADD COLUMN contact_email varchar(320);
ALTER TABLE application ADD COLUMN key_device text;          -- JSON {kind, manufacturer, model, ...}; null if not stated
ALTER TABLE application ADD COLUMN channel text;             -- JSON {client, clientVersion, userAgent, remoteAddress}
ALTER TABLE application ADD COLUMN client_address varchar(64);
CREATE INDEX application_client_address ON application (client_address, received_at);
CREATE INDEX application_csr_key ON application (csr_key_sha256);
-- The policy's per-person rule counts by the card's identity (name, date of birth, gender) within a period.
CREATE INDEX application_person ON application (jpki_birth_date, jpki_gender, received_at);
CREATE TRIGGER application_safeguards_evidence BEFORE UPDATE ON application FOR EACH ROW
    EXECUTE FUNCTION ra_evidence_unchanged('contact_email', 'key_device', 'channel', 'client_address',
        'reissues_application_id');

ALTER TABLE revocation_request ADD COLUMN channel text;
ALTER TABLE revocation_request ADD COLUMN client_address varchar(64);
CREATE INDEX revocation_request_client_address ON revocation_request (client_address, received_at);
-- Re-issuance after an upheld dispute of a revocation (docs/holders.md): an application an officer made from the
-- revoked one, with no signed request of its own; it certifies the same key, so csr_key_sha256 stays null and the
-- one-live-application-per-key index keeps naming the original.
ALTER TABLE application ADD COLUMN reissues_application_id uuid REFERENCES application (id);
ALTER TABLE application ALTER COLUMN cms DROP NOT NULL;
ALTER TABLE application ALTER COLUMN cms_sha256 DROP NOT NULL;
ALTER TABLE application ADD CONSTRAINT application_signed_or_reissued
    CHECK ((cms IS NOT NULL AND cms_sha256 IS NOT NULL) OR reissues_application_id IS NOT NULL);

CREATE TRIGGER revocation_request_safeguards_evidence BEFORE UPDATE ON revocation_request FOR EACH ROW
    EXECUTE FUNCTION ra_evidence_unchanged('channel', 'client_address');

CREATE TABLE notice (
    id                        uuid PRIMARY KEY,
    kind                      varchar(16) NOT NULL,       -- ISSUANCE, RENEWAL, REVOCATION
    subject_kind              varchar(32) NOT NULL,       -- APPLICATION or REVOCATION_REQUEST (the act's record)
    subject_id                uuid NOT NULL,
    application_id            uuid NOT NULL REFERENCES application (id),   -- whose holder is told
    certificate_serial        varchar(64),
    act_at                    timestamptz NOT NULL,       -- when the act happened (the CA's result)
    channel                   varchar(16) NOT NULL,       -- EMAIL, or NONE when the applicant gave no contact
    recipient                 varchar(320),
    subject_line              text NOT NULL,
    body                      text NOT NULL,              -- as sent, except the dispute code (only its digest is kept)
    dispute_code_sha256       char(64) NOT NULL,
    dispute_code              varchar(32),                -- working: needed to send, cleared once sent
    dispute_until             timestamptz NOT NULL,
    created_at                timestamptz NOT NULL,
    status                    varchar(16) NOT NULL,       -- PENDING, SENT, FAILED, NO_CONTACT
    attempts                  integer NOT NULL DEFAULT 0,
    next_attempt_at           timestamptz,
    last_error                text,
    sent_at                   timestamptz,
    message_sha256            char(64),                   -- SHA-256 of the subject and body handed to the SMTP server
    retain_until              timestamptz NOT NULL
);
CREATE INDEX notice_due ON notice (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX notice_application ON notice (application_id, created_at);
CREATE TRIGGER notice_evidence BEFORE UPDATE ON notice FOR EACH ROW EXECUTE FUNCTION ra_evidence_unchanged(
    'id', 'kind', 'subject_kind', 'subject_id', 'application_id', 'certificate_serial', 'act_at', 'channel',
    'recipient', 'subject_line', 'body', 'dispute_code_sha256', 'dispute_until', 'created_at');

CREATE TABLE notice_dispute (
    id                        uuid PRIMARY KEY,
    notice_id                 uuid NOT NULL REFERENCES notice (id),
    received_at               timestamptz NOT NULL,
    statement                 text NOT NULL,
    channel                   text,                       -- JSON, as for applications
    status                    varchar(16) NOT NULL,       -- OPEN, UPHELD, DISMISSED
    decided_at                timestamptz,
    decision_id               uuid,
    outcome_reference         uuid,                       -- the revocation or re-issuance the officer's decision made
    retain_until              timestamptz NOT NULL
);
CREATE UNIQUE INDEX notice_dispute_once ON notice_dispute (notice_id);
CREATE INDEX notice_dispute_open ON notice_dispute (received_at) WHERE status = 'OPEN';
CREATE TRIGGER notice_dispute_evidence BEFORE UPDATE ON notice_dispute FOR EACH ROW
    EXECUTE FUNCTION ra_evidence_unchanged('id', 'notice_id', 'received_at', 'statement', 'channel');

-- Retention triggers for the two new tables (as V10 installs them; docs/database.md, "Adding a table").
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notice', 'notice_dispute'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF retain_until ON %I FOR EACH ROW'
            || ' EXECUTE FUNCTION ra_retention_not_shortened()', t || '_retention_kept', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete()',
            t || '_retention', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate()',
            t || '_no_truncate', t);
    END LOOP;
END
$$;
