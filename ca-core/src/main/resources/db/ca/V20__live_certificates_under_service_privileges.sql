-- One live certificate per key and profile (V6) under the service's least privilege (V10): the service role has
-- no UPDATE on `certificate`, and certificate rows are otherwise append-only. A revocation ends a certificate's
-- life through this trigger, which runs as the owner (SECURITY DEFINER, pinned search_path); the only change
-- allowed to a certificate row is `live` going from true to false, and only while its revocation row exists.
CREATE OR REPLACE FUNCTION certificate_revoked() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE certificate SET live = false WHERE serial = NEW.serial AND live;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION certificate_revoked() FROM PUBLIC;

CREATE FUNCTION certificate_only_ends_life() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.live AND NOT NEW.live
       AND (to_jsonb(OLD) - 'live') = (to_jsonb(NEW) - 'live')
       AND EXISTS (SELECT 1 FROM revocation WHERE serial = NEW.serial) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'CA records: certificate rows are append-only: % refused (a revocation is a row in revocation)',
        TG_OP USING ERRCODE = 'integrity_constraint_violation';
END
$$;
DROP TRIGGER certificate_append_only ON certificate;
CREATE TRIGGER certificate_append_only BEFORE UPDATE OR DELETE ON certificate
    FOR EACH ROW EXECUTE FUNCTION certificate_only_ends_life();

-- A result bundle the RA refused for good is recorded once (V6's columns), by the service.
DROP TRIGGER order_bundle_completion_only ON order_bundle;
CREATE TRIGGER order_bundle_completion_only BEFORE UPDATE ON order_bundle
    FOR EACH ROW EXECUTE FUNCTION ca_restrict_update('completed_at:once', 'result_der:once', 'result_delivered_at:free',
        'result_refused_at:once', 'result_refusal:once');
GRANT UPDATE (result_refused_at, result_refusal) ON order_bundle TO shomei_service;
