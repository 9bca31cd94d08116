-- audit-log schema, version 2: appending in one round trip.
--
-- An append must hold the head row's lock until the caller commits (that is what keeps the sequence
-- gapless), so throughput is bounded by how long the lock is held. Doing lock, hash, insert and head
-- update in one call removes a client round trip from inside the lock. The function builds the same
-- canonical encoding as AuditEntry.encode (README.md, "Entry encoding v1"); AuditLog.append re-hashes
-- every returned entry in Java and refuses to continue if the two ever disagree, so entries are
-- always verifiable by the Java verifier.

CREATE FUNCTION audit_append(
        p_origin text, p_actor_kind text, p_actor_id text, p_actor_authentication text, p_actor_version text,
        p_policy_id text, p_policy_digest text, p_action text, p_subject text, p_detail_sha256 bytea,
        OUT o_seq bigint, OUT o_logged_at timestamptz, OUT o_prev_hash bytea, OUT o_entry_hash bytea,
        OUT o_head_origin text)
    LANGUAGE plpgsql AS $$
DECLARE
    h audit_head%ROWTYPE;
    v_event bytea;
BEGIN
    -- Step 1: encode the event part (actor kind .. detail SHA-256) before taking the lock: the lock is
    -- held until the caller commits, so work done after it delays every other writer.
    -- One expression, without helper SQL functions: convert_to is STABLE, so helpers would not be
    -- inlined and each call would cost a full function invocation.
    v_event := CASE p_actor_kind WHEN 'PERSON' THEN '\x01'::bytea ELSE '\x02'::bytea END
        || int4send(octet_length(convert_to(p_actor_id, 'UTF8'))) || convert_to(p_actor_id, 'UTF8')
        || CASE WHEN p_actor_authentication IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                || int4send(octet_length(convert_to(p_actor_authentication, 'UTF8')))
                || convert_to(p_actor_authentication, 'UTF8') END
        || CASE WHEN p_actor_version IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                || int4send(octet_length(convert_to(p_actor_version, 'UTF8'))) || convert_to(p_actor_version, 'UTF8') END
        || CASE WHEN p_policy_id IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                || int4send(octet_length(convert_to(p_policy_id, 'UTF8'))) || convert_to(p_policy_id, 'UTF8') END
        || CASE WHEN p_policy_digest IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                || int4send(octet_length(convert_to(p_policy_digest, 'UTF8'))) || convert_to(p_policy_digest, 'UTF8') END
        || int4send(octet_length(convert_to(p_action, 'UTF8'))) || convert_to(p_action, 'UTF8')
        || int4send(octet_length(convert_to(p_subject, 'UTF8'))) || convert_to(p_subject, 'UTF8')
        || int4send(octet_length(p_detail_sha256)) || p_detail_sha256;
    -- Step 2: lock the head; this waits for any other uncommitted append.
    SELECT * INTO h FROM audit_head WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit_head has no row: the audit schema is not migrated';
    END IF;
    o_head_origin := h.origin;
    IF h.origin IS NOT NULL AND h.origin <> p_origin THEN
        RETURN; -- the caller reports the mismatch by name
    END IF;
    -- Step 3: the entry's number, time and link, and its hash: the RFC 9162 leaf hash
    -- SHA-256(0x00 || encoding v1), where encoding v1 = 0x01 || seq || time || event part || prev hash.
    o_seq := h.seq + 1;
    o_logged_at := clock_timestamp();
    o_prev_hash := h.entry_hash;
    o_entry_hash := sha256('\x0001'::bytea
        || int8send(o_seq)
        || int8send(round(extract(epoch FROM o_logged_at) * 1000000)::bigint)
        || v_event
        || int4send(octet_length(o_prev_hash)) || o_prev_hash);
    -- Step 4: store the entry and advance the head.
    INSERT INTO audit_entry (seq, logged_at, actor_kind, actor_id, actor_authentication, actor_version, policy_id,
                             policy_digest, action, subject, detail_sha256, prev_hash, entry_hash)
    VALUES (o_seq, o_logged_at, p_actor_kind, p_actor_id, p_actor_authentication, p_actor_version, p_policy_id,
            p_policy_digest, p_action, p_subject, p_detail_sha256, o_prev_hash, o_entry_hash);
    UPDATE audit_head SET seq = o_seq, entry_hash = o_entry_hash, origin = p_origin WHERE id = 1;
END
$$;

-- Runs with the caller's privileges (not SECURITY DEFINER): the append-only grants still apply.
REVOKE ALL ON FUNCTION audit_append(text, text, text, text, text, text, text, text, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(text, text, text, text, text, text, text, text, text, bytea)
    TO shomei_audit_writer;
