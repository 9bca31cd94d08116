-- Sign after intent (docs/faults.md): before the HSM signs a certificate or a CRL, the CA commits what it is about
-- to sign. The serial or CRL number is taken here and never again (unique indexes), so that a crash at any point
-- can neither reuse a number with other content nor lose a signed certificate: on restart an intent without a
-- resolution is re-signed from its stored to-be-signed bytes (same serial, same content) or voided with the
-- reason. The number of HSM signatures is reconciled against these rows. Append-only, like the CA's other
-- records (V10).

CREATE TABLE signing_intent (
    id                  bigserial PRIMARY KEY,
    kind                text NOT NULL CHECK (kind IN ('certificate', 'crl')),
    -- No foreign key to ca_key: a CRL's intent is committed from a second connection while the CRL's own
    -- transaction holds the issuer's ca_key row FOR UPDATE (serial numbering), which a key check would wait on.
    issuer_label        text NOT NULL,
    serial              text,           -- certificate: lowercase hex, as in certificate.serial
    request_id          text,           -- certificate: the order id or csr:<sha256>
    profile             text,
    public_key_sha256   text,
    tbs                 bytea,          -- certificate: the DER TBSCertificate, exactly the bytes the HSM signs
    crl_number          bigint,         -- crl: the number taken (RFC 5280 §5.2.3)
    this_update         timestamptz,
    next_update         timestamptz,
    tbs_sha256          text,           -- certificate: SHA-256 of tbs
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'certificate' AND serial IS NOT NULL AND request_id IS NOT NULL AND profile IS NOT NULL
            AND public_key_sha256 IS NOT NULL AND tbs IS NOT NULL AND crl_number IS NULL)
        OR (kind = 'crl' AND crl_number IS NOT NULL AND crl_number > 0 AND serial IS NULL AND tbs IS NULL))
);
CREATE UNIQUE INDEX signing_intent_serial ON signing_intent (serial) WHERE kind = 'certificate';
CREATE UNIQUE INDEX signing_intent_crl_number ON signing_intent (issuer_label, crl_number) WHERE kind = 'crl';

-- How each intent ended: 'recorded' (signed and recorded in the same transaction as this row), 're-signed'
-- (recorded after a restart, from the stored bytes) or 'void' (never recorded; the reason says why). One row per
-- intent: the primary key makes a second resolution impossible.
CREATE TABLE signing_intent_resolution (
    intent_id           bigint PRIMARY KEY REFERENCES signing_intent (id),
    outcome             text NOT NULL CHECK (outcome IN ('recorded', 're-signed', 'void')),
    reason              text,
    resolved_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (outcome <> 'void' OR reason IS NOT NULL)
);

CREATE TRIGGER signing_intent_append_only BEFORE UPDATE OR DELETE ON signing_intent
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER signing_intent_resolution_append_only BEFORE UPDATE OR DELETE ON signing_intent_resolution
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER signing_intent_no_truncate BEFORE TRUNCATE ON signing_intent
    FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER signing_intent_resolution_no_truncate BEFORE TRUNCATE ON signing_intent_resolution
    FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();

-- The owner's default privileges (V10) grant SELECT, INSERT, UPDATE; these records are never updated.
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON signing_intent, signing_intent_resolution FROM shomei_service;
