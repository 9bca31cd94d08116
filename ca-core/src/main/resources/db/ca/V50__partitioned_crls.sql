-- Partitioned CRLs (docs/crl.md, "Partitioned CRLs"). With crl.shards = N > 0, every certificate names in its CRL
-- distribution point the shard its serial number falls in (serial mod N, fixed at issuance: the serial never
-- changes and N is fixed for an issuing key, checked against `crl.shards` below), and every CRL run signs, with the
-- full CRL's number, one CRL per shard carrying an issuingDistributionPoint that names the same URL
-- (RFC 5280 §5.2.5). Rows are append-only like the full CRLs (V10).

-- How many shards the run that signed this CRL made (0: none); a run with another count is refused.
ALTER TABLE crl ADD COLUMN shards INTEGER NOT NULL DEFAULT 0 CHECK (shards >= 0);

CREATE TABLE crl_shard (
    issuer_label        TEXT NOT NULL,
    crl_number          BIGINT NOT NULL,
    shard               INTEGER NOT NULL CHECK (shard >= 0),
    this_update         TIMESTAMPTZ NOT NULL,
    next_update         TIMESTAMPTZ NOT NULL,
    entries             INTEGER NOT NULL,
    sha256              TEXT NOT NULL,
    der                 BYTEA NOT NULL,
    PRIMARY KEY (issuer_label, crl_number, shard),
    FOREIGN KEY (issuer_label, crl_number) REFERENCES crl (issuer_label, crl_number)
);

CREATE TRIGGER crl_shard_append_only BEFORE UPDATE OR DELETE ON crl_shard
    FOR EACH ROW EXECUTE FUNCTION ca_refuse_change();
CREATE TRIGGER crl_shard_no_truncate BEFORE TRUNCATE ON crl_shard
    FOR EACH STATEMENT EXECUTE FUNCTION ca_refuse_change();

REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON crl_shard FROM shomei_service;
GRANT SELECT, INSERT ON crl_shard TO shomei_service;
