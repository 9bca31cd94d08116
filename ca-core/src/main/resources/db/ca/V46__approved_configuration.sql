-- The CA configurations approved under approvals.quorum.configuration (docs/key-ceremony.md, "Configuration changes
-- under quorum"): the canonical text of the settings that matter (profiles, the profiles orders may use, trusted RA
-- certificates, the approvers and quorums, CRL and repository settings), its SHA-256, and who approved it. With the
-- quorum set, the CA refuses to run with any other configuration. approver_fingerprints and quorum are those of the
-- approved configuration: the next change needs that many of these people, so a change cannot approve itself by
-- adding approvers. Append-only, like the CA's other records (V10).

CREATE TABLE approved_configuration (
    id                    bigserial PRIMARY KEY,
    sha256                text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    canonical             text NOT NULL,
    approver_fingerprints text NOT NULL,      -- comma-separated certificate SHA-256 of approvals.approvers
    quorum                integer NOT NULL CHECK (quorum >= 1),
    approved_by           text NOT NULL,
    act_id                text,
    approved_at           timestamptz NOT NULL
);

CREATE TRIGGER approved_configuration_append_only BEFORE UPDATE OR DELETE ON approved_configuration
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();

REVOKE UPDATE ON approved_configuration FROM shomei_service;
