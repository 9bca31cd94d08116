-- The CA database (secure zone). Certificates, revocations and CRL numbers are written in the same
-- transaction as the signing that produced them, so a crash can neither lose nor duplicate one.

-- CA keys made at a ceremony: the certificate of each key, with its CA hash values (SHA-256, SHA-1).
CREATE TABLE ca_key (
    label               TEXT PRIMARY KEY,          -- the key's label on the HSM token (PKCS#11 URI object=)
    role                TEXT NOT NULL CHECK (role IN ('ROOT', 'ISSUING', 'OCSP_RESPONDER', 'AUDIT')),
    certificate         BYTEA NOT NULL,
    subject             TEXT NOT NULL,
    sha256_fingerprint  TEXT NOT NULL UNIQUE,
    sha1_fingerprint    TEXT NOT NULL,
    not_before          TIMESTAMPTZ NOT NULL,
    not_after           TIMESTAMPTZ NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE certificate (
    serial              TEXT PRIMARY KEY,          -- lowercase hex of the positive serial number
    issuer_label        TEXT NOT NULL REFERENCES ca_key (label),
    request_id          TEXT NOT NULL UNIQUE,      -- the order id (or csr:<sha256>): issuance is idempotent by it
    profile             TEXT NOT NULL,
    subject             TEXT NOT NULL,
    public_key_sha256   TEXT NOT NULL,
    not_before          TIMESTAMPTZ NOT NULL,
    not_after           TIMESTAMPTZ NOT NULL,
    der                 BYTEA NOT NULL,
    issued_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX certificate_issuer_not_after ON certificate (issuer_label, not_after);

-- One row per revoked certificate: a certificate is revoked once (RFC 5280 §5.3.1 reason codes).
CREATE TABLE revocation (
    serial              TEXT PRIMARY KEY REFERENCES certificate (serial),
    revoked_at          TIMESTAMPTZ NOT NULL,
    reason              SMALLINT NOT NULL CHECK (reason IN (0, 1, 2, 3, 4, 5, 9)),
    requested_by        TEXT NOT NULL,
    recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every CRL signed, with its number (RFC 5280 §5.2.3: monotonically increasing per issuer).
CREATE TABLE crl (
    issuer_label        TEXT NOT NULL REFERENCES ca_key (label),
    crl_number          BIGINT NOT NULL CHECK (crl_number > 0),
    this_update         TIMESTAMPTZ NOT NULL,
    next_update         TIMESTAMPTZ NOT NULL,
    entries             INTEGER NOT NULL,
    sha256              TEXT NOT NULL,
    der                 BYTEA NOT NULL,
    PRIMARY KEY (issuer_label, crl_number)
);
