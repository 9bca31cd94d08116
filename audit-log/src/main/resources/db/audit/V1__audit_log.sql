-- audit-log schema, version 1 (all zones). Run by AuditSchema.migrate as the schema owner, never as the
-- application. The application's login role is made a member of shomei_audit_writer; auditors and the
-- `audit verify` tool connect as a member of shomei_audit_reader. README.md explains the model.

-- The head row serializes appends: an appender locks it FOR UPDATE inside its own transaction, so the
-- sequence has no gaps (a rolled-back append never consumed a number) and each entry links to the last.
CREATE TABLE audit_head (
    id          smallint PRIMARY KEY CHECK (id = 1),
    origin      text,                    -- set by the first append; one log per database schema
    seq         bigint NOT NULL,         -- seq of the last entry, -1 while the log is empty
    entry_hash  bytea  NOT NULL CHECK (octet_length(entry_hash) = 32)
);
INSERT INTO audit_head (id, origin, seq, entry_hash) VALUES (1, NULL, -1, decode(repeat('00', 32), 'hex'));

-- One row per entry. entry_hash is the RFC 9162 leaf hash of the entry's canonical encoding (which
-- includes prev_hash), so the rows form a hash chain and their hashes are the Merkle tree's leaves.
CREATE TABLE audit_entry (
    seq                   bigint PRIMARY KEY CHECK (seq >= 0),
    logged_at             timestamptz NOT NULL,
    actor_kind            text   NOT NULL CHECK (actor_kind IN ('PERSON', 'SYSTEM')),
    actor_id              text   NOT NULL,
    actor_authentication  text,
    actor_version         text,
    policy_id             text,
    policy_digest         text,
    action                text   NOT NULL,
    subject               text   NOT NULL,
    detail_sha256         bytea  NOT NULL CHECK (octet_length(detail_sha256) = 32),
    prev_hash             bytea  NOT NULL CHECK (octet_length(prev_hash) = 32),
    entry_hash            bytea  NOT NULL CHECK (octet_length(entry_hash) = 32)
);

-- Signed checkpoints. `checkpoint` is the signed text exactly as published; the other columns repeat
-- it for queries. `frontier` holds the roots of the perfect subtrees at tree_size, so the next
-- checkpoint hashes only the entries added since (it is checked against the signed root before use).
CREATE TABLE audit_checkpoint (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin      text   NOT NULL,
    tree_size   bigint NOT NULL CHECK (tree_size >= 0),
    root_hash   bytea  NOT NULL CHECK (octet_length(root_hash) = 32),
    signed_at   timestamptz NOT NULL,
    key_name    text   NOT NULL,
    checkpoint  text   NOT NULL,
    frontier    bytea  NOT NULL
);
CREATE INDEX audit_checkpoint_tree_size ON audit_checkpoint (tree_size);

-- Append-only, part 1: triggers refuse UPDATE, DELETE and TRUNCATE even for the owner. Someone who can
-- disable triggers (a superuser) can still change rows; the verifier detects that from the hashes and
-- the signed checkpoints.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The head may only move forward by one entry per update, and its origin is fixed once set.
CREATE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1
       OR (OLD.origin IS NOT NULL AND NEW.origin IS DISTINCT FROM OLD.origin) THEN
        RAISE EXCEPTION 'audit_head may only advance by one entry (seq % to %) and keep its origin',
            OLD.seq, NEW.seq USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_advance BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_advance();

-- Append-only, part 2: privileges. The roles are cluster-wide, so create them only if missing (a DBA
-- may create them beforehand when the migrating role lacks CREATEROLE).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shomei_audit_writer') THEN
        CREATE ROLE shomei_audit_writer NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- created concurrently by another database's migration
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'shomei_audit_reader') THEN
        CREATE ROLE shomei_audit_reader NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

REVOKE ALL ON audit_entry, audit_checkpoint, audit_head FROM PUBLIC;
-- The application appends entries and checkpoints and advances the head; it never rewrites or removes.
GRANT SELECT, INSERT ON audit_entry, audit_checkpoint TO shomei_audit_writer;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry, audit_checkpoint FROM shomei_audit_writer;
GRANT SELECT ON audit_head TO shomei_audit_writer;
GRANT UPDATE (origin, seq, entry_hash) ON audit_head TO shomei_audit_writer;
REVOKE DELETE, TRUNCATE ON audit_head FROM shomei_audit_writer;
-- Verifiers and auditors read only.
GRANT SELECT ON audit_entry, audit_checkpoint, audit_head TO shomei_audit_reader;
