-- Authorization, replay and J-LIS evidence (online zone).
--  * Replays: an application is also identified by the value of its CMS signature (an unsigned attribute added
--    to the SignedData changes the bytes, not the signature) and by the key its CSR certifies: one live
--    application per subscriber key (database-enforced, so two concurrent submissions cannot both pass).
--  * J-LIS CRLs are stored once, keyed by their SHA-256, and referenced from applications and revocation requests
--    instead of being copied into every row.
--  * Four eyes: an officer's approval of a referred application waits here for a second, different officer.

ALTER TABLE application ADD COLUMN signature_sha256 char(64);
ALTER TABLE application ADD COLUMN csr_key_sha256 char(64);
ALTER TABLE application ADD COLUMN revocation_response_sha256 char(64);
UPDATE application SET revocation_response_sha256 = encode(sha256(revocation_response), 'hex')
    WHERE revocation_response IS NOT NULL;
CREATE UNIQUE INDEX application_signature ON application (signature_sha256);
-- A subscriber key is in at most one live application (waiting, referred, approved or issued); a rejected or
-- CA-refused application does not block a new one with the same key.
CREATE UNIQUE INDEX application_live_key ON application (csr_key_sha256)
    WHERE status IN ('WAITING_FOR_JLIS', 'REFERRED', 'APPROVED', 'ISSUED');

ALTER TABLE revocation_request ADD COLUMN signature_sha256 char(64);
ALTER TABLE revocation_request ADD COLUMN revocation_response_sha256 char(64);
UPDATE revocation_request SET revocation_response_sha256 = encode(sha256(revocation_response), 'hex')
    WHERE revocation_response IS NOT NULL;
CREATE UNIQUE INDEX revocation_request_signature ON revocation_request (signature_sha256);

CREATE TABLE jlis_crl (
    sha256                    char(64) PRIMARY KEY,       -- SHA-256 of the DER CRL
    crl                       bytea NOT NULL,             -- evidence: the CRL exactly as fetched from J-LIS
    issuer                    varchar(512) NOT NULL,
    this_update               timestamptz NOT NULL,
    next_update               timestamptz NOT NULL,
    fetched_at                timestamptz NOT NULL,
    retain_until              timestamptz NOT NULL
);
-- V1's retention function names rows by id; CRLs are named by their digest.
CREATE FUNCTION ra_refuse_early_crl_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.retain_until > now() THEN
        RAISE EXCEPTION 'retention: J-LIS CRL % must be kept until % (books retention, ra.books.retention)',
            OLD.sha256, OLD.retain_until
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER jlis_crl_retention BEFORE DELETE ON jlis_crl
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_crl_delete();

CREATE TABLE officer_approval (
    id                        uuid PRIMARY KEY,
    application_id            uuid NOT NULL REFERENCES application (id),
    officer_id                varchar(256) NOT NULL,      -- the officer certificate's CN
    officer_authentication    varchar(512) NOT NULL,      -- mTLS certificate SHA-256 and officer CA
    officer_certificate_sha256 char(64) NOT NULL,
    reason                    text NOT NULL,
    jlis_override             boolean NOT NULL,
    approved_at               timestamptz NOT NULL,
    retain_until              timestamptz NOT NULL
);
CREATE INDEX officer_approval_application ON officer_approval (application_id, approved_at);
CREATE TRIGGER officer_approval_retention BEFORE DELETE ON officer_approval
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER officer_approval_append_only BEFORE UPDATE ON officer_approval
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_update();
CREATE TRIGGER officer_approval_no_truncate BEFORE TRUNCATE ON officer_approval
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
CREATE TRIGGER jlis_crl_append_only BEFORE UPDATE ON jlis_crl
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_update();
CREATE TRIGGER jlis_crl_no_truncate BEFORE TRUNCATE ON jlis_crl
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
