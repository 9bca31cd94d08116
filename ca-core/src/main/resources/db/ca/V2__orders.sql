-- RA-signed order bundles received by the CA (pulled or carried in), and every order executed.
-- A bundle is completed once; its orders are idempotent by order id (docs/order-bundles.md).
CREATE TABLE order_bundle (
    bundle_id           TEXT PRIMARY KEY,
    signer_sha256       TEXT NOT NULL,              -- the RA order-signing certificate's fingerprint
    content_sha256      TEXT NOT NULL,
    orders              INTEGER NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at        TIMESTAMPTZ,
    result_der          BYTEA                       -- the CA-signed result bundle
);

CREATE TABLE executed_order (
    order_id            TEXT PRIMARY KEY,
    bundle_id           TEXT NOT NULL REFERENCES order_bundle (bundle_id),
    type                TEXT NOT NULL CHECK (type IN ('issue', 'revoke')),
    decision_id         TEXT NOT NULL,
    decision_sha256     TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('issued', 'revoked', 'refused')),
    serial              TEXT,
    result_json         TEXT NOT NULL,
    executed_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX executed_order_day ON executed_order (executed_at);
CREATE INDEX certificate_public_key ON certificate (public_key_sha256);
