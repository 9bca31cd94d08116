-- The root CA's own CRL (ARL, RFC 5280 §5: a CRL issued by the root for the CA certificates it issued), signed with
-- the root key on its own token (docs/key-ceremony.md, "Offline root"). Numbers strictly increase (RFC 5280
-- §5.2.3); rows are append-only like the CA's other records (V10).

CREATE TABLE root_crl (
    number       bigint PRIMARY KEY CHECK (number >= 1),
    issuer_label text NOT NULL,
    this_update  timestamptz NOT NULL,
    next_update  timestamptz NOT NULL,
    der          bytea NOT NULL,
    sha256       text NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER root_crl_append_only BEFORE UPDATE OR DELETE ON root_crl
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();

REVOKE UPDATE ON root_crl FROM shomei_service;
