-- audit-log schema, version 3: the services append entries only through audit_append (docs/database.md).
--
-- Before, shomei_audit_writer could INSERT into audit_entry and UPDATE audit_head directly; a service could then
-- write an entry whose hash it chose, or an entry that does not link to the chain (the triggers only refuse
-- changes to existing rows). Now audit_append runs with its owner's privileges (SECURITY DEFINER) and is the
-- writer's only way in: every entry is numbered, linked and hashed by the same code, under the head lock.

-- Pin the search path (the schema the log was migrated into, then pg_temp last): a SECURITY DEFINER function must
-- not resolve audit_head to a caller's temporary table of the same name.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION audit_append(text, text, text, text, text, text, text, text, text, bytea)'
        || ' SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END
$$;
REVOKE ALL ON FUNCTION audit_append(text, text, text, text, text, text, text, text, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text, text, text, text, bytea)
    TO shomei_audit_writer;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_entry FROM shomei_audit_writer;
REVOKE UPDATE (origin, seq, entry_hash) ON audit_head FROM shomei_audit_writer;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_head FROM shomei_audit_writer;
-- Checkpoints are signed by the service (RA) or the CA and stored by it; a forged row is harmless because the
-- verifier trusts only signatures, but it still may not rewrite one.
GRANT SELECT, INSERT ON audit_checkpoint TO shomei_audit_writer;
GRANT SELECT ON audit_entry, audit_head TO shomei_audit_writer;

-- A component's migrations grant its service role (shomei_service) SELECT, INSERT, UPDATE on the tables the owner
-- creates (default privileges, docs/database.md); the audit tables are reached only as described above.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shomei_service') THEN
        REVOKE ALL ON audit_entry, audit_head, audit_checkpoint FROM shomei_service;
    END IF;
END
$$;
