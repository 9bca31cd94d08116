-- Acts executed under an M-of-N quorum (docs/key-ceremony.md, CP/CPS §5.2.2). One row per act id: the primary key
-- is what makes an approval single-use (a second execution of the same act is refused). The row keeps the
-- approvers' signatures, whose SHA-256 the act.approved audit entry carries. Refused attempts are kept beside
-- them with what was presented. Both are append-only, like the CA's other records (V10).

CREATE TABLE approved_act (
    act_id          text PRIMARY KEY CHECK (act_id ~ '^[0-9a-f]{64}$'),
    kind            text NOT NULL,
    act_text        text NOT NULL,
    approvals_json  text NOT NULL,
    approvers       text NOT NULL,
    approved_at     timestamptz NOT NULL
);

CREATE TABLE refused_act (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    act_id          text,
    reason          text NOT NULL,
    presented       text NOT NULL,
    refused_at      timestamptz NOT NULL
);

CREATE TRIGGER approved_act_append_only BEFORE UPDATE OR DELETE ON approved_act
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER refused_act_append_only BEFORE UPDATE OR DELETE ON refused_act
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();

-- The owner's default privileges (V10) grant SELECT, INSERT, UPDATE; these records are never updated.
REVOKE UPDATE ON approved_act, refused_act FROM shomei_service;
