-- ra-service schema (online zone). Every table below holds records the Electronic Signatures Act requires the
-- accredited CA operator to keep (帳簿書類); each row carries its retention deadline, and the database itself
-- refuses to delete a row before it (the application has no delete path at all).

CREATE TABLE application (
    id                        uuid PRIMARY KEY,
    cms_sha256                char(64) NOT NULL UNIQUE,   -- idempotency key: the same signed bytes are one application
    cms                       bytea NOT NULL,             -- evidence: the signed application exactly as received
    received_at               timestamptz NOT NULL,
    status                    varchar(32) NOT NULL,
    signing_time              timestamptz,
    jpki_certificate          bytea NOT NULL,
    jpki_serial               varchar(64) NOT NULL,
    jpki_issuer               varchar(512) NOT NULL,
    jpki_issuer_sha256        char(64) NOT NULL,          -- which pinned J-LIS generation signed it
    jpki_name                 text NOT NULL,
    jpki_name_substitutes     text,
    jpki_gender               varchar(1) NOT NULL,
    jpki_birth_date           varchar(9) NOT NULL,        -- EYYYYMMDD, era-encoded as JPKI has it
    jpki_address              text NOT NULL,
    jpki_address_substitutes  text,
    claimed_name              text NOT NULL,
    claimed_birth_date        date NOT NULL,
    claimed_gender            varchar(16) NOT NULL,
    claimed_address           text NOT NULL,
    csr                       bytea NOT NULL,
    csr_sha256                char(64) NOT NULL,
    consent_document_id       varchar(128) NOT NULL,
    consent_document_sha256   varchar(64) NOT NULL,
    revocation_status         varchar(16),
    revocation_source         varchar(8),
    revocation_response       bytea,                      -- evidence: raw OCSP response or CRL from J-LIS
    revocation_checked_at     timestamptz,
    revocation_note           text,
    jlis_attempts             integer NOT NULL DEFAULT 0,
    next_attempt_at           timestamptz,
    decision_id               uuid,
    retain_until              timestamptz NOT NULL
);
CREATE INDEX application_waiting ON application (next_attempt_at) WHERE status = 'WAITING_FOR_JLIS';
CREATE INDEX application_referred ON application (received_at) WHERE status = 'REFERRED';
CREATE INDEX application_jpki ON application (jpki_serial);

CREATE TABLE revocation_request (
    id                        uuid PRIMARY KEY,
    cms_sha256                char(64) UNIQUE,            -- null for officer-initiated revocations
    cms                       bytea,
    received_at               timestamptz NOT NULL,
    initiated_by              varchar(16) NOT NULL,       -- APPLICANT or OFFICER
    status                    varchar(32) NOT NULL,
    application_id            uuid NOT NULL REFERENCES application (id),
    certificate_serial        varchar(64),
    reason                    varchar(256) NOT NULL,
    jpki_certificate          bytea,
    jpki_serial               varchar(64),
    jpki_issuer               varchar(512),
    revocation_status         varchar(16),
    revocation_source         varchar(8),
    revocation_response       bytea,
    revocation_checked_at     timestamptz,
    decision_id               uuid,
    retain_until              timestamptz NOT NULL
);
CREATE INDEX revocation_request_referred ON revocation_request (received_at) WHERE status = 'REFERRED';

CREATE TABLE decision (
    id                        uuid PRIMARY KEY,
    subject_kind              varchar(32) NOT NULL,       -- APPLICATION or REVOCATION_REQUEST
    subject_id                uuid NOT NULL,
    outcome                   varchar(16) NOT NULL,
    reasons                   text NOT NULL,              -- JSON array of {code, detail}
    actor_kind                varchar(16) NOT NULL,       -- SYSTEM or PERSON
    actor_id                  varchar(256) NOT NULL,      -- component, or the officer's certificate CN
    actor_authentication      varchar(512),               -- how the officer authenticated (mTLS certificate hash)
    actor_version             varchar(64),
    policy_id                 varchar(128),
    policy_digest             char(64),
    decided_at                timestamptz NOT NULL,
    evidence                  text NOT NULL,              -- JSON: digests of the signed request, certificate, J-LIS answer
    retain_until              timestamptz NOT NULL
);
CREATE INDEX decision_subject ON decision (subject_id, decided_at);

CREATE TABLE book_entry (
    id                        uuid PRIMARY KEY,
    seq                       bigserial UNIQUE,           -- order of recording, for exports
    book                      varchar(32) NOT NULL,       -- APPLICATION, IDENTITY_VERIFICATION, DECISION, ISSUANCE, REVOCATION
    subject_kind              varchar(32) NOT NULL,
    subject_id                uuid NOT NULL,
    recorded_at               timestamptz NOT NULL,
    retain_until              timestamptz NOT NULL,
    entry                     text NOT NULL               -- JSON
);
CREATE INDEX book_entry_recorded ON book_entry (recorded_at);

-- Retention: a row may be deleted only once its retention deadline has passed.
CREATE FUNCTION ra_refuse_early_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.retain_until > now() THEN
        RAISE EXCEPTION 'retention: % row % must be kept until % (books retention, ra.books.retention)',
            TG_TABLE_NAME, OLD.id, OLD.retain_until
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$;

-- Book entries are written once: an entry is corrected by a new entry, never rewritten.
CREATE FUNCTION ra_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'books: % rows are append-only; record a correcting entry instead', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER application_retention BEFORE DELETE ON application
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER revocation_request_retention BEFORE DELETE ON revocation_request
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER decision_retention BEFORE DELETE ON decision
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER book_entry_retention BEFORE DELETE ON book_entry
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER decision_append_only BEFORE UPDATE ON decision
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_update();
CREATE TRIGGER book_entry_append_only BEFORE UPDATE ON book_entry
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_update();
-- TRUNCATE bypasses row triggers; refuse it outright.
CREATE FUNCTION ra_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'retention: % cannot be truncated', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER application_no_truncate BEFORE TRUNCATE ON application
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
CREATE TRIGGER revocation_request_no_truncate BEFORE TRUNCATE ON revocation_request
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
CREATE TRIGGER decision_no_truncate BEFORE TRUNCATE ON decision
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
CREATE TRIGGER book_entry_no_truncate BEFORE TRUNCATE ON book_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
