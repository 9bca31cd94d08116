-- One live certificate per public key and profile, enforced by the database (docs/order-bundles.md): the
-- issuer checks it first and refuses with a reason; this index is the backstop against two processes
-- (or two batches) certifying the same key at the same moment. A revocation ends a certificate's life.
-- An expired certificate stays "live" here: a subscriber whose certificate expired makes a new key
-- (CP/CPS §4.7: certificate re-key; this CA does no renewal with the same key).
ALTER TABLE certificate ADD COLUMN live BOOLEAN NOT NULL DEFAULT true;
UPDATE certificate SET live = false WHERE serial IN (SELECT serial FROM revocation);

CREATE FUNCTION certificate_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE certificate SET live = false WHERE serial = NEW.serial;
    RETURN NEW;
END;
$$;
CREATE TRIGGER revocation_ends_live AFTER INSERT ON revocation
    FOR EACH ROW EXECUTE FUNCTION certificate_revoked();

CREATE UNIQUE INDEX certificate_one_live_per_key ON certificate (public_key_sha256, profile) WHERE live;

-- A result bundle the RA refused for good (HTTP 4xx): kept for the operator (ca orders undelivered), and no
-- longer retried, so that it cannot block the bundles after it.
ALTER TABLE order_bundle ADD COLUMN result_refused_at TIMESTAMPTZ;
ALTER TABLE order_bundle ADD COLUMN result_refusal TEXT;

-- An order the CA cannot even read (a field missing or malformed) is refused alone, and recorded as such.
ALTER TABLE executed_order DROP CONSTRAINT executed_order_type_check;
ALTER TABLE executed_order ADD CONSTRAINT executed_order_type_check CHECK (type IN ('issue', 'revoke', 'invalid'));
