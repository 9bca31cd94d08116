-- The CA service's privileges (docs/database.md). Migrations run as the owner role, which owns every table; the
-- CA connects as a login role that is a member of shomei_service (and shomei_audit_writer for the audit log).
-- The records the Electronic Signatures Act and RFC 5280 make the CA keep (CA keys, certificates, revocations,
-- CRLs, executed orders) are append-only: privileges keep the service from UPDATE, DELETE, TRUNCATE and from
-- altering tables or their triggers (it owns nothing), and triggers refuse changes even to the owner. A
-- revocation is a new row in `revocation`, never an UPDATE of the certificate row.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shomei_service') THEN
        CREATE ROLE shomei_service NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another database's migration
END
$$;

-- Refuses UPDATE, DELETE and TRUNCATE of a record.
CREATE FUNCTION ca_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'CA records: % rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

-- Allows an UPDATE only of the columns named as trigger arguments, each 'column:once' (may be set while NULL,
-- never changed after) or 'column:free'; every other column must keep its value.
CREATE FUNCTION ca_restrict_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    arg text;
    col text;
    allowed text[] := '{}';
    old_row jsonb := to_jsonb(OLD);
    new_row jsonb := to_jsonb(NEW);
BEGIN
    FOREACH arg IN ARRAY TG_ARGV LOOP
        col := split_part(arg, ':', 1);
        allowed := allowed || col;
        IF split_part(arg, ':', 2) = 'once' AND old_row -> col <> 'null'::jsonb
           AND (old_row -> col) IS DISTINCT FROM (new_row -> col) THEN
            RAISE EXCEPTION 'CA records: %.% is set once and cannot be changed', TG_TABLE_NAME, col
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    IF (old_row - allowed) IS DISTINCT FROM (new_row - allowed) THEN
        RAISE EXCEPTION 'CA records: in %, only % may be updated', TG_TABLE_NAME, allowed
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ca_key_append_only BEFORE UPDATE OR DELETE ON ca_key
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER certificate_append_only BEFORE UPDATE OR DELETE ON certificate
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER crl_append_only BEFORE UPDATE OR DELETE ON crl
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER executed_order_append_only BEFORE UPDATE OR DELETE ON executed_order
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER revocation_no_delete BEFORE DELETE ON revocation
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
-- The CRL that first listed a revocation is recorded once, in that CRL's transaction.
CREATE TRIGGER revocation_first_crl_only BEFORE UPDATE ON revocation
    FOR EACH ROW EXECUTE FUNCTION ca_restrict_update('first_crl_number:once');
CREATE TRIGGER order_bundle_no_delete BEFORE DELETE ON order_bundle
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
-- A bundle is completed once; its result may be delivered (acknowledged) again after a replay.
CREATE TRIGGER order_bundle_completion_only BEFORE UPDATE ON order_bundle
    FOR EACH ROW EXECUTE FUNCTION ca_restrict_update('completed_at:once', 'result_der:once', 'result_delivered_at:free');
CREATE TRIGGER ca_key_no_truncate BEFORE TRUNCATE ON ca_key FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER certificate_no_truncate BEFORE TRUNCATE ON certificate FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER revocation_no_truncate BEFORE TRUNCATE ON revocation FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER crl_no_truncate BEFORE TRUNCATE ON crl FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER order_bundle_no_truncate BEFORE TRUNCATE ON order_bundle FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER executed_order_no_truncate BEFORE TRUNCATE ON executed_order FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();

-- Privileges. Tables made by earlier migrations (including ones this file does not name) and by later ones
-- (default privileges for the owner) get SELECT, INSERT, UPDATE; never DELETE, TRUNCATE, REFERENCES or TRIGGER.
-- The audit log's tables are left to audit-log's own grants (shomei_audit_writer: appends only through
-- audit_append). A later table that holds records must revoke UPDATE in its own migration, as below.
DO $$
DECLARE
    t text;
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO shomei_service', current_schema());
    -- PostgreSQL before 15 let everyone create objects in public; the service creates nothing.
    BEGIN
        EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING 'cannot revoke CREATE on schema % from PUBLIC (not its owner); ask the DBA to', current_schema();
    END;
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'audit\_%'
             AND tablename NOT LIKE '%schema_history' LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO shomei_service', t);
    END LOOP;
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO shomei_service', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE ON TABLES TO shomei_service',
        current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO shomei_service',
        current_schema());
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ca_key, certificate, revocation, crl, order_bundle,
    executed_order FROM shomei_service;
-- SELECT ... FOR UPDATE (serial CRL numbering locks the issuer's ca_key row; revocation locks the certificate
-- row) needs an UPDATE privilege on some column; the triggers above refuse any actual UPDATE of those rows.
GRANT UPDATE (label) ON ca_key TO shomei_service;
GRANT UPDATE (serial) ON certificate TO shomei_service;
GRANT UPDATE (first_crl_number) ON revocation TO shomei_service;
GRANT UPDATE (completed_at, result_der, result_delivered_at) ON order_bundle TO shomei_service;
