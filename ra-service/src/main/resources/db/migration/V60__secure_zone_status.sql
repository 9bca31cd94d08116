-- Status documents the secure zone pushes to the RA (docs/monitoring.md): the newest accepted one per component
-- (the secure zone opens no port, so this is how the operator status page and Prometheus learn its state), and
-- every document refused on the authenticated CA connection (forged, unsigned, replayed), kept for the operator.
-- Monitoring data, not books: no retention rule. The service updates the newest row in place (a document every
-- pull pass would otherwise grow the table without bound); refusals are only ever inserted.

CREATE TABLE secure_zone_report (
    component       TEXT PRIMARY KEY,                -- 'ca' or 'ocsp-presigner'
    document_id     TEXT NOT NULL,
    produced_at     TIMESTAMPTZ NOT NULL,            -- the signed time it describes; strictly increases (no replay)
    received_at     TIMESTAMPTZ NOT NULL,
    signer_sha256   TEXT NOT NULL,                   -- the pinned certificate that verified it
    document        TEXT NOT NULL,                   -- the signed JSON, as signed
    cms             BYTEA NOT NULL                   -- the CMS SignedData, to re-verify later
);

CREATE TABLE secure_zone_report_refusal (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at     TIMESTAMPTZ NOT NULL,
    code            TEXT NOT NULL,                   -- the problem code answered (RFC 9457 body)
    detail          TEXT NOT NULL,
    client_sha256   TEXT,                            -- the mTLS client certificate it came with
    body_sha256     TEXT NOT NULL,
    body_size       INTEGER NOT NULL
);
CREATE INDEX secure_zone_report_refusal_received ON secure_zone_report_refusal (received_at);
REVOKE UPDATE ON secure_zone_report_refusal FROM shomei_service;
