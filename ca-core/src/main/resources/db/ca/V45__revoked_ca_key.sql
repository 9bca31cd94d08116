-- CA certificates the root revoked (docs/key-ceremony.md, "Revoking an issuing generation"): an issuing generation
-- whose key was compromised or which is retired early. Each row goes on the root's CRL (ARL, RFC 5280 §5) from the
-- next `ca root-crl`; the presigner and the bundle stop serving that generation. Who approved it is in the
-- approved_act record and the ca-key.revoked audit entry. Append-only, like the CA's other records (V10): a CA
-- certificate is never un-revoked (CP/CPS §4.9.13: no suspension).

CREATE TABLE revoked_ca_key (
    label        text PRIMARY KEY REFERENCES ca_key (label),
    serial       text NOT NULL,                 -- lowercase hex of the CA certificate's serial number
    reason_code  integer NOT NULL,              -- RFC 5280 §5.3.1 CRLReason
    revoked_at   timestamptz NOT NULL,
    revoked_by   text NOT NULL
);

CREATE TRIGGER revoked_ca_key_append_only BEFORE UPDATE OR DELETE ON revoked_ca_key
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();

REVOKE UPDATE ON revoked_ca_key FROM shomei_service;
