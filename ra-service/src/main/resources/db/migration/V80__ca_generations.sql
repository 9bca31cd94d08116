-- Issuing CA generations the RA took from the CA's result bundles after a renewal (docs/order-bundles.md, "A new
-- issuing generation"): each certified by a root CA certificate the operator pinned (ra.orders.root-certificates) and
-- carried in a result bundle whose signature the RA accepted. The RA then verifies issued certificates, hands out
-- chains and accepts subscriber signatures under it as under one in ra.orders.ca-certificates. Books material: what
-- the RA trusted, and since when, stays on record (retain_until and the retention triggers of V10); rows are never
-- updated. The audit log holds a ca-generation.adopted event for each row, in the same transaction.

CREATE TABLE ca_generation (
    sha256                    char(64) PRIMARY KEY,       -- SHA-256 of the DER CA certificate
    certificate               bytea NOT NULL,
    subject                   text NOT NULL,
    serial                    varchar(64) NOT NULL,
    not_before                timestamptz NOT NULL,
    not_after                 timestamptz NOT NULL,
    root_sha256               char(64) NOT NULL,          -- the pinned root certificate that certified it
    order_bundle_id           varchar(64) NOT NULL REFERENCES order_bundle (id), -- the bundle whose result carried it
    result_signer_sha256      char(64) NOT NULL,          -- the certificate that signed that result bundle
    adopted_at                timestamptz NOT NULL,
    retain_until              timestamptz NOT NULL
);

CREATE TRIGGER ca_generation_retention_kept BEFORE UPDATE OF retain_until ON ca_generation
    FOR EACH ROW EXECUTE FUNCTION ra_retention_not_shortened();
CREATE TRIGGER ca_generation_retention BEFORE DELETE ON ca_generation
    FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete();
CREATE TRIGGER ca_generation_no_truncate BEFORE TRUNCATE ON ca_generation
    FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate();
REVOKE UPDATE ON ca_generation FROM shomei_service;
