-- RA → CA orders (docs/order-bundles.md). One order per approved decision; an order goes PENDING → SENT (in an
-- order bundle) → DONE (its result came back in a CA-signed result bundle). Both tables are books material:
-- they carry retain_until and the retention trigger of V1.

CREATE TABLE order_bundle (
    id                        varchar(64) PRIMARY KEY,     -- the bundleId in the signed content
    created_at                timestamptz NOT NULL,
    cms                       bytea NOT NULL,             -- the signed bundle exactly as served (re-served as is)
    answered_at               timestamptz,
    result_cms                bytea,                      -- the CA-signed result bundle as received
    retain_until              timestamptz NOT NULL
);
CREATE UNIQUE INDEX order_bundle_open ON order_bundle ((true)) WHERE answered_at IS NULL;

CREATE TABLE ca_order (
    id                        varchar(64) PRIMARY KEY,     -- app-<applicationId> or rev-<revocationRequestId>
    type                      varchar(8) NOT NULL,        -- ISSUE or REVOKE
    subject_id                uuid NOT NULL,              -- the application or the revocation request
    decision_id               uuid NOT NULL,
    decision_sha256           char(64) NOT NULL,          -- SHA-256 of the DECISION book entry's JSON
    state                     varchar(8) NOT NULL,        -- PENDING, SENT, DONE
    bundle_id                 varchar(64) REFERENCES order_bundle (id),
    created_at                timestamptz NOT NULL,
    result_status             varchar(16),                -- issued, revoked, refused
    result_serial             varchar(64),
    result_reason             text,
    done_at                   timestamptz,
    retain_until              timestamptz NOT NULL
);
CREATE INDEX ca_order_pending ON ca_order (created_at) WHERE state = 'PENDING';
CREATE INDEX ca_order_bundle ON ca_order (bundle_id);

ALTER TABLE application ADD COLUMN certificate bytea;
ALTER TABLE application ADD COLUMN certificate_serial varchar(64);
ALTER TABLE application ADD COLUMN issued_at timestamptz;
ALTER TABLE application ADD COLUMN ca_refusal text;
ALTER TABLE revocation_request ADD COLUMN revoked_at timestamptz;
ALTER TABLE revocation_request ADD COLUMN ca_refusal text;

CREATE TRIGGER order_bundle_retention BEFORE DELETE ON order_bundle
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER ca_order_retention BEFORE DELETE ON ca_order
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER order_bundle_no_truncate BEFORE TRUNCATE ON order_bundle
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
CREATE TRIGGER ca_order_no_truncate BEFORE TRUNCATE ON ca_order
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
