-- The RA service's privileges and the books' protection (docs/database.md). Migrations run as the owner role
-- (quarkus.flyway.username), which owns every table; the service connects as a login role that is a member of
-- shomei_service and shomei_audit_writer. It may read and insert, and update only the working columns of
-- applications, revocation requests and orders; it can never DELETE, TRUNCATE, ALTER a table or touch its
-- triggers (it owns nothing). Retention (books, 帳簿書類の保存) cannot be shortened by anyone: retain_until may
-- only be extended, and the triggers refuse early deletes even to the owner.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shomei_service') THEN
        CREATE ROLE shomei_service NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another database's migration
END
$$;

-- retain_until may be extended (e.g. a legal hold), never shortened: shortening it was the way around the
-- early-delete trigger (UPDATE ... SET retain_until = now(), then DELETE).
CREATE FUNCTION ra_retention_not_shortened() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.retain_until < OLD.retain_until THEN
        RAISE EXCEPTION 'retention: %.retain_until may only be extended (from % to % refused)', TG_TABLE_NAME,
            OLD.retain_until, NEW.retain_until USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- The columns named as trigger arguments keep the value they were inserted with: what was received and
-- verified (the signed request, the JPKI certificate and identity, the CSR) is evidence, not working state.
CREATE FUNCTION ra_evidence_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF (to_jsonb(OLD) -> col) IS DISTINCT FROM (to_jsonb(NEW) -> col) THEN
            RAISE EXCEPTION 'books: %.% is evidence recorded on receipt and cannot be changed', TG_TABLE_NAME, col
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    RETURN NEW;
END;
$$;

CREATE TRIGGER application_evidence BEFORE UPDATE ON application FOR EACH ROW EXECUTE FUNCTION ra_evidence_unchanged(
    'id', 'cms_sha256', 'cms', 'received_at', 'jpki_certificate', 'jpki_serial', 'jpki_issuer', 'jpki_issuer_sha256',
    'jpki_name', 'jpki_name_substitutes', 'jpki_gender', 'jpki_birth_date', 'jpki_address', 'jpki_address_substitutes',
    'claimed_name', 'claimed_birth_date', 'claimed_gender', 'claimed_address', 'csr', 'csr_sha256',
    'consent_document_id', 'consent_document_sha256');
CREATE TRIGGER revocation_request_evidence BEFORE UPDATE ON revocation_request FOR EACH ROW
    EXECUTE FUNCTION ra_evidence_unchanged('id', 'cms_sha256', 'cms', 'received_at', 'initiated_by', 'application_id',
        'reason', 'jpki_certificate', 'jpki_serial', 'jpki_issuer');
CREATE TRIGGER order_bundle_evidence BEFORE UPDATE ON order_bundle FOR EACH ROW
    EXECUTE FUNCTION ra_evidence_unchanged('id', 'created_at', 'cms');
CREATE TRIGGER ca_order_evidence BEFORE UPDATE ON ca_order FOR EACH ROW
    EXECUTE FUNCTION ra_evidence_unchanged('id', 'type', 'subject_id', 'decision_id', 'decision_sha256', 'created_at');

-- Every table with a retain_until column, including ones added by migrations this file does not name, gets the
-- retention triggers (not-shortened, no early delete, no truncate) unless it has them already.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables x
                 ON x.table_schema = c.table_schema AND x.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND c.column_name = 'retain_until' AND x.table_type = 'BASE TABLE'
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t::regclass AND tgname = t || '_retention_kept') THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OF retain_until ON %I FOR EACH ROW'
                || ' EXECUTE FUNCTION ra_retention_not_shortened()', t || '_retention_kept', t);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t::regclass AND tgname = t || '_retention') THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE DELETE ON %I FOR EACH ROW EXECUTE FUNCTION ra_refuse_early_delete()',
                t || '_retention', t);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t::regclass AND tgname = t || '_no_truncate') THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION ra_refuse_truncate()',
                t || '_no_truncate', t);
        END IF;
    END LOOP;
END
$$;

-- Privileges. Tables made by earlier migrations (including ones this file does not name) and by later ones
-- (default privileges for the owner) get SELECT, INSERT, UPDATE; never DELETE, TRUNCATE, REFERENCES or TRIGGER.
-- The audit log's tables are left to audit-log's grants (appends only through audit_append). A later table
-- whose rows are books must revoke UPDATE in its own migration, as below (docs/database.md).
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
-- Books are written once: a correction is a new entry.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON book_entry, decision FROM shomei_service;
