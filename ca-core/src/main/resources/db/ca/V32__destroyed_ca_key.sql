-- CA keys destroyed at end of life (docs/key-ceremony.md, "Destruction"): which key, on which token, its public
-- key's SHA-256 (so the record names the key, not only a reusable label), when and by whom (the approvers under a
-- quorum). Append-only, like the CA's other records (V10).

CREATE TABLE destroyed_ca_key (
    id                bigserial PRIMARY KEY,
    label             text NOT NULL,
    token             text NOT NULL,
    public_key_sha256 text NOT NULL,
    destroyed_by      text NOT NULL,
    destroyed_at      timestamptz NOT NULL
);

CREATE TRIGGER destroyed_ca_key_append_only BEFORE UPDATE OR DELETE ON destroyed_ca_key
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();

REVOKE UPDATE ON destroyed_ca_key FROM shomei_service;
