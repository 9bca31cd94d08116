-- The presigner's tables in the CA database (secure zone). The CA's own tables (certificate, revocation,
-- crl, ca_key) are only read. A response is recorded in the same transaction as its audit entry.

-- The newest pre-signed response per certificate (RFC 6960 §4.2.1), as published. No foreign key to
-- certificate: serials come only from that table, and a foreign key would lock (and so rewrite) a million
-- certificate rows on every refresh. No index on refresh_after: finding what is due joins every certificate.
CREATE TABLE ocsp_response (
    serial              TEXT PRIMARY KEY,
    issuer_label        TEXT NOT NULL,
    responder_serial    TEXT NOT NULL,          -- serial of the responder certificate that signed it
    status              TEXT NOT NULL CHECK (status IN ('good', 'revoked')),
    this_update         TIMESTAMPTZ NOT NULL,
    next_update         TIMESTAMPTZ NOT NULL,
    refresh_after       TIMESTAMPTZ NOT NULL,   -- thisUpdate + half the validity (CA/B Forum BR §4.9.10)
    produced_at         TIMESTAMPTZ NOT NULL,
    signed_seq          BIGINT NOT NULL,        -- increases with every signature: incremental bundles follow it
    der                 BYTEA NOT NULL,
    sha256              TEXT NOT NULL
);
CREATE INDEX ocsp_response_signed_seq ON ocsp_response (signed_seq);
-- No CACHE: cached blocks would hand out numbers out of commit order across sessions.
CREATE SEQUENCE ocsp_signed_seq;

-- Every publication bundle written (docs/publication-bundle.md), with the newest response it holds.
CREATE TABLE publication_bundle (
    bundle_id           UUID PRIMARY KEY,
    created_at          TIMESTAMPTZ NOT NULL,
    full_ocsp           BOOLEAN NOT NULL,
    last_signed_seq     BIGINT NOT NULL,        -- the next incremental bundle holds responses after this one
    artifacts           INTEGER NOT NULL,
    ocsp_responses      INTEGER NOT NULL,
    manifest_sha256     TEXT NOT NULL
);
