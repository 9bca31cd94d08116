-- audit-log schema, version 4: appending many entries in one round trip and one head update.
--
-- Appends hold the head row's lock until the caller commits, so entries per second are bounded by
-- (entries per lock) / (time the lock is held). audit_append_batch takes N events as arrays, encodes them
-- before the lock, then numbers, links and hashes them under one lock, stores them with one INSERT and
-- advances the head once. A caller that records many decisions in one transaction (the RA's group commit) and
-- the library's group-commit appender (AuditLog.groupAppender) hold the lock once per group instead of once
-- per entry. The encoding is the same as audit_append's (README.md, "Entry encoding v1"); AuditLog.appendAll
-- re-hashes every returned entry in Java.

-- The head may now advance by more than one entry per update, but only onto entries that exist: every
-- number between the old and new head is a stored entry and the new head's hash is that of its last entry.
-- It still never moves back, stands still, or changes its origin once set.
CREATE OR REPLACE FUNCTION audit_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq
       OR (OLD.origin IS NOT NULL AND NEW.origin IS DISTINCT FROM OLD.origin) THEN
        RAISE EXCEPTION 'audit_head may only advance (seq % to %) and keep its origin', OLD.seq, NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.seq > OLD.seq + 1 AND (
           (SELECT count(*) FROM audit_entry WHERE seq > OLD.seq AND seq <= NEW.seq) <> NEW.seq - OLD.seq
           OR NOT EXISTS (SELECT 1 FROM audit_entry WHERE seq = NEW.seq AND entry_hash = NEW.entry_hash)) THEN
        RAISE EXCEPTION 'audit_head may advance by % entries only onto stored entries % to %, the last with the'
            ' head''s hash', NEW.seq - OLD.seq, OLD.seq + 1, NEW.seq USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION audit_append_batch(
        p_origin text, p_actor_kind text[], p_actor_id text[], p_actor_authentication text[], p_actor_version text[],
        p_policy_id text[], p_policy_digest text[], p_action text[], p_subject text[], p_detail_sha256 bytea[])
    RETURNS TABLE (o_seq bigint, o_logged_at timestamptz, o_prev_hash bytea, o_entry_hash bytea, o_head_origin text)
    LANGUAGE plpgsql AS $$
DECLARE
    h audit_head%ROWTYPE;
    n int := coalesce(cardinality(p_actor_kind), 0);
    v_event bytea[];
    v_seq bigint[] := '{}';
    v_time timestamptz[] := '{}';
    v_prev bytea[] := '{}';
    v_hash bytea[] := '{}';
    v_last bytea;
    i int;
BEGIN
    IF coalesce(cardinality(p_actor_id), 0) <> n OR coalesce(cardinality(p_actor_authentication), 0) <> n
       OR coalesce(cardinality(p_actor_version), 0) <> n OR coalesce(cardinality(p_policy_id), 0) <> n
       OR coalesce(cardinality(p_policy_digest), 0) <> n OR coalesce(cardinality(p_action), 0) <> n
       OR coalesce(cardinality(p_subject), 0) <> n OR coalesce(cardinality(p_detail_sha256), 0) <> n THEN
        RAISE EXCEPTION 'audit_append_batch: the % argument arrays must all have % elements', 9, n;
    END IF;
    IF n = 0 THEN
        RETURN;
    END IF;
    -- Step 1: encode every event part before taking the lock (same expression as audit_append, step 1).
    SELECT array_agg(
            CASE u.k WHEN 'PERSON' THEN '\x01'::bytea ELSE '\x02'::bytea END
            || int4send(octet_length(convert_to(u.id, 'UTF8'))) || convert_to(u.id, 'UTF8')
            || CASE WHEN u.auth IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                    || int4send(octet_length(convert_to(u.auth, 'UTF8'))) || convert_to(u.auth, 'UTF8') END
            || CASE WHEN u.ver IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                    || int4send(octet_length(convert_to(u.ver, 'UTF8'))) || convert_to(u.ver, 'UTF8') END
            || CASE WHEN u.pid IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                    || int4send(octet_length(convert_to(u.pid, 'UTF8'))) || convert_to(u.pid, 'UTF8') END
            || CASE WHEN u.pdig IS NULL THEN '\x00'::bytea ELSE '\x01'::bytea
                    || int4send(octet_length(convert_to(u.pdig, 'UTF8'))) || convert_to(u.pdig, 'UTF8') END
            || int4send(octet_length(convert_to(u.act, 'UTF8'))) || convert_to(u.act, 'UTF8')
            || int4send(octet_length(convert_to(u.subj, 'UTF8'))) || convert_to(u.subj, 'UTF8')
            || int4send(octet_length(u.det)) || u.det
            ORDER BY u.ord)
        INTO v_event
        FROM unnest(p_actor_kind, p_actor_id, p_actor_authentication, p_actor_version, p_policy_id, p_policy_digest,
                    p_action, p_subject, p_detail_sha256) WITH ORDINALITY
             AS u(k, id, auth, ver, pid, pdig, act, subj, det, ord);
    -- Step 2: lock the head once for the whole batch; this waits for any other uncommitted append.
    SELECT * INTO h FROM audit_head WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit_head has no row: the audit schema is not migrated';
    END IF;
    IF h.origin IS NOT NULL AND h.origin <> p_origin THEN
        o_head_origin := h.origin;
        RETURN NEXT; -- one row naming the log's origin: the caller reports the mismatch by name
        RETURN;
    END IF;
    -- Step 3: number, time, link and hash each entry in order (each hash is the next entry's link).
    v_last := h.entry_hash;
    FOR i IN 1 .. n LOOP
        v_seq[i] := h.seq + i;
        v_time[i] := clock_timestamp();
        v_prev[i] := v_last;
        v_last := sha256('\x0001'::bytea
            || int8send(v_seq[i])
            || int8send(round(extract(epoch FROM v_time[i]) * 1000000)::bigint)
            || v_event[i]
            || int4send(octet_length(v_prev[i])) || v_prev[i]);
        v_hash[i] := v_last;
    END LOOP;
    -- Step 4: store all entries with one INSERT, then advance the head once (the trigger checks they are there).
    INSERT INTO audit_entry (seq, logged_at, actor_kind, actor_id, actor_authentication, actor_version, policy_id,
                             policy_digest, action, subject, detail_sha256, prev_hash, entry_hash)
    SELECT * FROM unnest(v_seq, v_time, p_actor_kind, p_actor_id, p_actor_authentication, p_actor_version, p_policy_id,
                         p_policy_digest, p_action, p_subject, p_detail_sha256, v_prev, v_hash);
    UPDATE audit_head SET seq = h.seq + n, entry_hash = v_last, origin = p_origin WHERE id = 1;
    RETURN QUERY SELECT u.s, u.t, u.p, u.e, p_origin
        FROM unnest(v_seq, v_time, v_prev, v_hash) WITH ORDINALITY AS u(s, t, p, e, ord) ORDER BY u.ord;
END
$$;

-- Like audit_append (V3): the writer's only other way in, with its owner's privileges and a pinned search path.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION audit_append_batch(text, text[], text[], text[], text[], text[], text[], text[],'
        || ' text[], bytea[]) SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END
$$;
REVOKE ALL ON FUNCTION audit_append_batch(text, text[], text[], text[], text[], text[], text[], text[], text[], bytea[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append_batch(text, text[], text[], text[], text[], text[], text[], text[], text[],
    bytea[]) TO shomei_audit_writer;
